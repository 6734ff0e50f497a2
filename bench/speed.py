"""Training speed of the default model, measured for a noisy shared machine.

Every comparison runs in ONE process with its arms alternated, and is
reported as the median and the spread (min, max) of at least five
repetitions; targets are judged on medians (docs/benchmark.md, "Speed").
Each pass is timed on the wall clock and on the process's CPU clock
(`time.process_time`, the work done, whatever else the machine runs).

1. Loops: the default `conv_vae` trained by `fit`, the same network (a
   second copy) trained by a bare `tf.function` GradientTape loop, a
   third copy trained by `fit` compiled with `steps_per_execution=10`
   (Keras's training function runs 10 steps per call), a fourth copy's
   own Keras `train_step` in a bare `tf.function` loop (what `fit` runs
   per step, without `fit`'s loop), the reference model
   (`bench.reference`) by its own loop, and the other candidate designs of
   `DESIGNS` by bare loops. A repetition is one pass of each over the same
   `--batches` batches of 128, in that order; all but the first `fit` run
   from its `on_epoch_end`, outside its clock. A `fit` pass is timed from
   its epoch's start to its end (`EpochClock`).
   Each `fit` against the bare loop is also given as the median of the
   per-repetition ratios (`paired_ratios`), which cancels the machine's
   slow phases that hit both passes of a repetition.
2. XLA: two bare loops, compiled with and without `jit_compile=True`,
   alternated; then the same pair in a subprocess with oneDNN turned off
   (`TF_ENABLE_ONEDNN_OPTS=0`, read when TensorFlow starts), and in one
   asking XLA for oneDNN kernels (`XLA_FLAGS=--xla_cpu_experimental_onednn_
   custom_call=true`), to test where XLA's time goes.
3. Time to quality: the default `conv_vae` trained by `fit` for 5 epochs,
   its quick NLL (K = 100 on the first 2,000 test images) scored every 100
   steps outside the clock until it reaches NLL 252, then at each epoch's
   end; the same for the previous default (the first of `DESIGNS`, with
   Keras's Adam at 1e-3, `compile()`'s optimizer before 2e-3 became its
   default) and for the default network at 1e-3; the
   reference trained 5 epochs by its loop. Each run reads a fresh pipeline
   of the same seed, so all see the examples in the same order. The ratio is given
   twice: from these two runs' walls, and as (steps to 252 x the median fit
   step) / (5 epochs of steps x the median reference step) from part 1,
   which the machine's load does not bias.
4. Profile: op-level self time of a few steps under `fit` and under the
   bare loop (TensorFlow's profiler, read with `xprof`), summed by layer.
5. Pipeline: one-epoch `fit` calls over part 1's batches, fed by the same
   pipeline with `tf.data`'s autotuning on and off, alternated; an epoch's
   end waits for the old iterator's autotuning thread, which can stall it
   by up to a second.

    python -m bench.speed              # ~20 min on 2 cores; results/speed.json
    python -m bench.speed --smoke      # a minute, without part 2's
                                       # subprocesses; results/speed_smoke.json
"""

import argparse
import collections
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import keras
import tensorflow as tf

import zoo
from bench import reference
from bench.common import write_result
from zoo.datasets.image_dataset import IN_MEMORY_OPTIONS
from zoo.evaluation import likelihood
from zoo.models.autoencoder import DEFAULT_LEARNING_RATE

TARGET_NLL = 252.0

#: Other `conv_vae` designs timed beside the default (bare loops), for the
#: trade-off table; their validation NLLs come from `bench.conv_design`.
DESIGNS = {
    "previous default, Conv2D output": {"output_layer": "conv"},
    "earlier default, dense (256,), Conv2D output": {
        "hidden_units": (256,), "output_layer": "conv"},
}
BATCH_SIZE = 128
LATENT_DIM = 16
#: Part 1's second `fit` arm runs this many steps per call of Keras's
#: training function (`compile(steps_per_execution=...)`; Keras's default,
#: and the zoo's, is 1).
STEPS_PER_EXECUTION = 10


class Clock:
    """Wall and CPU seconds of each timed pass, `start()` to `stop()` or a
    `with` block."""

    def __init__(self):
        self.wall = []
        self.cpu = []

    def start(self):
        self._start = (time.perf_counter(), time.process_time())

    def stop(self):
        self.wall.append(time.perf_counter() - self._start[0])
        self.cpu.append(time.process_time() - self._start[1])

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def summary(self, images):
        """Medians and spreads, the first (tracing) pass dropped."""
        wall, cpu = self.wall[1:], self.cpu[1:]
        return {
            "images_per_second": images / statistics.median(wall),
            "images_per_second_spread": [images / max(wall),
                                         images / min(wall)],
            "images_per_cpu_second": images / statistics.median(cpu),
            "wall_seconds": self.wall,
            "cpu_seconds": self.cpu,
        }


def default_model(seed=0, **options):
    keras.utils.set_random_seed(seed)
    return zoo.get("conv_vae", input_shape=(28, 28, 1),
                   latent_dim=LATENT_DIM, seed=seed, **options)


def train_step_loop(model):
    """`model`'s own Keras `train_step` (the step `fit` runs: the zoo's
    loss, Keras's metrics and its optimizer call) in a bare `tf.function`,
    without `fit`'s loop around it."""
    model.compile()
    model.optimizer.build(model.trainable_variables)
    return tf.function(model.train_step)


def bare_step(model, jit_compile=False, learning_rate=DEFAULT_LEARNING_RATE):
    """One training step of `model`'s objective in a bare `tf.function`:
    the same loss as `fit` (the reconstruction term plus the `add_loss`
    terms), Adam at `learning_rate`, no metrics, no callbacks."""
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit_compile)
    def step(x):
        with tf.GradientTape() as tape:
            parameters = model(x, training=True)
            loss = model.reconstruction_loss(x, parameters) + tf.add_n(
                model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    return step


class EpochClock(keras.callbacks.Callback):
    """Times each `fit` epoch on `clock`, from its start to its end: the
    steps and the epoch's own bookkeeping, not `fit`'s set-up."""

    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def on_epoch_begin(self, epoch, logs=None):
        self.clock.start()

    def on_epoch_end(self, epoch, logs=None):
        self.clock.stop()


class Alternate(EpochClock):
    """Times each epoch of the main `fit` on `clocks["fit"]`, as
    `EpochClock`; after it, that clock stopped, runs one timed pass of every
    other arm in `passes` ({name: function taking the arm's `Clock`}) on
    its own clock in `clocks`."""

    def __init__(self, passes):
        self.clocks = {"fit": Clock(), **{name: Clock() for name in passes}}
        super().__init__(self.clocks["fit"])
        self.passes = passes

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        for name, run in self.passes.items():
            run(self.clocks[name])


def loop_pass(step, dataset):
    """An arm that calls `step` on every batch of `dataset`, timed whole."""
    def run(clock):
        with clock:
            for x in dataset:
                step(x)
    return run


def fit_pass(model, dataset):
    """An arm that fits `model` one epoch on `dataset`, timed as the main
    `fit` is (`EpochClock`)."""
    def run(clock):
        model.fit(dataset, epochs=1, verbose=0, callbacks=[EpochClock(clock)])
    return run


def pipeline(x, autotune=False):
    """`x` as a cached, prefetched `tf.data` pipeline of batches, the same
    for every loop; `tf.data`'s autotuning off, as `zoo.datasets` feeds
    fit (part 5 measures it on)."""
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(BATCH_SIZE)
    dataset = dataset.cache().prefetch(tf.data.AUTOTUNE)
    return dataset if autotune else dataset.with_options(IN_MEMORY_OPTIONS)


def loops(x, repetitions):
    """Part 1: fit, bare and reference passes alternated."""
    dataset = pipeline(x)
    fit_model, bare_model = default_model(), default_model()
    fit_model.compile()
    executions_model = default_model()
    executions_model.compile(steps_per_execution=STEPS_PER_EXECUTION)
    encoder, decoder = reference.build(LATENT_DIM)
    designs = {name: default_model(**options)
               for name, options in DESIGNS.items()}
    steps = {
        "train_step": train_step_loop(default_model()),
        "reference": reference.train_step(encoder, decoder),
        **{name: bare_step(model) for name, model in designs.items()},
    }
    alternate = Alternate({
        # jit_compile as `compile` resolved it ("auto": off on CPU)
        "bare": loop_pass(
            bare_step(bare_model, bool(fit_model.jit_compile)), dataset),
        "fit_steps_per_execution": fit_pass(executions_model, dataset),
        **{name: loop_pass(step, dataset) for name, step in steps.items()},
    })
    fit_model.fit(dataset, epochs=repetitions + 1, verbose=0,
                  callbacks=[alternate])
    images = len(x)
    result = {name: clock.summary(images)
              for name, clock in alternate.clocks.items()}
    result["fit_over_train_step_time"] = (
        result["train_step"]["images_per_second"]
        / result["fit"]["images_per_second"])
    result["fit"]["parameters"] = fit_model.count_params()
    result["bare"]["parameters"] = bare_model.count_params()
    result["reference"]["parameters"] = (encoder.count_params()
                                         + decoder.count_params())
    for name, model in designs.items():
        result[name]["parameters"] = model.count_params()
    fit, bare, ref = (result[name] for name in ("fit", "bare", "reference"))
    result["fit_over_bare_time"] = (bare["images_per_second"]
                                    / fit["images_per_second"])
    result["fit_over_bare_cpu"] = (bare["images_per_cpu_second"]
                                   / fit["images_per_cpu_second"])
    result["fit_over_bare_paired"] = paired_ratios(
        alternate.clocks["fit"], alternate.clocks["bare"])
    result["fit_steps_per_execution_over_bare_paired"] = paired_ratios(
        alternate.clocks["fit_steps_per_execution"], alternate.clocks["bare"])
    result["steps_per_execution"] = STEPS_PER_EXECUTION
    result["fit_over_reference_images_per_second"] = (
        fit["images_per_second"] / ref["images_per_second"])
    result["jit_compile"] = bool(fit_model.jit_compile)
    result["network"] = {"network": fit_model.network,
                         **fit_model.network_options}
    return result


def paired_ratios(numerator, denominator):
    """The ratios of two clocks' passes repetition by repetition (the first,
    tracing, pass dropped): median and spread, on the wall and the CPU clock.

    The two passes of a repetition run back to back, so a slow phase of the
    shared machine (seconds long) slows both; their ratio cancels most of it,
    where the ratio of the two arms' medians keeps it.
    """
    result = {}
    for clock in ("wall", "cpu"):
        values = [a / b for a, b in zip(getattr(numerator, clock)[1:],
                                        getattr(denominator, clock)[1:])]
        result[clock] = {"median": statistics.median(values),
                         "spread": [min(values), max(values)],
                         "values": values}
    return result


def xla(x, repetitions):
    """Part 2: bare loops with and without XLA, alternated."""
    dataset = pipeline(x)
    passes = {
        name: loop_pass(bare_step(default_model(), jit_compile=jit), dataset)
        for name, jit in (("no_xla", False), ("xla", True))}
    clocks = {name: Clock() for name in passes}
    for _ in range(repetitions + 1):
        for name, run in passes.items():
            run(clocks[name])
    result = {name: clock.summary(len(x)) for name, clock in clocks.items()}
    result["xla_over_no_xla_time"] = (result["no_xla"]["images_per_second"]
                                      / result["xla"]["images_per_second"])
    return result


#: Part 2's subprocesses: the environment each adds.
XLA_ENVIRONMENTS = {
    "without_onednn": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "onednn_custom_call": {
        "XLA_FLAGS": "--xla_cpu_experimental_onednn_custom_call=true"},
}


def xla_subprocess(batches, repetitions, environment):
    """Part 2 again in a fresh process with `environment` added."""
    command = [sys.executable, "-m", "bench.speed", "--xla-only",
               "--batches", str(batches), "--repetitions", str(repetitions)]
    environment = dict(os.environ, **environment)
    output = subprocess.run(command, env=environment, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


class QualityClock(keras.callbacks.Callback):
    """Scores the quick NLL every `every` steps (outside the training clock)
    until it reaches `target`, and at the end of every epoch."""

    def __init__(self, scorer, every, target=TARGET_NLL):
        super().__init__()
        self.scorer = scorer
        self.every = every
        self.target = target
        self.curve = []
        self.reached = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.excluded = 0.0
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.reached is None and self.steps % self.every == 0:
            self.score()

    def on_epoch_end(self, epoch, logs=None):
        if not self.curve or self.curve[-1]["step"] != self.steps:
            self.score()

    def score(self):
        seconds = time.perf_counter() - self.start - self.excluded
        start = time.perf_counter()
        nll = self.scorer()
        self.excluded += time.perf_counter() - start
        self.curve.append({"step": self.steps, "train_seconds": seconds,
                           "nll_quick": nll})
        if self.reached is None and nll <= self.target:
            self.reached = {"step": self.steps, "train_seconds": seconds}


def quality_curve(dataset, x_score, settings, optimizer=None, **options):
    """A `conv_vae` (`options` over the default) compiled with `optimizer`
    (None: `compile()`'s default, Adam at 2e-3) and trained by `fit` for
    `settings["epochs"]`, its quick NLL on `x_score` scored outside the
    clock (`QualityClock`)."""
    model = default_model(**options)
    model.compile(optimizer=optimizer)
    clock = QualityClock(
        lambda: likelihood.negative_log_likelihood(
            model, x_score, num_samples=settings["num_samples"]),
        every=settings["score_every"])
    model.fit(dataset, epochs=settings["epochs"], callbacks=[clock],
              verbose=0)
    return clock


def time_to_quality(data, settings):
    """Part 3: steps and seconds to NLL 252, and the 5-epoch NLLs of the
    default, the previous default (`DESIGNS`' first) and the reference."""
    x_test, _ = data.split("test")
    x_score = x_test[:settings["nll_examples"]]

    def dataset():
        """A fresh pipeline: every run sees the same order of examples."""
        return data.as_dataset("train", batch_size=BATCH_SIZE, seed=0)

    clock = quality_curve(dataset(), x_score, settings)
    # The previous default as it was: its network, and Keras's Adam at
    # 1e-3, `compile()`'s optimizer before it defaulted to 2e-3.
    previous = quality_curve(dataset(), x_score, settings, optimizer="adam",
                             **next(iter(DESIGNS.values())))
    # The default network at 1e-3: splits the gain between the network
    # and the learning rate.
    keras_rate = quality_curve(dataset(), x_score, settings, optimizer="adam")

    keras.utils.set_random_seed(0)
    encoder, decoder = reference.build(LATENT_DIM)
    reference_seconds = reference.train(encoder, decoder, dataset(),
                                        settings["epochs"])
    _, reference_nll = reference.negative_elbo_and_nll(
        encoder, decoder, x_score, settings["num_samples"])
    return {
        "steps_per_epoch": -(-len(data.x_train) // BATCH_SIZE),
        "conv_vae_curve": clock.curve,
        "conv_vae_reached": clock.reached,
        "conv_vae_nll_quick_final": clock.curve[-1]["nll_quick"],
        "previous_default_curve": previous.curve,
        "previous_default_reached": previous.reached,
        "previous_default_nll_quick_final": previous.curve[-1]["nll_quick"],
        "conv_vae_at_1e-3_curve": keras_rate.curve,
        "conv_vae_at_1e-3_nll_quick_final": keras_rate.curve[-1]["nll_quick"],
        "reference_train_seconds": sum(reference_seconds),
        "reference_nll_quick_final": reference_nll,
    }


def autotune(x, repetitions):
    """Part 5: `fit` calls of one epoch, autotuning on and off alternated."""
    model = default_model()
    model.compile()
    datasets = {"autotune_on": pipeline(x, autotune=True),
                "autotune_off": pipeline(x, autotune=False)}
    clocks = {name: Clock() for name in datasets}
    for _ in range(repetitions + 1):
        for name, dataset in datasets.items():
            with clocks[name]:
                model.fit(dataset, epochs=1, verbose=0)
    result = {name: clock.summary(len(x)) for name, clock in clocks.items()}
    result["on_over_off_time"] = (result["autotune_off"]["images_per_second"]
                                  / result["autotune_on"]["images_per_second"])
    return result


def profile(x, steps):
    """Part 4: op self time per step under fit and the bare loop, by layer."""
    from xprof.convert import raw_to_tool_data

    dataset = pipeline(x[:steps * BATCH_SIZE])
    fit_model, bare_model = default_model(), default_model()
    fit_model.compile()
    step = bare_step(bare_model)
    fit_model.fit(dataset, epochs=1, verbose=0)
    for batch in dataset:
        step(batch)
    runs = {"fit": lambda: fit_model.fit(dataset, epochs=1, verbose=0),
            "bare": lambda: [step(batch) for batch in dataset]}
    result = {}
    for name, run in runs.items():
        folder = tempfile.mkdtemp(prefix=f"zoo_profile_{name}_")
        tf.profiler.experimental.start(folder)
        run()
        tf.profiler.experimental.stop()
        (path,) = glob.glob(f"{folder}/plugins/profile/*/*.xplane.pb")
        table, _ = raw_to_tool_data.xspace_to_tool_data(
            [path], "framework_op_stats", {})
        result[name] = by_layer(json.loads(table), steps)
    return result


def by_layer(table, steps):
    """xprof's framework_op_stats -> {group: ms per step}, largest first.

    A group is the layer an op belongs to ("decoder/deconv_1"), split into
    its forward and gradient ops, or the optimizer, or "other" (the loss,
    KL, metrics and data ops); idle time is left out.
    """
    table = table[0] if isinstance(table, list) else table
    columns = [column["id"] for column in table["cols"]]
    operation = columns.index("operation")
    kind = columns.index("type")
    self_time = columns.index("total_self_time")
    groups = collections.Counter()
    for row in table["rows"]:
        cells = [cell["v"] if cell else None for cell in row["c"]]
        if cells[kind] == "IDLE":
            continue
        groups[op_group(cells[operation])] += cells[self_time] / 1000 / steps
    return {"total_ms_per_step": sum(groups.values()),
            "ms_per_step": dict(groups.most_common())}


def op_group(name):
    """The group of one TensorFlow op name (see `by_layer`)."""
    layer = re.search(r"/(encoder|decoder)(?:_\d+)?/([a-z0-9_]+?)(?:_\d+)?/",
                      name)
    if layer:
        part = "gradient" if "gradient_tape" in name else "forward"
        return f"{layer.group(1)}/{layer.group(2)} ({part})"
    if re.search(r"adam|Adam|optimizer", name):
        return "optimizer"
    return "other"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60,
                        help="batches of 128 per repetition (parts 1, 2)")
    parser.add_argument("--repetitions", type=int, default=None,
                        help="alternated repetitions after one warm-up "
                             "(default 7; 5 with --smoke)")
    parser.add_argument("--profile-steps", type=int, default=20)
    parser.add_argument("--smoke", action="store_true",
                        help="a minute: 1 batch, 5 repetitions, 1 short "
                             "epoch, part 2 in this process only (no "
                             "subprocesses); writes speed_smoke.json")
    parser.add_argument("--xla-only", action="store_true",
                        help=argparse.SUPPRESS)  # part 2's subprocess
    args = parser.parse_args(argv)
    if args.repetitions is None:
        args.repetitions = 5 if args.smoke else 7
    if args.repetitions < 5 and not args.xla_only:
        parser.error("--repetitions must be at least 5: targets are judged "
                     f"on medians. Received: {args.repetitions}")
    data = zoo.datasets.fashion_mnist(binarize="static")
    settings = {"batches": args.batches, "repetitions": args.repetitions,
                "epochs": 5, "num_samples": 100, "nll_examples": 2000,
                "score_every": 100, "profile_steps": args.profile_steps}
    if args.smoke:
        data = zoo.datasets.from_arrays(
            data.x_train[:512], data.y_train[:512], data.x_test[:64],
            data.y_test[:64], name="fashion_mnist_smoke")
        settings.update(batches=1, epochs=1, num_samples=5, nll_examples=64,
                        score_every=2, profile_steps=2)
    x = data.x_train[:settings["batches"] * BATCH_SIZE]
    if args.xla_only:
        print(json.dumps(xla(x, args.repetitions)))
        return
    result = {"settings": settings}
    result["loops"] = loops(x, settings["repetitions"])
    print({key: value for key, value in result["loops"].items()
           if not isinstance(value, dict)}, flush=True)
    result["xla"] = xla(x, settings["repetitions"])
    subprocesses = {} if args.smoke else XLA_ENVIRONMENTS
    for name, environment in subprocesses.items():
        result[f"xla_{name}"] = xla_subprocess(
            settings["batches"], settings["repetitions"], environment)
    print({name: result[name]["xla_over_no_xla_time"]
           for name in result if name.startswith("xla")}, flush=True)
    quality = time_to_quality(data, settings)
    quality.update(ratios(quality, result["loops"], settings))
    result["time_to_quality"] = quality
    print({key: value for key, value in quality.items()
           if not key.endswith("_curve")}, flush=True)
    result["profile"] = profile(x, settings["profile_steps"])
    result["pipeline"] = autotune(x, settings["repetitions"])
    print({"autotune_on_over_off_time":
           result["pipeline"]["on_over_off_time"]}, flush=True)
    path = write_result("speed" + ("_smoke" if args.smoke else ""), result)
    print(f"written to {path}")


def ratios(quality, loops_, settings):
    """Time to NLL 252 over the reference's 5-epoch wall: measured, and
    estimated from step counts and the alternated median step times."""
    reached = quality["conv_vae_reached"]
    if reached is None:
        return {"time_to_252_over_reference": None,
                "time_to_252_over_reference_from_medians": None}
    fit_step = BATCH_SIZE / loops_["fit"]["images_per_second"]
    reference_step = BATCH_SIZE / loops_["reference"]["images_per_second"]
    reference_steps = quality["steps_per_epoch"] * settings["epochs"]
    return {
        "time_to_252_over_reference": (
            reached["train_seconds"] / quality["reference_train_seconds"]),
        "time_to_252_over_reference_from_medians": (
            reached["step"] * fit_step / (reference_steps * reference_step)),
    }


if __name__ == "__main__":
    main()

"""Roofline: this CPU's measured peak for the operations the models use,
and the default conv_vae's training FLOP/s as a share of it.

1. Peaks: a large matmul (2048 x 2048 x 2048) and a large 3 x 3
   convolution (batch 32, 56 x 56 x 128 -> 128, "same"), in float32 and
   bfloat16, each a `tf.function`; FLOPs per call from the graph
   (`tf.compat.v1.profiler`'s float_ops), the median of `--repetitions`
   timed calls after a warm-up.
2. Training: one step of the default conv_vae (batch 128, the zoo's loss,
   Adam: `bench.speed.bare_step`), FLOPs per step counted by the same
   profiler on the step's concrete graph (forward, gradients, optimizer),
   divided by the median step time: achieved GFLOP/s and its share of the
   float32 convolution peak. The same for the levers tried: bfloat16
   (Keras's "mixed_bfloat16" policy), batch 512 (the learning rate scaled
   by 4; this is throughput only), XLA (`jit_compile=True`), and the
   float32 step under Keras's `fit` (its loop, metrics and callbacks
   around the same step). The arms alternate over the repetitions.
3. Where the time goes: xprof's op-level self time per step of the
   float32 batch-128 step (`bench.speed.profile`'s reader), grouped by
   layer, beside the FLOPs the graph assigns to each group: each group's
   achieved GFLOP/s.

Inputs are random binary images (speed does not depend on the pixels).

    python -m bench.roofline            # a few minutes; results/roofline.json
    python -m bench.roofline --smoke    # seconds; results/roofline_smoke.json
"""

import argparse
import collections
import glob
import json
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from bench import speed
from zoo.models.autoencoder import DEFAULT_LEARNING_RATE


def graph_flops(concrete):
    """Float ops of a concrete function's graph, by TensorFlow's profiler,
    and per op name (`get_stats_for_node_def`, what the profiler sums)."""
    from tensorflow.python.framework import ops as tf_ops

    graph = concrete.graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    total = tf.compat.v1.profiler.profile(
        graph, options=options).total_float_ops
    per_op = {}
    for op in graph.get_operations():
        try:
            stats = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops")
        except (ValueError, TypeError):
            continue
        if stats.value:
            per_op[op.name] = stats.value
    return total, per_op


def timed(function, args, repetitions, calls=1):
    """Median seconds per call of `function(*args)` after a warm-up."""
    function(*args)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls):
            result = function(*args)
        _ = result.numpy() if hasattr(result, "numpy") else result
        times.append((time.perf_counter() - start) / calls)
    return times


def peaks(repetitions, smoke):
    """Part 1: {(operation, dtype): GFLOP/s}."""
    size, image = (256, 16) if smoke else (2048, 56)
    rows = []
    for dtype in (tf.float32, tf.bfloat16):
        a = tf.cast(tf.random.normal((size, size)), dtype)
        matmul = tf.function(lambda a, b: tf.matmul(a, b))
        x = tf.cast(tf.random.normal((32, image, image, 128)), dtype)
        kernel = tf.cast(tf.random.normal((3, 3, 128, 128)), dtype)
        conv = tf.function(
            lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
        for name, function, args in (
                (f"matmul {size}^3", matmul, (a, a)),
                (f"conv 3x3, 32x{image}x{image}x128 -> 128", conv,
                 (x, kernel))):
            flops, _ = graph_flops(function.get_concrete_function(*args))
            times = timed(function, args, repetitions)
            rows.append({"operation": name, "dtype": dtype.name,
                         "gflop_per_call": flops / 1e9,
                         "seconds": statistics.median(times),
                         "gflops": flops / 1e9 / statistics.median(times),
                         "gflops_spread": [flops / 1e9 / max(times),
                                           flops / 1e9 / min(times)]})
            print(rows[-1], flush=True)
    return rows


def training_step(batch, policy="float32", jit_compile=False):
    """(step, concrete function, x) of the default conv_vae at `batch`."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = speed.default_model()
        x = tf.constant((np.random.default_rng(0).uniform(
            size=(batch, 28, 28, 1)) < 0.5).astype("float32"))
        # Adam's learning rate scaled by batch / 128 (the linear rule).
        step = speed.bare_step(
            model, jit_compile,
            learning_rate=DEFAULT_LEARNING_RATE * batch / speed.BATCH_SIZE)
        concrete = step.get_concrete_function(x)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return step, concrete, x


ARMS = {
    "float32, batch 128": dict(batch=128),
    "mixed_bfloat16, batch 128": dict(batch=128, policy="mixed_bfloat16"),
    "float32, batch 512 (lr x4)": dict(batch=512),
    "float32, batch 128, XLA": dict(batch=128, jit_compile=True),
}


#: The `fit` arm, and the bare arm whose graph FLOPs it shares.
FIT = "float32, batch 128, Keras fit"
FIT_FLOPS = "float32, batch 128"


def training(repetitions, steps, conv_peak, smoke):
    """Part 2: achieved GFLOP/s of each arm, alternated."""
    arms = {name: training_step(**options) for name, options in ARMS.items()}
    flops = {name: graph_flops(concrete)[0]
             for name, (_, concrete, _) in arms.items()}
    times = collections.defaultdict(list)
    for name, (step, _, x) in arms.items():
        step(x)  # trace / compile
    # Keras's fit over the same number of batches of 128: the step plus
    # fit's loop, metrics and callbacks, timed by `bench.speed.EpochClock`
    # (its FLOPs are the bare step's: the metrics add a few thousand).
    model = speed.default_model()
    model.compile()
    dataset = tf.data.Dataset.from_tensors(arms[FIT_FLOPS][2]).repeat(steps)
    fit_clock = speed.Clock()
    model.fit(dataset, epochs=1, verbose=0)
    flops[FIT] = flops[FIT_FLOPS]
    for _ in range(repetitions):
        for name, (step, _, x) in arms.items():
            times[name] += timed(step, (x,), 1, calls=steps)
        model.fit(dataset, epochs=1, verbose=0,
                  callbacks=[speed.EpochClock(fit_clock)])
        times[FIT].append(fit_clock.wall[-1] / steps)
    rows = []
    for name, options in {**ARMS, FIT: ARMS[FIT_FLOPS]}.items():
        seconds = statistics.median(times[name])
        gflops = flops[name] / 1e9 / seconds
        rows.append({"arm": name, "batch": options["batch"],
                     "gflop_per_step": flops[name] / 1e9,
                     "ms_per_step": seconds * 1000,
                     "images_per_second": options["batch"] / seconds,
                     "gflops": gflops,
                     "share_of_fp32_conv_peak": gflops / conv_peak,
                     "ms_per_step_spread": [min(times[name]) * 1000,
                                            max(times[name]) * 1000]})
        print(rows[-1], flush=True)
    return rows


def where_time_goes(steps, peak):
    """Part 3: xprof self time and graph FLOPs per layer group, float32,
    batch 128 (the groups of `bench.speed.op_group`)."""
    from xprof.convert import raw_to_tool_data

    step, concrete, x = training_step(128)
    _, per_op = graph_flops(concrete)
    flops = collections.Counter()
    for name, value in per_op.items():
        flops[speed.op_group(name)] += value
    for _ in range(3):
        step(x)
    folder = tempfile.mkdtemp(prefix="zoo_roofline_")
    tf.profiler.experimental.start(folder)
    for _ in range(steps):
        step(x)
    float(step(x))
    tf.profiler.experimental.stop()
    (path,) = glob.glob(f"{folder}/plugins/profile/*/*.xplane.pb")
    table, _ = raw_to_tool_data.xspace_to_tool_data(
        [path], "framework_op_stats", {})
    table = json.loads(table)
    table = table[0] if isinstance(table, list) else table
    columns = [column["id"] for column in table["cols"]]
    operation, kind = columns.index("operation"), columns.index("type")
    self_time = columns.index("total_self_time")
    milliseconds = collections.Counter()
    by_type = collections.Counter()
    for row in table["rows"]:
        cells = [cell["v"] if cell else None for cell in row["c"]]
        if cells[kind] == "IDLE":
            continue
        ms = cells[self_time] / 1000 / (steps + 1)
        milliseconds[speed.op_group(cells[operation])] += ms
        by_type[cells[kind]] += ms
    rows = []
    for group, ms in milliseconds.most_common():
        gflop = flops.get(group, 0) / 1e9
        rows.append({"group": group, "ms_per_step": ms,
                     "gflop_per_step": gflop,
                     "gflops": gflop / (ms / 1000) if ms else 0.0,
                     "share_of_fp32_conv_peak":
                         gflop / (ms / 1000) / peak if ms else 0.0})
    return {"by_layer": rows,
            "by_op_type_ms_per_step": dict(by_type.most_common(15)),
            "total_ms_per_step": sum(milliseconds.values())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10,
                        help="training steps per timed repetition")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.repetitions, args.steps = 2, 2
    from bench.common import markdown_table
    from bench.common import write_result

    peak_rows = peaks(args.repetitions, args.smoke)
    conv_peak = next(row["gflops"] for row in peak_rows
                     if row["operation"].startswith("conv")
                     and row["dtype"] == "float32")
    train_rows = training(args.repetitions, args.steps, conv_peak,
                          args.smoke)
    profile = where_time_goes(args.steps, conv_peak)
    markdown = "\n\n".join([
        markdown_table(peak_rows), markdown_table(train_rows),
        markdown_table(profile["by_layer"])])
    print(markdown)
    write_result("roofline_smoke" if args.smoke else "roofline", {
        "command": "python -m bench.roofline" + (" --smoke" * args.smoke),
        "repetitions": args.repetitions, "steps": args.steps,
        "peaks": peak_rows, "fp32_conv_peak_gflops": conv_peak,
        "training": train_rows, "profile": profile, "markdown": markdown})


if __name__ == "__main__":
    main()

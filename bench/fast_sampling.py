"""Cached autoregressive sampling against the straightforward sampler, side
by side in one process, on the shipped models.

`hierarchical_vae` (likelihood="pixelcnn": 784 sequential pixel steps) and
`vq_vae` (a PixelCNN prior over its 7 x 7 code grid) loaded from
saved_models/<name>/model.keras. Arms: "old" swaps in the sampler the zoo
had before the cache (`PixelContext.draw_uncached`,
`PixelCNN.sample_uncached`), "new" the cached one; they alternate over
`--repetitions` (>= 5) and are judged on medians. Each arm's first call
(tracing; for the likelihood, XLA's compilation) is timed apart and left
out of the medians. Every repetition checks that both arms return the same
images (same seed, same draws): the outputs are likelihood means (pixel
probabilities along the drawn trajectory), equal up to float rounding
(the cached sampler sums the same products in another order), so the
largest absolute difference is recorded; a pixel drawn differently would
show as a difference near 1.

    python -m bench.fast_sampling           # results/fast_sampling.json
                                            # (~5 min on 2 cores)
    python -m bench.fast_sampling --smoke   # small batches, 2 repetitions
"""

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

SAVED = pathlib.Path(__file__).parent.parent / "saved_models"


def load(name):
    import keras

    import zoo  # noqa: F401  (registers the zoo's layers)

    return keras.saving.load_model(SAVED / name / "model.keras")


def swapper(owner, attribute, uncached):
    """{"old", "new"} -> a function that installs that sampler on `owner`."""
    new, old = getattr(owner, attribute), getattr(owner, uncached)

    def use(arm):
        setattr(owner, attribute, old if arm == "old" else new)

    return use


def cases(batch, vq_samples):
    """(case name, sampler switch, call) of each measured call; `call`
    takes the arm."""
    import tensorflow as tf

    x = (np.random.default_rng(0).uniform(size=(batch, 28, 28, 1))
         < 0.5).astype("float32")
    hierarchical, vq = load("hierarchical_vae"), load("vq_vae")
    likelihood = swapper(hierarchical.pixel_context, "draw", "draw_uncached")
    prior = swapper(vq.prior_network, "sample", "sample_uncached")
    # `VQVAE.sample` runs its `tf.function` `compute_samples`, whose graph
    # keeps the sampler it was traced with: one copy per arm, each traced
    # (on its first call) with its own sampler installed.
    vq_samples_of = {arm: tf.function(
        type(vq).compute_samples.python_function.__get__(vq))
        for arm in ("old", "new")}
    seed = tf.constant([0, 0], tf.int32)
    count = tf.constant(vq_samples, tf.int32)
    return [
        (f"hierarchical_vae sample({batch})", likelihood,
         lambda arm: hierarchical.sample(batch, seed=0)),
        (f"hierarchical_vae reconstruct (batch {batch})", likelihood,
         lambda arm: hierarchical.reconstruct(x)),
        (f"vq_vae sample({vq_samples})", prior,
         lambda arm: vq_samples_of[arm](count, seed)),
    ]


def measure(switch, call, repetitions):
    """Alternated old/new calls: seconds per call and whether they agree."""
    seconds = {"old": [], "new": []}
    first = {}
    difference = 0.0
    for arm in ("old", "new"):
        switch(arm)
        start = time.perf_counter()
        call(arm)
        first[arm] = time.perf_counter() - start
    for _ in range(repetitions):
        outputs = {}
        for arm in ("old", "new"):
            switch(arm)
            start = time.perf_counter()
            outputs[arm] = np.asarray(call(arm))
            seconds[arm].append(time.perf_counter() - start)
        difference = max(difference, float(np.max(np.abs(
            outputs["old"] - outputs["new"]))))
    switch("new")
    old, new = (statistics.median(seconds[arm]) for arm in ("old", "new"))
    return {"old_seconds": old, "new_seconds": new, "speedup": old / new,
            "paired_speedup_median": statistics.median(
                a / b for a, b in zip(seconds["old"], seconds["new"])),
            "old_spread": [min(seconds["old"]), max(seconds["old"])],
            "new_spread": [min(seconds["new"]), max(seconds["new"])],
            "first_call_seconds": first, "repetitions": repetitions,
            "max_abs_difference": difference,
            "same_draws": difference < 1e-4}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--vq-samples", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.repetitions, args.batch, args.vq_samples = 2, 2, 8
    elif args.repetitions < 5:
        parser.error("--repetitions must be at least 5: the comparison is "
                     f"judged on medians. Received: {args.repetitions}")
    from bench.common import markdown_table
    from bench.common import write_result

    rows = []
    for name, switch, call in cases(args.batch, args.vq_samples):
        row = {"case": name, **measure(switch, call, args.repetitions)}
        print(row, flush=True)
        rows.append(row)
    table = markdown_table([
        {"call": row["case"], "old sampler (s)": row["old_seconds"],
         "cached (s)": row["new_seconds"], "speed-up": row["speedup"],
         "first call, cached (s)": row["first_call_seconds"]["new"],
         "same draws (max abs difference)":
             f"{'yes' if row['same_draws'] else 'NO'} "
             f"({row['max_abs_difference']:.1g})"}
        for row in rows])
    print(table)
    write_result("fast_sampling_smoke" if args.smoke else "fast_sampling",
                 {"command": " ".join(["python -m bench.fast_sampling",
                                       *(argv if argv is not None
                                         else sys.argv[1:])]),
                  "rows": rows, "markdown": table})


if __name__ == "__main__":
    main()

"""Serving latency of every shipped model: p50/p99 of `encode`, `score`
(K = 1 and 100) and `sample` at batch 1 and 64, through the SavedModel.

Each saved_models/<name>/<highest version> is loaded with
`zoo.export.load_for_serving` and its signatures called with tensors (as a
server holds its inputs once it has parsed a request), in-process on this
machine's CPU with TensorFlow's default thread pools. `sample`'s batch is
its `num_samples`. The VQ-VAE's `score` takes no `num_samples` (its bound
is exact given the deterministic codes, so more samples cannot tighten
it): its one `score` row is listed under K = 1, and K = 100 is "n/a".

The versions 1 of hierarchical_vae and vq_vae were exported with the
sampler the zoo had before the cache (bench.fast_sampling); their versions
2 (issue 39) have it. The rows "(re-exported, cached sampler)" export
model.keras with this code to a temporary folder, which leaves
saved_models/ untouched. results/serving.json was measured on the
versions 1, before the versions 2 were written.

A cell makes as many calls as fit in `--seconds` after two warm-up calls
(at least 5, at most `--calls`; the first call's time, which may include
tracing or XLA's compilation, is recorded apart); its p99 over few calls
is near its maximum, so `calls` is recorded with it. A request above the
version's limit on samples (`zoo.export.request_size`: since version 2,
score at K = 100 and batch 64 is above it for the conv and hierarchical
models) is recorded as refused.

    python -m bench.serving            # a few minutes; results/serving.json
    python -m bench.serving --smoke    # conv_vae only, batch 1, few calls
"""

import argparse
import pathlib
import tempfile
import time

import numpy as np

SAVED = pathlib.Path(__file__).parent.parent / "saved_models"
#: The models whose re-export with the cached sampler is measured too.
SAMPLED = ("hierarchical_vae", "vq_vae")


def shipped():
    """{name: highest version folder} of saved_models/."""
    result = {}
    for folder in sorted(SAVED.iterdir()):
        versions = [int(path.name) for path in folder.glob("*")
                    if path.is_dir() and path.name.isdigit()]
        if versions:
            result[folder.name] = folder / str(max(versions))
    return result


def latencies(function, inputs, seconds, max_calls):
    """p50/p99 milliseconds of `function(**inputs)` after two warm-up
    calls (the first may trace or compile; the second sets how many calls
    fit in `seconds`)."""
    start = time.perf_counter()
    function(**inputs)
    first = time.perf_counter() - start
    start = time.perf_counter()
    function(**inputs)
    second = time.perf_counter() - start
    calls = int(min(max_calls, max(5, seconds / max(second, 1e-4))))
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function(**inputs)
        times.append((time.perf_counter() - start) * 1000.0)
    return {"p50_ms": float(np.percentile(times, 50)),
            "p99_ms": float(np.percentile(times, 99)), "calls": calls,
            "first_call_ms": first * 1000.0}


def cells(signatures, batches):
    """(signature, K, batch, inputs) of each measured call."""
    import tensorflow as tf

    seed = tf.constant([0, 0], tf.int32)
    codebook = "seed" not in signatures["encode"].structured_input_signature[1]
    rng = np.random.default_rng(0)
    for batch in batches:
        x = tf.constant((rng.uniform(size=(batch, 28, 28, 1)) < 0.5)
                        .astype("float32"))
        yield "encode", None, batch, (
            {"x": x} if codebook else {"x": x, "seed": seed})
        if codebook:
            yield "score", 1, batch, {"x": x}
        else:
            for k in (1, 100):
                yield "score", k, batch, {
                    "x": x, "num_samples": tf.constant(k, tf.int32)}
        yield "sample", None, batch, {
            "num_samples": tf.constant(batch, tf.int32), "seed": seed}


def measure(name, path, batches, seconds, max_calls):
    from zoo import export

    import tensorflow as tf

    serving = export.load_for_serving(path)
    rows = []
    for signature, k, batch, inputs in cells(serving.signatures, batches):
        row = {"model": name, "signature": signature,
               "K": k if k is not None else "", "batch": batch}
        try:
            row.update(latencies(serving.signatures[signature], inputs,
                                 seconds, max_calls))
        except tf.errors.InvalidArgumentError:
            # Above the version's request limit (zoo.export.request_size).
            row["refused"] = "above the request limit"
        print(row, flush=True)
        rows.append(row)
    return rows


def reexported(name):
    """model.keras of `name` exported with this code to a temporary
    folder: the path of its version."""
    import keras

    import zoo  # noqa: F401
    from zoo import export

    model = keras.saving.load_model(SAVED / name / "model.keras")
    return export.export_for_serving(
        model, tempfile.mkdtemp(prefix=f"zoo_serving_{name}_"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="time per cell (default 3)")
    parser.add_argument("--calls", type=int, default=200,
                        help="most calls per cell (default 200)")
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    batches = (1, 64)
    models = shipped()
    if args.smoke:
        batches, args.seconds, args.calls = (1,), 0.05, 5
        models = {"conv_vae": models["conv_vae"]}
    elif args.models:
        models = {name: models[name] for name in args.models}
    from bench.common import markdown_table
    from bench.common import write_result

    rows = []
    for name, path in models.items():
        for row in measure(name, path, batches, args.seconds, args.calls):
            rows.append({**row, "version": path.name})
        if name in SAMPLED and not args.smoke:
            for row in measure(f"{name} (re-exported, cached sampler)",
                               reexported(name), batches, args.seconds,
                               args.calls):
                rows.append({**row, "version": "temporary"})
    table = markdown_table(pivot(rows))
    print(table)
    write_result("serving_smoke" if args.smoke else "serving", {
        "command": "python -m bench.serving" + (" --smoke" * args.smoke),
        "seconds_per_cell": args.seconds, "max_calls": args.calls,
        "threads": "default", "inputs": "tensors", "rows": rows,
        "markdown": table})


def pivot(rows):
    """One line per model and batch; p50 / p99 ms per signature column."""
    lines = {}
    for row in rows:
        line = lines.setdefault((row["model"], row["batch"]), {
            "model": row["model"], "batch": row["batch"]})
        column = row["signature"] + (f" K={row['K']}" if row["K"] else "")
        line[column + " p50 / p99 (ms)"] = row.get("refused") or (
            f"{row['p50_ms']:.3g} / {row['p99_ms']:.3g}")
    for line in lines.values():
        if line["model"].startswith("vq_vae"):
            line["score K=100 p50 / p99 (ms)"] = "n/a (no num_samples)"
    return list(lines.values())


if __name__ == "__main__":
    main()

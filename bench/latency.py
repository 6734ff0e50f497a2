"""Serving latency of a loaded SavedModel: p50/p99 of `encode` and
`reconstruct` at batch 1 (inputs as numpy arrays, and as tensors, as a
server holds them once it has parsed a request) and at batch 256, in-process
on this machine's CPU, with TensorFlow's default thread pools and with one
thread each.

TensorFlow fixes its thread pools when it starts, so each configuration
runs in its own process; the two alternate over `--repetitions` processes
each, and every figure is the median (and spread) over them.

Scores the shipped saved_models/conv_vae/1 when it exists (else exports a
freshly built default conv_vae to a temporary folder first).

    python -m bench.latency [--model saved_models/conv_vae/1] [--calls 1000]
    python -m bench.latency --threads 1     # one configuration, this
                                            # process: latency_threads_1.json
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SHIPPED = pathlib.Path(__file__).parent.parent / "saved_models/conv_vae/1"
CONFIGURATIONS = ("default", "1")


def latencies(function, inputs, calls):
    """Milliseconds per call of `function(**inputs)`, after 10 warm-up calls."""
    for _ in range(10):
        function(**inputs)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function(**inputs)
        times.append((time.perf_counter() - start) * 1000.0)
    return {"p50_ms": float(np.percentile(times, 50)),
            "p99_ms": float(np.percentile(times, 99)), "calls": calls}


def measure(model, threads, calls):
    """Rows of p50/p99 per signature and batch, in this process, with
    `threads` ("default", or an int for both of TensorFlow's pools)."""
    import tensorflow as tf

    if threads != "default":
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    import zoo
    from zoo import export

    path = pathlib.Path(model)
    if not path.exists():
        built = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16)
        path = export.export_for_serving(built, tempfile.mkdtemp())
    serving = export.load_for_serving(path)
    rng = np.random.default_rng(0)
    rows = []
    for signature in ("encode", "reconstruct"):
        function = serving.signatures[signature]
        for batch, kind in ((1, "numpy"), (1, "tensor"), (256, "tensor")):
            x = (rng.uniform(size=(batch, 28, 28, 1)) < 0.5).astype("float32")
            inputs = {"x": x}
            if signature == "encode":
                inputs["seed"] = np.array([0, 0], "int32")
            if kind == "tensor":  # as a server holds them after parsing
                inputs = {key: tf.constant(value)
                          for key, value in inputs.items()}
            count = calls if batch == 1 else max(calls // 10, 10)
            rows.append({"signature": signature, "batch": batch,
                         "inputs": kind,
                         **latencies(function, inputs, count)})
    return {"model": str(path), "rows": rows}


def compare(model, calls, repetitions):
    """Each configuration in `repetitions` fresh processes, alternated;
    the median and spread of p50 and p99 over them."""
    runs = {threads: [] for threads in CONFIGURATIONS}
    for _ in range(repetitions):
        for threads in CONFIGURATIONS:
            output = subprocess.run(
                [sys.executable, "-m", "bench.latency", "--model", model,
                 "--threads", threads, "--calls", str(calls), "--print"],
                check=True, capture_output=True, text=True).stdout
            runs[threads].append(json.loads(output.strip().splitlines()[-1]))
    return {threads: summarize(measured) for threads, measured in runs.items()}


def summarize(measured):
    """Rows with the median and (min, max) of p50 and p99 over runs."""
    rows = []
    for index, row in enumerate(measured[0]["rows"]):
        summary = {key: row[key]
                   for key in ("signature", "batch", "inputs", "calls")}
        summary["repetitions"] = len(measured)
        for key in ("p50_ms", "p99_ms"):
            values = [run["rows"][index][key] for run in measured]
            summary[key] = statistics.median(values)
            summary[key.replace("_ms", "_spread_ms")] = [min(values),
                                                         max(values)]
        rows.append(summary)
    return {"model": measured[0]["model"], "rows": rows}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHIPPED))
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument(
        "--threads", choices=CONFIGURATIONS, default=None,
        help="measure one configuration in this process (default: compare "
             "both, each in its own processes)")
    parser.add_argument("--print", action="store_true",
                        help=argparse.SUPPRESS)  # a comparison's subprocess
    args = parser.parse_args(argv)
    if args.threads is not None:
        result = measure(args.model, args.threads, args.calls)
        if args.print:
            print(json.dumps(result))
            return
        result = {args.threads: summarize([result])}
        name = f"latency_threads_{args.threads}"
    else:
        if args.repetitions < 5:
            parser.error("--repetitions must be at least 5 for a comparison:"
                         f" it is judged on medians. Received: "
                         f"{args.repetitions}")
        result = compare(args.model, args.calls, args.repetitions)
        name = "latency"
    from bench.common import write_result

    for threads, measured in result.items():
        for row in measured["rows"]:
            print(threads, row, flush=True)
    write_result(name, {"threads": result})


if __name__ == "__main__":
    main()

"""Serving latency of a loaded SavedModel: p50/p99 of `encode` and
`reconstruct` at batch 1 and 256, in-process on this machine's CPU.

Scores the shipped saved_models/conv_vae/1 when it exists (else exports a
freshly built default conv_vae to a temporary folder first).

    python -m bench.latency [--model saved_models/conv_vae/1] [--calls 300]
"""

import argparse
import pathlib
import tempfile
import time

import numpy as np

import zoo
from bench.common import write_result
from zoo import export

SHIPPED = pathlib.Path(__file__).parent.parent / "saved_models/conv_vae/1"


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHIPPED))
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    path = pathlib.Path(args.model)
    if not path.exists():
        model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16)
        path = export.export_for_serving(model, tempfile.mkdtemp())
    serving = export.load_for_serving(path)
    rng = np.random.default_rng(0)
    rows = []
    for signature in ("encode", "reconstruct"):
        function = serving.signatures[signature]
        for batch in (1, 256):
            x = (rng.uniform(size=(batch, 28, 28, 1)) < 0.5).astype("float32")
            inputs = {"x": x}
            if signature == "encode":
                inputs["seed"] = np.array([0, 0], "int32")
            calls = args.calls if batch == 1 else max(args.calls // 10, 10)
            row = {"signature": signature, "batch": batch,
                   **latencies(function, inputs, calls)}
            print(row, flush=True)
            rows.append(row)
    write_result("latency", {"model": str(path), "rows": rows})


if __name__ == "__main__":
    main()

"""The final setting of docs/benchmark.md for a shipped model: the
importance-weighted NLL with K = 1,000 on all 10,000 statically binarized
test images, scored through the SavedModel's `score` signature.

    python -m bench.final_nll [--model saved_models/conv_vae_long/1]
                              [--num-samples 1000] [--examples 10000]

Writes bench/results/final_nll.json.
"""

import argparse
import time

import numpy as np

import zoo
from bench.common import write_result
from zoo import export


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="saved_models/conv_vae_long/1")
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    x_test, _ = zoo.datasets.fashion_mnist(binarize="static").split("test")
    x_test = x_test[:args.examples]
    serving = export.load_for_serving(args.model)
    start = time.perf_counter()
    elbo, log_likelihood = [], []
    for first in range(0, len(x_test), args.batch_size):
        scores = serving.score(x_test[first:first + args.batch_size],
                               num_samples=args.num_samples)
        elbo.append(scores["elbo"])
        log_likelihood.append(scores["log_likelihood"])
    result = {
        "model": args.model,
        "num_samples": args.num_samples,
        "examples": len(x_test),
        "test_negative_elbo": -float(np.mean(np.concatenate(elbo))),
        "test_nll": -float(np.mean(np.concatenate(log_likelihood))),
        "seconds": time.perf_counter() - start,
    }
    print(result)
    print(f"written to {write_result('final_nll', result)}")


if __name__ == "__main__":
    main()

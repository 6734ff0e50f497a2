"""Which training options pay on this machine: steps_per_execution and
mixed precision, measured on the default conv_vae (XLA: `bench.speed`).

Each option set trains a fresh conv_vae at the headline setting (latent 16,
batch 128, statically binarized Fashion-MNIST) for `--epochs` epochs over the
first `--images` training images; throughput is the median images/s over
epochs 2..N (epoch 1 holds tracing/compilation; at least 5 of them), with
the spread (slowest, fastest epoch), and the -ELBO on the first
2,000 test images shows the option does not cost quality. The option sets
run round-robin, one epoch each per round, so that all see the same machine
load. Writes bench/results/speed_options.json.

    python -m bench.speed_options [--epochs 6] [--images 20000]
"""

import argparse
import statistics
import time

import keras

import zoo
from bench.common import markdown_table
from bench.common import write_result
from zoo.evaluation import likelihood

OPTION_SETS = {
    "default": ({}, "float32"),
    "steps_per_execution=16": ({"steps_per_execution": 16}, "float32"),
    "mixed_bfloat16": ({}, "mixed_bfloat16"),
}


def build(compile_options, policy):
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16,
                        seed=0)
        model.compile(optimizer="adam", **compile_options)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--images", type=int, default=20000)
    args = parser.parse_args(argv)
    if args.epochs < 6:
        parser.error("--epochs must be at least 6: the first holds tracing "
                     "and targets are judged on medians of at least five. "
                     f"Received: {args.epochs}")
    data = zoo.datasets.fashion_mnist(binarize="static")
    x_train = data.x_train[:args.images]
    x_test, _ = data.split("test")
    models = {name: build(*options) for name, options in OPTION_SETS.items()}
    seconds = {name: [] for name in models}
    for _ in range(args.epochs):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x_train, batch_size=128, epochs=1, verbose=0)
            seconds[name].append(time.perf_counter() - start)
    rows = []
    for name, model in models.items():
        rows.append({
            "options": name,
            "images_per_second": len(x_train) / statistics.median(
                seconds[name][1:]),
            "images_per_second_spread": [len(x_train) / max(seconds[name][1:]),
                                         len(x_train) / min(seconds[name][1:])],
            "epoch_seconds": seconds[name],
            "test_negative_elbo_first2000": likelihood.negative_elbo(
                model, x_test[:2000]),
        })
        print(rows[-1], flush=True)
    table = markdown_table([
        {"options": row["options"],
         "img/s": row["images_per_second"],
         "slowest–fastest": "–".join(
             f"{value:,.0f}" for value in row["images_per_second_spread"]),
         "−ELBO (2k test)": row["test_negative_elbo_first2000"]}
        for row in rows
    ])
    path = write_result("speed_options", {
        "settings": {"epochs": args.epochs, "images": args.images,
                     "batch_size": 128, "latent_dim": 16},
        "rows": rows, "markdown": table})
    print(table)
    print(f"written to {path}")


if __name__ == "__main__":
    main()

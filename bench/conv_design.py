"""Choose the default ConvVAE design on a validation split, never the test set.

Trains each candidate at the headline setting (latent 16, batch 128, 5 epochs,
seed 0, static binarization) on the first 55,000 training images and scores
-ELBO and the quick IW NLL (K = 100) on the last 5,000 (the first 2,000 for
the NLL). Writes bench/results/conv_design.json, keeping the rows of
candidates not rerun. `train_seconds` is one sequential run each, a rough
cost only: `python -m bench.speed` compares speeds side by side. Each row
names its CPU and date: rows of different runs share the file.

    python -m bench.conv_design [--candidates NAME ...] [--epochs 5]
"""

import argparse
import datetime
import json
import time

import keras

import zoo
from bench.common import RESULTS
from bench.common import machine
from bench.common import write_result
from zoo.evaluation import likelihood


def network_options(filters, hidden_units, output_layer="conv"):
    """The `"conv"` network's options of one candidate. `output_layer`
    "conv" (a decoder ending in a full-resolution Conv2D) is the design of
    every default before the sub-pixel output layer."""
    return {"filters": filters, "hidden_units": hidden_units,
            "output_layer": output_layer}


CANDIDATES = {
    "filters32-64_dense256_lr1e-3": (network_options((32, 64), (256,)), 1e-3),
    "filters32-64_dense256_lr2e-3": (network_options((32, 64), (256,)), 2e-3),
    "filters32-64_nodense_lr1e-3": (network_options((32, 64), ()), 1e-3),
    "filters64-128_dense512_lr1e-3": (
        network_options((64, 128), (512,)), 1e-3),
    "filters32-64-128_dense256_lr1e-3": (
        network_options((32, 64, 128), (256,)), 1e-3),
    "filters64-128_dense512_lr2e-3": (
        network_options((64, 128), (512,)), 2e-3),
    # A leaner decoder for the speed issue: half the channels at 14 x 14.
    "filters32-32_nodense_lr1e-3": (network_options((32, 32), ()), 1e-3),
    # The sub-pixel output layer: no deconvolution at 28 x 28.
    "subpixel_filters32-64_nodense_lr1e-3": (
        network_options((32, 64), (), "subpixel"), 1e-3),
    "subpixel_filters64-64_nodense_lr1e-3": (
        network_options((64, 64), (), "subpixel"), 1e-3),
    # The learning rate of `compile()`'s default Adam (zoo.models.autoencoder).
    "subpixel_filters32-64_nodense_lr2e-3": (
        network_options((32, 64), (), "subpixel"), 2e-3),
    "subpixel_filters32-64_nodense_lr3e-3": (
        network_options((32, 64), (), "subpixel"), 3e-3),
    "filters32-64_nodense_lr2e-3": (network_options((32, 64), ()), 2e-3),
}


def run(name, options, learning_rate, data, epochs):
    keras.utils.set_random_seed(0)
    model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16, seed=0,
                    **options)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    start = time.perf_counter()
    model.fit(data.as_dataset("train", batch_size=128, seed=0), epochs=epochs,
              verbose=0)
    wall = time.perf_counter() - start
    x_validation, _ = data.split("validation")
    result = {
        "name": name, "options": options, "learning_rate": learning_rate,
        "cpu": machine()["cpu"], "date": datetime.date.today().isoformat(),
        "parameters": model.count_params(), "train_seconds": wall,
        "validation_negative_elbo": likelihood.negative_elbo(model, x_validation),
        "validation_nll_k100_first2000": likelihood.negative_log_likelihood(
            model, x_validation[:2000], num_samples=100),
    }
    print(result, flush=True)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    data = zoo.datasets.fashion_mnist(binarize="static", validation_size=5000)
    path = RESULTS / "conv_design.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    if earlier.get("epochs") != args.epochs:
        earlier = {}
    results = {row["name"]: row for row in earlier.get("candidates", [])}
    for row in results.values():  # rows from before rows named their machine
        row.setdefault("cpu", earlier["machine"]["cpu"])
        row.setdefault("date", earlier["date"][:10])
    for name in args.candidates:
        results[name] = run(name, *CANDIDATES[name], data, args.epochs)
        write_result("conv_design", {"epochs": args.epochs,
                                     "candidates": list(results.values())})


if __name__ == "__main__":
    main()

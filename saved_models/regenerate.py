"""Regenerate the pretrained models shipped in saved_models/.

Each model trains on statically binarized Fashion-MNIST (the protocol of
../shared/BENCHMARK.md) at the headline setting (latent 16, batch 128, seed
0), is exported in TF Serving's layout as saved_models/<name>/1/, and is
scored THROUGH ITS SAVEDMODEL `score` signature: -ELBO on the 10,000 test
images and the importance-weighted NLL with K = 100 on the first 2,000 (the
benchmark's quick setting). The numbers go into saved_models/<name>/
model_card.json, with `check_nll`/`check_negative_elbo` on the first 200 test
images that tests/test_pretrained.py re-scores in CI.

    python saved_models/regenerate.py [--epochs 5] [--models dense_vae ...]
"""

import argparse
import json
import pathlib
import shutil
import sys
import time

import keras
import numpy as np

import zoo
from zoo import export

HERE = pathlib.Path(__file__).parent
COMMAND = "python saved_models/regenerate.py"

# Options chosen so that each export stays under 5 MB on disk.
MODELS = {
    "dense_vae": {},
    "conv_vae": {"hidden_units": (128,)},
    "beta_vae": {"hidden_units": (128,)},
}
LATENT_DIM = 16
CHECK_EXAMPLES = 200


def score(serving, x, num_samples, batch_size=100):
    """Mean -ELBO and IW NLL of `x` through the `score` signature."""
    elbo, log_likelihood = [], []
    for start in range(0, len(x), batch_size):
        scores = serving.score(x[start:start + batch_size], num_samples)
        elbo.append(scores["elbo"])
        log_likelihood.append(scores["log_likelihood"])
    return (-float(np.mean(np.concatenate(elbo))),
            -float(np.mean(np.concatenate(log_likelihood))))


def regenerate(name, data, epochs):
    keras.utils.set_random_seed(0)
    options = MODELS[name]
    model = zoo.get(name, input_shape=(28, 28, 1), latent_dim=LATENT_DIM,
                    seed=0, **options)
    model.compile(optimizer="adam")
    start = time.perf_counter()
    model.fit(data.as_dataset("train", batch_size=128, seed=0),
              epochs=epochs, verbose=2)
    train_seconds = time.perf_counter() - start
    directory = HERE / name
    shutil.rmtree(directory, ignore_errors=True)
    path = export.export_for_serving(model, directory, version=1)
    serving = export.load_for_serving(path)
    x_test, _ = data.split("test")
    negative_elbo, _ = score(serving, x_test, num_samples=1)
    _, nll = score(serving, x_test[:2000], num_samples=100)
    check_elbo, check_nll = score(serving, x_test[:CHECK_EXAMPLES], 100)
    size = sum(f.stat().st_size for f in pathlib.Path(path).rglob("*")
               if f.is_file())
    card = {
        "model": name,
        "zoo_version": zoo.__version__,
        "data": "Fashion-MNIST, static binarization (BENCHMARK.md), seed 0",
        "options": {"latent_dim": LATENT_DIM, **options},
        "epochs": epochs,
        "batch_size": 128,
        "optimizer": "adam, learning rate 1e-3",
        "seed": 0,
        "parameters": model.count_params(),
        "size_bytes": size,
        "train_seconds": round(train_seconds, 1),
        "test_negative_elbo": negative_elbo,
        "test_nll_k100_first2000": nll,
        "check_examples": CHECK_EXAMPLES,
        "check_negative_elbo": check_elbo,
        "check_nll_k100": check_nll,
        "scored_through": "SavedModel signature `score`",
        "command": f"{COMMAND} --epochs {epochs} --models {name}",
    }
    (directory / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(MODELS),
                        choices=list(MODELS))
    args = parser.parse_args(argv)
    data = zoo.datasets.fashion_mnist(binarize="static")
    for name in args.models:
        regenerate(name, data, args.epochs)


if __name__ == "__main__":
    sys.exit(main())

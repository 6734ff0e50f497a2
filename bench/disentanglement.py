"""Disentanglement study: does beta > 1 disentangle procedural sprites?

Trains beta-VAE with beta in {1, 4, 16} and the capacity-annealed beta-VAE
of Burgess et al. (KL target C raised linearly from 0 by
`zoo.callbacks.CapacitySchedule`) on `zoo.datasets.sprites.Sprites`, for
several seeds, and scores each with the metrics of
`zoo.evaluation.disentanglement`. An untrained network of the same shape is
scored as the floor. Writes `bench/results/disentanglement.json` (every run,
and mean and std per model) and one latent-traversal PNG per model.

Run from the repository root:

    python -m bench.disentanglement            # full: ~15-20 min, 2 cores
    python -m bench.disentanglement --smoke    # < 60 s, 16 x 16 sprites

The smoke setting writes `disentanglement_smoke.json` and its PNGs instead,
so it never overwrites the full result.
"""

import argparse
import time

import keras
import numpy as np
from matplotlib.figure import Figure

import zoo
from bench import common
from zoo import atomic
from zoo.callbacks import CapacitySchedule
from zoo.datasets.sprites import Sprites
from zoo.evaluation import disentanglement

# Options of each model; `capacity` models anneal C from 0 to
# `capacity_end` nats over the whole training run.
MODELS = {
    "untrained": {"beta": 1.0},
    "beta_1": {"beta": 1.0},
    "beta_4": {"beta": 4.0},
    "beta_16": {"beta": 16.0},
    "capacity": {"capacity": 0.0, "gamma": 100.0},
}

SETTINGS = {
    "full": {
        "image_size": 32,
        "latent_dim": 10,
        "filters": (16, 32),
        "hidden_units": (128,),
        "seeds": (0, 1, 2),
        "num_images": 20000,
        "epochs": 8,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "capacity_end": 20.0,
        "metrics": {
            "beta_vae": {"num_train": 600, "num_eval": 300, "batch_size": 32},
            "factor_vae": {"num_train": 600, "num_eval": 300,
                           "batch_size": 32, "num_variance_estimate": 5000},
            "mig": {"num_samples": 10000},
            "dci": {"num_train": 2000, "num_test": 1000},
            "sap": {"num_samples": 5000},
        },
    },
    "smoke": {
        "image_size": 16,
        "latent_dim": 6,
        "filters": (16, 32),
        "hidden_units": (64,),
        "seeds": (0,),
        "num_images": 640,
        "epochs": 2,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "capacity_end": 10.0,
        "metrics": {
            "beta_vae": {"num_train": 60, "num_eval": 40, "batch_size": 8},
            "factor_vae": {"num_train": 60, "num_eval": 40, "batch_size": 8,
                           "num_variance_estimate": 500},
            "mig": {"num_samples": 500},
            "dci": {"num_train": 300, "num_test": 200, "num_trees": 5},
            "sap": {"num_samples": 500},
        },
    },
}


def score(model, sprites, sizes, seed):
    """Every metric of `zoo.evaluation.disentanglement`, as a flat dict."""
    representation = disentanglement.posterior_mean(model)
    scores = {
        "beta_vae": disentanglement.beta_vae_score(
            representation, sprites, seed=seed, **sizes["beta_vae"]),
        "factor_vae": disentanglement.factor_vae_score(
            representation, sprites, seed=seed, **sizes["factor_vae"]),
        "mig": disentanglement.mutual_information_gap(
            representation, sprites, seed=seed, **sizes["mig"]),
        "sap": disentanglement.sap_score(
            representation, sprites, seed=seed, **sizes["sap"]),
    }
    dci = disentanglement.dci(representation, sprites, seed=seed,
                              **sizes["dci"])
    scores.update({f"dci_{key}": value for key, value in dci.items()})
    return scores


def kl_per_dimension(model, images):
    """Mean KL(q(z_j|x) || N(0, 1)) of each latent dimension, in nats."""
    z_mean, z_stddev = model.encoder.predict(images, verbose=0)
    kl = 0.5 * (z_mean**2 + z_stddev**2 - 1.0) - np.log(z_stddev)
    return kl.mean(axis=0)


def plot_traversal(model, sprites, kl, title, path, num_values=9):
    """Decode z_mean of one sprite with each dimension swept over
    [-2.5, 2.5] in turn: one row per dimension, highest KL first."""
    factors = np.array([[2, 3, 5, 16, 16]])  # a heart in the centre
    z_mean, _ = model.encoder.predict(
        sprites.images_from_factors(factors), verbose=0
    )
    values = np.linspace(-2.5, 2.5, num_values)
    order = np.argsort(kl)[::-1]
    z = np.repeat(z_mean, len(order) * num_values, axis=0)
    for row, dimension in enumerate(order):
        z[row * num_values:(row + 1) * num_values, dimension] = values
    images = np.asarray(model.decode(z).mean())[..., 0]
    figure = Figure(figsize=(num_values, len(order)))
    axes = figure.subplots(len(order), num_values, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.imshow(images[index], cmap="gray", vmin=0.0, vmax=1.0)
        axis.set_xticks([])
        axis.set_yticks([])
    for row, dimension in enumerate(order):
        axes[row, 0].set_ylabel(f"z{dimension}\nKL {kl[dimension]:.2f}",
                                fontsize=8)
    for column, value in enumerate(values):
        axes[-1, column].set_xlabel(f"{value:+.1f}", fontsize=8)
    figure.suptitle(title)
    atomic.save_figure(figure, path, dpi=72, bbox_inches="tight")


def train(name, options, setting, images, seed):
    """Build model `name` with `seed`, train it (unless untrained) and
    return it with its final training metrics."""
    keras.utils.set_random_seed(seed)
    model = zoo.get(
        "beta_vae",
        input_shape=(setting["image_size"], setting["image_size"], 1),
        latent_dim=setting["latent_dim"],
        filters=setting["filters"],
        hidden_units=setting["hidden_units"],
        seed=seed,
        **options,
    )
    model.compile(optimizer=keras.optimizers.Adam(setting["learning_rate"]))
    if name == "untrained":
        return model, {}
    callbacks = []
    if "capacity" in options:
        steps_per_epoch = -(-len(images) // setting["batch_size"])
        callbacks.append(CapacitySchedule(
            steps=steps_per_epoch * setting["epochs"],
            end=setting["capacity_end"],
        ))
    history = model.fit(images, batch_size=setting["batch_size"],
                        epochs=setting["epochs"], callbacks=callbacks,
                        verbose=0)
    return model, {key: float(values[-1])
                   for key, values in history.history.items()}


def run(setting_name):
    """Run the study in setting "full" or "smoke"; return the JSON path."""
    setting = SETTINGS[setting_name]
    result_name = "disentanglement" + (
        "" if setting_name == "full" else f"_{setting_name}"
    )
    sprites = Sprites(image_size=setting["image_size"])
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    models = {}
    for name, options in MODELS.items():
        traversal = f"{result_name}_traversal_{name}.png"
        runs = []
        for seed in setting["seeds"]:
            images, _ = sprites.sample(setting["num_images"], seed=seed)
            run_start = time.perf_counter()
            model, training = train(name, options, setting, images, seed)
            train_seconds = time.perf_counter() - run_start
            kl = kl_per_dimension(model, images[:1000])
            runs.append({
                "seed": seed,
                "train_seconds": round(train_seconds, 1),
                "training": training,
                "kl_per_dimension": [round(float(value), 3) for value in kl],
                "scores": score(model, sprites, setting["metrics"], seed),
            })
            if seed == setting["seeds"][0]:
                plot_traversal(model, sprites, kl,
                               f"{name} {options} (seed {seed})",
                               common.RESULTS / traversal)
            print(f"{name} seed {seed}: {runs[-1]['scores']}", flush=True)
        scores = {metric: [record["scores"][metric] for record in runs]
                  for metric in runs[0]["scores"]}
        models[name] = {
            "options": options,
            "runs": runs,
            "mean": {metric: float(np.mean(values))
                     for metric, values in scores.items()},
            "std": {metric: float(np.std(values))
                    for metric, values in scores.items()},
            "traversal": traversal,
        }
    path = common.write_result(result_name, {
        "setting": setting_name,
        "config": setting,
        "models": models,
        "wall_seconds": round(time.perf_counter() - start, 1),
    })
    print_table(models)
    print(f"wrote {path}")
    return path


def print_table(models):
    metric_names = list(next(iter(models.values()))["mean"])
    print("model       " + " ".join(f"{name:>17}" for name in metric_names))
    for name, model in models.items():
        cells = [f"{model['mean'][metric]:.3f} +- {model['std'][metric]:.3f}"
                 for metric in metric_names]
        print(f"{name:<11} " + " ".join(f"{cell:>17}" for cell in cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny setting (16x16, 1 seed, 20 steps), < 60 s")
    arguments = parser.parse_args(argv)
    run("smoke" if arguments.smoke else "full")


if __name__ == "__main__":
    main()

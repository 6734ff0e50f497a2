"""Disentanglement study: do beta-VAE, beta-TCVAE, FactorVAE and DIP-VAE beat
the VAE on sprites?

Trains, on `zoo.datasets.sprites.Sprites` (32 x 32, five factors), for
several seeds each:

    vae             beta_vae, beta = 1 (the plain VAE)
    beta_vae_B      beta_vae, beta = B in {2, 4, 8} (Higgins et al., 2017)
    capacity        beta_vae with the KL target C raised linearly from 0 to
                    `capacity_end` nats over the first `capacity_fraction`
                    of the run (all of it if absent), then held, by
                    `zoo.training.callbacks.CapacitySchedule` (Burgess et al., 2018)
    beta_tcvae_B    beta_tcvae, total-correlation weight B in {2, 6}
                    (Chen et al., 2018)
    factor_vae_G    factor_vae, total-correlation weight gamma = G = 30,
                    by its discriminator (Kim & Mnih, 2018)
    dip_vae_i_L     dip_vae, DIP-VAE-I, lambda_od = L = 10, lambda_d = 10
                    lambda_od (Kumar et al., 2018)

and scores each with every metric of `zoo.evaluation.disentanglement`
(sizes in `SETTINGS`); an untrained network of the same shape is the
floor. Every run writes, as soon as it finishes,

    bench/results/disentanglement/NAME_seedS.json   its settings, per-epoch
        training curve, KL per latent dimension, the scores, MIG's matrix
        I(z_j; v_k) / H(v_k) and timings;
    bench/results/disentanglement/NAME_seedS.png    its latent traversal,
        each row labelled with the factor it captures best by MIG's matrix
        (or "inactive");

and after every run the summary is rebuilt from whatever has finished:
`disentanglement.json` (mean and std over seeds, the best run of each
kind), `disentanglement.md` (the table) and `disentanglement_curves.png`
(the reconstruction term per epoch of every run). A rerun skips every run
whose JSON holds the current settings, so an interrupted study resumes
where it stopped; a run whose settings changed is trained again.

Run from the repository root:

    python -m bench.disentanglement                   # full: ~3 h, 2 cores
    python -m bench.disentanglement --setting short   # the 12-epoch study
    python -m bench.disentanglement --smoke           # < 60 s, 16 x 16
    python -m bench.disentanglement --summarize       # the summary alone

The full setting trains 36 epochs with Adam's step size on a cosine to 0,
so that the reconstruction term levels off (the curves show it); `short`
is the earlier 12-epoch study, whose reconstruction still fell ~1 % per
epoch. Each setting other than `full` writes under `disentanglement_NAME`,
so it never touches the full result.
"""

import argparse
import json
import time

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

import zoo
from bench import common
from zoo.training import atomic
from zoo.training.callbacks import CapacitySchedule
from zoo.datasets.sprites import Sprites
from zoo.evaluation import disentanglement

# name: (kind, registry preset, its options). The capacity model anneals C
# from 0 to the setting's `capacity_end` nats (see `SETTINGS`); the
# beta-TCVAE's dataset size N is the setting's `num_images`.
MODELS = {
    "untrained": ("untrained", "beta_vae", {"beta": 1.0}),
    "vae": ("vae", "beta_vae", {"beta": 1.0}),
    "beta_vae_2": ("beta_vae", "beta_vae", {"beta": 2.0}),
    "beta_vae_4": ("beta_vae", "beta_vae", {"beta": 4.0}),
    "beta_vae_8": ("beta_vae", "beta_vae", {"beta": 8.0}),
    "capacity": ("capacity", "beta_vae", {"capacity": 0.0, "gamma": 100.0}),
    "beta_tcvae_2": ("beta_tcvae", "beta_tcvae", {"tc_weight": 2.0}),
    "beta_tcvae_6": ("beta_tcvae", "beta_tcvae", {"tc_weight": 6.0}),
    # Three hidden layers of 512 instead of Kim & Mnih's six of 1000: the
    # paper's discriminator would take ~4x the VAE's training time here.
    "factor_vae_30": ("factor_vae", "factor_vae",
                      {"gamma": 30.0, "discriminator_units": (512,) * 3}),
    "dip_vae_i_10": ("dip_vae", "dip_vae", {"offdiagonal_weight": 10.0}),
}

# A latent dimension whose mean KL(q(z_j|x) || N(0, 1)) is below this many
# nats carries (almost) nothing: its traversal row is marked inactive.
INACTIVE_KL = 0.1

# The 12-epoch study of 2026-12-01, kept for comparison: its
# reconstruction term still fell ~1 % per epoch at the end.
SHORT = {
    "image_size": 32,
    "latent_dim": 10,
    "filters": (16, 32),
    "hidden_units": (128,),
    "seeds": (0, 1, 2),
    "num_images": 20000,
    "epochs": 12,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "capacity_end": 20.0,
    "metrics": {
        "beta_vae": {"num_train": 500, "num_eval": 250, "batch_size": 64},
        "factor_vae": {"num_train": 500, "num_eval": 250, "batch_size": 64,
                       "num_variance_estimate": 10000},
        "mig": {"num_samples": 10000, "num_bins": 20},
        # Boosting fits one tree per class per stage (113 classes in all):
        # 1,000 images take ~1 min on 2 cores, 10,000 ~8 min.
        "dci": {"num_train": 1000, "num_test": 500, "num_estimators": 100},
        "sap": {"num_samples": 10000},
    },
}

SETTINGS = {
    # The study in the README: three times the steps, Adam's step size on
    # a cosine from learning_rate to 0 over the run, and the capacity
    # model's C at capacity_end from this fraction of the run on.
    "full": {**SHORT, "epochs": 36, "learning_rate_decay": "cosine",
             "capacity_fraction": 2 / 3},
    "short": SHORT,
    "smoke": {
        "image_size": 16,
        "latent_dim": 6,
        "filters": (16, 32),
        "hidden_units": (64,),
        "seeds": (0,),
        "num_images": 320,
        "epochs": 2,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "learning_rate_decay": "cosine",
        "capacity_fraction": 0.5,
        "capacity_end": 10.0,
        # One model of each kind: the smoke checks that every kind trains
        # and scores, not the sweep over each kind's weight.
        "models": ("untrained", "vae", "beta_vae_8", "capacity",
                   "beta_tcvae_6", "factor_vae_30", "dip_vae_i_10"),
        "metrics": {
            "beta_vae": {"num_train": 40, "num_eval": 20, "batch_size": 8},
            "factor_vae": {"num_train": 40, "num_eval": 20, "batch_size": 8,
                           "num_variance_estimate": 300},
            "mig": {"num_samples": 300, "num_bins": 20},
            "dci": {"num_train": 200, "num_test": 100, "num_estimators": 3},
            "sap": {"num_samples": 300},
        },
    },
}


def score(model, sprites, sizes, seed):
    """Every metric of `zoo.evaluation.disentanglement` as a flat dict, and
    MIG's matrix I(z_j; v_k) / H(v_k) as a nested list."""
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
    # The same images as MIG's (same seed and size): MIG's own matrix.
    information = disentanglement.normalized_mutual_information(
        representation, sprites, seed=seed, **sizes["mig"])
    return scores, information


def kl_per_dimension(model, images):
    """Mean KL(q(z_j|x) || N(0, 1)) of each latent dimension, in nats."""
    z_mean, z_stddev = model.encoder.predict(images, verbose=0)
    kl = 0.5 * (z_mean**2 + z_stddev**2 - 1.0) - np.log(z_stddev)
    return kl.mean(axis=0)


def row_labels(kl, information, factor_names):
    """One label per latent dimension: the factor with the largest
    I(z_j; v_k) / H(v_k) and that share, or "inactive" below INACTIVE_KL."""
    labels = []
    for dimension, shares in enumerate(np.asarray(information)):
        if kl[dimension] < INACTIVE_KL:
            captured = "inactive"
        else:
            best = int(np.argmax(shares))
            captured = f"{factor_names[best]} {shares[best]:.2f}"
        labels.append(f"z{dimension} KL {kl[dimension]:.1f}\n{captured}")
    return labels


def plot_traversal(model, sprites, kl, labels, title, path, num_values=9):
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
    figure = Figure(figsize=(num_values + 1.5, len(order)))
    axes = figure.subplots(len(order), num_values, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.imshow(images[index], cmap="gray", vmin=0.0, vmax=1.0)
        axis.set_xticks([])
        axis.set_yticks([])
    for row, dimension in enumerate(order):
        axes[row, 0].set_ylabel(labels[dimension], fontsize=7,
                                rotation=0, ha="right", va="center")
    for column, value in enumerate(values):
        axes[-1, column].set_xlabel(f"{value:+.1f}", fontsize=8)
    figure.suptitle(title)
    atomic.save_figure(figure, path, dpi=72, bbox_inches="tight")


def train(name, setting, images, seed):
    """Build model `name` with `seed` and train it (unless untrained);
    return it and its per-epoch history."""
    _, preset, options = MODELS[name]
    options = dict(options)
    if preset == "beta_tcvae":
        options["dataset_size"] = setting["num_images"]
    keras.utils.set_random_seed(seed)
    model = zoo.get(
        preset,
        input_shape=(setting["image_size"], setting["image_size"], 1),
        latent_dim=setting["latent_dim"],
        filters=setting["filters"],
        hidden_units=setting["hidden_units"],
        seed=seed,
        **options,
    )
    steps = -(-len(images) // setting["batch_size"]) * setting["epochs"]
    learning_rate = setting["learning_rate"]
    if setting.get("learning_rate_decay") == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    if name == "untrained":
        return model, {}
    callbacks = []
    if "capacity" in options:
        callbacks.append(CapacitySchedule(
            steps=round(steps * setting.get("capacity_fraction", 1.0)),
            end=setting["capacity_end"],
        ))
    history = model.fit(images, batch_size=setting["batch_size"],
                        epochs=setting["epochs"], callbacks=callbacks,
                        verbose=0)
    return model, {key: [round(float(value), 4) for value in values]
                   for key, values in history.history.items()}


def run_settings(setting, name):
    """What a run's result depends on: a finished run is reused only if
    these equal the current ones (as JSON, so tuples match lists)."""
    kind, preset, options = MODELS[name]
    return json.loads(json.dumps({
        "setting": setting, "kind": kind, "preset": preset,
        "options": options,
    }))


def run_one(name, seed, setting, sprites, folder):
    """Train and score one (model, seed); write its JSON and traversal."""
    images, _ = sprites.sample(setting["num_images"], seed=seed)
    start = time.perf_counter()
    model, history = train(name, setting, images, seed)
    train_seconds = time.perf_counter() - start
    kl = kl_per_dimension(model, images[:1000])
    start = time.perf_counter()
    scores, information = score(model, sprites, setting["metrics"], seed)
    score_seconds = time.perf_counter() - start
    traversal = f"{name}_seed{seed}.png"
    plot_traversal(
        model, sprites, kl,
        row_labels(kl, information, sprites.factor_names),
        f"{name} (seed {seed})", folder / traversal,
    )
    record = {
        "name": name,
        "seed": seed,
        **run_settings(setting, name),
        "train_seconds": round(train_seconds, 1),
        "score_seconds": round(score_seconds, 1),
        "steps": (-(-setting["num_images"] // setting["batch_size"])
                  * setting["epochs"] if history else 0),
        "history": history,
        "kl_per_dimension": [round(float(value), 4) for value in kl],
        "factor_names": list(sprites.factor_names),
        "normalized_mutual_information": np.round(information, 4).tolist(),
        "scores": scores,
        "traversal": traversal,
    }
    atomic.write_json(folder / f"{name}_seed{seed}.json", record)
    return record


def finished(setting, folder, name, seed):
    """The record of run (name, seed) if it finished with these settings."""
    path = folder / f"{name}_seed{seed}.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    settings = run_settings(setting, name)
    if any(record.get(key) != value for key, value in settings.items()):
        return None
    return record


def summarize(setting_name, setting, records, folder):
    """Mean and std over seeds per model, the best run (by MIG) of each
    kind, the Markdown table and the curves; returns the summary dict."""
    models = {}
    for name in MODELS:
        runs = [record for record in records if record["name"] == name]
        if not runs:
            continue
        scores = {metric: [run["scores"][metric] for run in runs]
                  for metric in runs[0]["scores"]}
        models[name] = {
            "kind": MODELS[name][0],
            "options": MODELS[name][2],
            "seeds": [run["seed"] for run in runs],
            "mean": {metric: float(np.mean(values))
                     for metric, values in scores.items()},
            "std": {metric: float(np.std(values))
                    for metric, values in scores.items()},
            # Sample std (ddof 1), for the standard errors of versus_vae.
            "sample_std": {metric: float(np.std(values, ddof=1))
                           if len(values) > 1 else None
                           for metric, values in scores.items()},
            # Mean relative fall of the reconstruction term per epoch over
            # the last 3 epochs, percent: near 0 once training levelled off.
            "reconstruction_fall_last_epochs": float(np.mean(
                [last_fall(run) for run in runs])) if name != "untrained"
            else None,
            "train_seconds": [run["train_seconds"] for run in runs],
            "score_seconds": [run["score_seconds"] for run in runs],
            "runs": [f"{folder.name}/{run['name']}_seed{run['seed']}.json"
                     for run in runs],
        }
    best = {}
    for record in records:
        kind = MODELS[record["name"]][0]
        if kind not in best or (record["scores"]["mig"]
                                > best[kind]["scores"]["mig"]):
            best[kind] = record
    summary = {
        "setting": setting_name,
        "config": setting,
        "models": models,
        "versus_vae": versus_vae(models),
        "best_by_mig": {
            kind: {"run": f"{record['name']}_seed{record['seed']}",
                   "mig": record["scores"]["mig"],
                   "traversal": f"{folder.name}/{record['traversal']}"}
            for kind, record in best.items()
        },
    }
    atomic.write_text(folder.parent / f"{folder.name}.md",
                      markdown(models) + "\n\n"
                      + markdown_versus_vae(summary["versus_vae"]) + "\n")
    plot_curves(records, folder.parent / f"{folder.name}_curves.png")
    return summary


def last_fall(record, epochs=3):
    """Mean relative fall of the reconstruction term per epoch over the
    last `epochs` epochs of a run, in percent."""
    curve = np.asarray(record["history"]["reconstruction"][-epochs - 1:])
    return float(np.mean(-np.diff(curve) / curve[:-1]) * 100.0)


def versus_vae(models):
    """Each trained model against the plain VAE, per metric: the
    difference of the seed means and its standard error
    sqrt(s_a^2 / n_a + s_b^2 / n_b) (sample stds over seeds)."""
    if "vae" not in models:
        return {}
    vae = models["vae"]
    result = {}
    for name, model in models.items():
        if name in ("vae", "untrained"):
            continue
        result[name] = {
            metric: {
                "difference": model["mean"][metric] - vae["mean"][metric],
                "standard_error": standard_error(model, vae, metric),
            }
            for metric in model["mean"]
        }
    return result


def standard_error(a, b, metric):
    """The standard error of the difference of two models' seed means, or
    None when either has a single seed."""
    if a["sample_std"][metric] is None or b["sample_std"][metric] is None:
        return None
    return float(np.sqrt(a["sample_std"][metric] ** 2 / len(a["seeds"])
                         + b["sample_std"][metric] ** 2 / len(b["seeds"])))


def markdown_versus_vae(comparison):
    """The second table: each model's mean minus the VAE's ± the standard
    error of that difference."""
    if not comparison:
        return ""
    metrics = list(next(iter(comparison.values())))
    lines = ["| minus the VAE | " + " | ".join(metrics) + " |",
             "|---|" + "---|" * len(metrics)]
    for name, differences in comparison.items():
        cells = [f"{value['difference']:+.3f}" + (
                     "" if value["standard_error"] is None
                     else f" ± {value['standard_error']:.3f}")
                 for value in (differences[metric] for metric in metrics)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(models):
    """The table: one row per model, mean ± std over seeds per metric."""
    metrics = list(next(iter(models.values()))["mean"])
    lines = ["| model | seeds | reconstruction fall, %/epoch (last 3) | "
             + " | ".join(metrics) + " |",
             "|---|---|---|" + "---|" * len(metrics)]
    for name, model in models.items():
        cells = [f"{model['mean'][metric]:.3f} ± {model['std'][metric]:.3f}"
                 for metric in metrics]
        fall = model["reconstruction_fall_last_epochs"]
        lines.append(f"| {name} | {len(model['seeds'])} | "
                     + ("—" if fall is None else f"{fall:.2f}") + " | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_curves(records, path):
    """The reconstruction term per epoch of every trained run, one colour
    per model: flat at the end means the training budget sufficed."""
    figure = Figure(figsize=(7, 4))
    axis = figure.subplots()
    colours = {name: f"C{index}" for index, name in enumerate(MODELS)}
    for record in records:
        curve = record["history"].get("reconstruction")
        if not curve:
            continue
        seen = {line.get_label() for line in axis.get_lines()}
        axis.plot(np.arange(1, len(curve) + 1), curve,
                  color=colours[record["name"]],
                  label=None if record["name"] in seen else record["name"])
    axis.set_xlabel("epoch")
    axis.set_ylabel("reconstruction (nats per image)")
    axis.set_yscale("log")
    if axis.get_lines():
        axis.legend(fontsize=7)
    atomic.save_figure(figure, path, dpi=80, bbox_inches="tight")


def run(setting_name):
    """Run (or resume) the study in setting "full", "short" or "smoke";
    return the summary JSON's path."""
    setting = SETTINGS[setting_name]
    result_name = "disentanglement" + (
        "" if setting_name == "full" else f"_{setting_name}"
    )
    folder = common.RESULTS / result_name
    folder.mkdir(parents=True, exist_ok=True)
    sprites = Sprites(image_size=setting["image_size"])
    for seed in setting["seeds"]:
        for name in setting.get("models", MODELS):
            if finished(setting, folder, name, seed) is None:
                record = run_one(name, seed, setting, sprites, folder)
                print(f"{name} seed {seed}: train {record['train_seconds']} s,"
                      f" score {record['score_seconds']} s, "
                      f"{record['scores']}", flush=True)
                write_summary(setting_name)
    return write_summary(setting_name)


def write_summary(setting_name):
    """Rebuild the summary (JSON, table, curves) from every run of the
    setting that has finished, whatever the order they ran in; return the
    JSON's path."""
    setting = SETTINGS[setting_name]
    result_name = "disentanglement" + (
        "" if setting_name == "full" else f"_{setting_name}"
    )
    folder = common.RESULTS / result_name
    records = [record for seed in setting["seeds"]
               for name in setting.get("models", MODELS)
               if (record := finished(setting, folder, name, seed))]
    path = common.write_result(
        result_name, summarize(setting_name, setting, records, folder))
    print((folder.parent / f"{result_name}.md").read_text())
    print(f"wrote {path}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=list(SETTINGS), default="full",
                        help="full: the study in the README (default); "
                             "short: the earlier 12-epoch study; smoke: "
                             "16 x 16, 1 seed, < 60 s")
    parser.add_argument("--smoke", action="store_true",
                        help="the same as --setting smoke")
    parser.add_argument("--summarize", action="store_true",
                        help="only rebuild the summary from the finished "
                             "runs (no training)")
    arguments = parser.parse_args(argv)
    setting = "smoke" if arguments.smoke else arguments.setting
    if arguments.summarize:
        write_summary(setting)
        return
    # One op at a time over every core: the study runs alone (or beside
    # other jobs) and parallel ops would oversubscribe the cores.
    tf.config.threading.set_inter_op_parallelism_threads(1)
    run(setting)


if __name__ == "__main__":
    main()

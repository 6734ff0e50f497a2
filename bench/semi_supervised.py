"""Semi-supervised learning with VAEs against a classifier trained from
scratch, at 10, 100 and 1,000 labels per class on Fashion-MNIST.

    python -m bench.semi_supervised            # full: ~60 min, 2 shared cores
    python -m bench.semi_supervised --smoke    # < 60 s on the 8x8 digits

Arms (Kingma, Rezende, Mohamed & Welling, 2014):

    scratch        the classifier network (the M1 encoder's architecture,
                   z_mean, an MLP head) trained on the labels alone
    m1_frozen      M1: the same network on a VAE's encoder trained on the
                   unlabelled images, frozen (only the head learns)
    m1_fine_tuned  M1, all of it trained on the labels
    m2             M2: `zoo.VAE(objective="semi_supervised")` on the pixels,
                   labelled and unlabelled images together; its q(y|x)
    m1_m2          M1+M2: M2 on the M1 encoder's features (Gaussian
                   likelihood), stacked as in the paper

Protocol: a validation split of `num_validation` labelled training images
is held out; the rest is the pool. The M1 VAE is trained once on the pool's
images (no labels) and cached; its latent size is chosen among
`m1_latent_dims` by the frozen arm's validation accuracy. Each seed draws
its own class-balanced labelled subset of the pool (the same for every
arm). Every arm gets the same tuning budget: its regularisation (the
classifier's dropout rate, or M2's alpha) is chosen among three values by
validation accuracy on seed 0's subset (seed 0's test accuracy is that of
the run chosen), then each other seed is trained with it and scored on
the test set. Classifiers train for a fixed number of Adam
steps whatever the number of labels. Results are written per run to
`<name>_runs.json` as they finish, so a restarted run skips what is done;
the summary goes to `bench/results/semi_supervised.json` (smoke:
`semi_supervised_smoke.json`) with a plot of accuracy against labels per
class.
"""

import argparse
import json
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from bench import common
from zoo.training import atomic
from zoo import datasets
from zoo import objectives
from zoo.evaluation import pretraining
from zoo.evaluation import semi_supervised
from zoo.evaluation import training
from zoo.models.vae import VAE

ARMS = ("scratch", "m1_frozen", "m1_fine_tuned", "m2", "m1_m2")

SETTINGS = {
    "full": {
        "data": "fashion_mnist",
        "labels_per_class": (10, 100, 1000),
        "seeds": (0, 1, 2, 3, 4),
        "num_validation": 1000,
        "num_test": 10000,
        # M1: the VAE, trained once on the pool's images.
        "m1": {"network": "mlp", "hidden_units": (512, 256)},
        "m1_latent_dims": (16, 50),
        "m1_epochs": 10,
        # The classifier: z_mean -> Dense(128) -> softmax, dropout tuned.
        "head_units": (128,),
        "dropouts": (0.0, 0.25, 0.5),
        "classifier_steps": 600,
        "batch_size": 32,
        # M2 on the pixels and on the M1 features: alpha tuned.
        "m2": {"network": "mlp", "hidden_units": (256,), "latent_dim": 16},
        "m2_unlabelled": 10000,
        "m2_epochs": 5,
        "m1_m2": {"network": "mlp", "hidden_units": (256,), "latent_dim": 16},
        "m1_m2_unlabelled": 59000,
        "m1_m2_epochs": 5,
        "alphas": (1.0, 10.0, 100.0),
        "labelled_share": 0.1,
        "m2_batch_size": 100,
    },
    "smoke": {
        "data": "digits",
        "labels_per_class": (5,),
        "seeds": (0, 1),
        "num_validation": 200,
        "num_test": 297,
        "m1": {"network": "mlp", "hidden_units": (32,)},
        "m1_latent_dims": (4,),
        "m1_epochs": 2,
        "head_units": (16,),
        "dropouts": (0.0, 0.5),
        "classifier_steps": 20,
        "batch_size": 16,
        "m2": {"network": "mlp", "hidden_units": (16,), "latent_dim": 2},
        "m2_unlabelled": 300,
        "m2_epochs": 1,
        "m1_m2": {"network": "mlp", "hidden_units": (16,), "latent_dim": 2},
        "m1_m2_unlabelled": 300,
        "m1_m2_epochs": 1,
        "alphas": (10.0,),
        "labelled_share": 0.1,
        "m2_batch_size": 50,
    },
}


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def load(setting):
    """`(pool images, pool labels, val images, val labels, test images,
    test labels)`: the validation split is a random `num_validation` of
    the training images."""
    if setting["data"] == "fashion_mnist":
        data = datasets.fashion_mnist()
    else:
        data = datasets.digits()
    order = np.random.default_rng(1234).permutation(len(data.x_train))
    val, pool = order[:setting["num_validation"]], order[
        setting["num_validation"]:]
    y_train = np.asarray(data.y_train).astype("int32")
    return (data.x_train[pool], y_train[pool], data.x_train[val],
            y_train[val], data.x_test[:setting["num_test"]],
            np.asarray(data.y_test[:setting["num_test"]]).astype("int32"))


def train_m1(setting, x_pool, latent_dim, cache_dir):
    """The M1 VAE of `latent_dim`, trained on the pool's images (cached)."""
    path = cache_dir / f"m1_latent_{latent_dim}.keras"
    if path.exists():
        return keras.models.load_model(path)
    log(f"training the M1 VAE, latent_dim={latent_dim}")
    options = dict(setting["m1"])
    vae = training.train_vae(
        x_pool, model="dense_vae", latent_dim=latent_dim,
        # 1e-3: the rate its published results were trained at.
        epochs=setting["m1_epochs"], learning_rate=1e-3, **options,
    )
    vae.save(path)
    return vae


def fit_classifier(setting, model, x, y, seed):
    """Adam on sparse cross-entropy for `classifier_steps` steps."""
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy")
    batch = min(setting["batch_size"], len(x))
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
        len(x), seed=seed).repeat().batch(batch)
    model.fit(dataset, steps_per_epoch=setting["classifier_steps"],
              epochs=1, verbose=0, shuffle=False)  # the dataset shuffles
    return model


def classifier_arm(setting, encoder, mode, dropout, x, y, seed):
    model = pretraining.encoder_classifier(
        encoder, 10, mode, hidden_units=setting["head_units"],
        dropout=dropout,
    )
    return fit_classifier(setting, model, x, y, seed)


def m2_arm(setting, key, alpha, x_labelled, y_labelled, x_unlabelled,
           seed, likelihood="bernoulli"):
    """M2 (`key` "m2") or M1+M2 ("m1_m2", on features) trained on the
    labelled and unlabelled examples; returns the model."""
    keras.utils.set_random_seed(seed)
    options = dict(setting[key])
    model = VAE(
        input_shape=tuple(x_labelled.shape[1:]), num_classes=10,
        objective=objectives.SemiSupervised(alpha=alpha),
        likelihood=likelihood, seed=seed, **options,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x, labels = semi_supervised.partially_labelled(
        x_labelled, y_labelled, x_unlabelled,
        labelled_share=setting["labelled_share"], seed=seed,
    )
    model.fit([x, labels], epochs=setting[f"{key}_epochs"],
              batch_size=setting["m2_batch_size"], verbose=0)
    return model


def accuracy(model, x, y):
    return training.accuracy(model, x, y)


class Runs:
    """Finished runs, kept in a JSON file as they finish."""

    def __init__(self, path):
        self.path = path
        self.runs = json.loads(path.read_text()) if path.exists() else {}

    def get(self, key):
        return self.runs.get(key)

    def put(self, key, value):
        self.runs[key] = value
        atomic.write_json(self.path, self.runs)


def run(setting_name="full", cache_dir=None):
    setting = SETTINGS[setting_name]
    name = "semi_supervised" + ("" if setting_name == "full" else "_smoke")
    cache_dir = pathlib.Path(cache_dir or f"/tmp/zoo_bench_{name}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    runs = Runs(cache_dir / f"{name}_runs.json")
    start = time.time()
    x_pool, y_pool, x_val, y_val, x_test, y_test = load(setting)

    # M1's latent size, chosen on the validation split (frozen arm, the
    # first label count, seed 0, the middle dropout).
    dropout = setting["dropouts"][len(setting["dropouts"]) // 2]
    first = setting["labels_per_class"][0]
    subset = training.labeled_subset(y_pool, first, 0)
    choice = {}
    for latent_dim in setting["m1_latent_dims"]:
        key = f"choose_m1/{latent_dim}"
        if runs.get(key) is None:
            vae = train_m1(setting, x_pool, latent_dim, cache_dir)
            model = classifier_arm(setting, vae.encoder, "frozen", dropout,
                                   x_pool[subset], y_pool[subset], 0)
            runs.put(key, accuracy(model, x_val, y_val))
        choice[latent_dim] = runs.get(key)
    latent_dim = max(choice, key=choice.get)
    log(f"M1 latent_dim {latent_dim} (validation accuracy {choice})")
    vae = train_m1(setting, x_pool, latent_dim, cache_dir)
    encoder = vae.encoder

    def features(x):
        return np.asarray(encoder.predict(x, batch_size=1000, verbose=0)[0])

    f_pool, f_val, f_test = features(x_pool), features(x_val), features(
        x_test)
    mean, std = f_pool.mean(0), f_pool.std(0) + 1e-6
    f_pool, f_val, f_test = [(f - mean) / std for f in (f_pool, f_val, f_test)]

    def train_arm(arm, value, subset, seed):
        x_l, y_l = x_pool[subset], y_pool[subset]
        if arm in ("scratch", "m1_frozen", "m1_fine_tuned"):
            mode = {"scratch": "scratch", "m1_frozen": "frozen",
                    "m1_fine_tuned": "fine_tuned"}[arm]
            model = classifier_arm(setting, encoder, mode, value, x_l, y_l,
                                   seed)
            return model, x_val, x_test
        rest = np.setdiff1d(np.arange(len(x_pool)), subset)
        rng = np.random.default_rng(seed)
        if arm == "m2":
            unlabelled = rng.choice(rest, setting["m2_unlabelled"],
                                    replace=False)
            model = m2_arm(setting, "m2", value, x_l, y_l,
                           x_pool[unlabelled], seed)
            return model, x_val, x_test
        count = min(setting["m1_m2_unlabelled"], len(rest))
        unlabelled = rng.choice(rest, count, replace=False)
        model = m2_arm(setting, "m1_m2", value, f_pool[subset], y_l,
                       f_pool[unlabelled], seed, likelihood="gaussian")
        return model, f_val, f_test

    summary = {}
    for per_class in setting["labels_per_class"]:
        for arm in ARMS:
            grid = setting["alphas"] if arm in ("m2", "m1_m2") else setting[
                "dropouts"]
            subset = training.labeled_subset(y_pool, per_class, 0)
            scores = {}
            for value in grid:
                key = f"tune/{arm}/{per_class}/{value}"
                if runs.get(key) is None:
                    began = time.time()
                    model, x_v, x_t = train_arm(arm, value, subset, 0)
                    # Seed 0's test run is the tuning run of the value
                    # chosen: scored on the test set too, used only then.
                    runs.put(key, {"validation": accuracy(model, x_v, y_val),
                                   "test": accuracy(model, x_t, y_test)})
                    log(f"{key}: validation {runs.get(key)['validation']:.4f}"
                        f" ({time.time() - began:.0f} s)")
                scores[value] = runs.get(key)["validation"]
            chosen = max(grid, key=lambda value: scores[value])
            accuracies = []
            for seed in setting["seeds"]:
                key = f"test/{arm}/{per_class}/{seed}"
                if seed == 0:
                    accuracies.append(
                        runs.get(f"tune/{arm}/{per_class}/{chosen}")["test"])
                    continue
                if runs.get(key) is None:
                    began = time.time()
                    subset = training.labeled_subset(y_pool, per_class, seed)
                    model, _, x_t = train_arm(arm, chosen, subset, seed)
                    runs.put(key, accuracy(model, x_t, y_test))
                    log(f"{key}: test {runs.get(key):.4f} "
                        f"({time.time() - began:.0f} s)")
                accuracies.append(runs.get(key))
            summary.setdefault(arm, {})[str(per_class)] = {
                "regularisation": ("alpha" if arm in ("m2", "m1_m2")
                                   else "dropout"),
                "validation": {str(value): scores[value] for value in grid},
                "chosen": chosen,
                "accuracies": accuracies,
                "mean": float(np.mean(accuracies)),
                "std": float(np.std(accuracies)),
            }
    rows = [
        {"labels_per_class": per_class, "arm": arm,
         "mean_accuracy": summary[arm][str(per_class)]["mean"],
         "std_accuracy": summary[arm][str(per_class)]["std"],
         "chosen": summary[arm][str(per_class)]["chosen"]}
        for per_class in setting["labels_per_class"] for arm in ARMS
    ]
    result = {
        "setting": setting_name,
        "data": setting["data"],
        "config": setting,
        "m1_latent_dim": latent_dim,
        "m1_validation": {str(key): value for key, value in choice.items()},
        "arms": summary,
        "rows": rows,
        "seconds": time.time() - start,
    }
    path = common.write_result(name, result)
    plot(summary, setting["labels_per_class"],
         common.RESULTS / f"{name}.png")
    print(common.markdown_table(rows))
    return path, result


def plot(summary, labels_per_class, path):
    """Test accuracy (mean +- std over seeds) against labels per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for arm in ARMS:
        means = [summary[arm][str(n)]["mean"] for n in labels_per_class]
        stds = [summary[arm][str(n)]["std"] for n in labels_per_class]
        axis.errorbar(labels_per_class, means, yerr=stds, marker="o",
                      capsize=3, label=arm)
    axis.set_xscale("log")
    axis.set_xlabel("labels per class")
    axis.set_ylabel("test accuracy")
    axis.set_title("Semi-supervised VAEs against training from scratch")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run on the 8x8 digits (< 60 s)")
    parser.add_argument("--cache-dir", default=None,
                        help="where the M1 VAE and finished runs are kept "
                        "(default /tmp/zoo_bench_<name>)")
    args = parser.parse_args(argv)
    run("smoke" if args.smoke else "full", args.cache_dir)


if __name__ == "__main__":
    main()

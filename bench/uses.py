"""What a VAE is good for, measured: dimensionality reduction against PCA,
denoising, pre-training with few labels, anomaly detection and generation.

Each study trains what it needs, scores it with `zoo.evaluation`, writes
`bench/results/<study>.json` (with the machine and every setting) and
prints a Markdown table. Run from the repository root, one at a time:

    python -m bench.uses reduction      # full: ~7 min on 2 cores
    python -m bench.uses denoising      # full: ~7 min
    python -m bench.uses pretraining    # full: ~7 min
    python -m bench.uses anomaly        # full: ~7 min
    python -m bench.uses generation     # full: ~8 min (+1 min the first
                                        # time, to train the classifier)
                                        # + the shipped hierarchical_vae's
                                        # samples
    python -m bench.uses STUDY --smoke  # < 60 s on the 8x8 digits

Full studies use Fashion-MNIST (grey images in [0, 1] with a Bernoulli
likelihood; generation uses the benchmark protocol's static binarization
so that its NLL is comparable, and scores the shipped models of its
`presets` as they are, beside the ones it trains). The smoke setting writes
`<study>_smoke.json` instead, so it never overwrites a full result.
"""

import argparse
import time


from bench import common
from zoo import datasets
from zoo import plotting
from zoo import presets
from zoo.evaluation import anomaly
from zoo.evaluation import denoising
from zoo.evaluation import generation
from zoo.evaluation import likelihood
from zoo.evaluation import pretraining
from zoo.evaluation import reduction
from zoo.evaluation import training

# The VAEs' options in each setting.
#: Adam's learning rate of every VAE here: 1e-3, the rate the published
#: results (bench/results/uses*.json) were trained at.
LEARNING_RATE = 1e-3

DENSE = {"full": {"model": "dense_vae"},
         "smoke": {"model": "dense_vae", "hidden_units": (64,)}}
CONV = {"full": {"model": "conv_vae"},
        "smoke": {"model": "conv_vae", "filters": (8, 16),
                  "hidden_units": (32,)}}

SETTINGS = {
    "reduction": {
        "full": {"vae": DENSE["full"], "latent_dims": (2, 4, 8, 16, 32),
                 "epochs": 8, "num_train": 60000, "num_probe": 10000,
                 "num_test": 10000},
        "smoke": {"vae": DENSE["smoke"], "latent_dims": (2, 4),
                  "epochs": 3, "num_train": 1500, "num_probe": 1500,
                  "num_test": 297},
    },
    "denoising": {
        "full": {"vae": CONV["full"], "latent_dim": 16, "epochs": 5,
                 "num_train": 20000, "num_test": 2000,
                 "corruptions": {"gaussian": 0.3, "salt_and_pepper": 0.2,
                                 "mask": 0.25}},
        "smoke": {"vae": CONV["smoke"], "latent_dim": 4, "epochs": 1,
                  "num_train": 1500, "num_test": 297,
                  "corruptions": {"gaussian": 0.3, "salt_and_pepper": 0.2,
                                  "mask": 0.25}},
    },
    "pretraining": {
        "full": {"vae": CONV["full"], "latent_dim": 16, "epochs": 3,
                 "num_train": 60000, "labels_per_class": 100,
                 "seeds": (0, 1, 2, 3, 4), "classifier_epochs": 30,
                 "num_test": 10000},
        "smoke": {"vae": CONV["smoke"], "latent_dim": 4, "epochs": 1,
                  "num_train": 1500, "labels_per_class": 10,
                  "seeds": (0, 1), "classifier_epochs": 10, "num_test": 297},
    },
    "anomaly": {
        "full": {"vae": DENSE["full"], "latent_dim": 16, "epochs": 5,
                 "anomaly_classes": tuple(range(10)), "num_train": 60000,
                 "num_test": 2000, "num_samples": 100},
        "smoke": {"vae": DENSE["smoke"], "latent_dim": 4, "epochs": 3,
                  "anomaly_classes": (0, 1), "num_train": 1500,
                  "num_test": 297, "num_samples": 10},
    },
    "generation": {
        "full": {"vaes": {"conv_vae": CONV["full"],
                          "dense_vae": DENSE["full"]},
                 # Shipped models (saved_models/), scored as shipped.
                 "presets": ("hierarchical_vae",),
                 "latent_dim": 16, "epochs": 5, "num_train": 60000,
                 "classifier_epochs": 3, "num_generated": 2000,
                 "num_test": 1000, "num_samples": 100},
        "smoke": {"vaes": {"conv_vae": CONV["smoke"],
                           "dense_vae": DENSE["smoke"]},
                  "presets": (),
                  "latent_dim": 4, "epochs": 1, "num_train": 1500,
                  "classifier_epochs": 10, "num_generated": 200,
                  "num_test": 297, "num_samples": 10},
    },
}


def load(setting_name, binarize="none"):
    """Fashion-MNIST for "full", the 8x8 digits for "smoke"."""
    if setting_name == "full":
        return datasets.fashion_mnist(binarize=binarize)
    return datasets.digits(binarize=binarize)


def train(setting, x, y=None, latent_dim=None, vae=None):
    """`training.train_vae` with the setting's model options and epochs."""
    options = dict(setting["vae"] if vae is None else vae)
    return training.train_vae(
        x, y, model=options.pop("model"),
        latent_dim=latent_dim or setting["latent_dim"],
        epochs=setting["epochs"], learning_rate=LEARNING_RATE, **options,
    )


def study_reduction(setting, setting_name, cache_dir):
    data = load(setting_name)
    x_train = data.x_train[:setting["num_train"]]
    models = [train(setting, x_train, latent_dim=size)
              for size in setting["latent_dims"]]
    probe = slice(0, setting["num_probe"])
    rows = reduction.compare_with_pca(
        models, data.x_train[probe], data.y_train[probe],
        data.x_test[:setting["num_test"]], data.y_test[:setting["num_test"]],
    )
    return {"rows": rows}, rows


def study_denoising(setting, setting_name, cache_dir):
    data = load(setting_name)
    x_train = data.x_train[:setting["num_train"]]
    x_test = data.x_test[:setting["num_test"]]
    clean = train(setting, x_train)
    rows = []
    for kind, amount in setting["corruptions"].items():
        x_noisy, _ = datasets.corrupt(x_train, kind, amount, seed=1)
        denoiser = train(setting, x_noisy, x_train)
        rows += denoising.evaluate_denoising(
            {"denoising VAE": denoiser, "clean-trained VAE": clean},
            x_test, kind, amount, seed=2,
        )
    return {"rows": rows}, rows


def study_pretraining(setting, setting_name, cache_dir):
    data = load(setting_name)
    vae = train(setting, data.x_train[:setting["num_train"]])
    result = pretraining.label_efficiency(
        vae.encoder, data.x_train, data.y_train,
        data.x_test[:setting["num_test"]], data.y_test[:setting["num_test"]],
        labels_per_class=setting["labels_per_class"],
        seeds=setting["seeds"], epochs=setting["classifier_epochs"],
    )
    rows = [{"classifier": mode, "labels_per_class":
             setting["labels_per_class"], "mean_accuracy": stats["mean"],
             "std_accuracy": stats["std"]}
            for mode, stats in result.items()]
    return {"modes": result}, rows


def study_anomaly(setting, setting_name, cache_dir):
    data = load(setting_name)
    x_train = data.x_train[:setting["num_train"]]
    y_train = data.y_train[:setting["num_train"]]
    x_test = data.x_test[:setting["num_test"]]
    y_test = data.y_test[:setting["num_test"]]
    rows = []
    for anomaly_class in setting["anomaly_classes"]:
        x_normal, _ = anomaly.without_class(x_train, y_train, anomaly_class)
        vae = train(setting, x_normal)
        for score in anomaly.SCORES:
            rows.append(anomaly.evaluate_anomaly(
                vae, x_test, y_test, anomaly_class, score,
                num_samples=setting["num_samples"],
            ))
    return {"rows": rows}, rows


def generation_models(setting, x_train):
    """`(name, label, model)`: the setting's VAEs trained on `x_train`, one
    at a time, then its shipped presets as they are."""
    for name, options in setting["vaes"].items():
        yield name, "", train(setting, x_train, vae=options)
    for name in setting["presets"]:
        yield name, " (shipped)", presets.from_preset(name)


def study_generation(setting, setting_name, cache_dir):
    grey = load(setting_name)
    binary = load(setting_name, binarize="static")
    classifier, weights = generation.cached_classifier(
        grey.x_train, grey.y_train, grey.name,
        epochs=setting["classifier_epochs"], cache_dir=cache_dir,
    )
    x_test = binary.x_test[:setting["num_test"]]
    rows = [
        {"images": "real test images (grey)",
         **generation.classifier_statistics(classifier, grey.x_test)},
        {"images": "real test images (binarized)",
         **generation.classifier_statistics(classifier, binary.x_test)},
    ]
    figures = {}
    for name, label, vae in generation_models(
            setting, binary.x_train[:setting["num_train"]]):
        prefix = f"{_result_name('generation', setting_name)}_{name}"
        figures[name] = [f"{prefix}_samples.png",
                         f"{prefix}_interpolation.png"]
        plotting.image_grid(vae.sample(16, seed=0),
                            path=common.RESULTS / figures[name][0],
                            title=f"{name}{label}: prior samples")
        plotting.interpolation(vae, binary.x_test[:4], binary.x_test[4:8],
                               path=common.RESULTS / figures[name][1])
        rows.append({
            "images": f"{name}{label} prior samples",
            **generation.sample_statistics(
                vae, classifier, setting["num_generated"]),
            **likelihood.evaluate_likelihood(
                vae, x_test, num_samples=setting["num_samples"]),
        })
    return {"rows": rows, "figures": figures,
            "classifier_weights": str(weights),
            "classifier_test_accuracy": training.accuracy(
                classifier, grey.x_test, grey.y_test)}, rows


STUDIES = {
    "reduction": study_reduction,
    "denoising": study_denoising,
    "pretraining": study_pretraining,
    "anomaly": study_anomaly,
    "generation": study_generation,
}


def _result_name(study, setting_name):
    return study if setting_name == "full" else f"{study}_{setting_name}"


def run(study, setting_name="full", cache_dir=None):
    """Run `study` in setting "full" or "smoke"; return the JSON path.

    `cache_dir` is where the generation study caches its classifier
    (default `~/.cache/zoo`).
    """
    setting = SETTINGS[study][setting_name]
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result, rows = STUDIES[study](setting, setting_name, cache_dir)
    path = common.write_result(_result_name(study, setting_name), {
        "setting": setting_name,
        "data": "fashion_mnist" if setting_name == "full" else "digits",
        "config": setting,
        **result,
        "wall_seconds": round(time.perf_counter() - start, 1),
    })
    print(common.markdown_table(rows))
    print(f"wrote {path}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--smoke", action="store_true",
                        help="tiny setting on the 8x8 digits, < 60 s")
    parser.add_argument("--cache-dir", default=None,
                        help="where the generation study caches its "
                             "classifier (default ~/.cache/zoo)")
    arguments = parser.parse_args(argv)
    run(arguments.study, "smoke" if arguments.smoke else "full",
        arguments.cache_dir)


if __name__ == "__main__":
    main()

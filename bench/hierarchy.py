"""Ablation of the hierarchical VAE: what each part buys, in nats and
seconds, on the validation split (never the test set).

Every variant is `zoo.HierarchicalVAE` at the headline setting (latent 16,
batch 128, Adam 1e-3, seed 0, static binarization), trained on the first
55,000 training images and scored on the last 5,000: -ELBO on all of them,
the importance-weighted NLL with K = 100 on the first 2,000 (the quick
setting), the KL and the active units (Var_x E_q[z] > 0.01) of every
group. The default `conv_vae` is trained and scored the same way, as the
one-group baseline of the zoo; the `*_pixelcnn` variants replace the
factorised Bernoulli by the autoregressive likelihood
(`likelihood="pixelcnn"`, `zoo.likelihoods.pixelcnn`).

    python -m bench.hierarchy [--epochs 5] [--variants NAME ...]

Each variant writes bench/results/hierarchy/NAME.json as it finishes; the
same command again skips the finished ones (with the same epochs), and
bench/results/hierarchy.md, the table, is rebuilt after every variant.
`--smoke --output-dir DIR` runs every variant for a few steps on a few
images (CI).
"""

import argparse
import json
import pathlib
import time

import keras
import numpy as np

import zoo
from bench.common import RESULTS
from bench.common import markdown_table
from bench.common import stamped
from zoo.training import atomic
from zoo.evaluation import likelihood

#: name -> (the model, its options beyond the setting's).
VARIANTS = {
    "conv_vae": ("conv_vae", {}),
    "1_group": ("hierarchical_vae", {"groups_per_scale": 0}),
    "2_groups": ("hierarchical_vae", {"scales": 1}),
    "3_groups": ("hierarchical_vae", {}),
    "5_groups": ("hierarchical_vae", {"groups_per_scale": 2}),
    "3_groups_plain_cells": ("hierarchical_vae", {"residual": False}),
    "3_groups_no_cells": ("hierarchical_vae", {"cells": 0}),
    # The autoregressive likelihood (`zoo.likelihoods.pixelcnn`) on the
    # one-group baseline and on the hierarchy.
    "conv_vae_pixelcnn": ("conv_vae", {"likelihood": "pixelcnn"}),
    "3_groups_pixelcnn": ("hierarchical_vae", {"likelihood": "pixelcnn"}),
    # Its spatial groups collapse under the PixelCNN; free bits charge
    # each group max(KL, 2 nats), so carrying 2 nats costs nothing.
    "3_groups_pixelcnn_free_bits": ("hierarchical_vae", {
        "likelihood": "pixelcnn", "free_bits": 2.0}),
}

SETTING = {"latent_dim": 16, "batch_size": 128, "learning_rate": 1e-3,
           "seed": 0, "validation_images": 5000, "nll_images": 2000,
           "num_samples": 100}

SMOKE = {**SETTING, "validation_images": 64, "nll_images": 16,
         "num_samples": 4, "train_images": 256}


#: `HierarchicalVAE.active_units` counts a lower group's units by their
#: departure from the prior; results without this mark were counted by
#: Var_x E_q[z] alone, which calls a collapsed lower group active.
DEPARTURE_RULE = "lower groups: Var_x(E_q[z] - E_p[z | z_<l])"
FORMER_RULE_NOTE = (
    "¹ Active units counted by the former rule, Var_x E_q[z] > 0.01, "
    "under which a collapsed lower group (KL 0) still counts as active; "
    "read its KL instead.")


def run(name, data, epochs, setting):
    """Train and score one variant; its result as a dict."""
    preset, options = VARIANTS[name]
    keras.utils.set_random_seed(setting["seed"])
    model = zoo.get(preset, input_shape=(28, 28, 1),
                    latent_dim=setting["latent_dim"], seed=setting["seed"],
                    **options)
    model.compile(optimizer=keras.optimizers.Adam(setting["learning_rate"]))
    x_train, _ = data.split("train")
    x_validation, _ = data.split("validation")
    x_train = x_train[:setting.get("train_images")]
    x_validation = x_validation[:setting["validation_images"]]
    start = time.perf_counter()
    history = model.fit(x_train, epochs=epochs,
                        batch_size=setting["batch_size"], verbose=0)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = {
        "name": name, "model": preset, "options": options, "epochs": epochs,
        "setting": setting, "parameters": model.count_params(),
        "train_seconds": train_seconds,
        "history": {key: [float(v) for v in values]
                    for key, values in history.history.items()},
        "validation_negative_elbo": likelihood.negative_elbo(
            model, x_validation),
        "validation_nll": likelihood.negative_log_likelihood(
            model, x_validation[:setting["nll_images"]],
            num_samples=setting["num_samples"]),
    }
    if preset == "hierarchical_vae":
        result["active_units"] = model.active_units(x_validation)
        result["active_units_rule"] = DEPARTURE_RULE
        result["kl_per_group"] = kl_per_group(model, x_validation)
    else:
        result["active_units"] = [
            [likelihood.active_units(model, x_validation), model.latent_dim]]
    result["score_seconds"] = time.perf_counter() - start
    return result


def kl_per_group(model, x, batch_size=500):
    """The mean KL of every group over x, nats, top first (one posterior
    sample of the groups above each)."""
    totals = np.zeros(len(model.group_shapes))
    rng = np.random.default_rng(0)
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        eps = rng.standard_normal((len(batch), model.noise_dim)).astype(
            "float32")
        _, z_mean, z_stddev, z_top, groups = model.posterior_pass(batch, eps)
        totals += [float(np.sum(kl)) for kl in model.kl_per_group(
            z_mean, z_stddev, z_top, groups)]
    return (totals / len(x)).tolist()


def floor_line(validation_images):
    """The binarization floor of the validation images' grey levels
    (`likelihood.binarization_entropy`), as a sentence under the table."""
    x_grey, _ = zoo.datasets.fashion_mnist(
        validation_size=5000).split("validation")
    floor = float(np.mean(likelihood.binarization_entropy(
        x_grey[:validation_images])))
    return (f"Binarization floor of these {validation_images} validation "
            f"images: {floor:.1f} nats (no model's expected NLL is lower).")


def table(results):
    """The Markdown table of the finished variants, in `VARIANTS` order."""
    rows, former_rule = [], False
    for name in VARIANTS:
        if name not in results:
            continue
        result = results[name]
        mark = ""
        if len(result["active_units"]) > 1 and result.get(
                "active_units_rule") != DEPARTURE_RULE:
            mark, former_rule = "¹", True
        rows.append({
            "variant": name,
            "groups": len(result["active_units"]),
            "parameters": result["parameters"],
            "validation −ELBO": round(result["validation_negative_elbo"], 2),
            f"validation NLL (K={result['setting']['num_samples']})": round(
                result["validation_nll"], 2),
            "train s": round(result["train_seconds"]),
            "active units per group": ", ".join(
                f"{active}/{total}" for active, total in
                result["active_units"]) + mark,
            "KL per group (nats)": ", ".join(
                f"{kl:.1f}" for kl in result.get("kl_per_group", [])) or "—",
        })
    return markdown_table(rows) + ("\n\n" + FORMER_RULE_NOTE
                                   if former_rule else "")


def write_table(output, results, floor):
    """hierarchy.md: the table of the finished variants and the floor."""
    atomic.write_text(output / "hierarchy.md",
                      table(results) + "\n\n" + floor + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true",
                        help="a few steps on a few images (needs "
                             "--output-dir)")
    parser.add_argument("--output-dir", type=pathlib.Path, default=None)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from "
                     f"{list(VARIANTS)}")
    if args.smoke and args.output_dir is None:
        parser.error("--smoke writes to --output-dir, never over the "
                     "results in bench/results")
    output = args.output_dir or RESULTS
    folder = output / "hierarchy"
    folder.mkdir(parents=True, exist_ok=True)
    setting = SMOKE if args.smoke else SETTING
    epochs = 1 if args.smoke else args.epochs
    data = zoo.datasets.fashion_mnist(binarize="static",
                                      validation_size=5000)
    floor = floor_line(setting["validation_images"])
    results = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("epochs") == epochs and record.get(
                "setting") == setting:
            results[record["name"]] = record
    for name in args.variants:
        if name in results:
            print(f"{name}: done, skipped", flush=True)
            continue
        print(f"{name}: training", flush=True)
        results[name] = stamped("hierarchy", run(name, data, epochs, setting))
        atomic.write_json(folder / f"{name}.json", results[name])
        write_table(output, results, floor)
        print(f"{name}: validation NLL {results[name]['validation_nll']:.2f}",
              flush=True)
    write_table(output, results, floor)
    print(floor)


if __name__ == "__main__":
    main()

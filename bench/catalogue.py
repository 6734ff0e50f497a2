"""One table over the whole catalogue: every preset at one budget.

    nice -n 10 flock -x /tmp/zoo-cpu.lock python -m bench.catalogue
    python -m bench.catalogue --models conv_vae vamp_prior_vae
    python -m bench.catalogue --smoke --output-dir /tmp/catalogue_smoke

Every preset of `zoo.list_models()` is trained at one budget (default: the
headline setting of the protocol, latent 16, batch 128, 5 epochs, seed 0,
Adam at the zoo's default rate, on the statically binarized Fashion-MNIST
training images; a VQ-VAE then fits its PixelCNN prior for
`--prior-epochs`) and scored on the test images:

- test -ELBO (all test images) and NLL (K = `--num-samples` importance
  samples, the first `--nll-examples` images) where the model has a bound
  (a VQ-VAE's -bound is its -ELBO column; it has no importance-weighted
  NLL);
- reconstruction error: the summed squared error per image between the
  binarized test image and its reconstruction (the likelihood's mean);
- FID and precision/recall (k = 3) of `--samples` prior samples against
  the grey test images, on the shipped feature classifier's features
  (`zoo.evaluation.features`: comparable between zoo models only, not with
  Inception FIDs), and of each ex-post sampler (`zoo.samplers`) fitted to
  the training codes where one applies (an unconditional `zoo.VAE` whose
  latent takes one; the row says why not otherwise);
- active units (posterior means whose variance over the test images
  exceeds 0.01; per group for a hierarchy), training seconds;
- a figure of 64 samples per model and sampler.

Each preset runs in its own process and writes
`bench/results/catalogue/NAME.json` (and `NAME.png`, `NAME_SAMPLER.png`)
when it finishes, so an interrupted run resumes where it stopped: a row
whose JSON holds the same settings is not run again. The table of every
finished row is `bench/results/catalogue.md`.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np

from bench import common

#: The budget of the table (the protocol's headline setting) and of
#: `--smoke` (a check that every step runs, in seconds per preset).
SETTINGS = {
    "full": {"epochs": 5, "prior_epochs": 2, "latent_dim": 16,
             "batch_size": 128, "train_size": None, "test_size": None,
             "samples": 10000, "nll_examples": 2000, "num_samples": 100,
             "sampler_options": {}},
    "smoke": {"epochs": 1, "prior_epochs": 1, "latent_dim": 4,
              "batch_size": 64, "train_size": 256, "test_size": 128,
              "samples": 128, "nll_examples": 16, "num_samples": 2,
              "sampler_options": {
                  "gmm": {"num_components": 2},
                  "two_stage": {"hidden_units": (16,), "epochs": 1},
                  "maf": {"flow_steps": 1, "hidden_units": (16,),
                          "epochs": 1}}},
}

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent

#: Samples drawn per `sample` call.
SAMPLE_CHUNK = 1000


def sampled(draw, count):
    """`count` images from `draw(n, seed)`, `SAMPLE_CHUNK` at a time with
    seeds 0, 1, ..."""
    return np.concatenate([
        np.asarray(draw(min(SAMPLE_CHUNK, count - start), index))
        for index, start in enumerate(range(0, count, SAMPLE_CHUNK))])


def generation_scores(images, real_features, classifier):
    """FID and precision/recall of `images` against the real features."""
    from zoo.evaluation import features
    from zoo.evaluation import fid
    from zoo.evaluation import precision_recall

    generated = features.classifier_features(images, classifier)
    return {"fid": fid.frechet_distance(real_features, generated),
            **precision_recall.precision_recall(real_features, generated)}


def active_units(model, x, labels):
    """Active units of `model` on `x` (a list per group for a hierarchy,
    None for a codebook)."""
    import zoo
    from zoo.evaluation import likelihood

    if isinstance(model, zoo.HierarchicalVAE):
        return model.active_units(x)
    if not model.has_gaussian_posterior:
        return None
    if labels is None:
        return likelihood.active_units(model, x)
    means = np.concatenate([
        np.asarray(model.posterior_parameters(x[start:start + 500],
                                              labels[start:start + 500])[0])
        for start in range(0, len(x), 500)])
    return int(np.sum(np.var(means, axis=0) > 0.01))


def run_row(name, settings, output_dir, classifier_path=None):
    """Train and score one preset; write NAME.json and its figures."""
    import keras

    import zoo
    from zoo import plotting
    from zoo.evaluation import features
    from zoo.evaluation import likelihood
    from zoo.training import atomic

    data = zoo.datasets.fashion_mnist(binarize="static")
    grey = zoo.datasets.fashion_mnist()
    x_train, y_train = (array[:settings["train_size"]]
                        for array in data.split("train"))
    x_test, y_test = (array[:settings["test_size"]]
                      for array in data.split("test"))
    keras.utils.set_random_seed(0)
    latent_dim = row_latent_dim(name, settings)
    model = zoo.get(name, input_shape=data.image_shape,
                    latent_dim=latent_dim, seed=0)
    model.compile()
    conditional = model.condition_spec() is not None
    train = [x_train, y_train] if conditional else x_train
    start = time.perf_counter()
    model.fit(train, epochs=settings["epochs"],
              batch_size=settings["batch_size"], verbose=0)
    if hasattr(model, "fit_prior"):
        model.fit_prior(x_train, epochs=settings["prior_epochs"], verbose=0)
    seconds = time.perf_counter() - start

    labels = y_test if conditional else None
    inputs = [x_test, y_test] if conditional else x_test
    first = slice(0, settings["nll_examples"])
    row = {"model": name, "settings": settings, "latent_dim": latent_dim,
           "parameters": model.count_params(),
           "training_seconds": round(seconds, 1)}
    latent = getattr(model, "latent", None)
    if latent is not None and not latent.has_bound:
        # A deterministic code (the autoencoder, the RAEs): no density, so
        # no bound; the table shows a dash.
        row["test_negative_elbo"] = None
        row["test_nll"] = None
    elif model.has_gaussian_posterior:
        row["test_negative_elbo"] = likelihood.negative_elbo(
            model, x_test, labels=labels)
        row["test_nll"] = likelihood.negative_log_likelihood(
            model, x_test[first], num_samples=settings["num_samples"],
            labels=None if labels is None else labels[first])
    else:
        row["test_negative_elbo"] = -float(np.mean(np.concatenate([
            np.asarray(model.elbo(x_test[start:start + 500]))
            for start in range(0, len(x_test), 500)])))
        row["test_nll"] = None
    reconstruction = np.asarray(model.predict(inputs, verbose=0)) if (
        model.classifier is None) else np.asarray(
        model.reconstruct(inputs))
    row["reconstruction_squared_error"] = float(np.mean(np.sum(
        (reconstruction - x_test) ** 2, axis=(1, 2, 3))))
    row["active_units"] = active_units(model, x_test, labels)

    classifier = features.load_feature_classifier(classifier_path)
    real = features.classifier_features(
        grey.split("test")[0][:settings["test_size"]], classifier)
    samples = sampled(lambda n, seed: model.sample(n, seed=seed),
                      settings["samples"])
    row["prior"] = generation_scores(samples, real, classifier)
    plotting.image_grid(samples[:64], output_dir / f"{name}.png",
                        title=f"{name}: prior samples")
    row["samplers"] = {}
    names, reason = ex_post_samplers(model)
    if reason is not None:
        row["no_ex_post_sampler"] = reason
    for sampler in names:
        start = time.perf_counter()
        model.fit_sampler(x_train, sampler, seed=0,
                          **settings["sampler_options"].get(sampler, {}))
        fitted = time.perf_counter() - start
        samples = sampled(lambda n, seed: model.sample(n, seed=seed),
                          settings["samples"])
        row["samplers"][sampler] = {
            **generation_scores(samples, real, classifier),
            "fit_seconds": round(fitted, 1)}
        plotting.image_grid(samples[:64],
                            output_dir / f"{name}_{sampler}.png",
                            title=f"{name}: {sampler} sampler")
    atomic.write_json(output_dir / f"{name}.json",
                      common.stamped("catalogue", row))
    return row


def row_latent_dim(name, settings):
    """The latent size of the preset's row: the table's, unless the
    preset's latent takes one size only (`Latent.only_latent_dim`: the
    von Mises-Fisher latent's 3, the sphere S^2)."""
    from zoo import latents
    from zoo.models import registry

    latent = registry.preset_latent(name)
    only = None if latent is None else latents.LATENTS[latent].only_latent_dim
    return settings["latent_dim"] if only is None else only


def ex_post_samplers(model):
    """`(names, reason)`: the ex-post samplers the table fits to the
    model's training codes (`zoo.samplers.SAMPLERS` for an unconditional
    `zoo.VAE` whose latent takes one), and why there are none otherwise
    (None when there are)."""
    import zoo

    if not isinstance(model, zoo.VAE):
        return (), f"{type(model).__name__} has no ex-post sampler"
    if model.condition_spec() is not None:
        return (), "an ex-post sampler ignores the labels"
    if model.latent.no_ex_post_sampler is not None:
        return (), model.latent.no_ex_post_sampler
    return tuple(zoo.samplers.SAMPLERS), None


def finished(output_dir, name, settings):
    """The row's record if it finished with these settings, else None."""
    path = output_dir / f"{name}.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return record if record.get("settings") == json.loads(
        json.dumps(settings)) else None


def number(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def active_cell(active_units):
    """The table's cell for a row's active units: a count, `active/total`
    per group for a hierarchy, a dash for a model with none (a codebook)."""
    if active_units is None:
        return "–"
    if isinstance(active_units, list):
        return ", ".join(f"{active}/{total}" for active, total in active_units)
    return str(active_units)


def markdown(records):
    """The table of the finished rows."""
    samplers = sorted({name for record in records
                       for name in record["samplers"]})
    head = ["model", "−ELBO", "NLL", "recon. SE", "FID", "P", "R",
            *[f"FID {name}" for name in samplers], "active", "train s"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for record in records:
        prior = record["prior"]
        size = record.get("latent_dim", record["settings"]["latent_dim"])
        model = f"`{record['model']}`" + (
            f" (latent {size})"
            if size != record["settings"]["latent_dim"] else "")
        cells = [model,
                 number(record["test_negative_elbo"]),
                 number(record["test_nll"]),
                 number(record["reconstruction_squared_error"]),
                 number(prior["fid"], 2), number(prior["precision"], 2),
                 number(prior["recall"], 2),
                 *[number(record["samplers"].get(name, {}).get("fid"), 2)
                   for name in samplers],
                 active_cell(record["active_units"]),
                 number(record["training_seconds"], 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny budget, to check every step runs")
    parser.add_argument("--output-dir", type=pathlib.Path,
                        default=common.RESULTS / "catalogue")
    parser.add_argument("--classifier", type=pathlib.Path, default=None,
                        help="the feature classifier (default: the shipped "
                        "one, saved_models/feature_classifier)")
    parser.add_argument("--row", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = SETTINGS["smoke" if args.smoke else "full"]
    args.output_dir.mkdir(parents=True, exist_ok=True)
    if args.row:
        run_row(args.row, settings, args.output_dir, args.classifier)
        return
    import zoo

    names = args.models or zoo.list_models()
    for name in names:
        if finished(args.output_dir, name, settings):
            print(f"{name}: done before", flush=True)
            continue
        command = [sys.executable, "-m", "bench.catalogue", "--row", name,
                   "--output-dir", str(args.output_dir)] + (
            ["--smoke"] if args.smoke else []) + (
            ["--classifier", str(args.classifier)] if args.classifier else [])
        status = subprocess.run(command, cwd=REPOSITORY).returncode
        print(f"{name}: {'done' if status == 0 else 'FAILED'}", flush=True)
    every = sorted(path.stem for path in args.output_dir.glob("*.json"))
    records = [record for name in every
               if (record := finished(args.output_dir, name, settings))]
    table = markdown(records)
    (args.output_dir.parent / f"{args.output_dir.name}.md").write_text(
        table)
    print(table)


if __name__ == "__main__":
    main()

"""Regenerate the pretrained models shipped in saved_models/.

Each model trains on Fashion-MNIST at latent 16, batch 128, seed 0 with one
of two recipes: SHORT, the headline setting (5 epochs on the statically
binarized images of docs/benchmark.md, Adam 1e-3), or LONG, for the best
shipped model (more epochs; a fresh Bernoulli draw of the grey training
images every batch, so the network never sees the same binary image twice;
beta warmed up from 0 to 1; Adam with a cosine-decayed learning rate). Each
is exported in TF Serving's layout as saved_models/<name>/1/, and is scored
THROUGH ITS SAVEDMODEL `score` signature on the statically binarized test
images: -ELBO on all 10,000 and the importance-weighted NLL with K = 100 on
the first 2,000 (the benchmark's quick setting). The numbers go into
saved_models/<name>/model_card.json, with `check_nll`/`check_negative_elbo` on the first
`CHECK_EXAMPLES` (40) test images that tests/test_pretrained.py re-scores
in CI.

    python saved_models/regenerate.py [--epochs N] [--models dense_vae ...]

Each folder also ships `model.keras`, the same trained weights as a Keras
model (what `zoo.from_preset(name)` loads). It is made WITHOUT training,
from the shipped SavedModel: the model is built from its recipe here, the
SavedModel's encoder and decoder variables (those its `encode` and
`decode` signatures capture) are assigned to it by name and shape, and
its posterior means and decodes are checked against the SavedModel's
`encode` and `decode` signatures (to 1e-5) before it is written:

    python saved_models/regenerate.py --keras-from-savedmodel [--models ...]

`vq_vae` (a codebook latent, `zoo.VQVAE`) follows SHORT for its
autoencoder, then fits its PixelCNN prior for `VQ_PRIOR_EPOCHS` epochs on
the training images' codes; its `score` signature gives the bound
log p(x|z_q) + log p(z_q) (deterministic, no samples), reported on all
10,000 test images. Its `model.keras` is written from the trained model
itself:

    python saved_models/regenerate.py --models vq_vae

The shipped weights are exported again, as the next version, when the
signatures change (TF Serving serves the highest version; the earlier
ones stay). The new version is scored on the check images through its
`score` signature at the largest batch its request limit allows, beside
the version before it on the same requests (the same seed and batch, so
the same noise): the two must agree to float32 round-off, and the card's
`served` entry records the new version, its limit and its check scores:

    python saved_models/regenerate.py --reexport [--models ...]

The check entries alone (every version's, through its `score` signature,
at the batch its test uses: 100 for version 1, the `served` entry's
`check_batch_size` for the served version, the card's `check_batch_size`
for a shipped published row's only version) are scored again, on the first
`CHECK_EXAMPLES` test images, with nothing trained or exported (the first
`CHECK_EXAMPLES` were 200 until the test suite needed the time):

    python saved_models/regenerate.py --rescore-checks [--models ...]

`hierarchical_vae` (`zoo.HierarchicalVAE`, issue 18, with the PixelCNN
likelihood of `zoo.likelihoods.pixelcnn`) follows HIERARCHICAL, LONG cut to 20
epochs; its `model.keras` is also written from the trained model, and its
card adds the active units of every latent group on the test images.

A finished row of the published-likelihood table (bench/published_table.py,
one of its KEEP_MODEL rows, which keep their model) is shipped as
saved_models/<NAME>/ without training, from the row's
bench/results/published_table/<ROW>.keras and .json:

    python saved_models/regenerate.py --published-row ROW --name NAME

Version 1 is exported with the smallest request limit that lets one
request score one image at the row's K (1,000, at the least
`SERVED_SAMPLES`); `model.keras` is the row's model without its optimizer.
The card's test NLL is scored THROUGH THE `score` SIGNATURE on all 10,000
test images at the row's K, as many images a request as the limit allows
(about 45 minutes for the PixelCNN rows, a line of progress a minute),
beside the bench's own numbers, recipe, time and command; its check
entries are scored as the other cards' (K = 100, the limit's batch), and
`--rescore-checks --models NAME` scores them again. Nothing is written into
saved_models/<NAME>/ until it is all done (it is made under
saved_models/.backup/<NAME>/), and an existing folder is replaced only with
`--overwrite`.

Training is resumable: every finished epoch is backed up under
saved_models/.backup/<name>/ (`zoo.training.distribute.BackupAndRestore`: weights,
optimizer step, epoch), and the same command after a kill goes on from
the last finished epoch, the learning-rate and beta schedules included.
"""

import argparse
import collections
import json
import pathlib
import re
import shutil
import sys
import time

import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo.training import atomic
from zoo import export

HERE = pathlib.Path(__file__).parent
#: Training backups of unfinished runs, and the folders of published rows
#: being shipped (not shipped; .gitignore).
BACKUPS = HERE / ".backup"
COMMAND = "python saved_models/regenerate.py"

Recipe = collections.namedtuple(
    "Recipe", ["epochs", "binarize", "warm_up_epochs", "learning_rate",
               "cosine_decay"])
SHORT = Recipe(epochs=5, binarize="static", warm_up_epochs=0,
               learning_rate=1e-3, cosine_decay=False)
LONG = Recipe(epochs=40, binarize="dynamic", warm_up_epochs=5,
              learning_rate=2e-3, cosine_decay=True)
#: LONG cut to 20 epochs: with the PixelCNN likelihood an epoch of the
#: hierarchy takes about 3 minutes on 2 cores, so the recipe trains in
#: about an hour.
HIERARCHICAL = LONG._replace(epochs=20)

# Shipped name -> (registry name, options, recipe). Options chosen so that
# each export stays under 5 MB on disk; the conv models were trained with
# the full-resolution Conv2D output, the default before the sub-pixel one.
CONV = {"hidden_units": (128,), "output_layer": "conv"}
MODELS = {
    "dense_vae": ("dense_vae", {}, SHORT),
    "conv_vae": ("conv_vae", CONV, SHORT),
    "beta_vae": ("beta_vae", CONV, SHORT),
    "conv_vae_long": ("conv_vae", CONV, LONG),
    "vq_vae": ("vq_vae", {"num_embeddings": 64}, SHORT),
    "hierarchical_vae": ("hierarchical_vae", {"likelihood": "pixelcnn"},
                         HIERARCHICAL),
}
VQ_PRIOR_EPOCHS = 2
LATENT_DIM = 16
BATCH_SIZE = 128
TRAIN_IMAGES = 60000
#: How many of the first test images the cards' check entries score.
CHECK_EXAMPLES = 40


def score(serving, x, num_samples, batch_size=100):
    """Mean -ELBO and IW NLL of `x` through the `score` signature."""
    elbo, log_likelihood = score_per_image(serving, x, num_samples,
                                           batch_size)
    return -float(np.mean(elbo)), -float(np.mean(log_likelihood))


def score_per_image(serving, x, num_samples, batch_size, progress=False):
    """The ELBO and the IW bound of every image of `x` (two float32
    arrays) through the `score` signature, `batch_size` images a request;
    with `progress`, a line every minute saying how far it is."""
    elbo, log_likelihood = [], []
    start = shown = time.perf_counter()
    for first in range(0, len(x), batch_size):
        scores = serving.score(x[first:first + batch_size], num_samples)
        elbo.append(scores["elbo"])
        log_likelihood.append(scores["log_likelihood"])
        now = time.perf_counter()
        if progress and now - shown > 60:
            shown, done = now, first + len(scores["elbo"])
            print(f"scored {done:,} of {len(x):,} images at "
                  f"K={num_samples:,} in {now - start:,.0f} s, about "
                  f"{(now - start) * (len(x) - done) / done:,.0f} s to go",
                  flush=True)
    return np.concatenate(elbo), np.concatenate(log_likelihood)


def train(registry_name, options, recipe, epochs, backup_dir):
    """A model trained with `recipe` for `epochs` epochs, the seconds this
    process trained, and how many epochs those seconds cover (fewer than
    `epochs` when it resumed a killed run)."""
    keras.utils.set_random_seed(0)
    model = zoo.get(registry_name, input_shape=(28, 28, 1),
                    latent_dim=LATENT_DIM, seed=0, **options)
    model.build((None, 28, 28, 1))  # BackupAndRestore restores into it
    steps = epochs * -(-TRAIN_IMAGES // BATCH_SIZE)
    learning_rate = recipe.learning_rate
    if recipe.cosine_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    callbacks = []
    if recipe.warm_up_epochs:
        callbacks.append(zoo.training.callbacks.BetaWarmUp(
            steps=min(recipe.warm_up_epochs, epochs) * steps // epochs,
            end=1.0))
    # Killed, the same command goes on from the last finished epoch
    # (weights, optimizer step, so the learning rate and beta schedules
    # too); the backup is deleted when training ends.
    callbacks.append(zoo.training.distribute.BackupAndRestore(backup_dir))
    data = zoo.datasets.fashion_mnist(binarize=recipe.binarize)
    start = time.perf_counter()
    history = model.fit(
        data.as_dataset("train", batch_size=BATCH_SIZE, seed=0),
        epochs=epochs, callbacks=callbacks, verbose=2)
    return (model, time.perf_counter() - start,
            len(history.history["loss"]))


def describe(recipe, epochs):
    """The recipe in words, for the model card."""
    optimizer = f"adam, learning rate {recipe.learning_rate:g}"
    if recipe.cosine_decay:
        optimizer += f", cosine decay to 0 over {epochs} epochs"
    return {
        "epochs": epochs,
        "training_binarization": recipe.binarize,
        "beta_warm_up_epochs": recipe.warm_up_epochs,
        "optimizer": optimizer,
    }


def regenerate_codebook(name, test_data, epochs=None):
    """Train, export and score a codebook model (`vq_vae`): the
    autoencoder with its recipe, then its prior; the card has the bound
    through the `score` signature and the codebook's use on the test
    images."""
    registry_name, options, recipe = MODELS[name]
    epochs = epochs or recipe.epochs
    model, train_seconds, timed_epochs = train(
        registry_name, options, recipe, epochs, BACKUPS / name)
    train_images = zoo.datasets.fashion_mnist(binarize=recipe.binarize)
    start = time.perf_counter()
    prior = model.fit_prior(train_images.split("train")[0],
                            epochs=VQ_PRIOR_EPOCHS, batch_size=BATCH_SIZE,
                            verbose=2)
    prior_seconds = time.perf_counter() - start
    directory = HERE / name
    shutil.rmtree(directory, ignore_errors=True)
    path = export.export_for_serving(model, directory, version=1)
    save_without_optimizer(model, directory / KERAS_FILE)
    serving = export.load_for_serving(path)
    x_test, _ = test_data.split("test")

    def negative_bound(x):
        return -float(np.mean(np.concatenate([
            serving.score(x[start:start + 500])["log_likelihood"]
            for start in range(0, len(x), 500)])))

    codes = model.encode_in_batches(x_test)
    size = sum(f.stat().st_size for f in pathlib.Path(path).rglob("*")
               if f.is_file())
    card = {
        "model": name,
        "registry_name": registry_name,
        "zoo_version": zoo.__version__,
        "data": "Fashion-MNIST; scored on the static binarization of "
                "docs/benchmark.md",
        "options": {"latent_dim": LATENT_DIM, **options},
        **describe(recipe, epochs),
        "prior_epochs": VQ_PRIOR_EPOCHS,
        "prior_final_loss_nats_per_code": prior.history["loss"][-1],
        "batch_size": BATCH_SIZE,
        "seed": 0,
        "parameters": model.count_params(),
        "size_bytes": size,
        "train_seconds": round(train_seconds, 1),
        "train_seconds_epochs": timed_epochs,
        "prior_train_seconds": round(prior_seconds, 1),
        "test_negative_bound": negative_bound(x_test),
        "bound": "-log p(x|z_q) - log p_prior(z_q), nats; an upper bound "
                 "on -log p(x) (zoo.VQVAE)",
        "test_perplexity": float(zoo.latents.codebook.perplexity(
            codes, model.num_embeddings)),
        "test_codes_used": float(zoo.latents.codebook.usage(
            codes, model.num_embeddings)),
        "check_examples": CHECK_EXAMPLES,
        "check_negative_bound": negative_bound(x_test[:CHECK_EXAMPLES]),
        "scored_through": "SavedModel signature `score`",
        "command": f"{COMMAND} --epochs {epochs} --models {name}",
    }
    atomic.write_json(directory / "model_card.json", card)
    print(json.dumps(card, indent=2), flush=True)


def save_without_optimizer(model, path):
    """Save the trained `model`'s weights as a `.keras` file without its
    optimizer's state (a third of the size): a fresh model of the same
    config takes the weights; `from_preset` compiles a new optimizer."""
    fresh = model.__class__.from_config(model.get_config())
    fresh.set_weights(model.get_weights())
    fresh.save(path)


def regenerate(name, test_data, epochs=None):
    registry_name, options, recipe = MODELS[name]
    if zoo.models.registry.model_class(registry_name) is zoo.VQVAE:
        return regenerate_codebook(name, test_data, epochs)
    epochs = epochs or recipe.epochs
    model, train_seconds, timed_epochs = train(
        registry_name, options, recipe, epochs, BACKUPS / name)
    directory = HERE / name
    shutil.rmtree(directory, ignore_errors=True)
    path = export.export_for_serving(model, directory, version=1)
    hierarchy = isinstance(model, zoo.HierarchicalVAE)
    if hierarchy:
        save_without_optimizer(model, directory / KERAS_FILE)
    serving = export.load_for_serving(path)
    x_test, _ = test_data.split("test")
    negative_elbo, _ = score(serving, x_test, num_samples=1)
    _, nll = score(serving, x_test[:2000], num_samples=100)
    check_elbo, check_nll = score(serving, x_test[:CHECK_EXAMPLES], 100)
    size = sum(f.stat().st_size for f in pathlib.Path(path).rglob("*")
               if f.is_file())
    card = {
        "model": name,
        "registry_name": registry_name,
        "zoo_version": zoo.__version__,
        "data": "Fashion-MNIST; scored on the static binarization of "
                "docs/benchmark.md",
        "options": {"latent_dim": LATENT_DIM, **options},
        **describe(recipe, epochs),
        "batch_size": BATCH_SIZE,
        "seed": 0,
        "parameters": model.count_params(),
        "size_bytes": size,
        "train_seconds": round(train_seconds, 1),
        "train_seconds_epochs": timed_epochs,
        "test_negative_elbo": negative_elbo,
        "test_nll_k100_first2000": nll,
        "check_examples": CHECK_EXAMPLES,
        "check_negative_elbo": check_elbo,
        "check_nll_k100": check_nll,
        "scored_through": "SavedModel signature `score`",
        "command": f"{COMMAND} --epochs {epochs} --models {name}",
    }
    if hierarchy:
        card["test_active_units_per_group"] = model.active_units(x_test)
    atomic.write_json(directory / "model_card.json", card)
    print(json.dumps(card, indent=2), flush=True)


KERAS_FILE = "model.keras"
#: Largest difference allowed between the Keras model and its SavedModel.
KERAS_TOLERANCE = 1e-5


def keras_from_savedmodel(name):
    """Write saved_models/<name>/model.keras from the shipped SavedModel's
    weights (no training); returns the largest difference found in the
    check against the SavedModel's signatures."""
    registry_name, options, _ = MODELS[name]
    model = zoo.get(registry_name, input_shape=(28, 28, 1),
                    latent_dim=LATENT_DIM, seed=0, **options)
    model.build((None, 28, 28, 1))
    loaded = tf.saved_model.load(str(HERE / name / "1"))
    assign_by_name(model.encoder, loaded.signatures["encode"].variables,
                   f"{name} encoder")
    assign_by_name(model.decoder, loaded.signatures["decode"].variables,
                   f"{name} decoder")
    x = check_images()
    served = loaded.signatures["encode"](
        x=tf.constant(x), seed=tf.constant([0, 0], tf.int32))
    z_mean = served["z_mean"].numpy()
    differences = {
        "z_mean": np.abs(model.encode(x).mean().numpy() - z_mean).max(),
        "z_stddev": np.abs(model.encode(x).stddev().numpy()
                           - served["z_stddev"].numpy()).max(),
        "reconstruction": np.abs(
            model.decode(z_mean).mean().numpy()
            - loaded.signatures["decode"](z=tf.constant(z_mean))[
                "reconstruction"].numpy()).max(),
    }
    worst = max(differences.values())
    if worst > KERAS_TOLERANCE:
        raise SystemExit(
            f"{name}: the Keras model differs from its SavedModel by "
            f"{differences}; not written.")
    model.save(HERE / name / KERAS_FILE)
    print(f"{name}: wrote {KERAS_FILE} "
          f"({(HERE / name / KERAS_FILE).stat().st_size} bytes); largest "
          f"difference from the SavedModel {worst:.2e}", flush=True)
    return worst


def assign_by_name(network, variables, what):
    """Assign the SavedModel `variables` ("conv_0/kernel:0", ...) to the
    Keras `network`'s weights of the same layer/name and shape; every
    weight must get exactly one value."""
    values = {}
    for variable in variables:
        key = variable.name.split(":")[0]
        if key in values:
            raise SystemExit(f"{what}: two SavedModel variables named {key}")
        values[key] = variable
    weights = {"/".join(weight.path.split("/")[-2:]): weight
               for weight in network.weights}
    if sorted(weights) != sorted(values):
        raise SystemExit(
            f"{what}: the Keras weights {sorted(weights)} do not match the "
            f"SavedModel's {sorted(values)}; is the recipe in MODELS the "
            "one the SavedModel was trained with?")
    for key, weight in weights.items():
        if tuple(weight.shape) != tuple(values[key].shape):
            raise SystemExit(
                f"{what}: {key} has shape {tuple(weight.shape)} in Keras and "
                f"{tuple(values[key].shape)} in the SavedModel.")
        weight.assign(values[key].numpy())


def check_images(count=64):
    """Images for the Keras-vs-SavedModel check: the first Fashion-MNIST
    test images (static binarization) if on disk, else seeded noise."""
    try:
        data = zoo.datasets.fashion_mnist(binarize="static")
        return data.split("test")[0][:count]
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return (rng.uniform(size=(count, 28, 28, 1)) > 0.5).astype("float32")


#: Largest relative difference allowed between a re-export's scores and the
#: version before it on the same requests.
REEXPORT_TOLERANCE = 1e-5


def negative_bound(serving, x):
    """A codebook model's check entry: minus the mean of the `score`
    signature's log-likelihood (a lower bound on log p(x)) over `x`."""
    return -float(np.mean(serving.score(x)["log_likelihood"]))


def reexport(name, test_data):
    """Export the shipped weights of `name` (its `model.keras`) as the next
    version, check it against the version before it, and record it in the
    card's `served` entry."""
    directory = HERE / name
    card = json.loads((directory / "model_card.json").read_text())
    previous = export.versions(directory)[-1]
    model = keras.models.load_model(directory / KERAS_FILE)
    path = export.export_for_serving(model, directory,
                                     allow_new_signature=True)
    limit = export.request_size.samples_within(model)
    x = test_data.split("test")[0][:CHECK_EXAMPLES]
    served = {"version": int(pathlib.Path(path).name),
              "zoo_version": zoo.__version__,
              "max_samples_per_request": limit,
              "command": f"{COMMAND} --reexport --models {name}"}
    scores = {}
    for version in (previous, served["version"]):
        serving = export.load_for_serving(directory / str(version))
        if isinstance(model, zoo.VQVAE):
            scores[version] = {
                "check_negative_bound": negative_bound(serving, x)}
        else:
            batch = max(1, min(100, limit // 100))
            served["check_batch_size"] = batch
            elbo, nll = score(serving, x, num_samples=100, batch_size=batch)
            scores[version] = {"check_negative_elbo": elbo,
                               "check_nll_k100": nll}
    for key, value in scores[served["version"]].items():
        before = scores[previous][key]
        if abs(value - before) > REEXPORT_TOLERANCE * abs(before):
            shutil.rmtree(path)
            raise SystemExit(
                f"{name}: version {served['version']} scores {key} = "
                f"{value} where version {previous} scores {before}; the "
                "new version was removed.")
    served.update(scores[served["version"]])
    served["size_bytes"] = sum(f.stat().st_size for f in
                               pathlib.Path(path).rglob("*") if f.is_file())
    card["served"] = served
    atomic.write_json(directory / "model_card.json", card)
    print(json.dumps(served, indent=2), flush=True)


def rescore_checks(name, test_data):
    """Score the first `CHECK_EXAMPLES` test images again through version
    1's `score` signature and the served version's (the card's `served`
    entry; a shipped published row has version 1 only), each at the batch
    of its `check_batch_size` (100 for version 1 of `MODELS`' models, made
    before request limits), as tests/test_pretrained.py does, and write
    them as the card's check entries; nothing is trained or exported."""
    directory = HERE / name
    card = json.loads((directory / "model_card.json").read_text())
    x = test_data.split("test")[0][:CHECK_EXAMPLES]
    checks = [(1, card)]
    if "served" in card:
        checks.append((card["served"]["version"], card["served"]))
    for version, entry in checks:
        serving = export.load_for_serving(directory / str(version))
        if "check_negative_bound" in entry:  # a codebook model's bound
            entry["check_negative_bound"] = negative_bound(serving, x)
            continue
        entry["check_negative_elbo"], entry["check_nll_k100"] = score(
            serving, x, num_samples=100,
            batch_size=entry.get("check_batch_size", 100))
    card["check_examples"] = CHECK_EXAMPLES
    card["check_command"] = f"{COMMAND} --rescore-checks --models {name}"
    atomic.write_json(directory / "model_card.json", card)
    print(json.dumps({key: value for key, value in card.items()
                      if key.startswith("check")}, indent=2), flush=True)


#: Where bench/published_table.py writes a finished row: `<row>.json`,
#: and `<row>.keras` (the best epoch's weights) for its KEEP_MODEL rows.
PUBLISHED_TABLE = HERE.parent / "bench" / "results" / "published_table"
#: The best NLL of the published table (Exemplar PixelSNAIL; Norouzi,
#: Fleet & Norouzi, 2020), which a shipped row is compared with.
PUBLISHED_BEST = 223.26
#: The samples a shipped row's requests may draw at the least: the table's
#: K = 1,000 for one image.
SERVED_SAMPLES = 1000


def published_presets():
    """The names of the shipped rows of the published table, sorted: the
    folders here whose model card names a `published_row`."""
    return sorted(
        card.parent.name for card in HERE.glob("*/model_card.json")
        if "published_row" in json.loads(card.read_text()))


def ship_published_row(row, name, test_data, overwrite=False):
    """Ship bench/published_table.py's finished `row` (its `.keras` and
    `.json`, no training) as saved_models/<name>/: version 1, whose
    requests may score one image at the row's K, `model.keras` without
    the optimizer, and `model_card.json`, scored through the `score`
    signature on `test_data`'s test images. Everything is written under
    saved_models/.backup/<name>/ and moved into place at the end, so a
    failed or killed run leaves the folder as it was."""
    directory = HERE / name
    if name in MODELS:
        raise SystemExit(
            f"--name {name} is one of the models this script trains "
            f"(MODELS); ship the row under a name of its own, e.g. --name "
            f"{row}.")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(
            f"--name must be a folder name of lowercase letters, digits and "
            f"underscores, e.g. pixelcnn_hvae. Received: {name!r}")
    if directory.exists() and not overwrite:
        raise SystemExit(
            f"{directory} exists; nothing was written. Pass --overwrite to "
            "replace it (the old folder stays until the new one is "
            "complete), or choose another --name.")
    model_file = PUBLISHED_TABLE / f"{row}.keras"
    result_file = PUBLISHED_TABLE / f"{row}.json"
    missing = [path.name for path in (model_file, result_file)
               if not path.is_file()]
    if missing:
        raise SystemExit(
            f"Row {row!r} has no {' and no '.join(missing)} in "
            f"{PUBLISHED_TABLE}: it has not finished, or it is not one of "
            "bench/published_table.py's KEEP_MODEL rows (only those keep "
            "their model). Finish it with `python -m bench.published_table "
            f"--row {row}`; nothing was written.")
    result = json.loads(result_file.read_text())
    if "--smoke" in result["command"]:
        raise SystemExit(
            f"{result_file} is a smoke run's ({result['command']}); run the "
            f"row in full with `python -m bench.published_table --row {row}`"
            "; nothing was written.")
    protocol = result["protocol"]
    samples = protocol["test_samples"]
    model = keras.models.load_model(model_file, compile=False)
    # A request may draw max_request_bytes // sample_bytes samples
    # (zoo.export.request_size), so this is the smallest budget whose
    # requests score one image at K = max(samples, SERVED_SAMPLES): 1.8 GiB
    # for the PixelCNN rows (1.9 MB of decoder activations a sample), under
    # the default 2 GiB (1,111 samples), so no request may hold more memory
    # than the table's K needs.
    max_request_bytes = (max(samples, SERVED_SAMPLES)
                         * export.request_size.sample_bytes(model))
    staging = BACKUPS / name
    shutil.rmtree(staging, ignore_errors=True)
    path = export.export_for_serving(model, staging, version=1,
                                     max_request_bytes=max_request_bytes)
    save_without_optimizer(model, staging / KERAS_FILE)
    serving = export.load_for_serving(path)
    limit = export.request_size.samples_within(model, max_request_bytes)
    batch, check_batch = limit // samples, limit // 100
    x_test, _ = test_data.split("test")
    elbo, log_likelihood = score_per_image(serving, x_test, samples, batch,
                                           progress=True)
    nll = -float(np.mean(log_likelihood))
    _, nll_k100 = score(serving, x_test[:2000], 100, check_batch)
    check_elbo, check_nll = score(serving, x_test[:CHECK_EXAMPLES], 100,
                                  check_batch)
    decay_epochs = min(protocol["max_epochs"],
                       protocol["epochs"] or protocol["max_epochs"])
    recipe = Recipe(epochs=decay_epochs, binarize="dynamic",
                    warm_up_epochs=protocol["warm_up_epochs"],
                    learning_rate=protocol["learning_rate"],
                    cosine_decay=protocol["cosine_decay"])
    options = {key: value for key, value in result["options"].items()
               if key != "recipe"}
    card = {
        "model": name,
        "published_row": row,
        "registry_name": options.pop("model"),
        "zoo_version": zoo.__version__,
        "data": "Fashion-MNIST; trained as bench/published_table.py's row "
                f"({TRAIN_IMAGES - protocol['validation_size']:,} training "
                "images binarized afresh every draw, "
                f"{protocol['validation_size']:,} held out for validation), "
                "scored on the static binarization of docs/benchmark.md",
        "options": options,
        **describe(recipe, decay_epochs),
        # The epochs it trained: early stopping may end it before the recipe.
        "epochs": result["epochs_trained"],
        "best_epoch": result["best_epoch"],
        "recipe": protocol,
        "batch_size": protocol["batch_size"],
        "seed": 0,
        "parameters": model.count_params(),
        "size_bytes": sum(f.stat().st_size for f in
                          pathlib.Path(path).rglob("*") if f.is_file()),
        "train_seconds": result["train_seconds"],
        "max_request_bytes": max_request_bytes,
        "max_samples_per_request": limit,
        "test_nll_through_score": nll,
        "test_nll_standard_error": float(
            np.std(log_likelihood) / np.sqrt(len(log_likelihood))),
        "test_nll_samples": samples,
        "test_nll_batch_size": batch,
        "test_negative_elbo": -float(np.mean(elbo)),
        "test_nll_k100_first2000": nll_k100,
        "published_best": PUBLISHED_BEST,
        "difference_from_published_best": nll - PUBLISHED_BEST,
        "bench_test_nll": result["test_nll"],
        "bench_test_nll_standard_error": result["test_nll_standard_error"],
        "k_difference": result["k_difference"],
        "bench_command": result["command"],
        "bench_date": result["date"],
        "check_examples": CHECK_EXAMPLES,
        "check_batch_size": check_batch,
        "check_negative_elbo": check_elbo,
        "check_nll_k100": check_nll,
        "scored_through": "SavedModel signature `score`",
        "command": f"{COMMAND} --published-row {row} --name {name}",
        "check_command": f"{COMMAND} --rescore-checks --models {name}",
    }
    if isinstance(model, zoo.HierarchicalVAE):
        card["test_active_units_per_group"] = model.active_units(x_test)
    atomic.write_json(staging / "model_card.json", card)
    if directory.exists():  # --overwrite, checked above
        shutil.rmtree(directory)
    staging.rename(directory)
    print(json.dumps(card, indent=2), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the recipe's epochs")
    published = published_presets()
    parser.add_argument(
        "--models", nargs="*", default=None, choices=[*MODELS, *published],
        help="default: every model of MODELS, and for --rescore-checks the "
        "shipped rows of the published table too (the only mode that takes "
        "them)")
    parser.add_argument(
        "--keras-from-savedmodel", action="store_true",
        help=f"write each model's {KERAS_FILE} from its shipped SavedModel "
        "(no training), checked against its signatures")
    parser.add_argument(
        "--reexport", action="store_true",
        help=f"export each model's {KERAS_FILE} again as the next version "
        "(no training), checked against the version before it")
    parser.add_argument(
        "--rescore-checks", action="store_true",
        help=f"score the first {CHECK_EXAMPLES} test images again through "
        "every version's `score` signature and write the cards' check "
        "entries (no training, no export)")
    parser.add_argument(
        "--published-row", metavar="ROW",
        help="ship bench/published_table.py's finished row ROW (its .keras "
        "and .json; no training) as saved_models/NAME/, scored through its "
        "`score` signature")
    parser.add_argument("--name",
                        help="the shipped folder of --published-row")
    parser.add_argument(
        "--overwrite", action="store_true",
        help="let --published-row replace an existing saved_models/NAME/")
    args = parser.parse_args(argv)
    if args.published_row is not None:
        if args.name is None:
            parser.error("--published-row needs --name NAME, its folder "
                         "under saved_models/")
        if (args.epochs is not None or args.models is not None
                or args.keras_from_savedmodel or args.reexport
                or args.rescore_checks):
            parser.error("--published-row ships a finished row as it is; "
                         "it takes --name and --overwrite only")
        ship_published_row(args.published_row, args.name,
                           zoo.datasets.fashion_mnist(binarize="static"),
                           args.overwrite)
        return
    if args.name is not None or args.overwrite:
        parser.error("--name and --overwrite go with --published-row ROW")
    if args.rescore_checks:
        if (args.epochs is not None or args.keras_from_savedmodel
                or args.reexport):
            parser.error("--rescore-checks trains and exports nothing")
        test_data = zoo.datasets.fashion_mnist(binarize="static")
        for name in (args.models if args.models is not None
                     else [*MODELS, *published]):
            rescore_checks(name, test_data)
        return
    models = args.models if args.models is not None else list(MODELS)
    if set(models) & set(published):
        parser.error(
            f"{sorted(set(models) & set(published))}: shipped rows of the "
            "published table take --rescore-checks only; ship one again "
            "with --published-row ROW --name NAME --overwrite")
    if args.reexport:
        if args.epochs is not None or args.keras_from_savedmodel:
            parser.error("--reexport trains nothing and writes no .keras")
        test_data = zoo.datasets.fashion_mnist(binarize="static")
        for name in models:
            reexport(name, test_data)
        return
    if args.keras_from_savedmodel:
        if args.epochs is not None:
            parser.error("--epochs trains; --keras-from-savedmodel does not")
        for name in models:
            if zoo.models.registry.model_class(MODELS[name][0]) in (
                    zoo.VQVAE, zoo.HierarchicalVAE):
                continue  # written from the trained model by regenerate
            keras_from_savedmodel(name)
        return
    test_data = zoo.datasets.fashion_mnist(binarize="static")
    for name in models:
        regenerate(name, test_data, args.epochs)


if __name__ == "__main__":
    sys.exit(main())

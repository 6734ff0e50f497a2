"""The pretrained models in saved_models/ load and reproduce their model cards."""

import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import regenerate_script
from zoo import export

SAVED_MODELS = pathlib.Path(__file__).parent.parent / "saved_models"
#: The models regenerate.py trains (its MODELS but the codebook `vq_vae`),
#: each with version 1 (release 0.1's export) and version 2 (--reexport).
REGENERATED = ("dense_vae", "conv_vae", "beta_vae", "conv_vae_long",
               "hierarchical_vae")
#: The shipped rows of the published table (regenerate.py --published-row),
#: each with version 1 only, exported with its request limit.
PUBLISHED = tuple(regenerate_script().published_presets())
SHIPPED = (*REGENERATED, *PUBLISHED)


@pytest.fixture(scope="module")
def binarized_test_images():
    try:
        data = zoo.datasets.fashion_mnist(binarize="static")
    except FileNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not on this machine: {error}")
    return data.split("test")[0]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_has_a_complete_card_and_fits_in_5_mb(name):
    card = json.loads((SAVED_MODELS / name / "model_card.json").read_text())
    for key in ("data", "options", "epochs", "seed", "test_negative_elbo",
                "test_nll_k100_first2000", "command", "zoo_version",
                "check_examples", "check_command"):
        assert key in card
    assert export.versions(SAVED_MODELS / name) == (
        [1] if name in PUBLISHED else [1, 2])
    size = sum(path.stat().st_size
               for path in (SAVED_MODELS / name / "1").rglob("*")
               if path.is_file())
    assert size == card["size_bytes"] < 5 * 2**20


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_reproduces_its_card_scores(
    name, binarized_test_images
):
    """`score` is deterministic (fixed seed), so the card's figures are
    reproduced to float32 round-off, not within a tolerance in nats: at
    batch 100 for version 1 of the regenerated models (exported before
    request limits), at the card's `check_batch_size` for a published
    row's."""
    card = json.loads((SAVED_MODELS / name / "model_card.json").read_text())
    serving = export.load_for_serving(SAVED_MODELS / name / "1")
    x = binarized_test_images[: card["check_examples"]]
    batch = card["check_batch_size"] if name in PUBLISHED else 100
    scores = [serving.score(x[start:start + batch], 100)
              for start in range(0, len(x), batch)]
    nll = -np.mean(np.concatenate([s["log_likelihood"] for s in scores]))
    negative_elbo = -np.mean(np.concatenate([s["elbo"] for s in scores]))
    np.testing.assert_allclose(nll, card["check_nll_k100"], rtol=1e-5)
    np.testing.assert_allclose(
        negative_elbo, card["check_negative_elbo"], rtol=1e-5
    )
    assert nll <= negative_elbo


def test_shipped_hierarchy_reports_the_active_units_of_every_group():
    card = json.loads(
        (SAVED_MODELS / "hierarchical_vae" / "model_card.json").read_text())
    units = card["test_active_units_per_group"]
    assert [total for _, total in units] == [16, 196, 784]
    assert all(0 <= active <= total for active, total in units)
    assert card["options"]["likelihood"] == "pixelcnn"


@pytest.mark.slow
@pytest.mark.parametrize("name", PUBLISHED)
def test_shipped_published_row_takes_its_k_and_no_more(
    name, binarized_test_images
):
    """A request to a shipped row of the published table may score one
    image at its K (at least 1,000), with the smallest memory budget that
    allows it; the card was scored at the batches that limit allows."""
    card = json.loads((SAVED_MODELS / name / "model_card.json").read_text())
    regenerate = regenerate_script()
    model = zoo.from_preset(name)
    samples = card["test_nll_samples"]
    assert samples == card["recipe"]["test_samples"]
    needed = max(samples, regenerate.SERVED_SAMPLES)
    budget = card["max_request_bytes"]
    limit = card["max_samples_per_request"]
    assert limit == export.request_size.samples_within(model, budget) == (
        needed)
    assert export.request_size.samples_within(model, budget - 1) < needed
    assert card["test_nll_batch_size"] == limit // samples
    assert card["check_batch_size"] == limit // 100
    assert card["difference_from_published_best"] == pytest.approx(
        card["test_nll_through_score"] - regenerate.PUBLISHED_BEST)
    assert [total for _, total in card["test_active_units_per_group"]] == [
        int(np.prod(shape)) for shape in model.group_shapes]
    serving = export.load_for_serving(SAVED_MODELS / name / "1")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="max_request_bytes"):
        serving.score(binarized_test_images[:1], limit + 1)


# The shipped vq_vae: a codebook latent, scored by its bound -------------------


def test_shipped_vq_vae_has_a_complete_card_and_fits_in_5_mb():
    card = json.loads(
        (SAVED_MODELS / "vq_vae" / "model_card.json").read_text())
    for key in ("data", "options", "epochs", "prior_epochs", "seed",
                "test_negative_bound", "test_perplexity", "test_codes_used",
                "check_negative_bound", "command", "zoo_version"):
        assert key in card
    assert export.versions(SAVED_MODELS / "vq_vae") == [1, 2]
    size = sum(path.stat().st_size
               for path in (SAVED_MODELS / "vq_vae" / "1").rglob("*")
               if path.is_file())
    assert size == card["size_bytes"] < 5 * 2**20


@pytest.mark.slow
def test_shipped_vq_vae_scores_its_card_through_the_score_signature(
    binarized_test_images
):
    """The bound has no sampling: the card is reproduced to round-off, and
    the `.keras` file gives the same bound as the SavedModel."""
    card = json.loads(
        (SAVED_MODELS / "vq_vae" / "model_card.json").read_text())
    serving = export.load_for_serving(SAVED_MODELS / "vq_vae" / "1")
    x = binarized_test_images[: card["check_examples"]]
    scores = serving.score(x)
    np.testing.assert_array_equal(scores["elbo"], scores["log_likelihood"])
    np.testing.assert_allclose(-np.mean(scores["log_likelihood"]),
                               card["check_negative_bound"], rtol=1e-5)
    model = zoo.from_preset("vq_vae")
    np.testing.assert_allclose(model.elbo(x[:50]),
                               scores["log_likelihood"][:50], rtol=1e-5)


# The version TF Serving serves (the highest): exported again with the
# checks of the Keras API (issue 39, point 11) ------------------------------

ALL_SHIPPED = (*SHIPPED, "vq_vae")
#: The models exported again as version 2, with a `served` entry.
REEXPORTED = (*REGENERATED, "vq_vae")


def served_version(name):
    return SAVED_MODELS / name / str(export.versions(SAVED_MODELS / name)[-1])


def request(signature, **inputs):
    """Call `signature` with `inputs`, a fixed seed where it takes one."""
    _, specs = signature.structured_input_signature
    if "seed" in specs:
        inputs["seed"] = np.array([0, 0], "int32")
    return signature(**{key: tf.constant(value)
                        for key, value in inputs.items()})


BAD_IMAGES = {
    "0..255 images": np.full((2, 28, 28, 1), 255.0, "float32"),
    "[-1, 1] images": np.linspace(-1, 1, 2 * 28 * 28, dtype="float32")
    .reshape(2, 28, 28, 1),
    "NaN images": np.full((2, 28, 28, 1), np.nan, "float32"),
    "an empty batch": np.zeros((0, 28, 28, 1), "float32"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_SHIPPED)
def test_served_version_refuses_what_the_keras_api_refuses(name):
    """Version 1 (release 0.1's export) answered every one of these: a
    log-likelihood of +64,065 for images in [-1, 1], NaN for NaN images,
    and ran out of memory on num_samples = 10**9."""
    model = zoo.from_preset(name)
    signatures = tf.saved_model.load(str(served_version(name))).signatures
    for bad, x in BAD_IMAGES.items():
        with pytest.raises(ValueError):
            model.encode(x)
        for signature in ("encode", "reconstruct", "score"):
            inputs = {"x": x}
            if "num_samples" in signatures[signature]. \
                    structured_input_signature[1]:
                inputs["num_samples"] = np.int32(2)
            with pytest.raises(tf.errors.InvalidArgumentError):
                request(signatures[signature], **inputs)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="max_request_bytes"):
        request(signatures["sample"], num_samples=np.int32(10**9))
    if isinstance(model, zoo.VQVAE):
        return  # its `score` takes no num_samples (one code per image)
    x = np.full((1, 28, 28, 1), 0.5, "float32")
    with pytest.raises(ValueError, match="num_samples"):
        model.log_likelihood(x, num_samples=10**9)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="max_request_bytes"):
        request(signatures["score"], x=x, num_samples=np.int32(10**9))


@pytest.mark.slow
@pytest.mark.parametrize("name", REEXPORTED)
def test_served_version_reproduces_its_card(name, binarized_test_images):
    """The card's `served` entry (saved_models/regenerate.py --reexport),
    to float32 round-off: the same weights as version 1, scored at the
    batch the request limit allows."""
    card = json.loads((SAVED_MODELS / name / "model_card.json").read_text())
    served = card["served"]
    assert SAVED_MODELS / name / str(served["version"]) == served_version(
        name)
    assert served["max_samples_per_request"] == (
        export.request_size.samples_within(zoo.from_preset(name)))
    serving = export.load_for_serving(served_version(name))
    x = binarized_test_images[: card["check_examples"]]
    if name == "vq_vae":
        np.testing.assert_allclose(
            -np.mean(serving.score(x)["log_likelihood"]),
            served["check_negative_bound"], rtol=1e-5)
        return
    batch = served["check_batch_size"]
    scores = [serving.score(x[start:start + batch], 100)
              for start in range(0, len(x), batch)]
    np.testing.assert_allclose(
        -np.mean(np.concatenate([s["log_likelihood"] for s in scores])),
        served["check_nll_k100"], rtol=1e-5)
    np.testing.assert_allclose(
        -np.mean(np.concatenate([s["elbo"] for s in scores])),
        served["check_negative_elbo"], rtol=1e-5)


def test_cards_check_as_many_images_as_regenerate_scores(capsys):
    """Every card's check entries cover the script's `CHECK_EXAMPLES`
    and name the command that rescored them; that command trains and
    exports nothing, so it refuses the options that would."""
    regenerate = regenerate_script()
    for name in ALL_SHIPPED:
        card = json.loads(
            (SAVED_MODELS / name / "model_card.json").read_text())
        assert card["check_examples"] == regenerate.CHECK_EXAMPLES, name
        assert card["check_command"] == (
            f"python saved_models/regenerate.py --rescore-checks "
            f"--models {name}")
    with pytest.raises(SystemExit) as info:
        regenerate.main(["--rescore-checks", "--epochs", "3"])
    assert info.value.code == 2
    assert "--rescore-checks trains and exports nothing" in (
        capsys.readouterr().err)

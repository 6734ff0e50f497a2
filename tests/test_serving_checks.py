"""What users meet first, refused in the Keras API and in every exported
signature alike (issue 39, points 1, 2 and 10): images outside the
likelihood's support (0..255 images for a Bernoulli model), labels outside
the model's classes, and noise that is not standard normal draws. Each
test failed before the checks: the model answered (z_mean in the
hundreds, class 9 with probability 1, an all-zero one-hot, NaN images).
"""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import export_for_serving

SHAPE = (8, 8, 1)
UINT8_SCALE = np.full((2, *SHAPE), 255.0, "float32")
NEGATIVE = np.full((2, *SHAPE), -0.5, "float32")


TINY_OPTIONS = {
    "vq_vae": {"filters": (4,), "num_embeddings": 4, "prior_width": 4,
               "prior_blocks": 0},
    "hierarchical_vae": {"width": 8, "group_channels": 2},
}


def build(name="dense_vae", **options):
    model = zoo.get(name, input_shape=SHAPE, latent_dim=2, seed=0,
                    **TINY_OPTIONS.get(name, {"hidden_units": (8,)}),
                    **options)
    model.compile()
    return model


@pytest.fixture(scope="module")
def unconditional(tmp_path_factory):
    model = build()
    path = export_for_serving(model, tmp_path_factory.mktemp("plain"))
    return model, tf.saved_model.load(path).signatures


@pytest.fixture(scope="module")
def semi_supervised(tmp_path_factory):
    model = build("semi_supervised_vae", num_classes=3)
    path = export_for_serving(model, tmp_path_factory.mktemp("m2"))
    return model, tf.saved_model.load(path).signatures


@pytest.fixture(scope="module")
def conditional(tmp_path_factory):
    model = build("conditional_vae", num_classes=3)
    path = export_for_serving(model, tmp_path_factory.mktemp("cvae"))
    return model, tf.saved_model.load(path).signatures


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory):
    model = build("hierarchical_vae")
    path = export_for_serving(model, tmp_path_factory.mktemp("hvae"))
    return model, tf.saved_model.load(path).signatures


@pytest.fixture(scope="module")
def codebook(tmp_path_factory):
    model = build("vq_vae")
    path = export_for_serving(model, tmp_path_factory.mktemp("vq"))
    return model, tf.saved_model.load(path).signatures


def refused(signature, **inputs):
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        signature(**{key: tf.constant(value) for key, value in inputs.items()})
    return str(error.value)


@pytest.mark.parametrize("images", [UINT8_SCALE, NEGATIVE],
                         ids=["0..255", "negative"])
@pytest.mark.parametrize("method", ["encode", "predict", "reconstruct"])
def test_keras_api_refuses_images_outside_the_support(images, method):
    model = build()
    with pytest.raises(ValueError, match=r"divide uint8 images by 255"):
        getattr(model, method)(images)


def test_classifier_refuses_images_outside_the_support(semi_supervised):
    model, _ = semi_supervised
    for method in ("classify", "predict"):
        with pytest.raises(ValueError, match=r"values in \[0.0, 1.0\]"):
            getattr(model, method)(UINT8_SCALE)


@pytest.mark.parametrize("fixture", ["unconditional", "hierarchy"])
@pytest.mark.parametrize("name, extra", [
    ("encode", {"seed": np.array([0, 0], "int32")}),
    ("encode_mean", {}),
    ("reconstruct", {}),
    ("serving_default", {}),
])
def test_exported_signatures_refuse_images_outside_the_support(
        fixture, name, extra, request):
    _, signatures = request.getfixturevalue(fixture)
    for images in (UINT8_SCALE, NEGATIVE):
        message = refused(signatures[name], x=images, **extra)
        assert "divide uint8 pixels by 255" in message


def test_exported_classify_refuses_images_outside_the_support(
        semi_supervised):
    _, signatures = semi_supervised
    assert "divide uint8" in refused(signatures["classify"], x=UINT8_SCALE)


def test_exported_codebook_signatures_refuse_images_outside_the_support(
        codebook):
    _, signatures = codebook
    for name in ("encode", "reconstruct"):
        assert "divide uint8" in refused(signatures[name], x=UINT8_SCALE)


@pytest.mark.parametrize("fixture", ["semi_supervised", "conditional"])
@pytest.mark.parametrize("label", [-1, 3, 1000])
def test_exported_signatures_refuse_labels_outside_the_classes(
        fixture, label, request):
    model, signatures = request.getfixturevalue(fixture)
    x = np.full((2, *SHAPE), 0.5, "float32")
    labels = np.array([0, label], "int32")
    requests = {
        "score": {"x": x, "num_samples": np.int32(2), "labels": labels},
        "encode": {"x": x, "seed": np.array([0, 0], "int32"),
                   "labels": labels},
        "reconstruct": {"x": x, "labels": labels},
        "decode": {"z": np.zeros((2, 2), "float32"), "labels": labels},
        "sample": {"labels": labels, "seed": np.array([0, 0], "int32")},
    }
    for name, inputs in requests.items():
        message = refused(signatures[name], **inputs)
        assert "class ids in [0, 3)" in message, name
    # The Keras API refuses them too.
    with pytest.raises(ValueError, match="labels"):
        model.elbo([x, labels])


def test_exported_noise_signatures_refuse_noise_that_is_not_standard_normal(
        unconditional):
    _, signatures = unconditional
    x = np.full((2, *SHAPE), 0.5, "float32")
    message = refused(signatures["sample_from_noise"],
                      eps=np.full((2, 2), 1e30, "float32"))
    assert "standard normal draws" in message
    message = refused(signatures["score_from_noise"], x=x,
                      eps=np.full((3, 2, 2), 1e30, "float32"))
    assert "standard normal draws" in message
    # Ordinary draws still answer, with finite numbers.
    eps = np.random.default_rng(0).standard_normal((3, 2, 2)).astype(
        "float32")
    scores = signatures["score_from_noise"](x=tf.constant(x),
                                            eps=tf.constant(eps))
    assert np.isfinite(scores["log_likelihood"].numpy()).all()


def test_exported_mixture_noise_refuses_u_outside_the_unit_interval(
        tmp_path):
    model = build(prior="mixture", prior_components=2)
    signatures = tf.saved_model.load(
        export_for_serving(model, tmp_path / "mix")).signatures
    message = refused(signatures["sample_from_noise"],
                      eps=np.zeros((2, 2), "float32"),
                      u=np.array([0.5, 7.0], "float32"))
    assert "uniform draws in [0, 1)" in message


# Issue 39, point 12: shapes the signature specs name but do not enforce.


def _empty_request(signature):
    """Inputs for `signature` with an empty batch (0 along every unknown
    size) and valid values elsewhere."""
    _, specs = signature.structured_input_signature
    inputs = {}
    for name, spec in specs.items():
        if name == "num_samples":
            inputs[name] = tf.constant(2, tf.int32)
        elif name == "seed":
            inputs[name] = tf.constant([0, 0], tf.int32)
        else:
            shape = [0 if size is None else size for size in spec.shape]
            inputs[name] = tf.zeros(shape, spec.dtype)
    return inputs


@pytest.mark.parametrize("fixture", ["unconditional", "codebook",
                                     "hierarchy"])
def test_exported_signatures_refuse_an_empty_batch(fixture, request):
    _, signatures = request.getfixturevalue(fixture)
    for name, signature in signatures.items():
        inputs = _empty_request(signature)
        if not any(0 in value.shape for value in inputs.values()):
            continue  # `sample`: a count, no batch
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="with every size at least 1"):
            signature(**inputs)


def test_exported_codebook_decode_refuses_a_wrong_grid(codebook):
    model, signatures = codebook
    assert model.grid_shape == (4, 4)
    message = refused(signatures["decode"],
                      indices=np.zeros((2, 3, 3), "int32"))
    assert "`indices` must have shape (N, 4, 4)" in message
    assert "[2 3 3]" in message


def test_exported_score_from_noise_refuses_noise_of_another_batch(
        unconditional):
    _, signatures = unconditional
    message = refused(signatures["score_from_noise"],
                      x=np.full((2, *SHAPE), 0.5, "float32"),
                      eps=np.zeros((3, 5, 2), "float32"))
    assert "with batch the number of images in `x`" in message


# Issue 39, point 9: requests bounded by the memory they need.


def test_activation_bytes_counts_what_the_inputs_compute_not_the_weights():
    from zoo.export.request_size import activation_bytes

    weights = tf.ones((4, 1000))

    def wide(x):
        return tf.matmul(x, weights)

    def wider(x):
        return tf.matmul(x, tf.ones((4, 2000)))

    spec = tf.TensorSpec((1, 4), tf.float32)
    # The input (16 bytes), the product (4,000) and the output's identity
    # (4,000); the 16,000 bytes of weights are not counted.
    assert activation_bytes(wide, spec) == 16 + 4000 + 4000
    assert activation_bytes(wider, spec) == 16 + 8000 + 8000


@pytest.mark.parametrize("name", ["dense_vae", "hierarchical_vae"])
def test_exported_requests_are_bounded_by_the_memory_of_their_samples(
        name, tmp_path):
    from zoo.export.request_size import sample_bytes

    model = build(name)
    per_sample = sample_bytes(model)
    signatures = tf.saved_model.load(export_for_serving(
        model, tmp_path / "m", max_request_bytes=10 * per_sample)).signatures
    x = np.full((2, *SHAPE), 0.5, "float32")
    answer = signatures["score"](x=tf.constant(x),
                                 num_samples=tf.constant(5))
    assert answer["log_likelihood"].shape == (2,)
    message = refused(signatures["score"], x=x, num_samples=np.int32(6))
    assert "at most 10 samples" in message
    assert "max_request_bytes" in message
    refused(signatures["sample"], num_samples=np.int32(11),
            seed=np.array([0, 0], "int32"))
    assert signatures["sample"](
        num_samples=tf.constant(10), seed=tf.constant([0, 0]))[
            "images"].shape[0] == 10


def test_exported_codebook_sample_is_bounded_by_the_memory_of_its_samples(
        tmp_path):
    from zoo.export.request_size import sample_bytes

    model = build("vq_vae")
    signatures = tf.saved_model.load(export_for_serving(
        model, tmp_path / "vq", max_request_bytes=10 * sample_bytes(model)
    )).signatures
    message = refused(signatures["sample"], num_samples=np.int32(11),
                      seed=np.array([0, 0], "int32"))
    assert "at most 10 samples" in message
    assert "max_request_bytes" in message
    assert signatures["sample"](
        num_samples=tf.constant(10), seed=tf.constant([0, 0]))[
            "images"].shape[0] == 10

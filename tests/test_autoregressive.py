"""The autoregressive likelihood (`zoo.likelihoods.pixelcnn`): an exact,
normalised log_prob, a sequential sampler that draws from it, an unbiased
`mean()`, and every model that takes it."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.likelihoods import pixelcnn as autoregressive


def every_image(shape):
    """All binary images of `shape`, `(2 ** size, *shape)`."""
    size = int(np.prod(shape))
    grid = np.array(list(itertools.product([0.0, 1.0], repeat=size)),
                    "float32")
    return grid.reshape((-1, *shape))


def random_weights(layer, seed):
    """`layer` with every weight drawn from N(0, 0.5^2), the context's
    zero-initialised output layer's included."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32")
                       for w in layer.get_weights()])
    return layer


def random_likelihood(shape, batch=1, seed=0, blocks=2):
    """A `PixelCNNBernoulli` with random (non-zero) context weights and
    random decoder outputs `(batch, H, W, (1 + F) * C)`."""
    rng = np.random.default_rng(seed)
    context = random_weights(
        autoregressive.PixelContext(shape, width=8, blocks=blocks), seed)
    channels = shape[-1] * (1 + autoregressive.FEATURES)
    parameters = rng.normal(0.0, 1.0, (batch, *shape[:2], channels))
    return autoregressive.PixelCNNBernoulli(parameters.astype("float32"),
                                            context)


@pytest.mark.parametrize("blocks", [0, 1, 2])
@pytest.mark.parametrize("shape", [(3, 3, 1), (2, 2, 2)], ids=str)
def test_probabilities_of_every_image_sum_to_one(shape, blocks):
    # Fails if a mask lets pixel i see itself or a later pixel (the
    # conditionals would then not multiply to a distribution); with 0
    # blocks the mask-"A" layer alone must hide them.
    likelihood = random_likelihood(shape, blocks=blocks)
    log_prob = likelihood.log_prob(every_image(shape)).numpy()
    assert log_prob.shape == (2 ** int(np.prod(shape)),)
    np.testing.assert_allclose(np.exp(log_prob).sum(), 1.0, rtol=1e-4)


def test_the_context_at_a_pixel_ignores_that_pixel_and_later_ones():
    shape = (4, 4, 1)
    context = random_likelihood(shape)._context
    x = np.random.default_rng(1).integers(0, 2, (1, *shape)).astype("float32")
    base = context(x).numpy()
    for position in range(16):
        changed = x.copy().reshape(1, 16, 1)
        changed[0, position:] = 1.0 - changed[0, position:]
        after = context(changed.reshape(1, *shape)).numpy().reshape(1, 16, -1)
        np.testing.assert_allclose(
            after[0, :position + 1], base.reshape(1, 16, -1)[0, :position + 1],
            atol=1e-5)


def test_log_prob_is_the_bernoulli_of_the_logits():
    # An identity: log p(x) = sum_i x_i l_i - softplus(l_i), with l from
    # the definition l = a + sum_f u_f * b_f.
    shape = (3, 3, 2)
    likelihood = random_likelihood(shape, batch=2)
    x = np.random.default_rng(2).integers(0, 2, (2, *shape)).astype("float32")
    parameters = likelihood._parameters_tensor.numpy()
    u = likelihood._context(x).numpy().reshape(2, 3, 3, -1, 2)
    b = parameters[..., 2:].reshape(2, 3, 3, -1, 2)
    logits = parameters[..., :2] + (u * b).sum(axis=3)
    expected = (x * logits - np.logaddexp(0.0, logits)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(likelihood.log_prob(x), expected, rtol=1e-5)


def test_a_new_context_starts_as_the_factorised_bernoulli():
    shape = (4, 4, 1)
    context = autoregressive.PixelContext(shape)
    parameters = np.random.default_rng(3).normal(
        size=(2, 4, 4, 1 + autoregressive.FEATURES)).astype("float32")
    x = np.random.default_rng(4).integers(0, 2, (2, *shape)).astype("float32")
    likelihood = autoregressive.PixelCNNBernoulli(parameters, context)
    bernoulli = zoo.likelihoods.get_likelihood("bernoulli").distribution(
        parameters[..., :1], event_ndims=3)
    np.testing.assert_allclose(likelihood.log_prob(x), bernoulli.log_prob(x),
                               rtol=1e-6)


def test_samples_follow_log_prob():
    # Seeded Monte Carlo over all 16 images of 2 x 2: each frequency is
    # within 5 standard errors sqrt(p (1 - p) / n) of exp(log_prob).
    shape = (2, 2, 1)
    likelihood = random_likelihood(shape, seed=5)
    images = every_image(shape)
    expected = np.exp(likelihood.log_prob(images).numpy())
    count = 20000
    samples = likelihood.sample(count, seed=(7, 8)).numpy()
    assert samples.shape == (count, 1, *shape)
    index = samples.reshape(count, 4) @ (2 ** np.arange(3, -1, -1))
    frequency = np.bincount(index.astype(int), minlength=16) / count
    error = np.sqrt(expected * (1 - expected) / count)
    assert np.all(np.abs(frequency - expected) < 5 * error + 1e-4)


@pytest.mark.parametrize("blocks", [0, 1, 2])
def test_the_sampler_uses_the_conditionals_of_log_prob(blocks):
    # Along a drawn trajectory, p(x_i = 1 | x_<i, z) as the cached sampler
    # computed it equals sigmoid(l_i) from one full pass over the finished
    # image, and the uncached sampler (a pass over a crop of the
    # `rows_above` rows above) draws the same images; 12 rows, so the crop
    # moves.
    shape = (12, 5, 2)
    likelihood = random_likelihood(shape, batch=3, seed=9, blocks=blocks)
    seed = tf.constant([1, 2], tf.int64)
    images, probabilities = likelihood._draw(
        likelihood._parameters_tensor, seed)
    np.testing.assert_allclose(
        probabilities, tf.math.sigmoid(likelihood.logits(images)),
        rtol=1e-5, atol=1e-6)
    assert 0 < float(tf.reduce_mean(images)) < 1
    uncached, _ = likelihood._context.draw_uncached(
        likelihood._parameters_tensor, seed)
    np.testing.assert_array_equal(uncached, images)


@pytest.mark.parametrize("blocks", [0, 1, 3])
def test_the_context_reads_exactly_rows_above_rows(blocks):
    # The model's context network with `pixelcnn_blocks=blocks`, every
    # weight random: flipping pixel j leaves the context at pixel i as it
    # was when j comes at or after i in raster order or lies more than
    # `rows_above` = 2 + blocks rows above i, and changes it when j lies
    # exactly `rows_above` rows above, in i's column. 8 rows, so rows
    # beyond the receptive field exist for every `blocks`.
    height, width = 8, 5
    model = zoo.get("conv_vae", input_shape=(height, width, 1), latent_dim=2,
                    seed=0, filters=(4,), likelihood="pixelcnn",
                    pixelcnn_blocks=blocks)
    context = random_weights(model.pixel_context, seed=blocks)
    assert context.blocks == blocks and context.rows_above == 2 + blocks
    positions = height * width
    x = np.random.default_rng(1).integers(0, 2, (1, positions))
    # Row 0 is x, row 1 + j is x with pixel j flipped: one batch, so every
    # row goes through the same arithmetic.
    batch = np.repeat(x, 1 + positions, axis=0)
    batch[1 + np.arange(positions), np.arange(positions)] ^= 1
    maps = np.asarray(context(
        batch.reshape(-1, height, width, 1).astype("float32")))
    # change[j, i]: how much flipping pixel j moves the context at pixel i.
    change = np.abs(maps[1:] - maps[:1]).max(axis=-1)
    change = change.reshape(positions, positions)
    order = np.arange(positions)
    row, column = order // width, order % width
    # Masks of the pairs (j, i), j on axis 0 and i on axis 1.
    unread = (order[:, None] >= order) | (
        row[:, None] < row - context.rows_above)
    assert change[unread].max() <= 1e-6
    farthest = (row[:, None] == row - context.rows_above) & (
        column[:, None] == column)
    assert farthest.sum() == (height - context.rows_above) * width
    assert change[farthest].min() > 1e-3


def test_mean_is_an_unbiased_estimate_of_the_expected_image():
    # mean() along one trajectory; averaged over 20,000 independent rows
    # it matches sum_x p(x) x within 5 standard errors.
    shape = (2, 2, 1)
    likelihood = random_likelihood(shape, seed=6)
    images = every_image(shape)
    exact = (np.exp(likelihood.log_prob(images).numpy())[:, None]
             * images.reshape(16, 4)).sum(axis=0)
    count = 20000
    tiled = autoregressive.PixelCNNBernoulli(
        tf.tile(likelihood._parameters_tensor, [count, 1, 1, 1]),
        likelihood._context)
    means = tiled.mean().numpy().reshape(count, 4).astype("float64")
    assert np.all((means >= 0) & (means <= 1))
    # The first pixel has no past: its estimate is exact (error 0).
    error = means.std(axis=0) / np.sqrt(count)
    assert np.all(np.abs(means.mean(axis=0) - exact) < 5 * error + 1e-5)
    np.testing.assert_array_equal(tiled.mean().numpy().reshape(count, 4),
                                  means)  # the same seed, the same values


def test_log_prob_broadcasts_images_against_k_samples():
    shape = (3, 3, 1)
    likelihood = random_likelihood(shape, batch=6)
    parameters = tf.reshape(likelihood._parameters_tensor, (3, 2, 3, 3, -1))
    x = every_image(shape)[[5, 300]]
    shared = autoregressive.PixelCNNBernoulli(
        parameters, likelihood._context).log_prob(x)
    tiled = likelihood.log_prob(np.tile(x, (3, 1, 1, 1)))
    np.testing.assert_allclose(shared, tf.reshape(tiled, (3, 2)), rtol=1e-5)


def test_flat_inputs_are_refused():
    with pytest.raises(ValueError, match="raster order"):
        zoo.VAE(input_shape=(16,), latent_dim=2, network="mlp",
                likelihood="pixelcnn")


@pytest.mark.parametrize("name", ["conv_vae", "hierarchical_vae", "vq_vae"])
def test_every_model_trains_scores_and_round_trips(name, tmp_path, images):
    x = (images((8, 8, 1), count=32) > 0.5).astype("float32")
    options = {"filters": (8,)} if name != "hierarchical_vae" else {}
    model = zoo.get(name, input_shape=(8, 8, 1), latent_dim=2, seed=0,
                    likelihood="pixelcnn", **options)
    # At 1e-2 the hierarchical stack overshoots on some shuffles (its third
    # epoch's loss went from 44.5 to 55.3 in one CI run); at 3e-3 it falls
    # by ~2 nats over 3 epochs on every shuffle tried (10 of 10).
    learning_rate = 3e-3 if name == "hierarchical_vae" else 1e-2
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    history = model.fit(x, epochs=3, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert model.pixel_context is not None
    context_weights = [w.path for w in model.trainable_weights
                       if w.path.startswith("pixel_context")]
    assert context_weights
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.elbo(x[:4]), model.elbo(x[:4]),
                               rtol=1e-6)
    if model.has_gaussian_posterior:
        # The K = 50 bound is above the ELBO's mean over 20 draws.
        bound = model.log_likelihood(x[:8], num_samples=50).numpy()
        elbo = np.mean([model.elbo(x[:8], seed=seed) for seed in range(20)])
        assert np.isfinite(bound).all() and bound.mean() > elbo
    samples = np.asarray(model.sample(2, seed=3))
    assert samples.shape == (2, 8, 8, 1)
    np.testing.assert_array_equal(samples, np.asarray(model.sample(2, seed=3)))


# pixelcnn_blocks: the receptive field as a model option --------------------


def tiny(name, **options):
    """A tiny `name` model of 6 x 6 images with likelihood="pixelcnn"
    unless `options` say otherwise."""
    sizes = {"hierarchical_vae": {"width": 4, "group_channels": 1},
             "vq_vae": {"filters": (4,), "num_embeddings": 8,
                        "prior_width": 4, "prior_blocks": 0}}
    return zoo.get(name, input_shape=(6, 6, 1), latent_dim=2, seed=0,
                   **{"likelihood": "pixelcnn",
                      **sizes.get(name, {"filters": (4,)}), **options})


@pytest.mark.parametrize("name", ["conv_vae", "hierarchical_vae", "vq_vae"])
def test_pixelcnn_blocks_builds_the_context_and_is_in_the_config(name):
    model = tiny(name, pixelcnn_blocks=1)
    assert model.pixel_context.blocks == 1
    config = model.get_config()
    assert config["pixelcnn_blocks"] == 1
    again = type(model).from_config(config)
    assert again.pixel_context.blocks == 1
    assert again.get_config() == config
    # The default: None in the config, the module's 3 blocks.
    default = tiny(name)
    assert default.get_config()["pixelcnn_blocks"] is None
    assert default.pixel_context.blocks == autoregressive.BLOCKS == 3
    assert tiny(name, likelihood="bernoulli").get_config()[
        "pixelcnn_blocks"] is None


@pytest.mark.parametrize("name", ["conv_vae", "hierarchical_vae", "vq_vae"])
def test_a_config_without_pixelcnn_blocks_builds_the_same_model(name):
    """Files saved before the option have no `pixelcnn_blocks` in their
    config: they build the 3-block context, with the same weights."""
    model = tiny(name)
    config = model.get_config()
    del config["pixelcnn_blocks"]
    again = type(model).from_config(config)
    assert again.get_config() == model.get_config()
    assert [w.shape for w in again.weights] == [
        w.shape for w in model.weights]


def test_pixelcnn_blocks_takes_a_numpy_int_and_records_an_int():
    model = tiny("conv_vae", pixelcnn_blocks=np.int64(2))
    assert type(model.get_config()["pixelcnn_blocks"]) is int
    assert model.pixel_context.rows_above == 4


@pytest.mark.parametrize("name", ["conv_vae", "hierarchical_vae", "vq_vae"])
@pytest.mark.parametrize("options, message", [
    # Given with another likelihood: refused, never dropped (0 too).
    pytest.param({"likelihood": "bernoulli", "pixelcnn_blocks": 1},
                 "`pixelcnn_blocks` sets the gated blocks of the PixelCNN of "
                 "likelihood='pixelcnn'; likelihood='bernoulli' has none",
                 id="bernoulli"),
    pytest.param({"likelihood": "gaussian", "pixelcnn_blocks": 0},
                 "likelihood='gaussian' has none. Drop it", id="gaussian"),
    pytest.param({"likelihood": "continuous_bernoulli", "pixelcnn_blocks": 3},
                 "likelihood='continuous_bernoulli' has none",
                 id="continuous_bernoulli"),
    pytest.param({"pixelcnn_blocks": -1}, r"`pixelcnn_blocks` must be an "
                 r"integer in \[0, 64\].*Received: pixelcnn_blocks=-1",
                 id="negative"),
    pytest.param({"pixelcnn_blocks": 1.0}, "Received: pixelcnn_blocks=1.0",
                 id="float"),
    pytest.param({"pixelcnn_blocks": True}, "Received: pixelcnn_blocks=True",
                 id="bool"),
    pytest.param({"pixelcnn_blocks": "2"}, "Received: pixelcnn_blocks='2'",
                 id="str"),
    pytest.param({"pixelcnn_blocks": 65}, "Received: pixelcnn_blocks=65",
                 id="65"),
    pytest.param({"pixelcnn_blocks": 10**12},
                 "Received: pixelcnn_blocks=1000000000000", id="huge"),
])
def test_bad_pixelcnn_blocks_are_refused_naming_the_option(
        name, options, message):
    with pytest.raises(ValueError, match=message):
        tiny(name, **options)


@pytest.mark.parametrize("blocks", [0, 1])
def test_few_blocks_sample_score_and_round_trip(blocks, tmp_path):
    # Images drawn from p(x|z) of a model with 0 or 1 block (random context
    # weights, so the context matters) have a finite log p(x|z) and ELBO;
    # `sample` (E[x|z] along a drawn trajectory) lies in [0, 1]; the .keras
    # file (safe mode) gives the same model.
    model = tiny("conv_vae", pixelcnn_blocks=blocks)
    random_weights(model.pixel_context, seed=blocks)
    z = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    likelihood = model.decode(z)
    images = np.asarray(likelihood.sample(seed=(1, 2)))
    assert images.shape == (4, 6, 6, 1)
    assert set(np.unique(images)) == {0.0, 1.0}
    assert np.isfinite(likelihood.log_prob(images)).all()
    elbo = np.asarray(model.elbo(images))
    assert np.isfinite(elbo).all()
    means = np.asarray(model.sample(4, seed=1))
    assert means.shape == (4, 6, 6, 1)
    assert ((means >= 0) & (means <= 1)).all()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.get_config() == model.get_config()
    assert loaded.pixel_context.blocks == blocks
    np.testing.assert_array_equal(loaded.elbo(images), elbo)
    np.testing.assert_array_equal(loaded.sample(4, seed=1), means)


@pytest.mark.slow
@pytest.mark.parametrize("blocks", [0, 1])
def test_few_blocks_export_for_tf_serving(blocks, tmp_path):
    # The export, read through TF Serving's TF1 loader, scores and samples
    # like the model (the cached `draw` of 0 or 1 block in the graph).
    from test_export import TF1Loaded
    from test_export import assert_served_scores_are_the_models

    model = tiny("conv_vae", pixelcnn_blocks=blocks)
    random_weights(model.pixel_context, seed=blocks)
    z = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    x = np.asarray(model.decode(z).sample(seed=(1, 2)))
    served = TF1Loaded(str(zoo.export.export_for_serving(
        model, tmp_path / "served")))
    try:
        scores = served.run("score", {"x": x, "num_samples": np.int32(4)})
        samples = served.run("sample", {
            "num_samples": np.int32(3), "seed": np.array([5, 0], "int32")})
    finally:
        served.session.close()
    assert_served_scores_are_the_models(scores, model, x, 4)
    np.testing.assert_allclose(samples["images"], model.sample(3, seed=5),
                               atol=1e-5)

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


def random_likelihood(shape, batch=1, seed=0):
    """A `PixelCNNBernoulli` with random (non-zero) context weights and
    random decoder outputs `(batch, H, W, (1 + F) * C)`."""
    rng = np.random.default_rng(seed)
    context = autoregressive.PixelContext(shape, width=8, blocks=2)
    context.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32")
                         for w in context.get_weights()])
    channels = shape[-1] * (1 + autoregressive.FEATURES)
    parameters = rng.normal(0.0, 1.0, (batch, *shape[:2], channels))
    return autoregressive.PixelCNNBernoulli(parameters.astype("float32"),
                                            context)


@pytest.mark.parametrize("shape", [(3, 3, 1), (2, 2, 2)], ids=str)
def test_probabilities_of_every_image_sum_to_one(shape):
    # Fails if a mask lets pixel i see itself or a later pixel (the
    # conditionals would then not multiply to a distribution).
    likelihood = random_likelihood(shape)
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


def test_the_sampler_uses_the_conditionals_of_log_prob():
    # Along a drawn trajectory, p(x_i = 1 | x_<i, z) as the sampler
    # computed it (on a crop of the rows above) equals sigmoid(l_i) from
    # one full pass over the finished image; 12 rows, so the crop moves.
    shape = (12, 5, 2)
    likelihood = random_likelihood(shape, batch=3, seed=9)
    images, probabilities = likelihood._draw(
        likelihood._parameters_tensor, tf.constant([1, 2]))
    np.testing.assert_allclose(
        probabilities, tf.math.sigmoid(likelihood.logits(images)),
        rtol=1e-5, atol=1e-6)
    assert 0 < float(tf.reduce_mean(images)) < 1


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

"""Cached autoregressive sampling (`zoo.networks.masked_conv.RasterCache`):
`PixelContext.draw` and `PixelCNN.sample` give the same draws as the
straightforward samplers they replace (`draw_uncached`,
`sample_uncached`: the whole network per position) for the same seed."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.likelihoods import pixelcnn as autoregressive
from zoo.networks import masked_conv
from zoo.priors.pixelcnn import PixelCNN


def random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32")
                       for w in layer.get_weights()])
    return layer


def random_context(shape, blocks, seed=0, batch=3):
    context = random_weights(
        autoregressive.PixelContext(shape, width=8, blocks=blocks), seed)
    channels = shape[-1] * (1 + autoregressive.FEATURES)
    parameters = np.random.default_rng(seed + 1).normal(
        0.0, 1.0, (batch, *shape[:2], channels)).astype("float32")
    return context, tf.constant(parameters)


def test_kernel_taps_are_the_mask_ones():
    assert len(masked_conv.kernel_taps(5, "A")) == 12
    assert masked_conv.kernel_taps(3, "B") == [
        (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0)]
    assert (0, 0) not in masked_conv.kernel_taps(7, "A")


@pytest.mark.parametrize("shape,blocks", [
    ((12, 5, 2), 2),   # taller than the receptive field, 2 channels
    ((6, 7, 1), 3),
    ((2, 3, 1), 0),    # smaller than the 5x5 kernel, no gated blocks
], ids=str)
def test_cached_draw_gives_the_uncached_images(shape, blocks):
    context, parameters = random_context(shape, blocks)
    for seed in ([1, 2], [3, 4], [5, 6]):
        seed = tf.constant(seed, tf.int64)
        images, probabilities = context.draw(parameters, seed)
        reference, reference_probabilities = context.draw_uncached(
            parameters, seed)
        np.testing.assert_array_equal(images, reference)
        np.testing.assert_allclose(probabilities, reference_probabilities,
                                   atol=1e-5)
        assert 0 < float(tf.reduce_mean(images)) < 1


def test_cached_draw_uses_the_conditionals_of_one_full_pass():
    # Along the drawn trajectory, p(x_i = 1 | x_<i) as the cached sampler
    # computed it equals sigmoid(l_i) of one pass over the finished image.
    shape = (9, 6, 1)
    context, parameters = random_context(shape, blocks=2, seed=4)
    images, probabilities = context.draw(parameters, tf.constant([7, 8],
                                                                 tf.int64))
    logits = autoregressive._logits(parameters, context(images), 1)
    np.testing.assert_allclose(probabilities, tf.math.sigmoid(logits),
                               atol=1e-5)


def test_cached_draw_traces_with_an_unknown_batch():
    # As in the exported signatures: the batch is None when traced.
    shape = (4, 4, 1)
    context, parameters = random_context(shape, blocks=1, batch=5)

    @tf.function(input_signature=[
        tf.TensorSpec((None, 4, 4, 1 + autoregressive.FEATURES)),
        tf.TensorSpec((2,), tf.int64)])
    def draw(parameters, seed):
        return context.draw(parameters, seed)

    seed = tf.constant([1, 1], tf.int64)
    for batch in (5, 2):
        images, _ = draw(parameters[:batch], seed)
        np.testing.assert_array_equal(
            images, context.draw_uncached(parameters[:batch], seed)[0])


@pytest.mark.parametrize("grid,blocks", [((4, 6), 2), ((2, 3), 0),
                                         ((8, 3), 3)], ids=str)
def test_cached_prior_sample_gives_the_uncached_codes(grid, blocks):
    network = random_weights(PixelCNN(5, grid, width=8, num_blocks=blocks),
                             seed=sum(grid))
    for seed in ([1, 2], [3, 4]):
        codes = network.sample(7, tf.constant(seed))
        assert codes.dtype == tf.int32 and codes.shape == (7, *grid)
        np.testing.assert_array_equal(
            codes, network.sample_uncached(7, tf.constant(seed)))
    assert len(np.unique(codes)) > 1


def test_cached_prior_sample_follows_log_prob():
    # Seeded Monte Carlo over all 8 grids of 1 x 3 with 2 codes: each
    # frequency within 5 standard errors of exp(log_prob).
    network = random_weights(PixelCNN(2, (1, 3), width=4, num_blocks=1), 3)
    grids = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)])
    expected = np.exp(network.log_prob(grids.reshape(8, 1, 3)).numpy())
    np.testing.assert_allclose(expected.sum(), 1.0, rtol=1e-4)
    count = 20000
    codes = network.sample(count, tf.constant([5, 6])).numpy()
    index = codes.reshape(count, 3) @ np.array([4, 2, 1])
    frequency = np.bincount(index, minlength=8) / count
    error = np.sqrt(expected * (1 - expected) / count)
    assert np.all(np.abs(frequency - expected) < 5 * error + 1e-4)


def tiny_pixelcnn_models():
    """Two identical tiny conv_vae models with likelihood="pixelcnn" and
    random context weights; the second samples with `draw_uncached`."""
    import zoo

    models = [zoo.get("conv_vae", input_shape=(6, 6, 1), latent_dim=2,
                      seed=0, filters=(4,), likelihood="pixelcnn")
              for _ in range(2)]
    random_weights(models[0].pixel_context, 3)
    models[1].set_weights(models[0].get_weights())
    old = models[1].pixel_context
    old.draw = old.draw_uncached
    return models


def test_sample_reconstruct_and_predict_draw_as_before():
    new, old = tiny_pixelcnn_models()
    x = (np.random.default_rng(2).uniform(size=(5, 6, 6, 1))
         < 0.5).astype("float32")
    for call in (lambda model: model.sample(4, seed=1),
                 lambda model: model.reconstruct(x),
                 lambda model: model.predict(x, verbose=0)):
        np.testing.assert_allclose(call(new), call(old), atol=1e-5)


@pytest.mark.slow
def test_exported_signatures_draw_as_the_old_sampler(tmp_path):
    from zoo import export

    new, old = tiny_pixelcnn_models()
    served = export.load_for_serving(
        export.export_for_serving(new, tmp_path / "model"))
    x = (np.random.default_rng(2).uniform(size=(3, 6, 6, 1))
         < 0.5).astype("float32")
    np.testing.assert_allclose(
        served.sample(num_samples=4, seed=(1, 0))["images"],
        old.sample(4, seed=1), atol=1e-5)
    np.testing.assert_allclose(served.reconstruct(x=x)["reconstruction"],
                               old.reconstruct(x), atol=1e-5)

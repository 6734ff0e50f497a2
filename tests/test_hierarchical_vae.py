"""What only the hierarchical latent has: the groups, their KL, free bits,
the joint importance-weighted bound and the temperature, on both networks
(`network="conv"`, spatial groups, and `"gated_mlp"`, vector groups), and
a learned prior on the top group (`prior=`, the HVAE + VampPrior).

The contract every model meets (fit, evaluate, the `.keras` round trip,
`encode`/`decode`/`sample`, bad input, lr 1e-2, mixed precision) and every
export signature read as TF Serving reads it are checked for
`hierarchical_vae` (the conv network) by tests/test_contract.py and
tests/test_export.py; the gated_mlp network's fit, round trip and export
are checked here.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats
from scipy.special import logsumexp

import zoo
from conftest import real_images
from test_export import TF1Loaded
from test_export import assert_served_scores_are_the_models
from zoo.latents.gaussian import SCALE_FLOOR

SHAPE = (12, 12, 1)
TINY = {"input_shape": SHAPE, "latent_dim": 3, "width": 8,
        "group_channels": 2, "seed": 0}
NETWORKS = ["conv", "gated_mlp"]


def tiny(**options):
    keras.utils.set_random_seed(0)  # the same weights in any process
    model = zoo.get("hierarchical_vae", **{**TINY, **options})
    model.compile()
    return model


def binary_images(count, seed=0):
    return (real_images(SHAPE, count=count, seed=seed) > 0.5).astype(
        "float32")


def event_sum(array):
    """The sum over every axis but the first (a group's dimensions)."""
    return array.sum(axis=tuple(range(1, array.ndim)))


def log_prior_by_hand(model, z0):
    """log p(z_0) `(batch,)` in scipy (float64) from the prior's weights:
    N(0, I), or the mixture log sum_k pi_k N(z_0; mu_k, sigma_k^2) with,
    for `"mixture"`, pi = softmax(logits), mu_k the means and sigma_k =
    softplus(raw_k) + SCALE_FLOOR, and for `"vamp"`, pi_k = 1/K and
    (mu_k, sigma_k) the encoder's outputs at the pseudo-inputs
    sigmoid(a_k)."""
    z0 = np.asarray(z0, "float64")
    layer = model.prior_layer
    if layer is None:
        return stats.norm.logpdf(z0).sum(-1)
    if model.prior_name == "vamp":
        weights = np.asarray(layer.pseudo_input_weights, "float64")
        pseudo_inputs = (1.0 / (1.0 + np.exp(-weights))).astype("float32")
        loc, scale = (np.asarray(t, "float64")
                      for t in model.encoder(pseudo_inputs))
        log_weights = np.full(len(loc), -np.log(len(loc)))
    else:
        logits = np.asarray(layer.logits, "float64")
        log_weights = logits - logsumexp(logits)
        loc = np.asarray(layer.means, "float64")
        scale = np.logaddexp(0.0, np.asarray(layer.raw_scales, "float64")
                             ) + SCALE_FLOOR
    per_component = stats.norm.logpdf(z0[:, None, :], loc, scale).sum(-1)
    return logsumexp(log_weights + per_component, axis=-1)


def test_groups_span_two_resolutions_below_the_top_vector():
    model = tiny(scales=2, groups_per_scale=2)
    groups = model.encode(binary_images(5), all_groups=True)
    assert [tuple(group.event_shape) for group in groups] == [
        (3,), (3, 3, 2), (3, 3, 2), (6, 6, 2), (6, 6, 2)]
    assert all(tuple(group.batch_shape) == (5,) for group in groups)
    np.testing.assert_array_equal(
        groups[0].mean(), model.encode(binary_images(5)).mean())
    assert model.noise_dim == 3 + 2 * 18 + 2 * 72


@pytest.mark.parametrize("network", NETWORKS)
def test_a_fresh_posterior_equals_its_prior_in_every_lower_group(network):
    """The residual parameterisation starts at q = p (zero-initialised
    posterior heads): every lower group's KL is exactly 0 and the top
    group's is the closed form 0.5 * sum(mu^2 + sigma^2 - 1 - log sigma^2).
    """
    model = tiny(network=network)
    x = tf.constant(binary_images(4))
    eps = tf.random.stateless_normal((4, model.noise_dim), (1, 2))
    _, z_mean, z_stddev, z_top, groups = model.posterior_pass(x, eps)
    kls = model.kl_per_group(z_mean, z_stddev, z_top, groups)
    mu, sigma = np.asarray(z_mean, "float64"), np.asarray(z_stddev, "float64")
    expected = 0.5 * np.sum(mu**2 + sigma**2 - 1 - np.log(sigma**2), axis=-1)
    np.testing.assert_allclose(kls[0], expected, rtol=1e-5)
    for kl in kls[1:]:
        np.testing.assert_allclose(kl, 0.0, atol=1e-6)


@pytest.mark.parametrize("network", NETWORKS)
def test_group_kl_is_the_gaussian_closed_form_after_training(network):
    """Once the posterior has moved off the prior, each lower group's KL
    is the closed form between the two Gaussians (numpy, float64), summed
    over the group's dimensions (spatial or a vector)."""
    model = tiny(network=network)
    x = binary_images(64)
    model.fit(x, epochs=2, batch_size=32, verbose=0)
    eps = tf.random.stateless_normal((8, model.noise_dim), (3, 4))
    _, z_mean, z_stddev, z_top, groups = model.posterior_pass(x[:8], eps)
    kls = model.kl_per_group(z_mean, z_stddev, z_top, groups)
    for kl, group in zip(kls[1:], groups):
        mu_q, s_q, mu_p, s_p = (np.asarray(t, "float64") for t in (
            group.posterior_loc, group.posterior_scale, group.prior_loc,
            group.prior_scale))
        closed = event_sum(np.log(s_p / s_q) + (s_q**2 + (mu_q - mu_p) ** 2)
                           / (2 * s_p**2) - 0.5)
        assert np.abs(closed).max() > 1e-4  # the posterior has moved
        np.testing.assert_allclose(kl, closed, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("network, prior", [
    ("conv", "standard_normal"), ("gated_mlp", "standard_normal"),
    ("conv", "vamp"), ("gated_mlp", "vamp"), ("gated_mlp", "mixture"),
])
def test_one_sample_bound_is_log_joint_minus_log_posterior_by_hand(
        network, prior):
    """At K = 1 the importance-weighted bound is log p(x|z) + log p(z) -
    log q(z|x) over every group, on the same noise: scipy's densities,
    the top group's log p(z_0) that of the model's prior
    (`log_prior_by_hand`). Under a learned prior the ELBO's top KL is
    log q(z_0|x) - log p(z_0) at that same sample."""
    model = tiny(network=network, prior=prior)
    x = binary_images(64)
    model.fit(x, epochs=2, batch_size=32, verbose=0)
    x = x[:6]
    eps = tf.random.stateless_normal((1, 6, model.noise_dim), (5, 6))
    bound = model.compute_scores_from_noise(tf.constant(x), eps)[
        "log_likelihood"]
    parameters, z_mean, z_stddev, z_top, groups = model.posterior_pass(
        tf.constant(x), eps[0])
    logits = np.asarray(parameters, "float64")
    log_px = (x * -np.logaddexp(0, -logits)
              + (1 - x) * -np.logaddexp(0, logits)).sum(axis=(1, 2, 3))
    z0 = np.asarray(z_top, "float64")
    top_ratio = log_prior_by_hand(model, z0) - stats.norm.logpdf(
        z0, np.asarray(z_mean, "float64"), np.asarray(z_stddev, "float64")
    ).sum(-1)
    ratio = top_ratio.copy()
    for group in groups:
        z = np.asarray(group.z, "float64")
        ratio += event_sum(
            stats.norm.logpdf(z, np.asarray(group.prior_loc, "float64"),
                              np.asarray(group.prior_scale, "float64"))
            - stats.norm.logpdf(
                z, np.asarray(group.posterior_loc, "float64"),
                np.asarray(group.posterior_scale, "float64")))
    np.testing.assert_allclose(bound, log_px + ratio, rtol=1e-5)
    if prior != "standard_normal":
        elbo = model.compute_scores_from_noise(tf.constant(x), eps)["elbo"]
        lower_kl = sum(model.kl_per_group(z_mean, z_stddev, z_top, groups)[1:])
        np.testing.assert_allclose(elbo + lower_kl, log_px + top_ratio,
                                   rtol=1e-5)


@pytest.mark.parametrize("network", NETWORKS)
def test_the_bound_tightens_with_more_samples(network):
    """Seeded: the mean L_64 over 32 images is above the mean ELBO over 20
    seeds by more than 3 standard errors of that ELBO mean (measured, conv:
    a gap of 0.15 to 0.35 nats, standard errors of 0.01 to 0.02;
    gated_mlp: a gap of 0.17 nats, standard error 0.017)."""
    model = tiny(network=network)
    x = binary_images(128)
    model.fit(x, epochs=3, batch_size=32, verbose=0)
    x = x[:32]
    elbos = np.array([np.mean(model.elbo(x, seed=s)) for s in range(20)])
    bound = np.mean(model.log_likelihood(x, num_samples=64, chunk_size=16))
    standard_error = elbos.std(ddof=1) / np.sqrt(len(elbos))
    assert bound > elbos.mean() + 3 * standard_error


@pytest.mark.parametrize("network", NETWORKS)
def test_free_bits_charge_each_group_at_least_lambda(network):
    """Fresh model (lower groups' KL exactly 0): with free_bits=lambda the
    latent term is max(KL_top, lambda) + lambda per lower group (4 of
    them: 2 scales x 2 groups)."""
    x = binary_images(16)
    logs = {}
    for free_bits in (0.0, 5.0):
        model = tiny(free_bits=free_bits, groups_per_scale=2,
                     network=network)
        model.seed_generator.state.assign([0, 0])
        logs[free_bits] = model.test_on_batch(x, return_dict=True)
    plain, floored = logs[0.0], logs[5.0]
    assert plain["kl"] == pytest.approx(floored["kl"], rel=1e-5)
    top = plain["kl"]  # the lower groups' KL is 0
    assert floored["loss"] - floored["reconstruction"] == pytest.approx(
        max(top, 5.0) + 5.0 * 4, rel=1e-4)
    assert plain["loss"] - plain["reconstruction"] == pytest.approx(
        top, rel=1e-4)


@pytest.mark.parametrize("network", NETWORKS)
def test_temperature_scales_every_group_and_zero_is_the_prior_means(network):
    """Near temperature 0 every group sits at its prior's mean, which is
    what `decode(0)` gives; at 1 and 0.5 the samples differ."""
    model = tiny(network=network)
    model.fit(binary_images(64), epochs=1, batch_size=32, verbose=0)
    cold = model.sample(3, seed=1, temperature=1e-6)
    means = model.decode(np.zeros((3, 3), "float32")).mean()
    np.testing.assert_allclose(cold, means, atol=1e-4)
    warm = model.sample(3, seed=1).numpy()
    assert not np.allclose(warm, model.sample(3, seed=1, temperature=0.5))
    assert not np.allclose(warm, cold, atol=1e-3)


def test_beta_warmup_drives_the_kl_weight():
    model = tiny()
    warmup = zoo.training.callbacks.BetaWarmUp(steps=4, start=0.0)
    model.fit(binary_images(64), epochs=1, batch_size=32, verbose=0,
              callbacks=[warmup])
    assert float(model.beta) == pytest.approx(0.25)  # the 2nd of 4 steps


def test_active_units_count_each_group():
    model = tiny()
    x = binary_images(128)
    model.fit(x, epochs=3, batch_size=32, verbose=0)
    units = model.active_units(x)
    assert [total for _, total in units] == [3, 18, 72]
    assert all(0 <= active <= total for active, total in units)
    everything = model.active_units(x, threshold=-1.0)
    assert everything == [(total, total) for _, total in units]


def test_a_collapsed_lower_group_has_no_active_units():
    """Untrained, the posterior heads are zero: every lower posterior is
    its prior (KL 0) although its mean varies with x through the top
    group; the rule counts the departure from the prior, so 0 active."""
    model = tiny()
    x = binary_images(128)
    _, z_mean, z_stddev, z_top, groups = model.posterior_pass(x, None)
    assert np.var(np.asarray(groups[0].posterior_loc), axis=0).max() > 0
    for kl in model.kl_per_group(z_mean, z_stddev, z_top, groups)[1:]:
        np.testing.assert_allclose(kl, 0.0, atol=1e-5)
    units = model.active_units(x, threshold=0.0)
    assert [active for active, _ in units[1:]] == [0, 0]


def test_no_lower_groups_is_a_one_group_vae():
    """groups_per_scale=0: z_0 alone; its bound's density ratio is the
    top group's only, so the IW bound at K = 1 equals the ELBO's
    Monte Carlo form and `sample` draws only latent_dim numbers."""
    model = tiny(groups_per_scale=0)
    x = binary_images(32)
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    assert model.noise_dim == 3
    assert len(model.encode(x, all_groups=True)) == 1
    assert model.sample(2, seed=0).shape == (2, *SHAPE)
    z = model.encode(x).mean()
    np.testing.assert_allclose(model.reconstruct(tf.constant(x)),
                               model.decode(z).mean(), atol=1e-6)


def test_plain_cells_ablation_builds_and_trains():
    model = tiny(residual=False, cells=2)
    history = model.fit(binary_images(64), epochs=1, batch_size=32,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.get_config()["residual"] is False


@pytest.mark.parametrize("options,message", [
    ({"input_shape": (64,)}, "input_shape"),
    ({"cells": -1}, "cells"),
    ({"residual": "yes"}, "residual"),
    ({"free_bits": -0.5}, "free_bits"),
    ({"free_bits": float("nan")}, "free_bits"),
    ({"width": 0}, "width"),
    ({"scales": 0}, "scales"),
    ({"groups_per_scale": -1}, "groups_per_scale"),
    ({"groups_per_scale": 1.5}, "groups_per_scale"),
    ({"group_channels": 0}, "group_channels"),
    ({"filters": (32,)}, "filters"),
    ({"network": "mlp"}, "network"),
    ({"network": None}, "network"),
    ({"network": "gated_mlp", "cells": 2}, "cells"),
    ({"network": "gated_mlp", "cells": 0}, "cells"),
    ({"network": "gated_mlp", "cells": 1}, "cells"),
    ({"network": "gated_mlp", "residual": True}, "residual"),
    ({"network": "gated_mlp", "residual": False}, "residual"),
    ({"network": "gated_mlp", "input_shape": (2, 12, 12, 1)}, "input_shape"),
    ({"prior": "gaussian"}, "`prior` must be one of"),
    ({"prior": None}, "`prior` must be one of"),
    ({"prior_components": 5}, "prior_components"),
    ({"prior": "maf", "prior_components": 5}, "prior_components"),
    ({"prior": "vamp", "prior_components": 0}, "prior_components"),
    ({"prior": "mixture", "prior_components": 2.5}, "prior_components"),
    ({"network": "gated_mlp", "prior": "vamp", "prior_components": -1},
     "prior_components"),
    ({"kl_balance": "yes"}, "`kl_balance` must be True or False"),
    ({"kl_balance": 1}, "`kl_balance` must be True or False"),
    ({"kl_balance": None}, "`kl_balance` must be True or False"),
    ({"network": "gated_mlp", "kl_balance": 0}, "`kl_balance` must be"),
    ({"kl_balance": True, "group_sizes": [3, 18, 72]}, "group_sizes"),
], ids=str)
def test_invalid_options_name_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.get("hierarchical_vae", **{**TINY, **options})


@pytest.mark.parametrize("temperature", [0, -1.0, "hot"])
def test_sample_refuses_a_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature"):
        tiny().sample(2, seed=0, temperature=temperature)


def test_round_trip_keeps_beta_and_free_bits(tmp_path):
    model = tiny(free_bits=0.5)
    model.beta.assign(0.25)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.free_bits == 0.5 and float(loaded.beta) == 0.25
    x = binary_images(4)
    np.testing.assert_array_equal(loaded.reconstruct(tf.constant(x)),
                                  model.reconstruct(tf.constant(x)))


# The default network, unchanged by the `network` option ------------------


def test_the_conv_network_gives_the_loss_it_gave_before_the_option():
    """A seeded conv hierarchy's loss on a fixed batch, recorded from the
    code before `network` existed (commit ab7ea6a): the default network is
    the same model, weights, noise and sums."""
    model = tiny()
    assert model.network == "conv"
    model.seed_generator.state.assign([0, 0])
    logs = model.test_on_batch(binary_images(16), return_dict=True)
    assert logs["loss"] == pytest.approx(100.38623046875, rel=1e-6)
    assert logs["kl"] == pytest.approx(0.46804285049438477, rel=1e-5)
    assert logs["reconstruction"] == pytest.approx(99.9181900024414,
                                                   rel=1e-6)


def test_a_config_without_network_builds_the_conv_network():
    """Files saved before the option have no `network` in their config."""
    model = tiny(width=4)
    config = model.get_config()
    assert config["network"] == "conv"
    del config["network"]
    again = type(model).from_config(config)
    assert again.network == "conv"
    assert again.get_config() == model.get_config()


# The gated_mlp network: vector groups --------------------------------------


def dense_images(count, seed=0):
    """`binary_images` flattened, the examples of a flat model."""
    return binary_images(count, seed).reshape(count, -1)


def test_gated_mlp_groups_are_vectors_scales_times_groups_per_scale():
    model = tiny(network="gated_mlp", scales=2, groups_per_scale=2)
    groups = model.encode(binary_images(5), all_groups=True)
    assert [tuple(group.event_shape) for group in groups] == [
        (3,), (2,), (2,), (2,), (2,)]
    assert all(tuple(group.batch_shape) == (5,) for group in groups)
    assert model.noise_dim == 3 + 4 * 2
    flat = tiny(network="gated_mlp", input_shape=(144,), scales=1)
    assert flat.group_shapes == [(3,), (2,)]
    assert flat.sample(2, seed=0).shape == (2, 144)
    # The likelihood reads the lower group too (the state carries it).
    eps = np.zeros((2, flat.noise_dim), "float32")
    eps[1, 3:] = 2.0
    images = flat.compute_samples_from_noise(tf.constant(eps)).numpy()
    assert np.abs(images[0] - images[1]).max() > 1e-4


def test_gated_mlp_hierarchy_fits_and_round_trips_exactly(tmp_path):
    """Flat examples: the loss is finite and goes down over 4 epochs, and
    the `.keras` file (safe mode) gives the same outputs from the same
    inputs and noise."""
    model = tiny(network="gated_mlp", input_shape=(144,))
    x = dense_images(64)
    losses = model.fit(x, epochs=4, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.network == "gated_mlp"
    assert loaded.get_config() == model.get_config()
    x = tf.constant(x[:6])
    eps = tf.random.stateless_normal((3, 6, model.noise_dim), (1, 2))
    for name, value in model.compute_scores_from_noise(x, eps).items():
        np.testing.assert_array_equal(
            loaded.compute_scores_from_noise(x, eps)[name], value)
    np.testing.assert_array_equal(loaded.reconstruct(x),
                                  model.reconstruct(x))
    np.testing.assert_array_equal(loaded.sample(3, seed=4),
                                  model.sample(3, seed=4))


def test_gated_mlp_export_answers_encode_mean_and_score_like_the_model(
        tmp_path):
    """Read through TF Serving's TF1 loader: `encode_mean` is the encoder,
    `score` the model's ELBO and importance-weighted bound at the export's
    seed."""
    model = tiny(network="gated_mlp")
    x = binary_images(64)
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    x = x[:3]
    path = zoo.export.export_for_serving(model, tmp_path / "dense")
    loaded = TF1Loaded(str(path))
    try:
        means = loaded.run("encode_mean", {"x": x})
        scores = loaded.run("score", {"x": x, "num_samples": np.int32(5)})
    finally:
        loaded.session.close()
    z_mean, z_stddev = model.encoder(x)
    np.testing.assert_allclose(means["z_mean"], z_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(means["z_stddev"], z_stddev, rtol=1e-5,
                               atol=1e-5)
    assert_served_scores_are_the_models(scores, model, x, 5)


# A learned prior on the top group: the HVAE + VampPrior -------------------


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("prior", ["mixture", "vamp"])
def test_a_learned_prior_makes_the_top_kl_log_q_minus_log_p(prior, network):
    """The top group's KL under a learned prior is log q(z_0|x) -
    log p(z_0) at z_0 = mu + sigma * eps_0 from fixed noise, with q built
    from the encoder's outputs and p from the prior's weights (the
    VampPrior's: the pseudo-inputs' encodings) in scipy; the lower
    groups' KL stays the analytic one (0 for a fresh posterior)."""
    model = tiny(network=network, prior=prior, prior_components=4)
    if prior == "mixture":  # away from the equal weights and unit scales
        rng = np.random.default_rng(1)
        model.prior_layer.logits.assign(rng.normal(size=4))
        model.prior_layer.raw_scales.assign(rng.normal(size=(4, 3)))
    x = tf.constant(binary_images(5))
    eps = tf.random.stateless_normal((5, model.noise_dim), (1, 2))
    _, z_mean, z_stddev, z_top, groups = model.posterior_pass(x, eps)
    mu, sigma = (np.asarray(t, "float64") for t in (z_mean, z_stddev))
    z0 = mu + sigma * np.asarray(eps, "float64")[:, :3]
    np.testing.assert_allclose(z_top, z0, rtol=1e-5, atol=1e-6)
    log_q = stats.norm.logpdf(z0, mu, sigma).sum(-1)
    kls = model.kl_per_group(z_mean, z_stddev, z_top, groups)
    np.testing.assert_allclose(
        kls[0], log_q - log_prior_by_hand(model, z0), rtol=1e-5, atol=1e-5)
    for kl in kls[1:]:
        np.testing.assert_allclose(kl, 0.0, atol=1e-6)


def test_moving_the_pseudo_inputs_moves_log_p_the_kl_and_the_bound():
    """The VampPrior's density is the top group's prior, not N(0, I):
    moving the pseudo-inputs (onto four binary digits) changes log p(z_0)
    at fixed samples, and the top KL and the K = 1 scores move by exactly that
    change (q and the lower groups are untouched)."""
    model = tiny(network="gated_mlp", prior="vamp", prior_components=4)
    x = tf.constant(binary_images(6))
    eps = tf.random.stateless_normal((1, 6, model.noise_dim), (7, 8))
    _, z_mean, z_stddev, z_top, groups = model.posterior_pass(x, eps[0])

    def densities():
        log_p = np.asarray(model.prior().log_prob(z_top), "float64")
        kl = model.kl_per_group(z_mean, z_stddev, z_top, groups)[0]
        scores = model.compute_scores_from_noise(x, eps)
        return log_p, np.asarray(kl, "float64"), {
            name: np.asarray(value, "float64")
            for name, value in scores.items()}

    log_p, kl, scores = densities()
    standard = stats.norm.logpdf(np.asarray(z_top, "float64")).sum(-1)
    assert np.abs(log_p - standard).max() > 0.1
    digits = binary_images(4, seed=5)  # sigmoid(+-4) = 0.98 or 0.02
    model.prior_layer.pseudo_input_weights.assign(
        np.where(digits > 0.5, 4.0, -4.0))
    moved_log_p, moved_kl, moved_scores = densities()
    change = moved_log_p - log_p
    assert np.abs(change).max() > 0.1
    np.testing.assert_allclose(moved_kl - kl, -change, atol=1e-4)
    for name in ("elbo", "log_likelihood"):
        np.testing.assert_allclose(moved_scores[name] - scores[name], change,
                                   atol=1e-4)


def test_learned_prior_samples_pick_a_component_and_scale_its_noise():
    """z_0 = mu_k + temperature * sigma_k * eps_0 with the component k
    picked by `u`: near temperature 0 the images are the decoded
    pseudo-inputs' posterior means (every lower group at its prior mean,
    as `decode` puts them). `u` is refused where the prior takes none and
    required where it does."""
    model = tiny(network="gated_mlp", prior="vamp", prior_components=4)
    assert model.noise_inputs == ("eps", "u")
    eps = tf.random.stateless_normal((4, model.noise_dim), (3, 3))
    u = tf.constant([0.05, 0.3, 0.55, 0.8])  # components 0..3, weights 1/4
    loc, _ = model.encoder(model.prior_layer.pseudo_inputs)
    cold = model.compute_samples_from_noise(eps, u, temperature=1e-6)
    np.testing.assert_allclose(cold, model.decode(np.asarray(loc)).mean(),
                               atol=1e-5)
    warm = model.compute_samples_from_noise(eps, u)
    assert not np.allclose(warm, cold, atol=1e-3)
    with pytest.raises(ValueError, match="pass `u`"):
        model.compute_samples_from_noise(eps)
    standard = tiny(network="gated_mlp")
    assert standard.noise_inputs == ("eps",)
    with pytest.raises(ValueError, match="u=None"):
        standard.compute_samples_from_noise(eps, u)


@pytest.mark.parametrize("prior, noise_inputs", [
    ("mixture", ("eps", "u")), ("maf", ("eps",))])
def test_other_learned_priors_fit_sample_and_score(prior, noise_inputs):
    model = tiny(network="gated_mlp", prior=prior)
    assert model.noise_inputs == noise_inputs
    history = model.fit(binary_images(32), epochs=1, batch_size=16,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.all(np.isfinite(model.sample(2, seed=0)))
    bound = model.log_likelihood(binary_images(2), num_samples=4,
                                 chunk_size=4)
    assert np.all(np.isfinite(bound))


def test_a_config_without_prior_builds_the_standard_normal_prior():
    """Files saved before the option have no `prior` or
    `prior_components` in their config."""
    model = tiny(network="gated_mlp")
    config = model.get_config()
    assert config["prior"] == "standard_normal"
    assert config["prior_components"] is None
    del config["prior"], config["prior_components"]
    again = type(model).from_config(config)
    assert again.prior_layer is None
    assert again.get_config() == model.get_config()


def test_a_vamp_hierarchy_fits_round_trips_and_exports(tmp_path):
    """One epoch moves the pseudo-inputs (the prior trains with the
    model); the `.keras` file (safe mode) gives the same prior weights and
    the same outputs from the same inputs and noise; the export, read
    through TF Serving's TF1 loader, answers `score`, `sample` and
    `sample_from_noise` (which takes `u`) like the model."""
    model = tiny(network="gated_mlp", prior="vamp", prior_components=4)
    x = binary_images(64)
    before = np.array(model.prior_layer.pseudo_input_weights)
    history = model.fit(x, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.abs(
        np.asarray(model.prior_layer.pseudo_input_weights) - before
    ).max() > 0
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.get_config() == model.get_config()
    assert (loaded.prior_name, loaded.prior_components) == ("vamp", 4)
    np.testing.assert_array_equal(loaded.prior_layer.pseudo_input_weights,
                                  model.prior_layer.pseudo_input_weights)
    x = x[:3]
    eps = tf.random.stateless_normal((3, 3, model.noise_dim), (1, 2))
    for name, value in model.compute_scores_from_noise(x, eps).items():
        np.testing.assert_array_equal(
            loaded.compute_scores_from_noise(x, eps)[name], value)
    np.testing.assert_array_equal(loaded.sample(3, seed=4),
                                  model.sample(3, seed=4))

    u = np.array([0.1, 0.5, 0.9], "float32")
    exported = zoo.export.export_for_serving(model, tmp_path / "vamp")
    served = TF1Loaded(str(exported))
    try:
        scores = served.run("score", {"x": x, "num_samples": np.int32(5)})
        samples = served.run("sample", {
            "num_samples": np.int32(3), "seed": np.array([4, 0], "int32")})
        from_noise = served.run("sample_from_noise",
                                {"eps": eps[0].numpy(), "u": u})
    finally:
        served.session.close()
    assert_served_scores_are_the_models(scores, model, x, 5)
    np.testing.assert_allclose(samples["images"], model.sample(3, seed=4),
                               atol=1e-5)
    np.testing.assert_allclose(
        from_noise["images"],
        model.compute_samples_from_noise(eps[0], tf.constant(u)), atol=1e-5)


# KL balancing (NVAE) --------------------------------------------------------


def balance_coefficients(means, sizes):
    """NVAE's gamma_l = G c_l / sum_k c_k, c_l = (|KL_l| + 0.01) / n_l, in
    numpy (float64)."""
    per_dimension = (np.abs(np.asarray(means, "float64")) + 0.01) / np.asarray(
        sizes, "float64")
    return len(per_dimension) * per_dimension / per_dimension.sum()


@pytest.mark.parametrize("network, sizes", [
    ("conv", [3, 18, 72]), ("gated_mlp", [3, 2, 2])])
def test_kl_balancing_weighs_the_groups_by_their_sizes(network, sizes):
    """A fresh model's lower groups have KL 0, so at beta = 0.5 the
    balanced latent term is 0.5 * gamma_0 * KL_0, gamma_0 from the groups'
    sizes top first; the plain model's is 0.5 * KL_0 with the same `kl`
    and reconstruction (the metric stays the plain sum)."""
    x = binary_images(16)
    logs = {}
    for kl_balance in (False, True):
        model = tiny(network=network, kl_balance=kl_balance)
        model.beta.assign(0.5)
        model.seed_generator.state.assign([0, 0])
        logs[kl_balance] = model.test_on_batch(x, return_dict=True)
    assert model.objective.group_sizes == sizes == model.group_sizes
    plain, balanced = logs[False], logs[True]
    assert balanced["kl"] == plain["kl"]
    assert balanced["reconstruction"] == plain["reconstruction"]
    top = plain["kl"]
    gamma = balance_coefficients([top, 0.0, 0.0], sizes)
    assert balanced["loss"] - balanced["reconstruction"] == pytest.approx(
        0.5 * gamma[0] * top, rel=1e-4)
    assert plain["loss"] - plain["reconstruction"] == pytest.approx(
        0.5 * top, rel=1e-4)


def test_kl_balancing_gives_the_recorded_loss_at_beta_one():
    """At beta >= 1 the balanced objective is the ELBO: the conv model's
    recorded loss, as without the option (the test of the default
    network above)."""
    model = tiny(kl_balance=True)
    model.seed_generator.state.assign([0, 0])
    logs = model.test_on_batch(binary_images(16), return_dict=True)
    assert logs["loss"] == pytest.approx(100.38623046875, rel=1e-6)


@pytest.mark.parametrize("network", NETWORKS)
def test_kl_balanced_hierarchy_fits_under_warm_up_and_round_trips(
        network, tmp_path):
    """One epoch under BetaWarmUp (beta 0 then 0.25, the balanced loss);
    the `.keras` file (safe mode) keeps the option, the sizes and beta and
    gives the same balanced loss on the same batch and noise."""
    model = tiny(network=network, kl_balance=True)
    warm_up = zoo.training.callbacks.BetaWarmUp(steps=4, start=0.0)
    history = model.fit(binary_images(64), epochs=1, batch_size=32,
                        verbose=0, callbacks=[warm_up])
    assert np.isfinite(history.history["loss"][0])
    assert float(model.beta) == pytest.approx(0.25)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.kl_balance is True
    assert loaded.objective.group_sizes == model.group_sizes
    assert float(loaded.beta) == pytest.approx(0.25)
    assert loaded.get_config() == model.get_config()
    x = binary_images(16, seed=1)
    logs = []
    for each in (model, loaded):
        each.seed_generator.state.assign([0, 0])
        logs.append(each.test_on_batch(x, return_dict=True))
    assert logs[1]["loss"] == pytest.approx(logs[0]["loss"], rel=1e-6)


def test_a_config_without_kl_balance_builds_the_plain_objective():
    """Files saved before the option have no `kl_balance` in their
    config."""
    model = tiny(network="gated_mlp")
    config = model.get_config()
    assert config["kl_balance"] is False
    del config["kl_balance"]
    again = type(model).from_config(config)
    assert again.kl_balance is False and again.objective.group_sizes is None
    assert again.get_config() == model.get_config()

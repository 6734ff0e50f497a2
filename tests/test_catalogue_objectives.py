"""The catalogue's objectives part by part: WAE-MMD and InfoVAE's MMD,
FactorVAE's discriminator, DIP-VAE's covariance penalties, and the
MIWAE, PIWAE and CIWAE bounds, each against a numpy recomputation on fixed
inputs (the whole training loss of every preset is checked against its
formula in tests/test_objectives.py); PIWAE's split gradient against the
two bounds' gradients taken directly; the option combinations the math
refuses.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import real_images
from test_export import TF1Loaded
from test_objectives import digits  # noqa: F401 (a fixture)
from test_objectives import dip_penalty
from test_objectives import importance_weighted_objective
from test_objectives import iw_bound
from test_objectives import model_loss
from test_objectives import numpy_discriminator
from test_objectives import numpy_mmd
from test_objectives import numpy_of
from test_objectives import tiny
from zoo.objectives import dip_vae
from zoo.objectives import factor_vae
from zoo.objectives import mmd

RNG = np.random.default_rng(0)


# The MMD --------------------------------------------------------------------


@pytest.mark.parametrize("kernel", mmd.KERNELS)
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_mmd_is_the_unbiased_u_statistic(kernel, scale):
    """Against the pair-by-pair sums: within-sample pairs i != j over
    n (n - 1), cross pairs over n^2."""
    z = RNG.normal(1.0, 0.5, (7, 3))
    prior = RNG.normal(size=(7, 3))
    value = mmd.maximum_mean_discrepancy(
        tf.constant(z, "float32"), tf.constant(prior, "float32"), kernel,
        scale)
    np.testing.assert_allclose(float(value),
                               numpy_mmd(z, prior, kernel, scale), rtol=1e-5)


def test_mmd_is_unbiased_for_equal_distributions():
    """The U-statistic's mean is 0 when q = p (a V-statistic's, with the
    diagonal kept, is positive): 400 batches of 8 draws of N(0, I) against
    N(0, I), within 4 standard errors of 0."""
    values = [float(mmd.maximum_mean_discrepancy(
        tf.constant(RNG.normal(size=(8, 2)), "float32"),
        tf.constant(RNG.normal(size=(8, 2)), "float32"), "imq", 1.0))
        for _ in range(400)]
    error = np.std(values, ddof=1) / np.sqrt(len(values))
    assert abs(np.mean(values)) < 4 * error, (np.mean(values), error)


@pytest.mark.parametrize("name", ["wae_mmd", "info_vae"])
def test_the_mmd_metric_is_that_of_the_models_own_draws(name, digits):
    """The `mmd` the model logs is the MMD of the samples it drew against
    the prior draws it handed the objective (both recorded by spies)."""
    model = tiny(name)
    _, z = model_loss(model, digits[:16])
    assert model.prior_draws.shape == z.shape == (16, 3)
    objective = model.objective
    np.testing.assert_allclose(
        float(model.objective_trackers["mmd"].result()),
        numpy_mmd(z, model.prior_draws, objective.kernel,
                  objective.kernel_scale), rtol=1e-4, atol=1e-7)


def test_info_vae_weights_are_the_papers():
    """beta = 1 - alpha on the KL, alpha + lambda - 1 on the MMD; the
    config gives back alpha and lambda."""
    objective = zoo.objectives.InfoVAE(alpha=-0.5, lambda_=100.0)
    assert float(objective.beta) == 1.5
    assert float(objective.mmd_weight) == 98.5
    config = objective.get_config()
    assert (config["alpha"], config["lambda_"]) == (-0.5, 100.0)


# FactorVAE ----------------------------------------------------------------


def test_permute_dimensions_shuffles_each_column_by_its_own_keys():
    z = RNG.normal(size=(6, 4)).astype("float32")
    keys = RNG.uniform(size=(6, 4)).astype("float32")
    shuffled = numpy_of(factor_vae.permute_dimensions(
        tf.constant(z), tf.constant(keys)))
    for column in range(4):
        order = np.argsort(keys[:, column])
        np.testing.assert_array_equal(shuffled[:, column],
                                      z[order, column])
    # Different columns are shuffled differently.
    assert not np.array_equal(np.argsort(keys[:, 0]),
                              np.argsort(keys[:, 1]))


def discriminator_terms(objective, z):
    """The objective's latent loss and metrics for samples z."""
    terms = {"z": tf.constant(z), "kl": tf.zeros(len(z))}
    return objective.latent_loss(terms)


def test_factor_vae_tc_and_discriminator_loss_are_the_formulas():
    """TC = mean_i d(z_i); the discriminator's loss 1/2 [mean softplus(-d(z))
    + mean softplus(d(z~))] with z~ the shuffle of the seeded keys; the
    loss's value is beta KL + gamma TC (the discriminator's loss enters as
    a gradient only)."""
    objective = zoo.objectives.FactorVAE(gamma=3.0, discriminator_units=(5,),
                                         seed=4)
    z = RNG.normal(size=(10, 3)).astype("float32")
    generator = keras.random.SeedGenerator(4)
    keys = keras.random.uniform((10, 3), seed=generator)
    loss, metrics = discriminator_terms(objective, z)
    logits = numpy_discriminator(z, objective.discriminator)
    shuffled = numpy_of(factor_vae.permute_dimensions(tf.constant(z), keys))
    fake = numpy_discriminator(shuffled, objective.discriminator)
    softplus = lambda v: np.logaddexp(0.0, v)  # noqa: E731
    expected_loss = 0.5 * (np.mean(softplus(-logits))
                           + np.mean(softplus(fake)))
    np.testing.assert_allclose(float(metrics["total_correlation"]),
                               np.mean(logits), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(metrics["discriminator_loss"]),
                               expected_loss, rtol=1e-5)
    np.testing.assert_allclose(float(loss), 3.0 * np.mean(logits),
                               rtol=1e-5, atol=1e-6)


def test_factor_vae_gradients_reach_only_their_own_weights():
    """The TC term moves z (the encoder) and not the discriminator; the
    discriminator's loss moves the discriminator and not z; the gradient
    on the discriminator is exactly its own loss's."""
    objective = zoo.objectives.FactorVAE(gamma=2.0, discriminator_units=(6,),
                                         seed=1)
    z = tf.Variable(RNG.normal(size=(8, 3)).astype("float32"))
    discriminator_terms(objective, z.numpy())  # builds it
    weights = objective.discriminator.trainable_weights
    state = objective.seed_generator.state.numpy()
    with tf.GradientTape(persistent=True) as tape:
        loss, metrics = objective.latent_loss(
            {"z": z, "kl": tf.zeros(8)})
    on_weights = tape.gradient(loss, weights)
    on_z = tape.gradient(loss, z)
    # Directly: the TC's gradient on z, the discriminator loss's on the
    # weights (same shuffle: the seed state rewound).
    objective.seed_generator.state.assign(state)
    with tf.GradientTape(persistent=True) as tape:
        tc = tf.reduce_mean(objective.discriminator(z))
        _, again = objective.latent_loss({"z": z, "kl": tf.zeros(8)})
    np.testing.assert_allclose(on_z, 2.0 * tape.gradient(tc, z), rtol=1e-5,
                               atol=1e-7)
    direct = tape.gradient(again["discriminator_loss"], weights)
    for got, expected in zip(on_weights, direct):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert tape.gradient(again["discriminator_loss"], z) is None
    assert any(np.abs(grad).max() > 0 for grad in direct)


def test_factor_vae_trains_its_discriminator_in_fit_and_saves_it(tmp_path):
    model = zoo.get("factor_vae", input_shape=(12, 12, 1), latent_dim=3,
                    filters=(4,), hidden_units=(8,),
                    discriminator_units=(16, 16), seed=0)
    model.compile()
    x = real_images((12, 12, 1), count=32)
    model.fit(x, epochs=1, batch_size=16, verbose=0)
    discriminator = model.objective.discriminator
    before = [w.numpy().copy() for w in discriminator.weights]
    history = model.fit(x, epochs=1, batch_size=16, verbose=0)
    assert {"total_correlation", "discriminator_loss"} <= set(
        history.history)
    assert all(not np.array_equal(a, w.numpy())
               for a, w in zip(before, discriminator.weights))
    assert any(w is discriminator.weights[0]
               for w in model.trainable_weights)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    for a, b in zip(discriminator.weights,
                    loaded.objective.discriminator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # The discriminator's variables travel with the model into a SavedModel
    # that TF Serving's loader reads and answers like the model.
    served = TF1Loaded(zoo.export.export_for_serving(loaded,
                                                     tmp_path / "serving"))
    outputs = served.run("encode_mean", {"x": x[:4]})
    served.session.close()
    np.testing.assert_allclose(outputs["z_mean"], model.encode(x[:4]).mean(),
                               rtol=1e-5, atol=1e-5)


def test_factor_vae_shuffles_are_seeded_by_the_models_seed():
    """The model's seed reaches the objective's shuffles (by `zoo.get` and
    by `zoo.VAE` with the objective's name); an instance keeps its own."""
    options = {"input_shape": (8, 8, 1), "latent_dim": 2,
               "discriminator_units": (4,)}
    assert zoo.get("factor_vae", seed=3, **options).objective.seed == 3
    assert zoo.VAE(input_shape=(8, 8, 1), latent_dim=2, seed=5,
                   objective="factor_vae").objective.seed == 5
    own = zoo.objectives.FactorVAE(seed=7)
    assert zoo.VAE(input_shape=(8, 8, 1), latent_dim=2, seed=5,
                   objective=own).objective.seed == 7


# DIP-VAE ------------------------------------------------------------------


@pytest.mark.parametrize("kind", dip_vae.KINDS)
def test_dip_penalty_is_the_covariance_formula(kind):
    mean = RNG.normal(0.3, 1.5, (12, 4)).astype("float32")
    stddev = RNG.uniform(0.2, 1.0, (12, 4)).astype("float32")
    objective = zoo.objectives.DIPVAE(kind=kind, offdiagonal_weight=2.0,
                                      diagonal_weight=5.0)
    loss, metrics = objective.latent_loss({
        "z_mean": tf.constant(mean), "z_stddev": tf.constant(stddev),
        "kl": tf.fill([12], 0.5)})
    expected = dip_penalty(mean.astype("float64"), stddev.astype("float64"),
                           kind, 2.0, 5.0)
    np.testing.assert_allclose(float(metrics["dip_penalty"]), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(float(loss), expected + 0.5, rtol=1e-5)


def test_dip_default_diagonal_weights_follow_kumar_et_al():
    assert zoo.objectives.DIPVAE(offdiagonal_weight=3.0).diagonal_weight == 30.0
    assert zoo.objectives.DIPVAE(
        kind="ii", offdiagonal_weight=3.0).diagonal_weight == 3.0


# The importance-weighted family -------------------------------------------

LOG_WEIGHTS = RNG.normal(-100.0, 3.0, (6, 5)).astype("float32")


def bound_of(objective, log_weights=LOG_WEIGHTS, stopped=None):
    terms = {"log_weights": tf.constant(log_weights)}
    if stopped is not None:
        terms["stopped_log_weights"] = tf.constant(stopped)
    return numpy_of(objective.bound(terms))


@pytest.mark.parametrize("objective", [
    zoo.objectives.MIWAE(num_estimates=2, samples_per_estimate=3),
    zoo.objectives.MIWAE(num_estimates=3, samples_per_estimate=2),
    zoo.objectives.CIWAE(num_samples=6, elbo_weight=0.3),
    zoo.objectives.IWAE(num_samples=6),
], ids=["miwae_2x3", "miwae_3x2", "ciwae", "iwae"])
def test_iw_bounds_on_fixed_weights(objective):
    expected = importance_weighted_objective(
        objective, LOG_WEIGHTS.astype("float64"))
    np.testing.assert_allclose(bound_of(objective), expected, rtol=1e-6)


def test_miwae_averages_blocks_of_k_consecutive_samples():
    """MIWAE(2, 3) is the mean of L_3 on rows 0-2 and on rows 3-5, by
    hand; MIWAE(1, K) is the IWAE, MIWAE(M, 1) the mean log weight."""
    log_w = LOG_WEIGHTS.astype("float64")
    by_hand = 0.5 * (iw_bound(log_w[:3]) + iw_bound(log_w[3:]))
    np.testing.assert_allclose(
        bound_of(zoo.objectives.MIWAE(2, 3)), by_hand, rtol=1e-6)
    np.testing.assert_allclose(bound_of(zoo.objectives.MIWAE(1, 6)),
                               iw_bound(log_w), rtol=1e-6)
    np.testing.assert_allclose(bound_of(zoo.objectives.MIWAE(6, 1)),
                               log_w.mean(0), rtol=1e-6)


def test_ciwae_limits_are_the_elbo_and_the_iwae_exactly():
    iwae = bound_of(zoo.objectives.IWAE(num_samples=6))
    np.testing.assert_array_equal(
        bound_of(zoo.objectives.CIWAE(num_samples=6, elbo_weight=0.0)), iwae)
    np.testing.assert_array_equal(
        bound_of(zoo.objectives.CIWAE(num_samples=6, elbo_weight=1.0)),
        numpy_of(tf.reduce_mean(LOG_WEIGHTS, 0)))


def test_piwae_value_is_the_iwae_bound_of_all_samples():
    """The surrogate L_MK(w~) + L_M,K(w) - L_M,K(w~) at w~ = w."""
    np.testing.assert_allclose(
        bound_of(zoo.objectives.PIWAE(2, 3), stopped=LOG_WEIGHTS),
        iw_bound(LOG_WEIGHTS.astype("float64")), rtol=1e-6)


def test_piwae_trains_the_decoder_on_iwae_and_the_encoder_on_miwae(digits):
    """The gradient of the PIWAE model's loss on the decoder's weights is
    that of -L_MK, on the encoder's that of -L_M,K: both computed directly
    from the log weights of the same samples (the model's `log_weights`,
    tested against numpy in tests/test_objectives.py)."""
    model = tiny("piwae", num_estimates=2, samples_per_estimate=3)
    x = tf.constant(digits[:8])
    state = model.seed_generator.state.numpy()
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=None, y_pred=model(x, training=True))
    encoder, decoder = (model.encoder.trainable_weights,
                        model.decoder.trainable_weights)
    got = tape.gradient(loss, encoder + decoder)
    model.seed_generator.state.assign(state)
    with tf.GradientTape(persistent=True) as tape:
        y_pred = model(x, training=True)
        log_w = model.log_weights(x, y_pred["z"], y_pred["log_posterior"],
                                  y_pred["parameters"])
        iwae = -tf.reduce_mean(zoo.bounds.importance_weighted_bound(log_w))
        miwae = -tf.reduce_mean(zoo.objectives.miwae.multiple_bound(
            log_w, 2, 3))
    expected = (tape.gradient(miwae, encoder)
                + tape.gradient(iwae, decoder))
    for have, want in zip(got, expected):
        np.testing.assert_allclose(have, want, rtol=2e-4, atol=1e-5)
    # The two bounds' gradients differ: the test can tell them apart.
    other = tape.gradient(iwae, encoder)
    assert max(float(np.abs(a - b).max())
               for a, b in zip(other, expected[:len(encoder)])) > 1e-3


# What the math refuses ------------------------------------------------------


@pytest.mark.parametrize("name, options, message", [
    ("dip_vae", {"prior": "mixture"}, "standard normal prior"),
    ("dip_vae", {"prior": "vamp"}, "prior='standard_normal'"),
    ("dip_vae", {"kind": "iii"}, "kind"),
    ("info_vae", {"alpha": 1.5}, "alpha"),
    ("info_vae", {"alpha": 0.0, "lambda_": 0.5}, "lambda_"),
    ("wae_mmd", {"kernel": "laplace"}, "kernel"),
    ("wae_mmd", {"kernel_scale": 0.0}, "kernel_scale"),
    ("wae_mmd", {"mmd_weight": -1.0}, "mmd_weight"),
    ("factor_vae", {"gamma": -1.0}, "gamma"),
    ("factor_vae", {"discriminator_units": (8, 0)}, "discriminator_units"),
    ("ciwae", {"elbo_weight": 1.5}, "elbo_weight"),
    ("miwae", {"num_estimates": 0}, "num_estimates"),
    ("miwae", {"num_samples": 10}, "num_samples"),
    ("piwae", {"samples_per_estimate": 2.5}, "samples_per_estimate"),
])
def test_refused_options_name_the_reason(name, options, message):
    with pytest.raises(ValueError, match=message):
        zoo.get(name, input_shape=(8, 8, 1), latent_dim=2, **options)


def test_every_objective_is_in_the_axis_table():
    """`zoo.objectives`'s docstring lists every name of `OBJECTIVES`."""
    for name in zoo.objectives.OBJECTIVES:
        assert f'"{name}"' in zoo.objectives.__doc__, name

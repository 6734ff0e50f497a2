"""The MAF prior and the ex-post samplers (`zoo.samplers`) against their
formulas, and a fitted sampler attached to a model: sampling, the `.keras`
round trip and the exported signatures.

Densities are checked against independent recomputations: the mixture's
against scikit-learn's `score_samples` and scipy, the flows' against a
brute-force change of variables (the Jacobian of the inverse map by
automatic differentiation, its log-determinant by numpy), the second
stage's ELBO against numpy from its weights. Sample means are checked
with stated standard errors.
"""

import keras
import numpy as np
import pytest
import scipy.special
import scipy.stats
import sklearn.mixture
import tensorflow as tf

import zoo
from test_export import TF1Loaded
from zoo import samplers
from zoo.bounds import stateless_seed
from zoo.export import export_for_serving
from zoo.latents.gaussian import SCALE_FLOOR
from zoo.networks.made import MADE
from zoo.priors import MAFPrior

LATENT_DIM = 3
#: Tiny options of each sampler, for a few seconds of fitting.
TINY = {
    "gmm": {"num_components": 3},
    "maf": {"flow_steps": 2, "hidden_units": (16,), "epochs": 20,
            "batch_size": 100},
    "two_stage": {"hidden_units": (16,), "epochs": 40, "batch_size": 25,
                  "learning_rate": 3e-3},
}


def shifted_codes(count=1000, mean=3.0, scale=0.5, seed=0):
    """Correlated codes around `mean` (so a sampler must move N(0, I))."""
    rng = np.random.default_rng(seed)
    mixing = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.5, 0.9]])
    return (mean + scale * rng.standard_normal((count, 3)) @ mixing.T
            ).astype("float32")


def brute_force_log_prob(inverse, base_log_prob, z):
    """log p(z) = log p_base(f^-1(z)) + log |det d f^-1 / dz| per row, the
    Jacobian by automatic differentiation, its determinant by numpy."""
    z = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        x = inverse(z)
    jacobians = tape.batch_jacobian(x, z).numpy().astype("float64")
    _, log_det = np.linalg.slogdet(jacobians)
    return base_log_prob(x.numpy().astype("float64")) + log_det


def standard_normal_log_prob(x):
    return scipy.stats.norm.logpdf(x).sum(axis=-1)


# MADE and the MAF prior ---------------------------------------------------


def test_made_outputs_depend_only_on_earlier_inputs():
    made = MADE(4, hidden_units=(16, 16), seed=0)
    x = tf.constant(np.random.default_rng(0).normal(size=(5, 4)), "float32")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        shift, log_scale = made(x)
    for output in (shift, log_scale):
        jacobian = tape.batch_jacobian(output, x).numpy()
        # d output_i / d x_j is zero for j >= i, not everywhere.
        assert np.all(np.triu(jacobian) == 0)
        assert np.any(np.tril(jacobian, -1) != 0)


def test_maf_prior_density_is_the_change_of_variables():
    prior = MAFPrior(LATENT_DIM, flow_steps=2, hidden_units=(8,), seed=0)
    # Away from the initial weights, so the flow is not near the identity.
    rng = np.random.default_rng(1)
    for weight in prior.weights:
        weight.assign(rng.normal(0.0, 0.5, weight.shape))
    z = rng.normal(size=(6, LATENT_DIM)).astype("float32")
    expected = brute_force_log_prob(prior.bijector().inverse,
                                     standard_normal_log_prob, z)
    actual = prior.distribution().log_prob(z).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    assert np.ptp(expected) > 1.0  # the points differ in density
    eps = rng.normal(size=(6, LATENT_DIM)).astype("float32")
    np.testing.assert_allclose(
        prior.bijector().inverse(prior.sample_from_noise(eps)), eps,
        atol=1e-4)


def test_a_maf_prior_model_uses_the_monte_carlo_kl():
    model = zoo.VAE(input_shape=(8, 8, 1), latent_dim=LATENT_DIM,
                    network="mlp", hidden_units=(8,), prior="maf", seed=0)
    x = (np.random.default_rng(0).uniform(size=(4, 8, 8, 1)) > 0.5).astype(
        "float32")
    posterior = model.encode(x)
    z = posterior.sample(seed=(1, 2))
    expected = posterior.log_prob(z).numpy() - brute_force_log_prob(
        model.prior_layer.bijector().inverse, standard_normal_log_prob,
        z.numpy())
    np.testing.assert_allclose(model.kl_divergence(posterior, z), expected,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_a_maf_prior_model_samples_and_exports_through_its_flow(tmp_path):
    model = zoo.VAE(input_shape=(8, 8, 1), latent_dim=LATENT_DIM,
                    network="mlp", hidden_units=(8,), prior="maf", seed=0)
    eps = np.random.default_rng(0).standard_normal(
        (5, LATENT_DIM)).astype("float32")
    z = model.prior_layer.bijector().forward(eps)
    np.testing.assert_allclose(model.compute_samples_from_noise(eps),
                               model.decode(z).mean(), rtol=1e-6)
    tf1 = TF1Loaded(export_for_serving(model, tmp_path / "serving"))
    outputs = tf1.run("sample_from_noise", {"eps": eps})
    samples = tf1.run("sample", {"num_samples": np.int32(4),
                                 "seed": np.array([2, 0], "int32")})
    tf1.session.close()
    np.testing.assert_allclose(outputs["images"], model.decode(z).mean(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(samples["images"], model.sample(4, seed=2),
                               rtol=1e-5, atol=1e-6)


# The samplers' densities against their fitted parameters -------------------


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_gmm_density_is_the_fitted_mixtures(covariance_type):
    codes = shifted_codes()
    sampler = samplers.GaussianMixtureSampler(
        LATENT_DIM, num_components=3, covariance_type=covariance_type,
        seed=0).fit(codes)
    reference = sklearn.mixture.GaussianMixture(
        3, covariance_type=covariance_type, random_state=0).fit(
        codes.astype("float64"))
    points = np.concatenate([codes[:20], shifted_codes(20, mean=0.0)])
    np.testing.assert_allclose(sampler.log_prob(points),
                               reference.score_samples(points), rtol=1e-4,
                               atol=1e-3)
    covariances = reference.covariances_ if covariance_type == "full" else [
        np.diag(row) for row in reference.covariances_]
    by_scipy = scipy.special.logsumexp([
        np.log(weight) + scipy.stats.multivariate_normal(mean, cov).logpdf(
            points)
        for weight, mean, cov in zip(reference.weights_, reference.means_,
                                     covariances)], axis=0)
    np.testing.assert_allclose(sampler.log_prob(points), by_scipy, rtol=1e-4,
                               atol=1e-3)


def test_gmm_draws_pick_the_component_by_u_and_scale_by_its_cholesky():
    sampler = samplers.GaussianMixtureSampler(
        LATENT_DIM, num_components=3, seed=0).fit(shifted_codes())
    rng = np.random.default_rng(0)
    eps = rng.standard_normal((50, LATENT_DIM)).astype("float32")
    u = rng.uniform(size=50).astype("float32")
    weights = np.exp(sampler.log_weights.numpy())
    component = np.searchsorted(np.cumsum(weights)[:-1], u, side="right")
    expected = sampler.means.numpy()[component] + np.einsum(
        "nij,nj->ni", sampler.scale_tril.numpy()[component], eps)
    np.testing.assert_allclose(sampler.sample_from_noise(eps, u), expected,
                               rtol=1e-5, atol=1e-5)
    covariance = sampler.scale_tril.numpy() @ np.swapaxes(
        sampler.scale_tril.numpy(), 1, 2)
    assert np.allclose(np.tril(sampler.scale_tril.numpy()),
                       sampler.scale_tril.numpy())
    assert np.all(np.linalg.eigvalsh(covariance) > 0)


@pytest.mark.slow
def test_maf_sampler_density_is_the_change_of_variables():
    codes = shifted_codes()
    sampler = samplers.MAFSampler(LATENT_DIM, seed=0, **TINY["maf"]).fit(
        codes)
    mean, scale = codes.mean(axis=0), codes.std(axis=0)
    np.testing.assert_allclose(sampler.code_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(sampler.code_scale, scale, rtol=1e-5)
    flow = sampler.flow.bijector()
    points = codes[:10]
    expected = brute_force_log_prob(
        lambda z: flow.inverse((z - mean) / scale),
        standard_normal_log_prob, points)
    np.testing.assert_allclose(sampler.log_prob(points), expected,
                               rtol=1e-4, atol=1e-4)
    # Fitting raised the codes' likelihood above the unfitted flow's.
    unfitted = samplers.MAFSampler(LATENT_DIM, seed=0, **TINY["maf"])
    unfitted.standardize(codes)
    assert np.mean(sampler.log_prob(codes)) > np.mean(
        unfitted.log_prob(codes)) + 0.1


def test_two_stage_elbo_is_the_formula():
    sampler = samplers.TwoStageSampler(LATENT_DIM, hidden_units=(8,),
                                       seed=0)
    sampler.log_gamma.assign(-0.7)
    s = shifted_codes(6, mean=0.0, scale=1.0)
    seed = tf.constant([3, 4], tf.int32)
    actual = float(sampler.second_stage_elbo(s, seed))
    outputs = sampler.second_encoder(s).numpy().astype("float64")
    mean, raw = outputs[:, :LATENT_DIM], outputs[:, LATENT_DIM:]
    stddev = np.logaddexp(0.0, raw) + SCALE_FLOOR
    noise = tf.random.stateless_normal((6, LATENT_DIM), seed).numpy()
    u = (mean + stddev * noise).astype("float32")
    decoded = sampler.second_decoder(u).numpy().astype("float64")
    log_likelihood = scipy.stats.norm(decoded, np.exp(-0.7)).logpdf(s).sum(1)
    kl = np.sum(-np.log(stddev) + (stddev**2 + mean**2 - 1) / 2, axis=1)
    np.testing.assert_allclose(actual, np.mean(log_likelihood - kl),
                               rtol=1e-5)


# Draws: seeded, and moved to the codes --------------------------------------


@pytest.fixture(scope="module", params=sorted(samplers.SAMPLERS))
def fitted(request):
    return samplers.make_sampler(request.param, LATENT_DIM, seed=0,
                                 **TINY[request.param]).fit(shifted_codes())


def test_draws_are_reproducible_from_the_seed(fitted):
    first = fitted.sample(100, stateless_seed(7)).numpy()
    np.testing.assert_array_equal(first,
                                  fitted.sample(100, stateless_seed(7)))
    assert not np.allclose(first, fitted.sample(100, stateless_seed(8)))


def test_a_fitted_sampler_draws_around_the_codes(fitted):
    """The codes have mean about 3 and standard deviation about 0.5 per
    dimension; the mean of 4,000 draws has a standard error of 0.5 /
    sqrt(4000) = 0.0079, so it must be within 0.04 (5 standard errors) of
    the codes' mean, plus 0.03 for the error of a few epochs' fit of the
    trained samplers, and their standard deviation within 0.1 of the
    codes'. The second stage draws the mean of p(s|u) = N(g(u), gamma^2 I)
    (Dai & Wipf), which lacks the gamma^2 of noise its fit attributes to
    the standardised codes: its draws' standard deviation is d sqrt(1 -
    gamma^2) (d the codes'), the same tolerance. N(0, I) draws would have
    mean 0 and standard deviation 1."""
    codes = shifted_codes()
    draws = fitted.sample(4000, stateless_seed(0)).numpy()
    tolerance = 0.04 if isinstance(
        fitted, samplers.GaussianMixtureSampler) else 0.07
    np.testing.assert_allclose(draws.mean(axis=0), codes.mean(axis=0),
                               atol=tolerance)
    spread = codes.std(axis=0)
    if isinstance(fitted, samplers.TwoStageSampler):
        spread = spread * np.sqrt(1 - np.exp(2 * fitted.log_gamma.numpy()))
    np.testing.assert_allclose(draws.std(axis=0), spread, atol=0.1)


# A sampler attached to a model ---------------------------------------------


def tiny_model():
    model = zoo.VAE(input_shape=(8, 8, 1), latent_dim=LATENT_DIM,
                    network="mlp", hidden_units=(8,), seed=0)
    model.compile()
    return model


def binary_images(count=200):
    return (np.random.default_rng(0).uniform(size=(count, 8, 8, 1)) > 0.5
            ).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(samplers.SAMPLERS))
def test_fit_sampler_attaches_it_to_sampling_saving_and_export(
        name, tmp_path):
    model, x = tiny_model(), binary_images()
    prior_samples = model.sample(8, seed=1).numpy()
    sampler = model.fit_sampler(x, name, **TINY[name])
    assert model.sampler is sampler and not sampler.trainable_weights
    if name != "gmm":  # fitted to the encoder's means
        np.testing.assert_allclose(
            sampler.code_mean, np.asarray(model.encoder(x)[0]).mean(0),
            rtol=1e-4, atol=1e-5)
    samples = model.sample(8, seed=1).numpy()
    expected = model.decode(sampler.sample(8, stateless_seed(1))).mean()
    np.testing.assert_allclose(samples, expected, rtol=1e-6)
    assert not np.allclose(samples, prior_samples)

    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert type(loaded.sampler) is type(sampler)
    np.testing.assert_array_equal(loaded.sample(8, seed=1), samples)
    assert len(loaded.trainable_weights) == len(model.trainable_weights)
    loaded.fit(x, epochs=1, batch_size=100, verbose=0)  # it trains on

    tf1 = TF1Loaded(export_for_serving(model, tmp_path / "serving"))
    outputs = tf1.run("sample", {"num_samples": np.int32(8),
                                 "seed": np.array([1, 0], "int32")})
    np.testing.assert_allclose(outputs["images"], samples, rtol=1e-5,
                               atol=1e-6)
    rng = np.random.default_rng(0)
    noise = {"eps": rng.standard_normal((5, LATENT_DIM)).astype("float32")}
    if "u" in model.noise_inputs:
        noise["u"] = rng.uniform(size=5).astype("float32")
    outputs = tf1.run("sample_from_noise", noise)
    tf1.session.close()
    np.testing.assert_allclose(
        outputs["images"], model.compute_samples_from_noise(**noise),
        rtol=1e-5, atol=1e-6)


def test_a_model_without_a_sampler_samples_its_prior():
    model = tiny_model()
    z = model.prior().sample(5, seed=stateless_seed(3))
    np.testing.assert_allclose(model.sample(5, seed=3),
                               model.decode(z).mean(), rtol=1e-6)
    assert model.sampler is None and model.get_config()["sampler"] is None


# Refusals -----------------------------------------------------------------


@pytest.mark.parametrize("options, message", [
    ({"sampler": "pixelcnn"}, "`sampler` must be one of"),
    ({"sampler": "gmm", "flow_steps": 2}, "takes the options"),
    ({"sampler": "gmm", "num_components": 0}, "`num_components` must be"),
    ({"sampler": "gmm", "covariance_type": "tied"}, "`covariance_type`"),
    ({"sampler": "gmm", "num_components": 500}, "at most the number of"),
    ({"sampler": "maf", "flow_steps": 0}, "`flow_steps` must be"),
    ({"sampler": "two_stage", "learning_rate": 0.0}, "`learning_rate`"),
    ({"sampler": "maf", "batch_size": 0}, "`batch_size` must be"),
])
def test_bad_sampler_options_name_the_option(options, message):
    model = tiny_model()
    with pytest.raises(ValueError, match=message):
        model.fit_sampler(binary_images(100), **options)
    assert model.sampler is None


def test_a_conditional_model_refuses_a_sampler():
    model = zoo.VAE(input_shape=(8, 8, 1), latent_dim=LATENT_DIM,
                    network="mlp", hidden_units=(8,), num_classes=3)
    with pytest.raises(ValueError, match="conditional model"):
        model.fit_sampler(binary_images(20))


def test_a_codebook_model_refuses_a_sampler():
    model = zoo.get("vq_vae", input_shape=(8, 8, 1), latent_dim=2,
                    num_embeddings=4, filters=(4,), prior_width=4,
                    prior_blocks=0)
    with pytest.raises(ValueError, match="grid of codebook indices"):
        model.fit_sampler(binary_images(20))


def test_a_sampler_of_another_latent_dim_is_refused():
    sampler = samplers.GaussianMixtureSampler(LATENT_DIM + 1)
    with pytest.raises(ValueError, match="latent_dim=3"):
        zoo.VAE(input_shape=(8, 8, 1), latent_dim=LATENT_DIM,
                network="mlp", sampler=sampler)

"""The latent axis (`zoo.latents`) against its formulas: each test
recomputes the quantity independently (numpy/scipy closed forms, brute-force
Jacobians, enumeration of a discrete latent) or estimates it by seeded Monte
Carlo with a stated standard error, so a wrong formula fails.

The contract (fit, `.keras` round trip, export) of every latent is the
covering suite's and the presets' (tests/test_contract.py)."""

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf

import zoo
from zoo import latents
from zoo.latents.autoregressive_network import made_masks
from zoo.latents.deterministic import decoder_l2
from zoo.latents.deterministic import gradient_penalty
from zoo.likelihoods import tfd
from zoo.training.callbacks import TemperatureSchedule

#: Monte Carlo checks pass within this many standard errors.
SE = 4.0


def tiny(latent, latent_dim=3, size=6, **options):
    """A dense model over flat `(size,)` examples with a linear decoder."""
    return zoo.VAE(input_shape=(size,), latent_dim=latent_dim, network="mlp",
                   hidden_units=(), seed=0, latent=latent, **options)


def randomise(layer, seed=0, scale=0.5):
    """Give every weight of `layer` random values (flows start as the
    identity)."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        if weight.trainable:
            weight.assign(rng.normal(0, scale, weight.shape).astype(
                "float32"))


# Inverse autoregressive flow -----------------------------------------------


def test_made_masks_make_each_output_depend_on_earlier_inputs_only():
    masks = made_masks(5, (7, 9))
    connectivity = masks[0]
    for mask in masks[1:]:
        connectivity = (connectivity @ mask) > 0
    expected = np.triu(np.ones((5, 5)), k=1) > 0  # input i -> output j > i
    np.testing.assert_array_equal(connectivity, expected)


def test_iaf_log_determinant_matches_a_brute_force_jacobian():
    latent = latents.InverseAutoregressiveFlow(flow_steps=3,
                                               flow_hidden_units=(8, 8))
    latent.configure(4)
    randomise(latent)
    bijector = latent.bijector()
    z_0 = tf.constant(np.random.default_rng(1).normal(size=(5, 4)),
                      "float32")
    with tf.GradientTape() as tape:
        tape.watch(z_0)
        z = bijector.forward(z_0)
    jacobian = tape.batch_jacobian(z, z_0).numpy().astype("float64")
    assert not np.allclose(jacobian, np.eye(4))  # the flow does something
    _, brute_force = np.linalg.slogdet(jacobian)
    np.testing.assert_allclose(
        bijector.forward_log_det_jacobian(z_0, event_ndims=1), brute_force,
        rtol=1e-4, atol=1e-4)


def test_iaf_log_density_at_its_sample_matches_the_inverse_pass():
    """log q(z_T|x) from the forward pass (base density minus the log-det)
    equals TFP's density of the transformed distribution, which inverts the
    flow step by step."""
    latent = latents.InverseAutoregressiveFlow(flow_steps=2)
    latent.configure(3)
    randomise(latent, seed=2, scale=0.2)
    rng = np.random.default_rng(3)
    parameters = [tf.constant(rng.normal(size=(4, 3)), "float32"),
                  tf.constant(rng.uniform(0.5, 1.5, (4, 3)), "float32")]
    eps = tf.constant(rng.normal(size=(2, 4, 3)), "float32")
    z, log_q = latent.posterior_from_noise(parameters, eps)
    np.testing.assert_allclose(
        latent.posterior(parameters).log_prob(tf.identity(z)), log_q,
        rtol=1e-4, atol=1e-4)


def test_iaf_model_kl_is_the_monte_carlo_log_ratio_at_the_sample():
    model = tiny("iaf")
    randomise(model.latent)
    x = np.random.default_rng(0).uniform(size=(4, 6)).astype("float32")
    parameters = model.posterior_parameters(x)
    z, log_q = model.latent.posterior_from_noise(
        parameters, tf.random.stateless_normal((1, 4, 3), (0, 1)))
    expected = log_q[0] - zoo.priors.standard_normal_prior(3).log_prob(z[0])
    np.testing.assert_allclose(
        model.kl_divergence(model.latent.posterior(parameters), z[0],
                            log_q[0]), expected, rtol=1e-6)


# von Mises-Fisher ----------------------------------------------------------


def vmf_log_density(z, mu, kappa):
    """log vMF(z; mu, kappa) on S^{d-1} from its formula (scipy's Bessel
    function): kappa mu^T z + (d/2 - 1) log kappa - (d/2) log 2 pi
    - log I_{d/2-1}(kappa)."""
    d = z.shape[-1]
    return (kappa * np.sum(mu * z, -1) + (d / 2 - 1) * np.log(kappa)
            - d / 2 * np.log(2 * np.pi)
            - np.log(scipy.special.iv(d / 2 - 1, kappa)))


def test_vmf_kl_and_entropy_match_a_seeded_monte_carlo_estimate():
    """KL(vMF || uniform) = E_q[log q - log p] and H = -E_q[log q], with
    log q from the density's formula and log p = -log |S^2| = -log 4 pi;
    200,000 samples, within 4 standard errors."""
    latent = latents.VonMisesFisher()
    latent.configure(3)
    mu = np.array([[1.0, 0, 0], [0.6, 0.8, 0], [0, 0, -1.0]], "float32")
    kappa = np.array([[0.5], [4.0], [30.0]], "float32")
    posterior = latent.posterior([mu, kappa])
    prior = latent.fixed_prior()
    kl = model_free_kl = latent.kl_divergence(posterior, None, prior).numpy()
    z = posterior.sample(200_000, seed=tf.constant([1, 2])).numpy()
    log_q = vmf_log_density(z.astype("float64"), mu, kappa[:, 0])
    log_p = -np.log(4 * np.pi)
    for analytic, values in ((model_free_kl, log_q - log_p),
                             (posterior.entropy().numpy(), -log_q)):
        error = values.std(0) / np.sqrt(len(values))
        assert np.all(np.abs(values.mean(0) - analytic) < SE * error), (
            analytic, values.mean(0), error)
    assert np.all(kl > 0)
    # The sampler's mean is A_3(kappa) mu, A_3 = coth kappa - 1 / kappa.
    mean_length = 1 / np.tanh(kappa[:, 0]) - 1 / kappa[:, 0]
    error = z.std(0) / np.sqrt(len(z))
    assert np.all(np.abs(z.mean(0) - mean_length[:, None] * mu) < SE * error)


def test_vmf_closed_forms_on_s2_match_the_bessel_formulas():
    """log q(z), the entropy and the mean of the posterior (closed forms
    for d = 3) equal the general formulas with scipy's Bessel functions:
    log C_d with I_{d/2-1}, and A_d = I_{d/2} / I_{d/2-1}."""
    latent = latents.VonMisesFisher()
    latent.configure(3)
    mu = np.array([[1.0, 0, 0], [0.6, 0.8, 0], [0, 0, -1.0], [0, 1.0, 0]],
                  "float32")
    kappa = np.array([[1.0], [4.0], [30.0], [300.0]], "float32")
    posterior = latent.posterior([mu, kappa])
    z = posterior.sample(7, seed=tf.constant([1, 2])).numpy()
    np.testing.assert_allclose(
        posterior.log_prob(z), vmf_log_density(
            z.astype("float64"), mu, kappa[:, 0].astype("float64")),
        rtol=1e-5, atol=1e-5)
    k = kappa[:, 0].astype("float64")
    a_3 = scipy.special.ive(1.5, k) / scipy.special.ive(0.5, k)
    log_c = (0.5 * np.log(k) - 1.5 * np.log(2 * np.pi)
             - np.log(scipy.special.ive(0.5, k)) - k)
    np.testing.assert_allclose(posterior.entropy(), -k * a_3 - log_c,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(posterior.mean(), a_3[:, None] * mu,
                               rtol=1e-5, atol=1e-6)


def test_vmf_sample_gradients_are_unbiased_seeded_monte_carlo():
    """The reparameterised sample's gradients are those of the exact
    expectations: E[mu^T z] = A_3(kappa) = coth kappa - 1 / kappa, so
    d/dkappa E[mu^T z] = 1 / kappa^2 - 1 / sinh^2 kappa; and with
    mu = v / ||v||, E[a^T z] = A_3 a^T v / ||v||, whose gradient in v is
    A_3 (a - (a^T mu) mu) / ||v||. One draw per copy of (v, kappa), 40,000
    copies, within 4 standard errors."""
    latent = latents.VonMisesFisher()
    latent.configure(3)
    count = 40_000
    a = tf.constant([0.3, -0.2, 0.5])
    v_value = np.array([1.2, 1.6, 0.0], "float32")  # ||v|| = 2
    mu = v_value / 2.0
    for kappa_value in (0.5, 4.0, 50.0, 300.0):
        kappa = tf.Variable(np.full((count, 1), kappa_value, "float32"))
        v = tf.Variable(np.tile(v_value, (count, 1)))
        with tf.GradientTape(persistent=True) as tape:
            posterior = latent.posterior(
                [tf.math.l2_normalize(v, axis=-1), kappa])
            z = posterior.sample(seed=tf.constant([5, 6]))
            cosine = tf.reduce_sum(z * mu, axis=-1)
            projection = tf.reduce_sum(z * a, axis=-1)
        per_draw = tape.gradient(cosine, kappa).numpy()[:, 0]
        wanted = 1 / kappa_value**2 - 1 / np.sinh(np.float64(kappa_value))**2
        error = per_draw.std() / np.sqrt(count)
        assert abs(per_draw.mean() - wanted) < SE * error, (
            kappa_value, per_draw.mean(), wanted, error)
        per_draw = tape.gradient(projection, v).numpy()
        length = 1 / np.tanh(kappa_value) - 1 / kappa_value
        wanted = length * (a.numpy() - (a.numpy() @ mu) * mu) / 2.0
        error = per_draw.std(0) / np.sqrt(count)
        assert np.all(np.abs(per_draw.mean(0) - wanted) < SE * error + 1e-7
                      ), (kappa_value, per_draw.mean(0), wanted, error)


def test_vmf_sample_gradients_stay_finite_where_the_cosine_rounds_to_1():
    """At large kappa the cosine w = mu^T z of many draws rounds to 1 in
    float32 (u within ~3e-8 kappa of 1). The radius sqrt(1 - w^2) is
    formed from 1 - w and 1 + w computed apart, so its gradient stays
    finite: with 1 - w^2 from the rounded w (TFP 0.25's sampler) one such
    draw made every gradient NaN, and a conv `svae` on Fashion-MNIST
    (kappa ~ 480) NaN-ed in its first epoch."""
    latent = latents.VonMisesFisher()
    latent.configure(3)
    mu = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], "float32")
    smallest = np.inf  # of 1 - w = ||z - mu||^2 / 2 over every draw
    for kappa_value in (300.0, 1e4, 1e6):
        kappa = tf.Variable(np.full((2, 1), kappa_value, "float32"))
        v = tf.Variable(mu)
        with tf.GradientTape() as tape:
            posterior = latent.posterior(
                [tf.math.l2_normalize(v, axis=-1), kappa])
            z = posterior.sample(5000, seed=tf.constant([1, 2]))
            loss = tf.reduce_sum(z * tf.constant([0.3, -0.2, 0.5]))
        distance = np.linalg.norm(z.numpy().astype("float64") - mu, axis=-1)
        smallest = min(smallest, np.min(distance**2 / 2))
        for gradient in tape.gradient(loss, [kappa, v]):
            assert np.all(np.isfinite(gradient.numpy())), kappa_value
        np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0,
                                   rtol=1e-6)
    # The case is reached: w rounds to 1 (1 - w below half of float32's
    # spacing under 1, 2^-24) for some draws.
    assert smallest < 2.0**-25


def test_vmf_prior_samples_from_noise_are_uniform_on_the_sphere():
    latent = latents.VonMisesFisher()
    latent.configure(3)
    eps = np.random.default_rng(0).normal(size=(100_000, 3))
    z = latent.prior_from_noise(tf.constant(eps, "float32")).numpy()
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1.0, rtol=1e-5)
    # Uniform on S^2: each coordinate is uniform on [-1, 1] (Archimedes),
    # mean 0 and variance 1/3.
    error = np.sqrt(1 / 3 / len(z))
    assert np.all(np.abs(z.mean(0)) < SE * error)
    assert np.all(np.abs((z**2).mean(0) - 1 / 3) < SE * np.sqrt(
        (1 / 5 - 1 / 9) / len(z)))


# Relaxed categorical and joint ---------------------------------------------


def categorical_kl(logits, categories):
    """sum_v sum_k q log(q C) for logits (batch, V * C), in numpy."""
    grouped = logits.reshape(len(logits), -1, categories)
    q = scipy.special.softmax(grouped, -1)
    return np.sum(q * np.log(q * categories), axis=(-2, -1))


def test_relaxed_categorical_kl_is_the_discrete_kl_to_the_uniform():
    latent = latents.RelaxedCategorical(num_categories=3)
    latent.configure(6)
    logits = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    posterior = latent.posterior([logits])
    np.testing.assert_allclose(
        latent.kl_divergence(posterior, None, latent.fixed_prior()),
        categorical_kl(logits, 3), rtol=1e-5)


def test_gumbel_samples_choose_each_category_with_its_probability():
    """The relaxed training sample's argmax and the Gumbel-max sample made
    from normal noise (the score_from_noise signature) are both c ~ q(c|x):
    category frequencies over 100,000 draws within 4 standard errors of
    softmax(logits)."""
    latent = latents.RelaxedCategorical(num_categories=4, temperature=0.7)
    latent.configure(4)
    logits = np.array([[1.0, -0.5, 0.2, 2.0]], "float32")
    probabilities = scipy.special.softmax(logits[0])
    count = 100_000
    relaxed = latent.training_sample(
        [logits], count, keras.random.SeedGenerator(0))[0].numpy()[:, 0]
    assert np.all(relaxed > 0) and np.allclose(relaxed.sum(-1), 1, rtol=1e-5)
    eps = np.random.default_rng(1).normal(size=(count, 1, 4))
    exact, log_q = latent.posterior_from_noise(
        [logits], tf.constant(eps, "float32"))
    exact = exact.numpy()[:, 0]
    np.testing.assert_array_equal(exact.sum(-1), 1.0)
    np.testing.assert_allclose(log_q.numpy()[:, 0],
                               np.log(probabilities[exact.argmax(-1)]),
                               rtol=1e-5)
    error = np.sqrt(probabilities * (1 - probabilities) / count)
    for draws in (np.eye(4)[relaxed.argmax(-1)], exact):
        assert np.all(np.abs(draws.mean(0) - probabilities) < SE * error)


def test_relaxed_categorical_bounds_match_the_enumerated_model():
    """One variable of 3 categories: log p(x) = logsumexp_c [log p(x|c)
    - log 3] and ELBO = sum_c q(c) log p(x|c) - KL exactly, by
    enumeration. `elbo` (one exact sample c ~ q(c|x)) averages to the ELBO
    and `log_likelihood` (K = 2,000) is log p(x), each within 4 standard
    errors: the ELBO's from the 60 draws, the bound's the delta method's
    sqrt(Var_q(w) / K) / p(x), Var_q(w) enumerated."""
    model = tiny("relaxed_categorical")
    randomise(model, scale=1.0)
    x = (np.random.default_rng(0).uniform(size=(3, 6)) > 0.5).astype(
        "float32")
    logits = model.posterior_parameters(x)[0].numpy()
    q = scipy.special.softmax(logits, -1)
    log_px_given_c = np.stack([
        model.decode(np.tile(np.eye(3)[c], (3, 1))).log_prob(x).numpy()
        for c in range(3)], -1).astype("float64")
    exact = scipy.special.logsumexp(log_px_given_c - np.log(3), axis=-1)
    elbo = np.sum(q * log_px_given_c, -1) - categorical_kl(logits, 3)
    draws = np.stack([model.elbo(x, seed=seed) for seed in range(60)])
    error = draws.std(0) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(0) - elbo) < SE * error + 1e-5)
    weights = np.exp(log_px_given_c - np.log(3) - np.log(q) - exact[:, None])
    error = np.sqrt((np.sum(q * weights**2, -1) - 1) / 2000)
    bound = model.log_likelihood(x, num_samples=2000, chunk_size=1000)
    assert np.all(np.abs(bound.numpy() - exact) < SE * error + 1e-5)
    assert not np.allclose(elbo, exact, atol=0.1)  # the bound is tighter


def test_joint_kl_is_the_gaussian_plus_the_categorical_closed_form():
    latent = latents.Joint(num_categories=3)
    latent.configure(5)
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(4, 2)).astype("float32")
    stddev = rng.uniform(0.3, 2.0, (4, 2)).astype("float32")
    logits = rng.normal(size=(4, 3)).astype("float32")
    posterior = latent.posterior([mean, stddev, logits])
    gaussian = 0.5 * np.sum(stddev**2 + mean**2 - 1 - 2 * np.log(stddev), -1)
    np.testing.assert_allclose(
        latent.kl_divergence(posterior, None, latent.fixed_prior()),
        gaussian + categorical_kl(logits, 3), rtol=1e-5)
    z = posterior.sample(seed=tf.constant([1, 1])).numpy()
    np.testing.assert_array_equal(z[:, 2:].sum(-1), 1.0)  # one-hot part


def test_temperature_schedule_anneals_exponentially_to_its_floor():
    model = tiny("joint", latent_dim=4)
    model.compile()
    x = np.random.default_rng(0).uniform(size=(40, 6)).astype("float32")
    schedule = TemperatureSchedule(start=1.0, minimum=0.5, rate=0.1)
    model.fit(x, batch_size=4, epochs=1, verbose=0, callbacks=[schedule])
    # Assigned before step t = 9 (the 10th batch): max(0.5, exp(-0.9)).
    assert float(model.temperature) == pytest.approx(max(0.5, np.exp(-0.9)))
    with pytest.raises(ValueError, match="temperature"):
        gaussian = tiny("gaussian")
        gaussian.compile()
        gaussian.fit(x, verbose=0, callbacks=[TemperatureSchedule()])


# Deterministic (autoencoder, RAE) ------------------------------------------


def test_rae_penalties_match_numpy():
    """beta_z ||z||^2 / 2 + lambda R with R the decoder's squared weights
    (L2) or, for the linear decoder D(z) = W^T z + b, the gradient of
    sum_j D(z)_j, which is W 1 for every z (GP)."""
    rng = np.random.default_rng(0)
    z = tf.constant(rng.normal(size=(5, 3)), "float32")
    for penalty in ("l2", "gradient"):
        model = tiny(latents.Deterministic(penalty=penalty, latent_weight=0.3,
                                           penalty_weight=0.01))
        randomise(model.decoder)
        kernel, bias = (w.numpy() for w in model.decoder.trainable_weights)
        if penalty == "l2":
            regularizer = np.sum(kernel**2) + np.sum(bias**2)
            np.testing.assert_allclose(decoder_l2(model.decoder),
                                       regularizer, rtol=1e-5)
        else:
            regularizer = np.sum(kernel.sum(-1) ** 2)
            np.testing.assert_allclose(
                gradient_penalty(z, model.likelihood_parameters),
                np.full(5, regularizer), rtol=1e-5)
        expected = 0.3 * 0.5 * np.sum(z.numpy()**2, -1) + 0.01 * regularizer
        terms = model.latent_terms(None, z)
        assert terms["kl"] is None
        np.testing.assert_allclose(terms["latent_loss"], expected, rtol=1e-5)


def test_gradient_penalty_is_taken_at_each_examples_own_code():
    """For D(z) = tanh(z W), d/dz sum_j D(z)_j = W (1 - tanh(z W)^2): it
    changes with z, so a penalty taken at another example's code (or at
    one code for the batch) gives other numbers."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 3)).astype("float32")
    kernel = rng.normal(size=(3, 4)).astype("float32")
    gradient = (1 - np.tanh(z @ kernel) ** 2) @ kernel.T
    np.testing.assert_allclose(
        gradient_penalty(tf.constant(z), lambda codes: tf.tanh(codes @ kernel)),
        np.sum(gradient**2, -1), rtol=1e-5)


def test_a_plain_autoencoder_trains_on_the_reconstruction_alone():
    model = tiny("deterministic")
    model.compile()
    x = np.random.default_rng(0).uniform(size=(8, 6)).astype("float32")
    logs = model.test_on_batch(x, return_dict=True)
    assert sorted(logs) == ["loss", "reconstruction"]
    assert logs["loss"] == pytest.approx(logs["reconstruction"], rel=1e-6)
    z = model.posterior_parameters(x)[0]
    expected = -model.decode(z).log_prob(x).numpy().mean()
    assert logs["reconstruction"] == pytest.approx(expected, rel=1e-5)
    assert model.beta is None
    np.testing.assert_array_equal(model.encode(x).sample(seed=(1, 1)), z)


def test_a_deterministic_model_has_no_bound_and_exports_no_score(tmp_path):
    model = zoo.get("autoencoder", input_shape=(8, 8, 1), latent_dim=2)
    x = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")
    for method in (model.elbo, model.log_likelihood):
        with pytest.raises(ValueError, match="has none"):
            method(x)
    signatures = model.serving_signatures()
    assert "score" not in signatures and "score_from_noise" not in signatures
    path = zoo.export.export_for_serving(model, tmp_path / "serving")
    loaded = tf.saved_model.load(str(path))
    assert "score" not in loaded.signatures
    assert "encode" in loaded.signatures
    assert model.sample(3, seed=0).shape == (3, 8, 8, 1)


# Refusals ------------------------------------------------------------------


@pytest.mark.parametrize("options, message", [
    ({"latent": "spherical"}, "latent"),
    ({"latent": "von_mises_fisher", "latent_dim": 4}, "latent_dim=3"),
    ({"latent": latents.RelaxedCategorical(num_categories=4)},
     "multiple of num_categories"),
    ({"latent": latents.Joint(num_categories=3)}, "continuous dimension"),
    ({"latent": "von_mises_fisher", "prior": "mixture"}, "sphere"),
    ({"latent": "relaxed_categorical", "prior": "vamp"}, "categorical"),
    ({"latent": "iaf", "prior": "vamp"}, "VampPrior"),
    ({"latent": "iaf", "objective": "beta_tc"}, "Gaussian"),
    ({"latent": "relaxed_categorical", "objective": "iwae"}, "relaxed"),
    ({"latent": "deterministic", "objective": "iwae"}, "no KL"),
    ({"latent": "deterministic", "objective": "beta"}, "beta=1"),
    ({"latent": "deterministic", "prior": "mixture"}, "never be trained"),
])
def test_combinations_the_math_does_not_allow_are_refused(options, message):
    options = {"input_shape": (6,), "latent_dim": 3, "network": "mlp",
               **options}
    with pytest.raises(ValueError, match=message):
        zoo.VAE(**options)


@pytest.mark.parametrize("latent, options, message", [
    ("iaf", {"flow_steps": 0}, "flow_steps"),
    ("iaf", {"flow_hidden_units": (0,)}, "flow_hidden_units"),
    ("relaxed_categorical", {"num_categories": 1}, "num_categories"),
    ("relaxed_categorical", {"temperature": 0.0}, "temperature"),
    ("deterministic", {"penalty": "l1"}, "penalty"),
    ("deterministic", {"penalty_weight": 1.0}, "penalty_weight"),
    ("deterministic", {"latent_weight": -1.0}, "latent_weight"),
    ("gaussian", {"flow_steps": 2}, "Valid options"),
])
def test_invalid_latent_options_name_the_option(latent, options, message):
    with pytest.raises(ValueError, match=message):
        zoo.latents.get(latent, **options)


def test_presets_route_latent_options_to_the_latent():
    model = zoo.get("rae_gp", input_shape=(8, 8, 1), latent_dim=2,
                    penalty_weight=0.5)
    assert model.latent.penalty == "gradient"
    assert model.latent.penalty_weight == 0.5
    model = zoo.get("vae_iaf", input_shape=(8, 8, 1), latent_dim=2,
                    flow_steps=3, network="mlp")
    assert len(model.latent.networks) == 3
    model = zoo.get("rae_l2", input_shape=(8, 8, 1), latent_dim=2,
                    latent="gaussian")  # the preset's penalty is dropped
    assert isinstance(model.latent, latents.DiagonalGaussian)
    with pytest.raises(ValueError, match="Valid options"):
        zoo.get("svae", input_shape=(8, 8, 1), latent_dim=3, flow_steps=2)


@pytest.mark.parametrize("name", sorted(latents.LATENTS))
def test_a_latent_of_one_size_refuses_every_other(name):
    """`Latent.only_latent_dim` says the size `check_latent_dim` allows
    (bench/catalogue.py runs such a latent's row at it)."""
    latent = latents.LATENTS[name]()
    only = latent.only_latent_dim
    if only is None:
        latent.check_latent_dim(7)
        return
    latent.check_latent_dim(only)
    for other in (only - 1, only + 1, 16):
        with pytest.raises(ValueError, match=f"latent_dim={only}"):
            latent.check_latent_dim(other)

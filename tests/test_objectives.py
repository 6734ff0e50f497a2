"""Every objective is the bound it claims: checked against an independent
computation that fails when the formula is wrong.

The training loss of each registry model is recomputed here from the
networks' raw outputs (posterior mean and stddev, decoder logits) at the
very z the model sampled, with the densities written out in numpy:

    log N(z; m, s)    = sum_j -((z_j - m_j) / s_j)^2 / 2 - log s_j - log(2 pi) / 2
    log Bern(x; l)    = sum_i x_i l_i - softplus(l_i)
    KL(N(m, s) || N(0, I)) = sum_j (s_j^2 + m_j^2 - 1) / 2 - log s_j

so `loss == reconstruction + beta * kl` holding by construction proves
nothing here: the loss is compared with the objective's formula instead.
Identities that hold exactly are checked on fixed noise to float tolerance;
those that hold in expectation by seeded Monte Carlo with their standard
errors.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import model_inputs
from conftest import one_preset_per_architecture
from zoo.models import registry

# The objectives here are those of a Gaussian latent (ELBO, capacity, the
# importance-weighted ones, beta-TC, FactorVAE, DIP-VAE, the MMD ones; the
# last four's parts alone in tests/test_catalogue_objectives.py). A codebook latent's objective (reconstruction + beta times the
# commitment) is checked against its formula in tests/test_vq_vae.py
# (test_training_loss_is_the_vq_objective), its bound in
# test_bound_is_likelihood_plus_prior_by_hand.
GAUSSIAN_MODELS = [name for name in zoo.list_models()
                   if registry.model_class(name) is zoo.VAE
                   and registry.preset_latent(name) == "gaussian"]

SHAPE = (8, 8, 1)
TINY = {"input_shape": SHAPE, "latent_dim": 3, "seed": 0}
CONV = {"filters": (8,), "hidden_units": (16,)}


def tiny(name, **options):
    dense = zoo.models.registry.MODELS[name].get("network") == "mlp"
    network = {"hidden_units": (16,)} if dense else CONV
    return zoo.get(name, **{**TINY, **network, **options})


@pytest.fixture(scope="module")
def digits():
    x = zoo.datasets.digits(binarize="static", seed=0).x_train
    return x.astype("float32")


# Independent densities -------------------------------------------------


def softplus(values):
    return np.logaddexp(0.0, values)


def log_normal(z, mean, stddev):
    """log N(z; mean, diag(stddev^2)), summed over the last axis."""
    standard = (z - mean) / stddev
    return np.sum(
        -0.5 * standard**2 - np.log(stddev) - 0.5 * np.log(2 * np.pi), -1
    )


def log_bernoulli(x, logits):
    """log Bernoulli(x; sigmoid(logits)) summed over each example's pixels."""
    axes = tuple(range(1, x.ndim))
    return np.sum(x * logits - softplus(logits), axis=axes)


def analytic_kl(mean, stddev):
    return np.sum(0.5 * (stddev**2 + mean**2 - 1) - np.log(stddev), -1)


def numpy_of(value):
    return keras.ops.convert_to_numpy(value).astype("float64")


class SampleSpy:
    """Records the posterior samples z a model draws in `call`."""

    def __init__(self, model):
        self.original = model.sample_posterior
        self.z = None
        model.sample_posterior = self

    def __call__(self, *args, **kwargs):
        outputs = self.original(*args, **kwargs)
        self.z = outputs[1]  # (posterior, z, log q(z|x) or None)
        return outputs


class PriorSpy:
    """Records the prior draws a model hands an objective that
    `needs_prior_sample` (the MMD objectives)."""

    def __init__(self, model):
        self.original = model.prior_sample
        self.z = None
        model.prior_sample = self

    def __call__(self, count):
        self.z = self.original(count)
        return self.z


def model_loss(model, x, labels=None):
    """The training loss of one batch, and the z the model drew for it
    (`labels`: a conditional model's, else `model_inputs`'); the prior
    draws, if the objective took any, are left in `model.prior_draws`."""
    spy, prior_spy = SampleSpy(model), PriorSpy(model)
    inputs = model_inputs(model, tf.constant(x))
    if labels is not None:
        inputs = [inputs[0], tf.constant(labels, "int32")]
    y_pred = model(inputs, training=False)
    loss = model.compute_loss(x=inputs, y=None, y_pred=y_pred,
                              training=False)
    del model.sample_posterior, model.prior_sample
    model.prior_draws = None if prior_spy.z is None else numpy_of(
        prior_spy.z)
    return float(loss), numpy_of(spy.z)


def networks(model, x, z):
    """The networks' raw outputs: q(z|x)'s mean and stddev, the decoder's
    logits at z (any leading sample axes), and the condition."""
    inputs = model_inputs(model, tf.constant(x))
    images, condition = model.split_inputs(inputs)
    mean, stddev = model.posterior_parameters(images, condition)
    flat = z.reshape(-1, model.latent_dim).astype("float32")
    if condition is not None:
        condition = tf.tile(condition, [len(flat) // len(x)])
    logits = model.likelihood_parameters(tf.constant(flat), condition)
    logits = numpy_of(logits).reshape(*z.shape[:-1], *x.shape[1:])
    return numpy_of(mean), numpy_of(stddev), logits


def log_prior(model, z):
    """log p(z): N(0, I) in numpy, else the learned prior's density."""
    if model.prior_layer is None:
        return log_normal(z, 0.0, 1.0)
    return numpy_of(model.prior().log_prob(z.astype("float32")))


def semi_supervised_loss(model, x, labels, z):
    """J^alpha of Kingma et al. (2014, eq. 6-9) per example, batch mean:

        L(x, y) = -log p(x|y,z) - log p(y) + beta * KL(q(z|x,y) || p(z))
        labelled (y >= 0):  L(x, y) + alpha * -log q(y|x)
        unlabelled (-1):    sum_y q(y|x) L(x, y) - H(q(y|x))

    with p(y) = 1/C and z the sample the model drew for each (x, y) pair
    (`z` `(C * batch, latent_dim)`, class-major)."""
    num_classes, batch = model.num_classes, len(x)
    bound = np.zeros((batch, num_classes))
    for label in range(num_classes):
        ids = tf.fill([batch], label)
        mean, stddev = map(numpy_of, model.posterior_parameters(
            tf.constant(x), ids))
        z_label = z[label * batch:(label + 1) * batch]
        logits = numpy_of(model.likelihood_parameters(
            tf.constant(z_label, "float32"), ids))
        bound[:, label] = (-log_bernoulli(x, logits) + np.log(num_classes)
                           + float(model.beta) * analytic_kl(mean, stddev))
    scores = numpy_of(model.classifier(tf.constant(x)))
    log_q = scores - np.logaddexp.reduce(scores, axis=-1, keepdims=True)
    q = np.exp(log_q)
    alpha = float(model.objective.alpha)
    per_example = [
        bound[i, y] - alpha * log_q[i, y] if y >= 0
        else np.sum(q[i] * bound[i]) + np.sum(q[i] * log_q[i])
        for i, y in enumerate(labels)
    ]
    return np.mean(per_example)


def expected_loss(model, x, z, labels=None):
    """The objective each model claims, from its formula."""
    if isinstance(model.objective, zoo.objectives.SemiSupervised):
        if labels is None:
            labels = model_inputs(model, x)[1]
        return semi_supervised_loss(model, x, labels, z)
    mean, stddev, logits = networks(model, x, z)
    beta = None if model.beta is None else float(model.beta)
    objective = model.objective
    if isinstance(objective, zoo.objectives.ImportanceWeighted):
        log_w = (log_bernoulli(np.broadcast_to(x, logits.shape).reshape(
            -1, *x.shape[1:]), logits.reshape(-1, *x.shape[1:])).reshape(
            z.shape[:2]) + log_prior(model, z) - log_normal(z, mean, stddev))
        bound = importance_weighted_objective(objective, log_w)
        return np.mean(-bound + (beta - 1) * analytic_kl(mean, stddev))
    reconstruction = -np.mean(log_bernoulli(x, logits))
    if isinstance(objective, zoo.objectives.BetaTC):
        return reconstruction + beta * tc_penalty(model, z, mean, stddev)
    if model.prior_layer is None:
        kl = np.mean(analytic_kl(mean, stddev))
    else:
        kl = np.mean(log_normal(z, mean, stddev) - log_prior(model, z))
    if isinstance(objective, zoo.objectives.Capacity):
        return reconstruction + objective.gamma * abs(kl - float(model.capacity))
    penalty = 0.0
    if isinstance(objective, (zoo.objectives.WAE, zoo.objectives.InfoVAE)):
        penalty = float(objective.mmd_weight) * numpy_mmd(
            z, model.prior_draws, objective.kernel, objective.kernel_scale)
    if isinstance(objective, zoo.objectives.FactorVAE):
        # The discriminator's loss enters as a gradient only (value 0).
        penalty = float(objective.gamma) * np.mean(numpy_discriminator(
            z, objective.discriminator))
    if isinstance(objective, zoo.objectives.DIPVAE):
        penalty = dip_penalty(mean, stddev, objective.kind,
                              objective.offdiagonal_weight,
                              objective.diagonal_weight)
    return reconstruction + beta * kl + penalty


def iw_bound(log_w):
    """log (1/K) sum_k w_k over the first axis."""
    return np.logaddexp.reduce(log_w, axis=0) - np.log(len(log_w))


def importance_weighted_objective(objective, log_w):
    """The bound each importance-weighted objective's loss is the negative
    of, per example, from `(K, batch)` log weights: IWAE's L_K; MIWAE's
    mean of M bounds L_K on consecutive blocks of K; PIWAE's value, L_MK
    over all M K (its surrogate's other terms cancel); CIWAE's c ELBO +
    (1 - c) L_K."""
    if isinstance(objective, zoo.objectives.PIWAE):
        return iw_bound(log_w)
    if isinstance(objective, zoo.objectives.MIWAE):
        blocks = log_w.reshape(objective.num_estimates,
                               objective.samples_per_estimate, -1)
        return np.mean([iw_bound(block) for block in blocks], axis=0)
    if isinstance(objective, zoo.objectives.CIWAE):
        weight = objective.elbo_weight
        return weight * log_w.mean(0) + (1 - weight) * iw_bound(log_w)
    return iw_bound(log_w)


def numpy_kernel(a, b, kernel, scale):
    """k(a, b) of two vectors: IMQ C / (C + |a - b|^2) or RBF
    exp(-|a - b|^2 / C), C = 2 d scale^2."""
    constant = 2.0 * len(a) * scale**2
    distance = np.sum((a - b) ** 2)
    if kernel == "imq":
        return constant / (constant + distance)
    return np.exp(-distance / constant)


def numpy_mmd(z, prior, kernel, scale):
    """The unbiased MMD^2 of samples z and prior draws, pair by pair:
    sums over i != j within each sample, over all (i, j) across."""
    n = len(z)
    within = sum(numpy_kernel(z[i], z[j], kernel, scale)
                 + numpy_kernel(prior[i], prior[j], kernel, scale)
                 for i in range(n) for j in range(n) if i != j)
    across = sum(numpy_kernel(z[i], prior[j], kernel, scale)
                 for i in range(n) for j in range(n))
    return within / (n * (n - 1)) - 2.0 * across / n**2


def numpy_discriminator(z, discriminator):
    """FactorVAE's discriminator logits in numpy from its weights: dense
    layers with leaky ReLU (slope 0.2) between them."""
    features = z
    layers = list(zip(discriminator.kernels, discriminator.biases))
    for index, (kernel, bias) in enumerate(layers):
        features = features @ numpy_of(kernel) + numpy_of(bias)
        if index < len(layers) - 1:
            features = np.where(features > 0, features, 0.2 * features)
    return features[:, 0]


def dip_penalty(mean, stddev, kind, offdiagonal_weight, diagonal_weight):
    """lambda_od sum_(i != j) C_ij^2 + lambda_d sum_i (C_ii - 1)^2 with C
    the covariance of the means (I), plus the mean posterior variance on
    the diagonal (II); `np.cov` with the 1/M normalisation."""
    covariance = np.cov(mean, rowvar=False, bias=True)
    if kind == "ii":
        covariance = covariance + np.diag(np.mean(stddev**2, axis=0))
    off = covariance[~np.eye(len(covariance), dtype=bool)]
    return (offdiagonal_weight * np.sum(off**2)
            + diagonal_weight * np.sum((np.diag(covariance) - 1.0) ** 2))


def tc_penalty(model, z, mean, stddev):
    """mi * MI + tc * TC + dw * DWKL by minibatch-weighted sampling."""
    batch = len(z)
    # log q(z_i,j | x_m), (i, m, j), by the scalar normal density.
    pairwise = (-0.5 * ((z[:, None] - mean[None]) / stddev[None]) ** 2
                - np.log(stddev[None]) - 0.5 * np.log(2 * np.pi))
    objective = model.objective
    normaliser = np.log(batch * objective.dataset_size)
    log_q_z = np.logaddexp.reduce(pairwise.sum(-1), axis=1) - normaliser
    log_q_dims = np.sum(np.logaddexp.reduce(pairwise, axis=1) - normaliser, -1)
    log_q_given_x = log_normal(z, mean, stddev)
    mutual_information = np.mean(log_q_given_x - log_q_z)
    total_correlation = np.mean(log_q_z - log_q_dims)
    dimension_wise = np.mean(log_q_dims - log_normal(z, 0.0, 1.0))
    return (float(objective.mi_weight) * mutual_information
            + float(objective.tc_weight) * total_correlation
            + float(objective.dimension_kl_weight) * dimension_wise)


# The training objectives ------------------------------------------------

OBJECTIVES = {
    **{name: (name, {}) for name in GAUSSIAN_MODELS},
    "beta_vae_capacity_below": ("beta_vae", {"capacity": 0.5, "gamma": 3.0}),
    "beta_vae_capacity_above": ("beta_vae", {"capacity": 80.0}),
    "iwae_k1": ("iwae", {"num_samples": 1}),
    "iwae_beta_half": ("iwae", {"num_samples": 4, "beta": 0.5}),
    "beta_tcvae_weights": ("beta_tcvae", {"tc_weight": 3.0, "mi_weight": 0.5,
                                          "dimension_kl_weight": 2.0,
                                          "beta": 0.7}),
    "conv_vae_beta": ("conv_vae", {"beta": 2.5}),
    "wae_mmd_rbf_beta": ("wae_mmd", {"kernel": "rbf", "kernel_scale": 0.5,
                                     "mmd_weight": 30.0, "beta": 0.5}),
    "wae_mmd_mixture_prior": ("wae_mmd", {"prior": "mixture"}),
    "info_vae_alpha": ("info_vae", {"alpha": -0.5, "lambda_": 100.0}),
    "factor_vae_weights": ("factor_vae", {"gamma": 40.0, "beta": 2.0,
                                          "discriminator_units": (8, 8)}),
    "dip_vae_ii": ("dip_vae", {"kind": "ii", "offdiagonal_weight": 3.0,
                               "diagonal_weight": 7.0}),
    "miwae_2x3": ("miwae", {"num_estimates": 2, "samples_per_estimate": 3}),
    "piwae_beta": ("piwae", {"num_estimates": 2, "samples_per_estimate": 2,
                             "beta": 0.5}),
    "ciwae_weight": ("ciwae", {"num_samples": 3, "elbo_weight": 0.25}),
}


@pytest.mark.parametrize("case", sorted(OBJECTIVES))
def test_training_loss_is_the_objectives_formula(case, digits):
    name, options = OBJECTIVES[case]
    model = tiny(name, **options)
    x = digits[:32]
    loss, z = model_loss(model, x)
    np.testing.assert_allclose(loss, expected_loss(model, x, z), rtol=2e-5)


@pytest.mark.parametrize("alpha, beta", [(50.0, 1.0), (3.0, 0.5)])
def test_semi_supervised_loss_with_unlabelled_examples(digits, alpha, beta):
    """Half the batch unlabelled (-1): their term is the sum over classes
    weighted by q(y|x) minus its entropy; the labelled half's has the
    alpha-weighted cross-entropy."""
    model = tiny("semi_supervised_vae", alpha=alpha, beta=beta)
    x = digits[:24]
    labels = np.arange(24) % 10
    labels[::2] = -1
    loss, z = model_loss(model, x, labels)
    np.testing.assert_allclose(
        loss, expected_loss(model, x, z, labels), rtol=2e-5)
    unlabelled, _ = model_loss(model, x, np.full(24, -1))
    labelled, _ = model_loss(model, x, np.arange(24) % 10)
    assert abs(unlabelled - labelled) > 1.0  # the labels matter


def test_iwae_at_one_sample_is_the_vae_loss_with_monte_carlo_kl(digits):
    """L_1 = log p(x|z) + log p(z) - log q(z|x): the single-sample ELBO with
    the KL estimated at the same z. (The IWAE of release 0.1 added 2 KL.)"""
    model = tiny("iwae", num_samples=1)
    x = digits[:32]
    loss, z = model_loss(model, x)
    mean, stddev, logits = networks(model, x, z[0])
    vae_loss = -np.mean(log_bernoulli(x, logits) + log_normal(z[0], 0.0, 1.0)
                        - log_normal(z[0], mean, stddev))
    np.testing.assert_allclose(loss, vae_loss, rtol=2e-5)


def test_tc_terms_sum_to_the_monte_carlo_kl_at_unit_weights(digits):
    """MI + TC + DWKL telescopes to log q(z|x) - log p(z) on the batch."""
    model = tiny("beta_tcvae", tc_weight=1.0)
    x = digits[:32]
    loss, z = model_loss(model, x)
    mean, stddev, logits = networks(model, x, z)
    elbo_loss = -np.mean(log_bernoulli(x, logits) + log_normal(z, 0.0, 1.0)
                         - log_normal(z, mean, stddev))
    np.testing.assert_allclose(loss, elbo_loss, rtol=2e-5)
    logged = [float(model.objective_trackers[name].result()) for name in (
        "mutual_information", "total_correlation", "dimension_wise_kl")]
    np.testing.assert_allclose(
        sum(logged), np.mean(log_normal(z, mean, stddev)
                             - log_normal(z, 0.0, 1.0)), rtol=1e-4, atol=1e-4)


# Trained weights on real data: IWAE against the VAE -------------------


@pytest.fixture(scope="module")
def trained_weights(digits):
    keras.utils.set_random_seed(0)
    model = tiny("conv_vae")
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(digits, epochs=15, batch_size=64, verbose=0)
    return model.get_weights()


def batch_losses(model, x, repeats, batch_size=128):
    """The training loss of every batch of x, `repeats` times over (fresh
    posterior samples each time): a flat array."""
    losses = []
    for _ in range(repeats):
        for start in range(0, len(x) - batch_size + 1, batch_size):
            losses.append(model_loss(model, x[start:start + batch_size])[0])
    return np.array(losses)


@pytest.mark.slow
def test_iwae_loss_with_trained_weights_on_real_data(digits, trained_weights):
    """At K = 1 the IWAE loss equals the VAE's -ELBO within Monte Carlo
    error (3 standard errors of the paired batch difference); at K = 5 it
    is lower by more than 3 standard errors."""
    models = {}
    for key, name, options in (("vae", "conv_vae", {}),
                               ("k1", "iwae", {"num_samples": 1}),
                               ("k5", "iwae", {"num_samples": 5})):
        models[key] = tiny(name, **options)
        models[key].set_weights(trained_weights)
    losses = {key: batch_losses(model, digits, repeats=8)
              for key, model in models.items()}
    for key, relation in (("k1", "equal"), ("k5", "lower")):
        difference = losses[key] - losses["vae"]
        error = difference.std(ddof=1) / np.sqrt(len(difference))
        if relation == "equal":
            assert abs(difference.mean()) < 3 * error, (difference.mean(), error)
        else:
            assert difference.mean() < -3 * error, (difference.mean(), error)


# The likelihood bound -----------------------------------------------------


def test_log_likelihood_combines_uneven_chunks_into_the_one_pass_bound(digits):
    """Chunks of 100, 100 and 50 samples give exactly the bound of all 250
    weights at once: logsumexp_i(b_i + log k_i) - log K."""
    model = tiny("conv_vae")
    x = digits[:16]
    chunked = model.log_likelihood(x, num_samples=250, chunk_size=100,
                                   seed=7).numpy()
    seed = tf.constant([7, 0])
    weights = tf.concat([
        model.log_importance_weights(tf.constant(x), size, seed + index)
        for index, size in enumerate((100, 100, 50))
    ], axis=0)
    assert weights.shape == (250, 16)
    one_pass = zoo.bounds.importance_weighted_bound(weights).numpy()
    np.testing.assert_allclose(chunked, one_pass, rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", one_preset_per_architecture(GAUSSIAN_MODELS))
def test_iw_bound_does_not_decrease_with_the_number_of_samples(name, digits):
    """E[L_1] <= E[L_10] <= E[L_100] after a little training (the bound is
    the model's, whatever objective trained it: one preset of each
    architecture), by seeded
    Monte Carlo on 1,500 images: no step lower by 3 standard errors of the
    paired per-example difference. For the plain VAE, whose posterior is
    still far from the true one, L_100 - L_1 is positive by more than 3
    standard errors (a bound that averaged log weights instead of taking
    their logsumexp would not move)."""
    keras.utils.set_random_seed(0)
    model = tiny(name)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(model_inputs(model, digits[:512]), epochs=2, batch_size=64,
              verbose=0)
    inputs = model_inputs(model, digits)
    bounds = [model.log_likelihood(inputs, num_samples=k, seed=k).numpy()
              for k in (1, 10, 100)]
    for lower, higher in [(bounds[0], bounds[1]), (bounds[1], bounds[2]),
                          (bounds[0], bounds[2])]:
        difference = higher - lower
        error = difference.std(ddof=1) / np.sqrt(len(difference))
        assert difference.mean() > -3 * error, (difference.mean(), error)
    if name == "conv_vae":
        assert difference.mean() > 3 * error, (difference.mean(), error)


def test_conditional_marginal_is_the_logsumexp_over_labels(digits):
    """log p(x) = logsumexp_y log p(x|y) - log C, exactly, on the same
    seeds."""
    model = tiny("conditional_vae")
    x = digits[:12]
    marginal = model.marginal_log_likelihood(x, num_samples=6, seed=3).numpy()
    per_class = np.stack([
        model.log_likelihood([x, np.full(12, label)], num_samples=6,
                             seed=3).numpy()
        for label in range(model.num_classes)
    ]).astype("float64")
    expected = np.logaddexp.reduce(per_class, axis=0) - np.log(
        model.num_classes)
    np.testing.assert_allclose(marginal, expected, rtol=1e-6)


def test_the_elbo_is_the_single_sample_formula(digits):
    """`elbo` = log p(x|z) - KL(q || p) at one z, analytic KL."""
    model = tiny("conv_vae")
    x = digits[:16]
    elbo = model.elbo(x, seed=5).numpy()
    posterior = model.encode(x)
    z = numpy_of(posterior.sample(seed=tf.constant([5, 0])))
    mean, stddev, logits = networks(model, x, z)
    expected = log_bernoulli(x, logits) - analytic_kl(mean, stddev)
    np.testing.assert_allclose(elbo, expected, rtol=1e-5)


def test_sample_weight_is_refused_not_dropped(digits):
    model = tiny("conv_vae")
    model.compile()
    with pytest.raises(ValueError, match="sample_weight.*not supported"):
        model.fit(digits[:32], sample_weight=np.ones(32), verbose=0)
    with pytest.raises(ValueError, match="class_weight.*not supported"):
        model.fit(digits[:32], class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight.*not supported"):
        model.evaluate(digits[:32], sample_weight=np.ones(32), verbose=0)
    triples = tf.data.Dataset.from_tensor_slices(
        (digits[:32], digits[:32], np.ones(32, "float32"))).batch(8)
    with pytest.raises(ValueError, match="sample_weight.*triples"):
        model.fit(triples, verbose=0)



# The objectives alone: terms in, loss out (they never call the model) ---


def test_elbo_charges_each_group_at_least_its_free_bits():
    """beta * sum_g max(mean KL_g, free_bits) on fixed per-example KLs."""
    kls = [np.array([0.5, 1.5], "float32"), np.array([3.0, 5.0], "float32"),
           np.array([0.0, 0.2], "float32")]
    objective = zoo.objectives.ELBO(beta=2.0, free_bits=1.5)
    loss, metrics = objective.latent_loss({"kl": kls})
    means = [kl.mean() for kl in kls]
    np.testing.assert_allclose(
        float(loss), 2.0 * sum(max(mean, 1.5) for mean in means), rtol=1e-6)
    np.testing.assert_allclose(float(metrics["kl"]), sum(means), rtol=1e-6)
    no_free_bits, _ = zoo.objectives.ELBO(beta=2.0).latent_loss({"kl": kls})
    np.testing.assert_allclose(float(no_free_bits), 2.0 * sum(means),
                               rtol=1e-6)


def test_a_latent_without_kl_charges_what_it_adds():
    """A codebook's terms: no KL, its commitment term per example."""
    added = np.array([1.0, 2.0, 6.0], "float32")
    loss, metrics = zoo.objectives.ELBO(beta=3.0).latent_loss(
        {"kl": None, "latent_loss": added})
    np.testing.assert_allclose(float(loss), 3.0)
    assert metrics == {}


def test_iwae_data_loss_is_the_negative_bound_plus_kl():
    rng = np.random.default_rng(0)
    log_weights = rng.normal(-100.0, 3.0, (5, 4)).astype("float32")
    kl = rng.uniform(1.0, 4.0, 4).astype("float32")
    loss = zoo.objectives.IWAE(num_samples=5).data_loss(
        {"log_weights": log_weights, "kl": kl})
    bound = np.log(np.mean(np.exp(log_weights.astype("float64") + 100.0),
                           axis=0)) - 100.0
    np.testing.assert_allclose(float(loss), -np.mean(bound + kl), rtol=1e-6)


def test_capacity_penalty_is_gamma_times_the_distance_to_c():
    kls = [np.array([2.0, 4.0], "float32"), np.array([1.0, 1.0], "float32")]
    objective = zoo.objectives.Capacity(capacity=10.0, gamma=7.0)
    loss, _ = objective.latent_loss({"kl": kls})
    np.testing.assert_allclose(float(loss), 7.0 * abs(3.0 + 1.0 - 10.0))


# KL balancing (NVAE) --------------------------------------------------------

# Per-example KLs of three groups (batch means 3.0, 0.5, 2.0) and their
# dimensions: per dimension 1.0, 0.0625 and 0.0625.
BALANCED_KLS = [np.array([2.0, 4.0], "float32"),
                np.array([0.25, 0.75], "float32"),
                np.array([1.0, 3.0], "float32")]
GROUP_SIZES = [3, 8, 32]


def balance_coefficients(means, sizes):
    """NVAE's gamma_g = G c_g / sum_h c_h, c_g = (|KL_g| + 0.01) / n_g, in
    numpy (float64)."""
    per_dimension = (np.abs(np.asarray(means, "float64")) + 0.01) / np.asarray(
        sizes, "float64")
    return len(per_dimension) * per_dimension / per_dimension.sum()


@pytest.mark.parametrize("free_bits", [0.0, 1.0])
def test_kl_balancing_weighs_the_groups_while_beta_is_below_one(free_bits):
    """One traced function: at beta = 0.5 the penalty is
    beta * sum_g gamma_g max(KL_g, free_bits), gamma from the groups' KLs;
    assigning beta = 1 and 2 switches it to the plain beta * sum_g
    max(KL_g, free_bits) without a retrace, and back at 0.5. The `kl`
    metric is the plain sum throughout."""
    objective = zoo.objectives.ELBO(beta=0.5, free_bits=free_bits,
                                    kl_balance=True, group_sizes=GROUP_SIZES)
    traces = []

    @tf.function
    def latent_loss(kls):
        traces.append(1)
        return objective.latent_loss({"kl": kls})

    kls = [tf.constant(kl) for kl in BALANCED_KLS]
    means = np.array([kl.mean() for kl in BALANCED_KLS], "float64")
    charged = np.maximum(means, free_bits)
    gamma = balance_coefficients(means, GROUP_SIZES)
    balanced = np.sum(gamma * charged)
    assert abs(balanced - charged.sum()) > 1.0  # the two sums differ here
    for beta, expected in [(0.5, balanced), (1.0, charged.sum()),
                           (2.0, charged.sum()), (0.5, balanced)]:
        objective.beta.assign(beta)
        loss, metrics = latent_loss(kls)
        np.testing.assert_allclose(float(loss), beta * expected, rtol=1e-6)
        np.testing.assert_allclose(float(metrics["kl"]), means.sum(),
                                   rtol=1e-6)
    assert len(traces) == 1


def test_kl_balancing_coefficients_are_constant_in_the_gradient():
    """d penalty / d KL_g = beta * gamma_g: the coefficients are stopped,
    not differentiated (which would add beta * sum_h KL_h d gamma_h /
    d KL_g, a different gradient here)."""
    beta = 0.25
    objective = zoo.objectives.ELBO(beta=beta, kl_balance=True,
                                    group_sizes=GROUP_SIZES)
    means = np.array([kl.mean() for kl in BALANCED_KLS], "float64")
    kls = [tf.Variable(float(mean)) for mean in means]
    with tf.GradientTape() as tape:
        penalty = objective.penalty(kls)
    gradient = np.array([float(g) for g in tape.gradient(penalty, kls)])
    gamma = balance_coefficients(means, GROUP_SIZES)
    np.testing.assert_allclose(gradient, beta * gamma, rtol=1e-5)

    def through_gamma(values):
        return beta * np.sum(balance_coefficients(values, GROUP_SIZES)
                             * values)

    step = 1e-6
    full = np.array([
        (through_gamma(means + step * np.eye(3)[g])
         - through_gamma(means - step * np.eye(3)[g])) / (2 * step)
        for g in range(3)])
    assert np.abs(full - beta * gamma).max() > 0.1


def test_kl_balancing_charges_more_the_group_with_more_kl_per_dimension():
    """gamma_g grows with the KL per dimension: of two groups with the same
    KL the smaller is charged more, of two groups with the same KL per
    dimension neither; the coefficients average 1."""
    objective = zoo.objectives.ELBO(beta=0.5, kl_balance=True,
                                    group_sizes=GROUP_SIZES)
    means = [float(kl.mean()) for kl in BALANCED_KLS]  # 3.0, 0.5, 2.0
    gamma = [float(g) for g in objective.balance_coefficients(
        [tf.constant(mean) for mean in means])]
    # Per dimension 1.0 (3 dimensions) > 0.0625 (8) = 0.0625 (32).
    assert gamma[0] > 10 * gamma[1]
    assert gamma[0] > 10 * gamma[2]
    assert gamma[1] == pytest.approx(gamma[2], rel=0.1)
    assert np.mean(gamma) == pytest.approx(1.0, rel=1e-6)
    # The same KL in a group 10 times the size: a tenth of the weight.
    same = [float(g) for g in zoo.objectives.ELBO(
        kl_balance=True, group_sizes=[4, 40]).balance_coefficients(
        [tf.constant(5.0), tf.constant(5.0)])]
    assert same[0] == pytest.approx(10 * same[1], rel=1e-6)


@pytest.mark.parametrize("options, message", [
    ({"kl_balance": "yes"}, "`kl_balance` must be True or False"),
    ({"kl_balance": 1}, "`kl_balance` must be True or False"),
    ({"kl_balance": None}, "`kl_balance` must be True or False"),
    ({"kl_balance": True}, "kl_balance=True needs `group_sizes`"),
    ({"kl_balance": True, "group_sizes": []},
     "kl_balance=True needs `group_sizes`"),
    ({"kl_balance": True, "group_sizes": 16},
     "kl_balance=True needs `group_sizes`"),
    ({"kl_balance": True, "group_sizes": [16, 0]}, r"`group_sizes\[1\]`"),
    ({"kl_balance": True, "group_sizes": [16, 2.5]}, r"`group_sizes\[1\]`"),
    ({"kl_balance": True, "group_sizes": [True, 4]}, r"`group_sizes\[0\]`"),
    ({"group_sizes": [16, 4]}, "pass kl_balance=True, or drop `group_sizes`"),
], ids=str)
def test_kl_balancing_refuses_bad_options_naming_them(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.objectives.ELBO(**options)


def test_kl_balancing_refuses_group_sizes_of_another_model():
    """The sizes must be one per group: checked at the first call."""
    objective = zoo.objectives.ELBO(beta=0.5, kl_balance=True,
                                    group_sizes=[3, 8])
    with pytest.raises(ValueError, match="2 group sizes but the model has "
                                         "3 latent groups"):
        objective.latent_loss({"kl": BALANCED_KLS})


def test_kl_balancing_config_round_trips():
    objective = zoo.objectives.ELBO(beta=0.5, free_bits=1.0, kl_balance=True,
                                    group_sizes=(3, 8, 32))
    config = objective.get_config()
    assert (config["kl_balance"], config["group_sizes"]) == (True, [3, 8, 32])
    again = zoo.objectives.ELBO.from_config(config)
    assert again.get_config() == config
    plain = zoo.objectives.ELBO().get_config()
    assert (plain["kl_balance"], plain["group_sizes"]) == (False, None)

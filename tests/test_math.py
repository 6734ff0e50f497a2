"""The ELBO's pieces against closed forms: KL, and a linear-Gaussian VAE
against the exact probabilistic-PCA likelihood (Tipping & Bishop, 1999).

The objectives themselves (beta, capacity, IWAE, beta-TCVAE, the bound's
chunks) are checked in tests/test_objectives.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.latents import gaussian
from zoo.likelihoods import tfd
from zoo.priors import standard_normal_prior


def test_analytic_kl_matches_a_seeded_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    z_mean = rng.normal(size=(3, 4)).astype("float32")
    z_stddev = rng.uniform(0.3, 2.0, size=(3, 4)).astype("float32")
    posterior = gaussian.diagonal_gaussian_posterior(z_mean, z_stddev)
    prior = standard_normal_prior(4)
    analytic = tfd.kl_divergence(posterior, prior).numpy()
    closed_form = 0.5 * np.sum(
        z_stddev**2 + z_mean**2 - 1 - 2 * np.log(z_stddev), axis=-1
    )
    np.testing.assert_allclose(analytic, closed_form, rtol=1e-5)

    z = posterior.sample(200_000, seed=tf.constant([1, 2]))
    log_ratio = (posterior.log_prob(z) - prior.log_prob(z)).numpy()
    estimate = log_ratio.mean(axis=0)
    standard_error = log_ratio.std(axis=0) / np.sqrt(len(log_ratio))
    assert np.all(np.abs(estimate - analytic) < 3 * standard_error)


def test_model_kl_falls_back_to_monte_carlo_when_not_analytic():
    class MixturePriorVAE(zoo.VAE):
        def prior(self):

            return tfd.MixtureSameFamily(
                tfd.Categorical(logits=tf.zeros(2)),
                tfd.Independent(
                    tfd.Normal(tf.constant([[-1.0, -1.0], [1.0, 1.0]]), 1.0), 1
                ),
            )

    model = MixturePriorVAE(input_shape=(4,), latent_dim=2, network="mlp",
                            hidden_units=())
    posterior = gaussian.diagonal_gaussian_posterior(
        tf.zeros((1, 2)), tf.ones((1, 2))
    )
    z = tf.constant([[0.5, -0.5]])
    expected = posterior.log_prob(z) - model.prior().log_prob(z)
    np.testing.assert_allclose(model.kl_divergence(posterior, z), expected)


def ppca_log_likelihood(x, latent_dim):
    """Mean log-likelihood of x under the maximum-likelihood PPCA model, and
    that model's noise variance sigma^2.

    With S the sample covariance and eigenvalues l_1 >= ... >= l_D,
    sigma^2 = mean(l_{q+1..D}), W = U_q (L_q - sigma^2 I)^(1/2), C = WW' +
    sigma^2 I, and log p(x) = -(D log 2 pi + log|C| + tr(C^-1 S)) / 2 on
    average over the data.
    """
    centred = x - x.mean(axis=0)
    covariance = centred.T @ centred / len(x)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    noise = eigenvalues[latent_dim:].mean()
    weights = eigenvectors[:, :latent_dim] * np.sqrt(
        eigenvalues[:latent_dim] - noise
    )
    model_covariance = weights @ weights.T + noise * np.eye(x.shape[1])
    _, log_det = np.linalg.slogdet(model_covariance)
    trace = np.trace(np.linalg.solve(model_covariance, covariance))
    return -0.5 * (x.shape[1] * np.log(2 * np.pi) + log_det + trace), noise


@pytest.mark.slow
def test_linear_gaussian_vae_reaches_the_exact_ppca_likelihood():
    """A linear decoder with the fixed isotropic noise of the PPCA optimum
    is exactly a PPCA model (z-independent scale, unlike the learned
    per-pixel scale, which depends on z), so its best log-likelihood is
    the closed-form PPCA maximum; the linear encoder holds the exact
    posterior, so the bound reaches it."""
    rng = np.random.default_rng(0)
    data_dim, latent_dim, count = 6, 2, 2000
    loading = rng.normal(size=(latent_dim, data_dim))
    x = rng.normal(size=(count, latent_dim)) @ loading
    x += 0.3 * rng.normal(size=x.shape) + rng.normal(size=data_dim)
    x = x.astype("float32")
    exact, noise = ppca_log_likelihood(x, latent_dim)

    keras.utils.set_random_seed(0)
    model = zoo.get(
        "dense_vae", input_shape=(data_dim,), latent_dim=latent_dim,
        hidden_units=(), likelihood="gaussian",
        likelihood_scale=float(np.sqrt(noise)), seed=0,
    )
    # 8,000 steps of a 6-pixel model: Keras's loop costs more than the
    # steps, so 100 steps per call of the traced function
    # (`steps_per_execution`) and 20 epochs of the data 20 times over
    # (each epoch costs its own iterator and callbacks): 19 s -> 6 s.
    model.compile(optimizer=keras.optimizers.Adam(2e-2),
                  steps_per_execution=100)
    model.fit(np.concatenate([x] * 20), epochs=20, batch_size=100,
              verbose=0)
    estimate = float(np.mean(model.log_likelihood(x, num_samples=200)))
    assert abs(estimate - exact) < 0.01 * abs(exact), (estimate, exact)

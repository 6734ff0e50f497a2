"""The diagonal Gaussian latent: q(z|x) = N(z; mu(x), diag(sigma(x)^2)).

The encoder's posterior head (`zoo.networks.heads`) gives `z_mean` and
`z_stddev = softplus(.) + SCALE_FLOOR`; this module turns them into the
`tfd` distribution the model samples (reparameterised) and scores.
"""

import keras
import tensorflow_probability as tfp
from keras import layers

from zoo.latents.latent import Latent
from zoo.latents.latent import sample_shape

tfd = tfp.distributions

#: Smallest standard deviation a posterior or Gaussian likelihood can have.
SCALE_FLOOR = 1e-3


def diagonal_gaussian_posterior(z_mean, z_stddev):
    """The posterior q(z|x) = N(z_mean, diag(z_stddev^2)), one per example.

    Args:
        z_mean: float tensor `(batch, latent_dim)`.
        z_stddev: positive float tensor `(batch, latent_dim)`; the encoder
            already applied softplus and the floor.
    """
    return tfd.Independent(
        tfd.Normal(loc=z_mean, scale=z_stddev),
        reinterpreted_batch_ndims=1,
        name="diagonal_gaussian_posterior",
    )


def posterior_head(inputs, features, latent_dim, name="encoder"):
    """The encoder: `inputs` -> `features` -> `[z_mean, z_stddev]`,

        z_mean = W_m h + b_m,   z_stddev = softplus(W_s h + b_s) + SCALE_FLOOR,

    from stock layers (a plain functional Keras model), in float32 so that
    mixed precision keeps the ELBO in full precision."""
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(features)
    z_stddev = layers.Dense(
        latent_dim, activation="softplus", dtype="float32", name="z_softplus"
    )(features)
    z_stddev = layers.Rescaling(
        1.0, offset=SCALE_FLOOR, dtype="float32", name="z_stddev"
    )(z_stddev)
    return keras.Model(inputs, [z_mean, z_stddev], name=name)



@keras.saving.register_keras_serializable(package="zoo.latents")
class DiagonalGaussian(Latent):
    """The diagonal Gaussian latent (`latent="gaussian"`, the default).

    Mathematical details:

        q(z|x) = N(z; mu(x), diag(sigma(x)^2)),
        z = mu(x) + sigma(x) * eps,  eps ~ N(0, I)   (reparameterised),

    with the prior of the model's prior axis (N(0, I) by default, where

        KL(q || N(0, I)) = 1/2 sum_i (sigma_i^2 + mu_i^2 - 1 - log sigma_i^2)

    is analytic; the learned priors use log q(z|x) - log p(z) at z).
    A reconstruction decodes mu(x).

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, ICLR 2014.
    """

    gaussian_posterior = True

    def head(self, inputs, features, latent_dim, name="encoder"):
        return posterior_head(inputs, features, latent_dim, name)

    def posterior(self, parameters):
        return diagonal_gaussian_posterior(*parameters)

    def training_sample(self, parameters, num_samples, seed_generator):
        """z = mu + sigma * eps with eps from the model's `SeedGenerator`;
        log q(z|x) is left to the analytic KL (None)."""
        z_mean, z_stddev = parameters
        eps = self.standard_normal_noise(parameters, num_samples,
                                         seed_generator)
        return z_mean + z_stddev * eps, None

    def sample_and_log_prob(self, parameters, num_samples, seed):
        posterior = self.posterior(parameters)
        z = posterior.sample(sample_shape(num_samples), seed=seed)
        return z, posterior.log_prob(z)

    def posterior_from_noise(self, parameters, eps):
        """z_k = mu + sigma * eps_k for `eps` `(K, batch, latent_dim)`, and
        log q(z_k|x)."""
        z_mean, z_stddev = parameters
        z = z_mean[None] + z_stddev[None] * eps
        return z, self.posterior(parameters).log_prob(z)

    def prior_from_noise(self, eps):
        return eps

    def code(self, parameters):
        return parameters[0]

"""The diagonal Gaussian latent: q(z|x) = N(z; mu(x), diag(sigma(x)^2)).

The encoder's posterior head (`zoo.networks.heads`) gives `z_mean` and
`z_stddev = softplus(.) + SCALE_FLOOR`; this module turns them into the
`tfd` distribution the model samples (reparameterised) and scores.
"""

import tensorflow_probability as tfp

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

"""The fixed prior p(z) = N(0, I), the default of every Gaussian-latent model.

Its KL to the diagonal Gaussian posterior is analytic (TFP registers
KL(Normal || Normal)), so models with it use the closed form.
"""

import tensorflow as tf

from zoo.likelihoods.factorised import tfd


def standard_normal_prior(latent_dim, dtype="float32"):
    """The fixed prior p(z) = N(0, I) over `latent_dim` dimensions."""
    return tfd.Independent(
        tfd.Normal(
            loc=tf.zeros([latent_dim], dtype=dtype),
            scale=tf.ones([latent_dim], dtype=dtype),
        ),
        reinterpreted_batch_ndims=1,
        name="standard_normal_prior",
    )

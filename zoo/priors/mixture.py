"""A learned mixture-of-Gaussians prior p(z)."""

import keras
import numpy as np
import tensorflow as tf

from zoo.latents.gaussian import SCALE_FLOOR
from zoo.likelihoods.factorised import tfd


class GaussianMixtureNoise:
    """What a prior that is a mixture of diagonal Gaussians (a
    `MixturePrior`, a `VampPrior`) shares: it has components, and its
    samples are made from standard normal `eps` and a uniform `u` that
    picks the component (`mixture_from_noise`)."""

    #: Whether the prior has components (`prior_components`).
    takes_components = True

    #: The noise `sample_from_noise` takes.
    noise_inputs = ("eps", "u")

    def sample_from_noise(self, eps, u, encoder):
        """Prior samples from the noise (`mixture_from_noise`)."""
        return mixture_from_noise(self.distribution(encoder), eps, u)


@keras.saving.register_keras_serializable(package="zoo")
class MixturePrior(GaussianMixtureNoise, keras.layers.Layer):
    """p(z) = sum_k pi_k N(z; mu_k, diag(sigma_k^2)), all learned.

    pi = softmax(logits), sigma_k = softplus(raw_k) + SCALE_FLOOR; the means
    start spread as N(0, I) draws so the components differ from the start.

    Args:
        latent_dim: int > 0.
        num_components: int > 0, the number of Gaussians K (default 10).
        seed: int or None, seeds the initial means (the model's `seed`).
    """

    def __init__(self, latent_dim, num_components=10, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.num_components = num_components
        self.seed = seed
        self.logits = self.add_weight(
            shape=(num_components,),
            initializer="zeros",
            name="logits",
            autocast=False,
        )
        self.means = self.add_weight(
            shape=(num_components, latent_dim),
            initializer=keras.initializers.RandomNormal(seed=seed),
            name="means",
            autocast=False,
        )
        self.raw_scales = self.add_weight(
            shape=(num_components, latent_dim),
            initializer=keras.initializers.Constant(np.log(np.e - 1.0)),
            name="raw_scales",
            autocast=False,
        )
        self.built = True

    @classmethod
    def from_options(cls, latent_dim, input_shape, num_components,
                     unit_interval, seed):
        """The prior of a model with these options (`make_prior`)."""
        return cls(latent_dim, num_components, seed=seed, name="prior")

    def distribution(self, encoder=None):
        scales = keras.ops.softplus(self.raw_scales) + SCALE_FLOOR
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=self.logits),
            tfd.Independent(tfd.Normal(self.means, scales), 1),
            name="mixture_prior",
        )

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "num_components": self.num_components, "seed": self.seed}


def mixture_from_noise(mixture, eps, u):
    """Samples of a mixture of diagonal Gaussians (a `MixturePrior`'s or a
    VampPrior's distribution) from standard normal `eps` `(batch, D)` and
    uniform `u` `(batch,)`: z = mu_k + sigma_k * eps, with the component k
    the number of cumulative weights pi_1, pi_1 + pi_2, ... that are <= u,
    so that uniform `u` gives k with probability pi_k."""
    component = component_from_uniform(mixture.mixture_distribution.logits, u)
    gaussians = mixture.components_distribution.distribution
    loc = tf.gather(gaussians.loc, component)
    scale = tf.gather(gaussians.scale, component)
    return loc + scale * eps


def component_from_uniform(logits, u):
    """The mixture component k of each uniform `u` `(batch,)`: the number
    of cumulative weights pi_1, pi_1 + pi_2, ... (pi = softmax(`logits`))
    that are <= u, so that uniform `u` gives k with probability pi_k."""
    cumulative = tf.cumsum(tf.nn.softmax(logits))[:-1]
    return tf.reduce_sum(
        tf.cast(u[:, None] >= cumulative[None, :], tf.int32), axis=1
    )

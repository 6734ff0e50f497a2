"""A learned mixture-of-Gaussians prior p(z)."""

import keras
import numpy as np

from zoo.latents.gaussian import SCALE_FLOOR
from zoo.likelihoods.factorised import tfd


@keras.saving.register_keras_serializable(package="zoo")
class MixturePrior(keras.layers.Layer):
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

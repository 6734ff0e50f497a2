"""What the trained samplers share: they model the codes standardised per
dimension, (z - mean) / std, with the mean and std of the fitted codes held
as weights, so one architecture and learning rate fit codes of any scale (a
plain autoencoder's codes are not near N(0, I))."""

import tensorflow as tf

from zoo.samplers.sampler import Sampler


class StandardizedSampler(Sampler):
    """A `Sampler` whose density is over standardised codes: `code_mean`
    and `code_scale` `(latent_dim,)` weights, set by `standardize`."""

    def __init__(self, latent_dim, seed=None, **kwargs):
        super().__init__(latent_dim, seed=seed, **kwargs)
        self.code_mean = self.add_weight(
            shape=(self.latent_dim,), initializer="zeros", trainable=False,
            name="code_mean")
        self.code_scale = self.add_weight(
            shape=(self.latent_dim,), initializer="ones", trainable=False,
            name="code_scale")

    def standardize(self, codes):
        """Keep the codes' mean and std (floored at 1e-6) and return the
        standardised codes."""
        codes = self.checked_codes(codes)
        mean = codes.mean(axis=0)
        scale = codes.std(axis=0).clip(1e-6)
        self.code_mean.assign(mean)
        self.code_scale.assign(scale)
        return (codes - mean) / scale

    def unstandardize(self, standardized):
        """Codes from standardised codes: mean + std * s."""
        return self.code_mean + self.code_scale * tf.cast(
            standardized, "float32")

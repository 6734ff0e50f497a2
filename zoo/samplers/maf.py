"""An ex-post masked autoregressive flow over the codes."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import validation
from zoo.priors.maf import MAFPrior
from zoo.samplers.fitting import minimise
from zoo.samplers.standardized import StandardizedSampler

tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="zoo.samplers")
class MAFSampler(StandardizedSampler):
    """p(z): a masked autoregressive flow fitted to the codes by maximum
    likelihood.

    Mathematical details:

    The codes are standardised per dimension, s = (z - m) / d (m, d the
    fitted codes' mean and standard deviation), and s has the density of a
    MAF over N(0, I) (`zoo.priors.MAFPrior`, the same flow as
    `prior="maf"`, here fitted after training instead of jointly):

        log p(z) = log p_MAF((z - m) / d) - sum_i log d_i.

    `fit` maximises the mean log p over the codes with Adam. A draw is
    z = m + d * f(eps) from standard normal `eps` `(batch, latent_dim)`, the
    noise of the `sample_from_noise` signature.

    Args:
        latent_dim: int > 0, D.
        flow_steps: int > 0, the MAF steps (default 4).
        hidden_units: tuple of ints, each MADE's hidden widths (default
            `(128, 128)`).
        epochs: int > 0, passes over the codes (default 30).
        batch_size: int > 0 (default 256).
        learning_rate: float > 0, Adam's (default 1e-3).
        seed: int or None, seeds the initial weights and the shuffling.
        **kwargs: passed to `keras.layers.Layer`.

    References:
        Papamakarios, Pavlakou & Murray, Masked Autoregressive Flow for
        Density Estimation, 2017.
        Pythae's MAF sampler (Chadebec, Vincent & Allassonniere, Pythae,
        NeurIPS 2022 Datasets and Benchmarks).
    """

    OPTIONS = {"flow_steps": 4, "hidden_units": (128, 128), "epochs": 30,
               "batch_size": 256, "learning_rate": 1e-3}

    def __init__(self, latent_dim, flow_steps=4, hidden_units=(128, 128),
                 epochs=30, batch_size=256, learning_rate=1e-3, seed=None,
                 **kwargs):
        super().__init__(latent_dim, seed=seed, **kwargs)
        self.flow_steps = validation.check_positive_int(
            flow_steps, "flow_steps")
        self.set_training_options(hidden_units, epochs, batch_size,
                                  learning_rate)
        self.flow = MAFPrior(self.latent_dim, self.flow_steps,
                             self.hidden_units, seed=seed, name="flow")
        self.built = True

    def distribution(self):
        """p(z), a `tfd.TransformedDistribution` (class docstring)."""
        return tfp.distributions.TransformedDistribution(
            self.flow.distribution(),
            tfb.Chain([tfb.Shift(self.code_mean), tfb.Scale(self.code_scale)]),
            name="maf_sampler",
        )

    def log_prob(self, z):
        """log p(z) per row of `z` `(batch, latent_dim)`."""
        return self.distribution().log_prob(tf.cast(z, "float32"))

    def fit(self, codes):
        """Fit the flow to `codes` `(N, latent_dim)`; returns self (the
        last epoch's mean negative log-likelihood of the standardised
        codes is `self.final_loss`)."""
        standardized = self.standardize(codes)
        flow = self.flow.distribution()
        self.final_loss = minimise(
            lambda batch, seed: -tf.reduce_mean(flow.log_prob(batch)),
            self.flow.trainable_variables, standardized, self.epochs,
            self.batch_size, self.learning_rate, self.seed,
        )
        return self

    def sample_from_noise(self, eps, u=None):
        """z = m + d * f(eps) (class docstring)."""
        return self.unstandardize(self.flow.sample_from_noise(eps))

    def get_config(self):
        return {**super().get_config(), "flow_steps": self.flow_steps,
                "hidden_units": self.hidden_units, "epochs": self.epochs,
                "batch_size": self.batch_size,
                "learning_rate": self.learning_rate}

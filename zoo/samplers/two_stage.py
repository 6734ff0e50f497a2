"""The second-stage VAE of Dai & Wipf (2019), fitted to the codes."""

import keras
import tensorflow as tf
from keras import layers

from zoo.latents.gaussian import SCALE_FLOOR
from zoo.likelihoods.factorised import tfd
from zoo.samplers.fitting import minimise
from zoo.samplers.standardized import StandardizedSampler


@keras.saving.register_keras_serializable(package="zoo.samplers")
class TwoStageSampler(StandardizedSampler):
    """A second, small VAE over the codes; its prior draws, decoded, are the
    new codes.

    Mathematical details:

    The codes are standardised per dimension, s = (z - m) / d. A VAE with
    latent u of the same dimension D models them: q(u|s) = N(mu(s),
    diag(sigma(s)^2)) from a dense encoder, p(u) = N(0, I), and
    p(s|u) = N(s; g(u), gamma^2 I) from a dense decoder g with one learned
    scale gamma, as in Dai & Wipf. `fit` maximises the mean ELBO of the
    codes with Adam,

        ELBO(s) = E_q(u|s)[log N(s; g(u), gamma^2 I)]
                  - KL(q(u|s) || N(0, I)),

    with one reparameterised u per code, the KL analytic. A draw is
    z = m + d * g(eps) from standard normal `eps` `(batch, D)` (the second
    stage's prior draw, decoded to its mean, as Dai & Wipf sample), the
    noise of the `sample_from_noise` signature. The second stage has no
    closed-form density (its ELBO bounds it), so this sampler has no
    `log_prob`.

    Args:
        latent_dim: int > 0, D (the second stage's latent has D too).
        hidden_units: tuple of ints, the dense widths of the second stage's
            encoder and decoder (default `(256, 256)`).
        epochs: int > 0, passes over the codes (default 50).
        batch_size: int > 0 (default 256).
        learning_rate: float > 0, Adam's (default 1e-3).
        seed: int or None, seeds the initial weights and the noise.
        **kwargs: passed to `keras.layers.Layer`.

    References:
        Dai & Wipf, Diagnosing and Enhancing VAE Models, ICLR 2019.
    """

    OPTIONS = {"hidden_units": (256, 256), "epochs": 50,
               "batch_size": 256, "learning_rate": 1e-3}

    def __init__(self, latent_dim, hidden_units=(256, 256), epochs=50,
                 batch_size=256, learning_rate=1e-3, seed=None, **kwargs):
        super().__init__(latent_dim, seed=seed, **kwargs)
        self.set_training_options(hidden_units, epochs, batch_size,
                                  learning_rate)
        size = self.latent_dim
        self.second_encoder = self.dense_network(2 * size, "second_encoder")
        self.second_decoder = self.dense_network(size, "second_decoder")
        self.log_gamma = self.add_weight(
            shape=(), initializer="zeros", name="log_gamma")
        self.built = True

    def dense_network(self, outputs, name):
        """A dense ReLU network `(batch, latent_dim)` -> `(batch,
        outputs)`."""
        seed = self.seed
        network = keras.Sequential(name=name)
        network.add(keras.Input((self.latent_dim,)))
        for index, units in enumerate(self.hidden_units):
            network.add(layers.Dense(
                units, activation="relu",
                kernel_initializer=keras.initializers.GlorotUniform(
                    seed=None if seed is None else seed + index)))
        network.add(layers.Dense(outputs))
        return network

    def second_stage_elbo(self, s, seed):
        """The mean ELBO of standardised codes `s` with one u per code
        drawn with the stateless `seed` (class docstring)."""
        outputs = self.second_encoder(s)
        mean = outputs[:, :self.latent_dim]
        stddev = tf.nn.softplus(outputs[:, self.latent_dim:]) + SCALE_FLOOR
        u = mean + stddev * tf.random.stateless_normal(tf.shape(mean), seed)
        gamma = tf.exp(self.log_gamma)
        log_likelihood = tf.reduce_sum(
            tfd.Normal(self.second_decoder(u), gamma).log_prob(s), axis=-1)
        kl = tf.reduce_sum(
            tfd.kl_divergence(tfd.Normal(mean, stddev), tfd.Normal(0.0, 1.0)),
            axis=-1)
        return tf.reduce_mean(log_likelihood - kl)

    def fit(self, codes):
        """Fit the second stage to `codes` `(N, latent_dim)`; returns self
        (the last epoch's mean negative ELBO per code, in nats, is
        `self.final_loss`)."""
        standardized = self.standardize(codes)
        self.final_loss = minimise(
            lambda batch, seed: -self.second_stage_elbo(batch, seed),
            self.trainable_variables, standardized, self.epochs,
            self.batch_size, self.learning_rate,
            self.seed,
        )
        return self

    def sample_from_noise(self, eps, u=None):
        """z = m + d * g(eps) (class docstring)."""
        return self.unstandardize(
            self.second_decoder(tf.cast(eps, "float32")))

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units,
                "epochs": self.epochs, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate}

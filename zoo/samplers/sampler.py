"""`Sampler`, the base class of the ex-post samplers: what they share.

An ex-post sampler is a density fitted after training to the codes of the
training data (the aggregate posterior's locations), so that decoding its
draws gives new data (`zoo.samplers`'s docstring). Each one is a Keras
layer holding its fitted parameters as weights, so that it saves, loads and
exports with the model it is attached to.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import validation


class Sampler(keras.layers.Layer):
    """A density over codes `(latent_dim,)`, fitted with `fit(codes)`,
    drawn with `sample(num_samples, seed)`.

    Draws are made from noise (`noise_inputs`: standard normal `eps`
    `(batch, latent_dim)`, and for a mixture a uniform `u` `(batch,)`) by
    `sample_from_noise`, so `sample` and the exported `sample_from_noise`
    signature agree: `sample` draws the noise from its stateless seed.

    A subclass sets `OPTIONS` (its options and their defaults, the
    arguments of its `__init__` after `latent_dim`) and implements `fit`
    and `sample_from_noise`.

    Args:
        latent_dim: int > 0, the codes' dimension.
        seed: int or None, seeds the fitting (initial weights, shuffling).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).
    """

    #: option -> default.
    OPTIONS = {}

    #: The noise `sample_from_noise` takes.
    noise_inputs = ("eps",)

    def __init__(self, latent_dim, seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")  # densities stay float32
        super().__init__(**kwargs)
        self.latent_dim = validation.check_positive_int(
            latent_dim, "latent_dim")
        self.seed = validation.check_seed(seed)

    def set_training_options(self, hidden_units, epochs, batch_size,
                             learning_rate):
        """Check and keep the options of a sampler trained by gradient
        steps on the codes (`fitting.minimise`): its networks' widths,
        epochs, batch size and Adam's learning rate."""
        self.hidden_units = tuple(int(units) for units in (
            validation.check_widths(hidden_units, "hidden_units",
                                    minimum=1)))
        self.epochs = validation.check_positive_int(epochs, "epochs")
        self.batch_size = validation.check_positive_int(
            batch_size, "batch_size")
        self.learning_rate = validation.check_number(
            learning_rate, "learning_rate", minimum=0.0, above=True)

    def checked_codes(self, codes):
        """`codes` as a float32 `(N, latent_dim)` array of finite numbers,
        at least two rows, or a `ValueError` saying what is wrong."""
        codes = np.asarray(codes, "float32")
        if codes.ndim != 2 or codes.shape[1] != self.latent_dim or (
                len(codes) < 2):
            raise ValueError(
                f"`codes` must be an array (N, {self.latent_dim}) with N >= 2"
                f", the codes of N examples. Received: shape={codes.shape}"
            )
        if not np.all(np.isfinite(codes)):
            raise ValueError("`codes` hold NaN or infinite values; encode "
                             "finite images.")
        return codes

    def fit(self, codes):
        """Fit the density to `codes` `(N, latent_dim)`; returns self."""
        raise NotImplementedError

    def sample_from_noise(self, eps, u=None):
        """Codes `(batch, latent_dim)` from the noise (`noise_inputs`)."""
        raise NotImplementedError

    def sample(self, num_samples, seed):
        """`num_samples` codes drawn with the stateless `(2,)` int `seed`
        (`sample_from_noise` of noise drawn from it)."""
        eps_seed, u_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 2))
        eps = tf.random.stateless_normal((num_samples, self.latent_dim),
                                         eps_seed)
        u = tf.random.stateless_uniform((num_samples,), u_seed)
        return self.sample_from_noise(eps, u)

    def get_config(self):
        # Without "trainable": a sampler is made trainable (to be fitted)
        # and frozen by the model it joins (`VAE.checked_sampler`); Keras
        # would not pass a False one on to the layers made after it.
        config = {**super().get_config(), "latent_dim": self.latent_dim,
                  "seed": self.seed}
        config.pop("trainable")
        return config

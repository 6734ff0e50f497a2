"""A VAE with fully connected encoder and decoder."""

import keras

from zoo import networks
from zoo.models.base import VAE


@keras.saving.register_keras_serializable(package="zoo")
class DenseVAE(VAE):
    """VAE whose encoder and decoder are multilayer perceptrons.

    The encoder flattens x and applies `Dense(units, relu)` for each entry of
    `hidden_units`; the decoder mirrors it (reversed widths). The objective is
    the base class's -ELBO (see `zoo.models.VAE`). With `hidden_units=()` both
    maps are linear, which with `likelihood="gaussian"` is probabilistic PCA.

    Args:
        input_shape: shape of one example, e.g. `(28, 28, 1)` or `(784,)`.
        latent_dim: int > 0.
        hidden_units: tuple of positive ints (default `(512, 256)`).
        **kwargs: the base class's options (`likelihood`, `beta`, `seed`, ...).

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.DenseVAE(input_shape=(28, 28, 1), latent_dim=8)
    >>> model.compile()
    >>> x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1))
    >>> history = model.fit(x.astype("float32"), epochs=1, verbose=0)
    >>> model.sample(4, seed=0).shape
    TensorShape([4, 28, 28, 1])
    """

    def __init__(self, input_shape, latent_dim, hidden_units=(512, 256),
                 **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         **kwargs)
        self.hidden_units = networks.check_widths(hidden_units, "hidden_units")
        self.encoder = networks.mlp_encoder(
            self.image_shape, self.latent_dim, self.hidden_units
        )
        self.decoder = networks.mlp_decoder(
            self.latent_dim, self.parameter_shape, self.hidden_units[::-1]
        )

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}

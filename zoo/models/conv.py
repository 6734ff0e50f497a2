"""A VAE with convolutional encoder and decoder."""

import keras

from zoo import networks
from zoo.models.base import VAE


@keras.saving.register_keras_serializable(package="zoo")
class ConvVAE(VAE):
    """VAE whose encoder and decoder are convolutional stacks.

    The encoder applies `Conv2D(width, 3, strides=2, relu)` for each entry of
    `filters`, then `Dense(units, relu)` for each entry of `hidden_units`; the
    decoder mirrors it with `Conv2DTranspose` and crops to the input size, so
    any H x W x C image works. The objective is the base class's -ELBO (see
    `zoo.models.VAE`).

    Args:
        input_shape: `(height, width, channels)`.
        latent_dim: int > 0.
        filters: tuple of positive ints, one per stride-2 stage
            (default `(32, 64)`).
        hidden_units: tuple of positive ints between the convolutions and the
            latent layer (default `(256,)`).
        **kwargs: the base class's options (`likelihood`, `beta`, `seed`, ...).

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.ConvVAE(input_shape=(28, 28, 1), latent_dim=8)
    >>> model.compile()
    >>> x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1))
    >>> history = model.fit(x.astype("float32"), epochs=1, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'reconstruction']
    """

    def __init__(self, input_shape, latent_dim, filters=(32, 64),
                 hidden_units=(256,), **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         **kwargs)
        if len(self.image_shape) != 3:
            raise ValueError(
                "A convolutional VAE needs images, input_shape=(height, "
                f"width, channels). Received: input_shape={input_shape!r}. "
                "Use 'dense_vae' for flat vectors."
            )
        self.filters = networks.check_widths(filters, "filters", minimum=1)
        self.hidden_units = networks.check_widths(hidden_units, "hidden_units")
        self.encoder = networks.conv_encoder(
            self.image_shape, self.latent_dim, self.filters,
            self.hidden_units, labels=self.label_condition(),
        )
        self.decoder = networks.conv_decoder(
            self.latent_dim, self.parameter_shape, self.filters,
            self.hidden_units[::-1], labels=self.label_condition(),
        )

    def label_condition(self):
        """The networks' label input: None (unconditional); see
        `ConditionalVAE`."""
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "hidden_units": self.hidden_units,
        }

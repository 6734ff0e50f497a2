"""Sub-pixel convolution: upsampling by rearranging channels into space.

A convolution at the coarse resolution computes `scale^2` output pixels per
input pixel, and `depth_to_space` moves them into a `scale`-times finer grid
(Shi et al., 2016). For an input h of shape (H, W, C_in) and `filters` = F,

    u = Conv2D(kernel_size, F * scale^2, padding="same")(h)    # (H, W, F s^2)
    y[s i + a, s j + b, f] = u[i, j, (s a + b) F + f]          # (sH, sW, F)

for 0 <= a, b < s (TensorFlow's `depth_to_space` order). Every output pixel
is a learned function of a `kernel_size`-square of the coarse grid, and all
the arithmetic runs at the coarse resolution: at the default network's
28 x 28 output it replaces a Conv2DTranspose(32) and a Conv2D(3 x 3) at full
resolution (the two slowest layers of a training step on CPU) with one
convolution at 14 x 14.

Reference:
    Shi et al., Real-Time Single Image and Video Super-Resolution Using an
    Efficient Sub-Pixel Convolutional Neural Network, CVPR 2016.
"""

import keras
import tensorflow as tf
from keras import layers

from zoo.validation import check_number


@keras.saving.register_keras_serializable(package="zoo")
class SubpixelConv2D(layers.Layer):
    """Conv2D(`kernel_size`, `filters * scale**2`, "same") followed by
    `tf.nn.depth_to_space(scale)`: `(batch, H, W, C)` ->
    `(batch, scale * H, scale * W, filters)`.

    Args:
        filters: int > 0, the output channels.
        kernel_size: int, the convolution's square kernel (default 3).
        scale: int >= 2, the upsampling factor (default 2).
        activation: the activation of the output (default None).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`, `dtype`).
    """

    def __init__(self, filters, kernel_size=3, scale=2, activation=None,
                 **kwargs):
        super().__init__(**kwargs)
        for value, argument, minimum in ((filters, "filters", 1),
                                         (kernel_size, "kernel_size", 1),
                                         (scale, "scale", 2)):
            check_number(value, argument, integer=True, minimum=minimum)
        self.filters = filters
        self.kernel_size = kernel_size
        self.scale = scale
        self.activation = keras.activations.get(activation)
        self.convolution = layers.Conv2D(
            filters * scale ** 2, kernel_size, padding="same",
            dtype=self.dtype_policy, name="convolution",
        )

    def build(self, input_shape):
        self.convolution.build(input_shape)

    def call(self, inputs):
        outputs = tf.nn.depth_to_space(self.convolution(inputs), self.scale)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        return (batch,
                None if height is None else height * self.scale,
                None if width is None else width * self.scale,
                self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "scale": self.scale,
            "activation": keras.activations.serialize(self.activation),
        }

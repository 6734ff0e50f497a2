"""Masked convolutions: the layers of the zoo's PixelCNNs.

A masked convolution's kernel is zero at the positions after its centre in
raster order (and, for mask "A", at the centre itself), so its output at
position i depends on the inputs at positions < i (mask "A") or <= i (mask
"B") only. `GatedBlock` is the gated residual block of van den Oord et al.
(2016) built from them. `RasterCache` computes such a stack at one
position from cached activations, for fast ancestral sampling (Ramachandran
et al. 2017). Used by the PixelCNN prior over VQ-VAE codes
(`zoo.priors.pixelcnn`) and the PixelCNN likelihood
(`zoo.likelihoods.pixelcnn`).

References:
    van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves & Kavukcuoglu,
    Conditional Image Generation with PixelCNN Decoders, NeurIPS 2016,
    https://arxiv.org/abs/1606.05328.
    van den Oord, Kalchbrenner & Kavukcuoglu, Pixel Recurrent Neural
    Networks, ICML 2016 (masks A and B).
"""


import keras
import numpy as np
import tensorflow as tf
from keras import layers
from keras import ops


def causal_mask(kernel_size, mask_type, in_channels, out_channels):
    """The `(k, k, in, out)` 0/1 mask of a masked convolution: ones at the
    rows above the centre and, in the centre row, left of the centre (and
    at the centre itself for mask "B")."""
    if mask_type not in ("A", "B"):
        raise ValueError(
            f"`mask_type` must be 'A' (first layer) or 'B'. "
            f"Received: mask_type={mask_type!r}"
        )
    mask = np.zeros((kernel_size, kernel_size, in_channels, out_channels),
                    "float32")
    centre = kernel_size // 2
    mask[:centre] = 1.0
    mask[centre, :centre] = 1.0
    if mask_type == "B":
        mask[centre, centre] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="zoo")
class MaskedConv2D(layers.Conv2D):
    """`Conv2D` (stride 1, "same" padding) whose kernel is multiplied by a
    causal mask (`causal_mask`) at every call."""

    def __init__(self, filters, kernel_size, mask_type="B", **kwargs):
        if not isinstance(kernel_size, int) or kernel_size % 2 == 0:
            raise ValueError(
                "`kernel_size` of a masked convolution must be an odd int. "
                f"Received: kernel_size={kernel_size!r}"
            )
        kwargs["padding"] = "same"
        super().__init__(filters, kernel_size, **kwargs)
        self.mask_type = mask_type
        causal_mask(1, mask_type, 1, 1)  # checks mask_type

    def build(self, input_shape):
        super().build(input_shape)
        # Kept as numpy and made a constant in each traced graph (a tensor
        # made here would be captured from outside, which the exported
        # graph then needs as an input and tf2onnx cannot resolve).
        self.mask = causal_mask(
            self.kernel_size[0], self.mask_type, input_shape[-1], self.filters
        )

    def convolution_op(self, inputs, kernel):
        mask = ops.convert_to_tensor(self.mask, kernel.dtype)
        return super().convolution_op(inputs, kernel * mask)

    def get_config(self):
        config = super().get_config()
        config.pop("padding", None)
        return {**config, "mask_type": self.mask_type}


@keras.saving.register_keras_serializable(package="zoo")
class GatedBlock(layers.Layer):
    """x + Conv1x1(tanh(f) * sigmoid(g)), [f, g] = MaskedConv_B(x)."""

    def __init__(self, width, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.kernel_size = kernel_size
        self.gates = MaskedConv2D(2 * width, kernel_size, "B", name="gates")
        self.mix = layers.Conv2D(width, 1, name="mix")

    def build(self, input_shape):
        self.gates.build(input_shape)
        self.mix.build((*input_shape[:-1], self.width))

    def call(self, inputs):
        filters, gates = ops.split(self.gates(inputs), 2, axis=-1)
        return inputs + self.mix(ops.tanh(filters) * ops.sigmoid(gates))

    def get_config(self):
        return {**super().get_config(), "width": self.width,
                "kernel_size": self.kernel_size}


# Cached sampling (Ramachandran et al. 2017, "Fast Generation for
# Convolutional Autoregressive Models"; WaveNet's fast generation).
#
# In a stack of masked convolutions (mask "A" first, then "B", then 1x1
# layers) the activation of every layer at position i depends on the
# inputs at positions < i only. So once positions < i are drawn, the
# activations at i of every layer are final: an ancestral sampler can
# compute, at step i, each layer at position i alone, from the cached
# activations of the layer below at the positions its kernel reads
# (all <= i), instead of running the whole network on the whole grid.
#
# `RasterCache` keeps one buffer per layer input in a flat, zero-padded
# raster layout of `length` elements `(batch, channels)`: position (r, c)
# sits at (r + pad) * (W + 2 pad) + c + pad, so the kernel tap (dr, dc)
# of every position is the same flat offset dr * (W + 2 pad) + dc, and the
# padding (never written, so zero) is the convolution's "same" zero
# padding. A write replaces one element of a buffer (a `TensorArray`),
# not the whole buffer.


def kernel_taps(kernel_size, mask_type):
    """The `(row, column)` offsets from the centre that a masked kernel
    reads (its mask's ones), in raster order."""
    mask = causal_mask(kernel_size, mask_type, 1, 1)[..., 0, 0]
    centre = kernel_size // 2
    return [(row - centre, column - centre)
            for row in range(kernel_size) for column in range(kernel_size)
            if mask[row, column]]


class RasterCache:
    """The flat padded layout of an `(height, width)` grid for cached
    sampling with masked kernels of half-width up to `pad`.

    Each buffer is a `TensorArray` of `length` elements `(batch,
    channels)`; `step` computes one layer at one position from a buffer,
    `write` stores an activation.
    """

    def __init__(self, height, width, pad):
        self.height, self.width, self.pad = int(height), int(width), int(pad)
        self.row_length = self.width + 2 * self.pad
        self.length = (self.height + self.pad) * self.row_length
        rows, columns = np.divmod(np.arange(self.height * self.width),
                                  self.width)
        #: Flat index of each grid position, in raster order.
        self.indices = ((rows + self.pad) * self.row_length + columns
                        + self.pad).astype("int32")

    def zeros(self, batch, channels, dtype="float32"):
        """A new buffer of zeros: a `TensorArray` of `length` elements
        `(batch, channels)`, so a write replaces one element instead of
        copying the buffer."""
        zeros = tf.zeros(tf.stack([self.length, batch, channels]), dtype)
        return tf.TensorArray(dtype, size=self.length,
                              element_shape=(None, channels)).unstack(zeros)

    def index(self, position):
        """The flat index of raster `position` (a scalar int32 tensor)."""
        row, column = position // self.width, position % self.width
        return (row + self.pad) * self.row_length + column + self.pad

    def offsets(self, layer):
        """The flat offsets of a `MaskedConv2D`'s taps."""
        taps = kernel_taps(layer.kernel_size[0], layer.mask_type)
        if max(max(abs(row), abs(column)) for row, column in taps) > self.pad:
            raise ValueError(f"{layer.name}'s kernel is wider than the "
                             f"cache's padding {self.pad}.")
        return np.array([row * self.row_length + column
                         for row, column in taps], "int32")

    def step(self, layer, buffer, index, weights):
        """`layer` (a `MaskedConv2D`) at flat `index` alone from the
        `buffer` of its input: `(batch, filters)`. `weights` is
        `tap_weights(layer)`, made once outside the sampling loop."""
        offsets, kernel, bias = weights
        patch = buffer.gather(index + offsets)  # (taps, batch, in)
        patch = tf.reshape(tf.transpose(patch, (1, 0, 2)),
                           (-1, kernel.shape[0]))
        return dense(layer, patch, kernel, bias)

    def tap_weights(self, layer):
        """`(offsets, kernel, bias)` of a `MaskedConv2D`: the kernel's
        rows at its taps only, `(taps * in, filters)`, in the layer's
        compute dtype."""
        size = layer.kernel_size[0]
        centre = size // 2
        taps = kernel_taps(size, layer.mask_type)
        kernel = ops.convert_to_tensor(layer.kernel)
        kernel = tf.stack([kernel[row + centre, column + centre]
                           for row, column in taps])
        kernel = tf.reshape(kernel, (-1, layer.filters))
        return (tf.constant(self.offsets(layer)),
                tf.cast(kernel, layer.compute_dtype), _bias(layer))

    @staticmethod
    def write(buffer, index, value):
        """`buffer` with `value` `(batch, channels)` at flat `index`."""
        return buffer.write(index, value)


def pointwise_weights(layer):
    """`(kernel, bias)` of a 1x1 `Conv2D` as a dense layer's."""
    kernel = ops.convert_to_tensor(layer.kernel)
    kernel = tf.reshape(kernel, (-1, layer.filters))
    return tf.cast(kernel, layer.compute_dtype), _bias(layer)


def dense(layer, inputs, kernel, bias):
    """A convolution `layer`'s output at one position from its flattened
    receptive field `inputs` `(batch, taps * in)`."""
    outputs = tf.matmul(tf.cast(inputs, kernel.dtype), kernel)
    if bias is not None:
        outputs = outputs + bias
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs


def gated_step(cache, block, buffer, index, weights, inputs):
    """`GatedBlock` `block` at flat `index` alone, given the `buffer` of
    its input (holding `inputs` `(batch, width)` at `index`); `weights`
    is `gated_weights(cache, block)`."""
    gates, mix = weights
    filters, gates = tf.split(cache.step(block.gates, buffer, index, gates),
                              2, axis=-1)
    return tf.cast(inputs, mix[0].dtype) + dense(
        block.mix, tf.tanh(filters) * tf.sigmoid(gates), *mix)


def gated_weights(cache, block):
    return cache.tap_weights(block.gates), pointwise_weights(block.mix)


def _bias(layer):
    if not layer.use_bias:
        return None
    return tf.cast(ops.convert_to_tensor(layer.bias), layer.compute_dtype)

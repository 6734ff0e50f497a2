"""Masked convolutions: the layers of the zoo's PixelCNNs.

A masked convolution's kernel is zero at the positions after its centre in
raster order (and, for mask "A", at the centre itself), so its output at
position i depends on the inputs at positions < i (mask "A") or <= i (mask
"B") only. `GatedBlock` is the gated residual block of van den Oord et al.
(2016) built from them. Used by the PixelCNN prior over VQ-VAE codes
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

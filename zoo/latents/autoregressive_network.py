"""`AutoregressiveNetwork`, a masked autoencoder (MADE) in Keras 3: the
shift and log-scale of an autoregressive flow step.

TFP's own `tfb.AutoregressiveNetwork` is a `tf_keras` (Keras 2) layer, whose
weights a Keras 3 model does not track or save; this is the same network
written with Keras 3 weights, and it is the `shift_and_log_scale_fn` that
`tfb.MaskedAutoregressiveFlow` calls.
"""

import keras
import numpy as np
from keras import ops


def made_masks(event_size, hidden_units):
    """The masks of MADE (Germain et al. 2015) for the identity order.

    Input i (1-based) has degree i; hidden unit k of a layer of width H has
    degree 1 + (k mod max(event_size - 1, 1)); output i has degree i. A
    connection from degree a to degree b is kept when b >= a between
    hidden layers (and from the inputs), and when b > a into the outputs,
    so output i depends on inputs 1..i-1 only.

    Returns:
        list of float32 arrays `(fan_in, fan_out)`, one per layer, the last
        one to the `event_size` outputs.
    """
    degrees = [np.arange(1, event_size + 1)]
    for units in hidden_units:
        degrees.append(1 + np.arange(units) % max(event_size - 1, 1))
    masks = [
        (degrees[i + 1][None, :] >= degrees[i][:, None]).astype("float32")
        for i in range(len(hidden_units))
    ]
    outputs = np.arange(1, event_size + 1)
    masks.append((outputs[None, :] > degrees[-1][:, None]).astype("float32"))
    return masks


@keras.saving.register_keras_serializable(package="zoo.latents")
class AutoregressiveNetwork(keras.layers.Layer):
    """MADE: z `(..., event_size)` -> `(shift, log_scale)`, each
    `(..., event_size)`, entry i a function of z_1..z_{i-1} alone.

    Mathematical details:

        h_0 = z,  h_l = relu((W_l * M_l)^T h_{l-1} + b_l),
        [shift, log_scale] = (W_out * M_out)^T h_L + b_out,

    with the binary masks M of `made_masks` (Germain et al. 2015). The
    output layer starts at zero, so a flow step starts as the identity
    (shift 0, log-scale 0).

    Args:
        event_size: int > 0, the dimension of z.
        hidden_units: tuple of ints > 0, the hidden layers' widths.

    References:
        Germain, Gregor, Murray & Larochelle, MADE: Masked Autoencoder for
        Distribution Estimation, ICML 2015.
    """

    def __init__(self, event_size, hidden_units=(64,), **kwargs):
        super().__init__(**kwargs)
        self.event_size = int(event_size)
        self.hidden_units = tuple(int(units) for units in hidden_units)
        self.masks = [ops.convert_to_tensor(mask) for mask in made_masks(
            self.event_size, self.hidden_units)]
        widths = (self.event_size, *self.hidden_units)
        self.kernels, self.biases = [], []
        for index, units in enumerate(self.hidden_units):
            self.kernels.append(self.add_weight(
                shape=(widths[index], units), name=f"kernel_{index}",
                initializer="glorot_uniform"))
            self.biases.append(self.add_weight(
                shape=(units,), name=f"bias_{index}", initializer="zeros"))
        self.output_kernel = self.add_weight(
            shape=(widths[-1], 2, self.event_size), name="output_kernel",
            initializer="zeros")
        self.output_bias = self.add_weight(
            shape=(2, self.event_size), name="output_bias",
            initializer="zeros")
        self.built = True

    def call(self, z):
        features = z
        for kernel, bias, mask in zip(self.kernels, self.biases, self.masks):
            features = ops.relu(ops.matmul(features, kernel * mask) + bias)
        kernel = self.output_kernel * self.masks[-1][:, None, :]
        outputs = ops.einsum("...h,hpe->...pe", features, kernel) + (
            self.output_bias)
        return outputs[..., 0, :], outputs[..., 1, :]

    def get_config(self):
        return {**super().get_config(), "event_size": self.event_size,
                "hidden_units": self.hidden_units}

"""MADE, the masked autoregressive network of a masked autoregressive flow.

A dense network whose weight matrices are multiplied by fixed binary masks
so that output i depends on inputs 1..i-1 only (Germain et al. 2015). Each
unit gets a degree: the inputs 1..D, the hidden units cycled through
1..D-1, the outputs 1..D (once for the shifts, once for the log-scales). A
hidden weight from degree a to degree b is kept when b >= a, an output
weight when b > a, so the Jacobian of the outputs with respect to the
inputs is strictly lower triangular.

The layer gives `(shift, log_scale)`, each `(batch, D)`, the
`shift_and_log_scale_fn` of `tfb.MaskedAutoregressiveFlow`. TFP's own
`tfb.AutoregressiveNetwork` is a `tf_keras` (Keras 2) layer, which a Keras 3
model cannot track, save or load; this is the same network as a Keras 3
layer. The log-scale is bounded, log_scale = MAX_LOG_SCALE *
tanh(raw / MAX_LOG_SCALE), so a flow step scales by at most e^3 and
training stays finite at large learning rates.

References:
    Germain, Gregor, Murray & Larochelle, MADE: Masked Autoencoder for
    Distribution Estimation, 2015.
    Papamakarios, Pavlakou & Murray, Masked Autoregressive Flow for Density
    Estimation, 2017.
"""

import keras
import numpy as np
from keras import ops

#: The largest |log scale| of one flow step.
MAX_LOG_SCALE = 3.0


def autoregressive_masks(event_size, hidden_units):
    """The MADE masks: one `(inputs, outputs)` 0/1 float32 matrix per
    layer, hidden layers first, the output layer (2 * `event_size`
    outputs: shifts, then log-scales) last (module docstring)."""
    inputs = np.arange(1, event_size + 1)
    degrees = [inputs]
    for units in hidden_units:
        degrees.append(np.arange(units) % max(event_size - 1, 1) + 1)
    masks = [
        (after[None, :] >= before[:, None]).astype("float32")
        for before, after in zip(degrees[:-1], degrees[1:])
    ]
    outputs = np.tile(inputs, 2)
    masks.append((outputs[None, :] > degrees[-1][:, None]).astype("float32"))
    return masks


@keras.saving.register_keras_serializable(package="zoo.networks")
class MADE(keras.layers.Layer):
    """A masked dense network: x `(batch, D)` -> (shift, log_scale), where
    output i depends on x_1..x_{i-1} only (module docstring).

    Args:
        event_size: int > 0, D.
        hidden_units: tuple of ints > 0, the hidden layers' widths.
        seed: int or None, seeds the initial weights.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Example:

    >>> import numpy as np
    >>> made = MADE(3, hidden_units=(8,), seed=0)
    >>> shift, log_scale = made(np.zeros((2, 3), "float32"))
    >>> tuple(shift.shape)
    (2, 3)
    """

    def __init__(self, event_size, hidden_units=(64, 64), seed=None,
                 **kwargs):
        kwargs.setdefault("dtype", "float32")  # densities stay float32
        super().__init__(**kwargs)
        self.event_size = int(event_size)
        self.hidden_units = tuple(int(units) for units in hidden_units)
        self.seed = seed
        self.masks = autoregressive_masks(self.event_size, self.hidden_units)
        widths = (self.event_size, *self.hidden_units, 2 * self.event_size)
        self.kernels, self.biases = [], []
        for index, mask in enumerate(self.masks):
            self.kernels.append(self.add_weight(
                shape=mask.shape, name=f"kernel_{index}",
                initializer=keras.initializers.GlorotUniform(
                    seed=None if seed is None else seed + index),
            ))
            self.biases.append(self.add_weight(
                shape=(widths[index + 1],), name=f"bias_{index}",
                initializer="zeros",
            ))
        self.built = True

    def call(self, x):
        hidden = ops.cast(x, "float32")
        last = len(self.masks) - 1
        for index, mask in enumerate(self.masks):
            hidden = ops.matmul(hidden, self.kernels[index] * mask) + (
                self.biases[index])
            if index < last:
                hidden = ops.relu(hidden)
        shift = hidden[..., :self.event_size]
        raw = hidden[..., self.event_size:]
        return shift, MAX_LOG_SCALE * ops.tanh(raw / MAX_LOG_SCALE)

    def get_config(self):
        return {**super().get_config(), "event_size": self.event_size,
                "hidden_units": self.hidden_units, "seed": self.seed}

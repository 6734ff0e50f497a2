"""Encoder and decoder builders: functional `keras.Model`s over any H x W x C.

Encoders map an image `x` to the two posterior parameter tensors
`[z_mean, z_stddev]`, each `(batch, latent_dim)`; `z_stddev` is
`softplus(.) + SCALE_FLOOR`, built from stock layers so that the encoder is a
plain Keras model that any other Keras model can reuse::

    z_mean, z_stddev = vae.encoder(images)

Decoders map `z` to the likelihood's parameters, a tensor of shape
`(H, W, num_parameters * C)` (logits for Bernoulli likelihoods). Output heads
run in float32 so that mixed precision keeps the ELBO in full precision.

Conditional networks (`labels=LabelCondition(...)`) take a second input,
int class ids `labels` `(batch,)`, whose code (one-hot or a learned
embedding) is concatenated to the flattened image features (encoder) and to
z (decoder): `vae.encoder([images, labels])`, `vae.decoder([z, labels])`.
"""

import collections
import math

import keras
from keras import layers

from zoo.distributions import SCALE_FLOOR


def check_widths(widths, argument, minimum=0):
    """Validate a tuple of layer widths and return it as a tuple of ints.

    Raises:
        ValueError: if `widths` is not a sequence of positive ints with at
            least `minimum` entries.
    """
    if not isinstance(widths, (tuple, list)) or len(widths) < minimum or not all(
        isinstance(width, int) and not isinstance(width, bool) and width > 0
        for width in widths
    ):
        raise ValueError(
            f"`{argument}` must be a tuple of at least {minimum} positive "
            f"ints, e.g. (32, 64). Received: {argument}={widths!r}"
        )
    return tuple(widths)


LabelCondition = collections.namedtuple(
    "LabelCondition", ["num_classes", "embedding_dim"]
)
LabelCondition.__doc__ = """Networks conditioned on a class label: `num_classes`
ids, coded one-hot (`embedding_dim=None`) or by a learned embedding."""


def _label_input(labels):
    """The `labels` input and its code `(batch, num_classes or
    embedding_dim)`."""
    ids = keras.Input(shape=(), dtype="int32", name="labels")
    if labels.embedding_dim is None:
        code = layers.CategoryEncoding(
            labels.num_classes, output_mode="one_hot", name="label_one_hot"
        )(ids)
    else:
        code = layers.Embedding(
            labels.num_classes, labels.embedding_dim, name="label_embedding"
        )(ids)
    return ids, code


def _with_label(inputs, features, labels):
    """`(inputs, features)`, extended by the label input and its code when
    `labels` is a `LabelCondition`."""
    if labels is None:
        return inputs, features
    ids, code = _label_input(labels)
    features = layers.Concatenate(name="with_label")([features, code])
    return [inputs, ids], features


def _posterior_head(inputs, features, latent_dim, name):
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(features)
    z_stddev = layers.Dense(
        latent_dim, activation="softplus", dtype="float32", name="z_softplus"
    )(features)
    z_stddev = layers.Rescaling(
        1.0, offset=SCALE_FLOOR, dtype="float32", name="z_stddev"
    )(z_stddev)
    return keras.Model(inputs, [z_mean, z_stddev], name=name)


def mlp_encoder(input_shape, latent_dim, hidden_units, name="encoder"):
    """Flatten -> Dense(relu) per entry of `hidden_units` -> posterior head."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = layers.Flatten(name="flatten")(inputs)
    for index, units in enumerate(hidden_units):
        features = layers.Dense(
            units, activation="relu", name=f"dense_{index}"
        )(features)
    return _posterior_head(inputs, features, latent_dim, name)


def mlp_decoder(latent_dim, output_shape, hidden_units, name="decoder"):
    """z -> Dense(relu) per entry of `hidden_units` -> `output_shape`."""
    inputs = keras.Input(shape=(latent_dim,), name="z")
    features = inputs
    for index, units in enumerate(hidden_units):
        features = layers.Dense(
            units, activation="relu", name=f"dense_{index}"
        )(features)
    parameters = layers.Dense(
        math.prod(output_shape), dtype="float32", name="parameters_flat"
    )(features)
    parameters = layers.Reshape(
        output_shape, dtype="float32", name="parameters"
    )(parameters)
    return keras.Model(inputs, parameters, name=name)


def conv_encoder(
    input_shape, latent_dim, filters, hidden_units, labels=None,
    name="encoder",
):
    """Conv2D(3x3, stride 2, relu) per entry of `filters` -> Flatten ->
    [concatenate the label code] -> Dense(relu) per entry of `hidden_units`
    -> posterior head.

    Padding "same" halves H and W (rounding up) at each stride, so any
    H x W x C input works. `labels`: None, or a `LabelCondition`.
    """
    inputs = keras.Input(shape=input_shape, name="x")
    features = inputs
    for index, width in enumerate(filters):
        features = layers.Conv2D(
            width, 3, strides=2, padding="same", activation="relu",
            name=f"conv_{index}",
        )(features)
    features = layers.Flatten(name="flatten")(features)
    inputs, features = _with_label(inputs, features, labels)
    for index, units in enumerate(hidden_units):
        features = layers.Dense(
            units, activation="relu", name=f"dense_{index}"
        )(features)
    return _posterior_head(inputs, features, latent_dim, name)


def conv_decoder(latent_dim, output_shape, filters, hidden_units, labels=None,
                 name="decoder"):
    """Mirror of `conv_encoder`: [concatenate the label code to z] ->
    Dense -> Reshape to the encoder's smallest grid -> Conv2DTranspose(3x3,
    stride 2, relu) per entry of `filters` (widest first) -> Conv2D(3x3) to
    the parameter channels -> crop to exactly `output_shape`.
    """
    height, width, channels = output_shape
    stride = 2 ** len(filters)
    grid = (math.ceil(height / stride), math.ceil(width / stride))
    inputs = keras.Input(shape=(latent_dim,), name="z")
    inputs, features = _with_label(inputs, inputs, labels)
    for index, units in enumerate(hidden_units):
        features = layers.Dense(
            units, activation="relu", name=f"dense_{index}"
        )(features)
    features = layers.Dense(
        grid[0] * grid[1] * filters[-1], activation="relu", name="dense_grid"
    )(features)
    features = layers.Reshape((*grid, filters[-1]), name="grid")(features)
    for index, width_ in enumerate(reversed(filters)):
        features = layers.Conv2DTranspose(
            width_, 3, strides=2, padding="same", activation="relu",
            name=f"deconv_{index}",
        )(features)
    parameters = layers.Conv2D(
        channels, 3, padding="same", dtype="float32", name="parameters"
    )(features)
    crop = (grid[0] * stride - height, grid[1] * stride - width)
    if crop != (0, 0):
        parameters = layers.Cropping2D(
            ((0, crop[0]), (0, crop[1])), dtype="float32", name="crop"
        )(parameters)
    return keras.Model(inputs, parameters, name=name)

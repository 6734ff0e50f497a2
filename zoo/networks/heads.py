"""What every network shares: width checks, the label input, and the two
heads the zoo puts on any encoder or decoder body.

The posterior head of the Gaussian latent (`zoo.latents.gaussian`, where
it lives; other latents have their own) maps features to q(z|x)'s
parameters,

    z_mean = W_m h + b_m,   z_stddev = softplus(W_s h + b_s) + SCALE_FLOOR,

built from stock layers so that an encoder is a plain functional Keras
model. Output heads run in float32 so that mixed precision keeps the ELBO in
full precision.

A semi-supervised model also has a classifier, q(y|x): the same encoder
body ending in `classifier_head`, the logits of the classes.

Conditional networks (`labels=LabelCondition(...)`) take a second input,
int class ids `labels` `(batch,)`, whose code (one-hot or a learned
embedding) is concatenated to the flattened image features (encoder) and to
z (decoder): `vae.encoder([images, labels])`, `vae.decoder([z, labels])`.
"""

import collections
import math

import keras
from keras import layers

from zoo.latents.gaussian import posterior_head  # noqa: F401 (the head)
from zoo.validation import check_widths  # noqa: F401 (networks' check)


LabelCondition = collections.namedtuple(
    "LabelCondition", ["num_classes", "embedding_dim"]
)
LabelCondition.__doc__ = """Networks conditioned on a class label: `num_classes`
ids, coded one-hot (`embedding_dim=None`) or by a learned embedding."""


def label_input(labels):
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


def with_label(inputs, features, labels):
    """`(inputs, features)`, extended by the label input and its code when
    `labels` is a `LabelCondition`."""
    if labels is None:
        return inputs, features
    ids, code = label_input(labels)
    features = layers.Concatenate(name="with_label")([features, code])
    return [inputs, ids], features


def classifier_head(inputs, features, num_classes, name="classifier"):
    """A classifier: `inputs` -> `features` -> the logits of q(y|x),
    `(batch, num_classes)` (float32). Any network's encoder body ends in
    it when built with `head=classifier_head`."""
    logits = layers.Dense(num_classes, dtype="float32", name="logits")(
        features)
    return keras.Model(inputs, logits, name=name)


def likelihood_head(features, output_shape):
    """Decoder features -> the likelihood's parameters, `output_shape`.

    A feature map with the images' height and width gets a 1x1 convolution
    to the parameter channels (a per-pixel linear map); anything else is
    flattened and mapped by one `Dense` layer, then reshaped.
    """
    if len(output_shape) == 3 and tuple(features.shape[1:3]) == tuple(
        output_shape[:2]
    ) and len(features.shape) == 4:
        return layers.Conv2D(
            output_shape[-1], 1, dtype="float32", name="parameters"
        )(features)
    if len(features.shape) > 2:
        features = layers.Flatten(name="flatten_features")(features)
    parameters = layers.Dense(
        math.prod(output_shape), dtype="float32", name="parameters_flat"
    )(features)
    return layers.Reshape(output_shape, dtype="float32", name="parameters")(
        parameters
    )


def dense_stack(features, hidden_units):
    """`Dense(units, relu)` per entry of `hidden_units`."""
    for index, units in enumerate(hidden_units):
        features = layers.Dense(
            units, activation="relu", name=f"dense_{index}"
        )(features)
    return features


def vector_encoder(downsample, input_shape, latent_dim, options, labels,
                   name, head):
    """The encoder of a convolutional network whose body is `downsample`
    (a function from the image tensor to its smallest feature map):
    body -> Flatten -> [concatenate the label code] -> Dense(relu) per
    entry of `options["hidden_units"]` -> `head`."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = downsample(inputs, options["filters"])
    features = layers.Flatten(name="flatten")(features)
    inputs, features = with_label(inputs, features, labels)
    features = dense_stack(features, options["hidden_units"])
    return head(inputs, features, latent_dim, name)


def vector_grid_encoder(downsample, input_shape, latent_dim, options, name):
    """For a discrete latent (`zoo.models.VQVAE`): the body `downsample`
    -> Conv1x1 to `latent_dim` channels, the grid of vectors z_e."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = downsample(inputs, options["filters"])
    z_e = layers.Conv2D(latent_dim, 1, dtype="float32", name="z_e")(features)
    return keras.Model(inputs, z_e, name=name)


def grid_from_vector(features, output_shape, filters):
    """Dense(relu) -> Reshape: a vector to the smallest feature map of a
    decoder with one stride-2 stage per entry of `filters` (widest last),
    `ceil(H / 2^stages) x ceil(W / 2^stages) x filters[-1]`.

    Returns:
        `(features, grid)`; `crop(..., grid, len(filters), ...)` undoes
        the rounding up at the end.
    """
    stride = 2 ** len(filters)
    grid = (math.ceil(output_shape[0] / stride),
            math.ceil(output_shape[1] / stride))
    features = layers.Dense(
        grid[0] * grid[1] * filters[-1], activation="relu", name="dense_grid"
    )(features)
    return layers.Reshape((*grid, filters[-1]), name="grid")(features), grid


def crop(parameters, grid, stages, output_shape):
    """Crop a `grid * 2^stages` feature map to `output_shape`'s H x W."""
    stride = 2 ** stages
    excess = (grid[0] * stride - output_shape[0],
              grid[1] * stride - output_shape[1])
    if excess == (0, 0):
        return parameters
    return layers.Cropping2D(
        ((0, excess[0]), (0, excess[1])), dtype="float32", name="crop"
    )(parameters)

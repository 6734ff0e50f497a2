"""The `"resnet"` network: residual blocks with down- and up-sampling
stages, for any H x W x C image.

Each stage of the encoder is a residual block at the current resolution
followed by a stride-2 convolution to the stage's width; the decoder mirrors
it with a stride-2 transposed convolution followed by a residual block. A
residual block is the pre-activation block of He et al. (2016),

    y = x + Conv3x3(relu(Conv3x3(relu(x)))),

so each block starts close to the identity and deep stacks train stably.

References:
    He, Zhang, Ren & Sun, Identity Mappings in Deep Residual Networks,
    ECCV 2016, https://arxiv.org/abs/1603.05027.
"""


import keras
from keras import layers

from zoo.networks.heads import crop
from zoo.networks.heads import dense_stack
from zoo.networks.heads import grid_from_vector
from zoo.networks.heads import posterior_head
from zoo.networks.heads import vector_encoder
from zoo.networks.heads import vector_grid_encoder
from zoo.networks.heads import with_label

#: The options of `network="resnet"` and their defaults.
DEFAULTS = {"filters": (32, 64, 128), "hidden_units": (256,)}

#: Whether the network takes flat examples: no, images (H, W, C) only.
TAKES_FLAT = False


def residual_block(features, name):
    """x + Conv3x3(relu(Conv3x3(relu(x)))), at x's width and resolution."""
    width = features.shape[-1]
    residual = layers.Activation("relu", name=f"{name}_relu_0")(features)
    residual = layers.Conv2D(
        width, 3, padding="same", name=f"{name}_conv_0"
    )(residual)
    residual = layers.Activation("relu", name=f"{name}_relu_1")(residual)
    residual = layers.Conv2D(
        width, 3, padding="same", name=f"{name}_conv_1"
    )(residual)
    return layers.Add(name=f"{name}_add")([features, residual])


def encoder(input_shape, latent_dim, options, labels=None,
            name="encoder", head=posterior_head):
    """Conv3x3 stem to `filters[0]` -> per entry of `options["filters"]`:
    residual block, Conv2D(3x3, stride 2) to that width -> relu -> Flatten
    -> [concatenate the label code] -> Dense(relu) per entry of
    `options["hidden_units"]` -> posterior head."""
    return vector_encoder(downsample, input_shape, latent_dim, options,
                          labels, name, head)


def decoder(latent_dim, output_shape, options, labels=None,
            name="decoder"):
    """Mirror of `encoder`: [concatenate the label code to z] -> Dense(relu)
    per entry of `options["hidden_units"]`, reversed -> Dense -> Reshape to
    the smallest grid -> per entry of `filters` (widest first):
    Conv2DTranspose(3x3, stride 2), residual block -> relu -> Conv2D(3x3)
    to the parameter channels -> crop to exactly `output_shape`."""
    filters = options["filters"]
    inputs = keras.Input(shape=(latent_dim,), name="z")
    inputs, features = with_label(inputs, inputs, labels)
    features = dense_stack(features, options["hidden_units"][::-1])
    features, grid = grid_from_vector(features, output_shape, filters)
    parameters = upsample(features, grid, filters, output_shape)
    return keras.Model(inputs, parameters, name=name)


def downsample(features, filters):
    """The encoder's body: Conv3x3 stem to `filters[0]` -> per entry of
    `filters`: residual block, Conv2D(3x3, stride 2) to that width ->
    relu."""
    features = layers.Conv2D(
        filters[0], 3, padding="same", name="stem"
    )(features)
    for index, width in enumerate(filters):
        features = residual_block(features, f"block_{index}")
        features = layers.Conv2D(
            width, 3, strides=2, padding="same", name=f"down_{index}"
        )(features)
    return layers.Activation("relu", name="relu")(features)


def upsample(features, grid, filters, output_shape):
    """The decoder's body from the `grid` feature map: per entry of
    `filters` (widest first): Conv2DTranspose(3x3, stride 2), residual
    block -> relu -> Conv2D(3x3) to the parameter channels -> crop to
    exactly `output_shape`."""
    for index, width_ in enumerate(reversed(filters)):
        features = layers.Conv2DTranspose(
            width_, 3, strides=2, padding="same", name=f"up_{index}"
        )(features)
        features = residual_block(features, f"block_{index}")
    features = layers.Activation("relu", name="relu")(features)
    parameters = layers.Conv2D(
        output_shape[-1], 3, padding="same", dtype="float32",
        name="parameters",
    )(features)
    return crop(parameters, grid, len(filters), output_shape)


def grid_encoder(input_shape, latent_dim, options, name="encoder"):
    """For a discrete latent (`zoo.models.VQVAE`): `downsample` -> Conv1x1
    to `latent_dim` channels, the grid of vectors z_e."""
    return vector_grid_encoder(downsample, input_shape, latent_dim, options,
                               name)


def grid_decoder(grid, latent_dim, output_shape, options, name="decoder"):
    """Mirror of `grid_encoder`: z_q `(*grid, latent_dim)` -> Conv2D(3x3)
    to `filters[-1]` -> `upsample`."""
    filters = options["filters"]
    inputs = keras.Input(shape=(*grid, latent_dim), name="z")
    features = layers.Conv2D(
        filters[-1], 3, padding="same", name="grid"
    )(inputs)
    parameters = upsample(features, grid, filters, output_shape)
    return keras.Model(inputs, parameters, name=name)

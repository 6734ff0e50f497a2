"""The `"conv"` network: strided convolutions over any H x W x C image."""


import keras
from keras import layers

from zoo.networks.heads import crop
from zoo.networks.heads import dense_stack
from zoo.networks.heads import grid_from_vector
from zoo.networks.heads import posterior_head
from zoo.networks.heads import vector_encoder
from zoo.networks.heads import vector_grid_encoder
from zoo.networks.heads import with_label
from zoo.networks.subpixel import SubpixelConv2D

#: The options of `network="conv"` and their defaults.
DEFAULTS = {"filters": (32, 64), "hidden_units": (), "output_layer": "subpixel"}

#: Whether the network takes flat examples: no, images (H, W, C) only.
TAKES_FLAT = False

#: The values of the options that are a choice rather than widths.
CHOICES = {"output_layer": ("subpixel", "conv")}

#: The `output_layer` of a model saved before the option existed (zoo
#: 0.2.0.dev0 configs without the key, and release 0.1 files).
LEGACY_OUTPUT_LAYER = "conv"


def encoder(input_shape, latent_dim, options, labels=None,
            name="encoder", head=posterior_head):
    """Conv2D(3x3, stride 2, relu) per entry of `options["filters"]` ->
    Flatten -> [concatenate the label code] -> Dense(relu) per entry of
    `options["hidden_units"]` -> posterior head.

    Padding "same" halves H and W (rounding up) at each stride, so any
    H x W x C input works. `labels`: None, or a `LabelCondition`.
    """
    return vector_encoder(downsample, input_shape, latent_dim, options,
                          labels, name, head)


def decoder(latent_dim, output_shape, options, labels=None,
            name="decoder"):
    """Mirror of `encoder`: [concatenate the label code to z] -> Dense(relu)
    per entry of `options["hidden_units"]`, reversed -> Dense -> Reshape to
    the encoder's smallest grid -> `upsample` to the parameter channels at
    exactly `output_shape`, ending as `options["output_layer"]` says.
    """
    inputs = keras.Input(shape=(latent_dim,), name="z")
    inputs, features = with_label(inputs, inputs, labels)
    features = dense_stack(features, options["hidden_units"][::-1])
    filters = options["filters"]
    features, grid = grid_from_vector(features, output_shape, filters)
    parameters = upsample(features, grid, filters, output_shape,
                          options["output_layer"])
    return keras.Model(inputs, parameters, name=name)


def downsample(features, filters):
    """Conv2D(3x3, stride 2, relu) per entry of `filters`: the encoder's
    body, to a grid of `ceil(H / 2^len(filters))` rows and columns."""
    for index, width in enumerate(filters):
        features = layers.Conv2D(
            width, 3, strides=2, padding="same", activation="relu",
            name=f"conv_{index}",
        )(features)
    return features


def upsample(features, grid, filters, output_shape, output_layer):
    """The decoder's body from the `grid` feature map to the parameter
    channels, one doubling of H and W per entry of `filters`, then a crop
    to exactly `output_shape`:

    - `output_layer="subpixel"` (default): Conv2DTranspose(3x3, stride 2,
      relu) per entry of `filters` but the first (widest first), then a
      sub-pixel convolution (`SubpixelConv2D`, 3x3) from the half
      resolution straight to the parameters. `filters[0]` sets only the
      encoder's first stage.
    - `output_layer="conv"` (models saved before the option existed):
      Conv2DTranspose(3x3, stride 2, relu) per entry of `filters`, then a
      Conv2D(3x3) at full resolution to the parameters.
    """
    widths = tuple(reversed(filters))
    if output_layer == "subpixel":
        widths = widths[:-1]
    for index, width_ in enumerate(widths):
        features = layers.Conv2DTranspose(
            width_, 3, strides=2, padding="same", activation="relu",
            name=f"deconv_{index}",
        )(features)
    if output_layer == "subpixel":
        parameters = SubpixelConv2D(
            output_shape[-1], 3, dtype="float32", name="parameters"
        )(features)
    else:
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
    """Mirror of `grid_encoder`: z_q `(*grid, latent_dim)` ->
    Conv2D(3x3, relu) to `filters[-1]` -> `upsample` with the
    full-resolution Conv2D output (`output_layer="conv"`)."""
    filters = options["filters"]
    inputs = keras.Input(shape=(*grid, latent_dim), name="z")
    features = layers.Conv2D(
        filters[-1], 3, padding="same", activation="relu", name="grid"
    )(inputs)
    parameters = upsample(features, grid, filters, output_shape, "conv")
    return keras.Model(inputs, parameters, name=name)


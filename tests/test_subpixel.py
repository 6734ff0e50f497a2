"""The sub-pixel convolution (`zoo.networks.subpixel`) and the `"conv"`
network's `output_layer` option, including models saved before it."""

import keras
import numpy as np
import pytest

import zoo
from zoo.networks.subpixel import SubpixelConv2D


def test_each_output_pixel_is_its_channel_of_the_coarse_convolution():
    # y[s i + a, s j + b, f] = u[i, j, (s a + b) F + f], u the convolution.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    layer = SubpixelConv2D(2, kernel_size=3, scale=3)
    y = layer(x).numpy()
    u = layer.convolution(x).numpy()
    assert y.shape == (2, 12, 15, 2)
    for a in range(3):
        for b in range(3):
            channels = slice((3 * a + b) * 2, (3 * a + b + 1) * 2)
            np.testing.assert_array_equal(y[:, a::3, b::3, :],
                                          u[:, :, :, channels])


def test_the_coarse_convolution_sees_a_kernel_square_of_neighbours():
    # One input pixel changes only the outputs of the coarse pixels within
    # the kernel's reach: a 3 x 3 block of 2 x 2 output cells.
    layer = SubpixelConv2D(1, kernel_size=3)
    x = np.zeros((1, 6, 6, 1), "float32")
    base = layer(x).numpy()
    x[0, 2, 3, 0] = 1.0
    changed = np.abs(layer(x).numpy() - base)[0, :, :, 0] > 0
    rows, columns = np.nonzero(changed)
    assert (rows.min(), rows.max()) == (2, 7)  # coarse rows 1..3
    assert (columns.min(), columns.max()) == (4, 9)  # coarse columns 2..4


def test_the_layer_round_trips_its_config_and_refuses_bad_arguments():
    layer = SubpixelConv2D(3, kernel_size=5, scale=2, activation="relu",
                           name="up")
    clone = SubpixelConv2D.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.scale) == (3, 5, 2)
    assert clone.activation is keras.activations.relu
    for bad in ({"filters": 0}, {"filters": 2, "scale": 1},
                {"filters": 2, "kernel_size": 2.5}):
        with pytest.raises(ValueError, match=next(iter(bad.keys() - {"filters"}),
                                                  "filters")):
            SubpixelConv2D(**bad)


def parameter_layer(model):
    return model.decoder.get_layer("parameters")


@pytest.mark.parametrize("shape", [(28, 28, 1), (13, 9, 3)])
def test_the_default_decoder_ends_in_a_subpixel_convolution(shape):
    model = zoo.VAE(input_shape=shape, latent_dim=4)
    assert isinstance(parameter_layer(model), SubpixelConv2D)
    assert model.decoder.output.shape[1:] == shape  # cropped when odd
    legacy = zoo.VAE(input_shape=shape, latent_dim=4, output_layer="conv")
    assert type(parameter_layer(legacy)) is keras.layers.Conv2D
    assert [layer.name for layer in legacy.decoder.layers
            if "deconv" in layer.name] == ["deconv_0", "deconv_1"]
    assert [layer.name for layer in model.decoder.layers
            if "deconv" in layer.name] == ["deconv_0"]


def test_a_config_saved_before_the_option_loads_the_conv_output():
    legacy = zoo.VAE(input_shape=(8, 8, 1), latent_dim=2, output_layer="conv")
    config = legacy.get_config()
    assert config["output_layer"] == "conv"
    del config["output_layer"]  # as zoo wrote it before the option existed
    loaded = zoo.VAE.from_config(config)
    assert type(parameter_layer(loaded)) is keras.layers.Conv2D
    assert loaded.decoder.count_params() == legacy.decoder.count_params()
    # A model of today round-trips its own choice.
    model = zoo.VAE(input_shape=(8, 8, 1), latent_dim=2)
    clone = zoo.VAE.from_config(model.get_config())
    assert isinstance(parameter_layer(clone), SubpixelConv2D)


def test_output_layer_with_the_users_own_decoder_is_refused():
    decoder = keras.Sequential([keras.layers.Dense(64)])
    with pytest.raises(ValueError, match="with your own `decoder` drop it"):
        zoo.VAE(input_shape=(8, 8, 1), latent_dim=2, decoder=decoder,
                output_layer="conv")

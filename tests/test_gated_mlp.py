"""The `"gated_mlp"` network: each hidden layer is (W x + b) * sigmoid(V x
+ c), checked against numpy on the built model's own weights."""

import keras
import numpy as np

import zoo


def test_gated_layers_compute_a_gated_linear_unit():
    model = zoo.VAE(input_shape=(6,), latent_dim=2, network="gated_mlp",
                    hidden_units=(5, 4), likelihood="gaussian", seed=0)
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")

    def dense(name, inputs):
        kernel, bias = model.encoder.get_layer(name).get_weights()
        return inputs @ kernel + bias

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    features = x
    for index in range(2):
        features = dense(f"gated_{index}_linear", features) * sigmoid(
            dense(f"gated_{index}_gate", features))
    hidden = keras_output(model.encoder, "gated_1", x)
    np.testing.assert_allclose(hidden, features, rtol=1e-5, atol=1e-6)
    # The decoder mirrors the widths.
    assert model.decoder.get_layer("gated_0_linear").units == 4
    assert model.decoder.get_layer("gated_1_linear").units == 5


def keras_output(network, layer_name, x):
    probe = keras.Model(network.inputs, network.get_layer(layer_name).output)
    return np.asarray(probe(x))


def test_defaults_are_the_papers_two_layers_of_300():
    model = zoo.VAE(input_shape=(28, 28, 1), latent_dim=40,
                    network="gated_mlp")
    assert [model.encoder.get_layer(f"gated_{index}_linear").units
            for index in range(2)] == [300, 300]

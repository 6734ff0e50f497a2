"""The `"mlp"` network: multilayer perceptrons over flattened examples."""

import keras
from keras import layers

from zoo.networks.heads import dense_stack
from zoo.networks.heads import likelihood_head
from zoo.networks.heads import posterior_head
from zoo.networks.heads import with_label

#: The options of `network="mlp"` and their defaults.
DEFAULTS = {"hidden_units": (512, 256)}

#: Whether the network takes flat examples (any input_shape), not only
#: images.
TAKES_FLAT = True


def encoder(input_shape, latent_dim, options, labels=None,
            name="encoder", head=posterior_head, stack=dense_stack):
    """Flatten -> [concatenate the label code] -> Dense(relu) per entry of
    `options["hidden_units"]` (or the layers `stack` builds) -> posterior
    head. With `hidden_units=()` the map is linear (with a Gaussian
    likelihood, probabilistic PCA)."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = layers.Flatten(name="flatten")(inputs)
    inputs, features = with_label(inputs, features, labels)
    features = stack(features, options["hidden_units"])
    return head(inputs, features, latent_dim, name)


def decoder(latent_dim, output_shape, options, labels=None,
            name="decoder", stack=dense_stack):
    """z -> [concatenate the label code] -> Dense(relu) per entry of
    `options["hidden_units"]`, reversed (or the layers `stack` builds) ->
    Dense -> Reshape to `output_shape`."""
    inputs = keras.Input(shape=(latent_dim,), name="z")
    inputs, features = with_label(inputs, inputs, labels)
    features = stack(features, options["hidden_units"][::-1])
    return keras.Model(inputs, likelihood_head(features, output_shape),
                       name=name)


#: The code grid of `grid_encoder`: 16 positions, each a D-vector.
GRID = (4, 4)


def grid_encoder(input_shape, latent_dim, options, name="encoder",
                 stack=dense_stack):
    """For a discrete latent (`zoo.models.VQVAE`): Flatten -> Dense(relu)
    per entry of `options["hidden_units"]` (or the layers `stack` builds)
    -> Dense -> Reshape to a `GRID` of `latent_dim`-vectors z_e."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = layers.Flatten(name="flatten")(inputs)
    features = stack(features, options["hidden_units"])
    z_e = layers.Dense(GRID[0] * GRID[1] * latent_dim, dtype="float32",
                       name="z_e_flat")(features)
    z_e = layers.Reshape((*GRID, latent_dim), name="z_e")(z_e)
    return keras.Model(inputs, z_e, name=name)


def grid_decoder(grid, latent_dim, output_shape, options, name="decoder",
                 stack=dense_stack):
    """Mirror of `grid_encoder`: z_q `(*grid, latent_dim)` (the encoder's
    `GRID`) -> Flatten -> Dense(relu) per entry of
    `options["hidden_units"]`, reversed (or the layers `stack` builds) ->
    the likelihood head."""
    inputs = keras.Input(shape=(*grid, latent_dim), name="z")
    features = layers.Flatten(name="flatten_z")(inputs)
    features = stack(features, options["hidden_units"][::-1])
    return keras.Model(inputs, likelihood_head(features, output_shape),
                       name=name)

"""User-supplied networks: any Keras model or layer as the encoder body or
the decoder body; the zoo adds the heads, so no distribution code is
written by the user.

    encoder: x -> body(x) -> [Flatten] -> [label code] -> posterior head
    decoder: z -> [label code] -> body -> likelihood head

The encoder body takes a batch of examples `(batch, *input_shape)` and
returns features of any shape. The decoder body takes a vector
`(batch, latent_dim)` (`latent_dim + num_classes`, or `+
label_embedding_dim`, for a conditional model: z and the label code) and
returns features; the likelihood head maps them to the likelihood's
parameters at the input shape (see `heads.likelihood_head`).

To save and load with `safe_mode` on, a body must be built from Keras's own
layers (a functional or `Sequential` model) or from classes registered with
`@keras.saving.register_keras_serializable()`; a `Lambda` layer is refused.
"""

import keras

from zoo.networks.heads import likelihood_head
from zoo.networks.heads import posterior_head
from zoo.networks.heads import with_label


def check_body(body, argument):
    """Refuse a body that could not be saved and loaded with `safe_mode`.

    Raises:
        ValueError: if `body` is not a Keras layer or model, holds a
            `Lambda` layer, or a layer class Keras cannot find by name.
    """
    if not isinstance(body, keras.layers.Layer):
        raise ValueError(
            f"`{argument}` must be a Keras model or layer (e.g. a functional "
            f"keras.Model). Received: {argument} of type "
            f"{type(body).__name__}"
        )
    for layer in _all_layers(body):
        if isinstance(layer, keras.layers.Lambda):
            raise ValueError(
                f"`{argument}` holds a Lambda layer ({layer.name!r}), which "
                "a .keras file cannot load with safe_mode on. Write it as a "
                "layer class decorated with "
                "@keras.saving.register_keras_serializable() (with "
                "get_config) or use Keras's own layers."
            )
        cls = type(layer)
        if cls.__module__.startswith("keras."):
            continue
        name = keras.saving.get_registered_name(cls)
        if keras.saving.get_registered_object(name) is not cls:
            raise ValueError(
                f"`{argument}` holds a layer of class {cls.__name__}, which "
                "is not registered, so a saved model could not be loaded. "
                "Decorate the class with "
                "@keras.saving.register_keras_serializable(package=...) and "
                "give it a get_config()."
            )
    return body


def _all_layers(layer):
    yield layer
    for child in getattr(layer, "layers", None) or ():
        yield from _all_layers(child)


def encoder(body, input_shape, latent_dim, labels=None, name="encoder",
            head=posterior_head):
    """The posterior head (or another `head`) on the user's `body`."""
    inputs = keras.Input(shape=input_shape, name="x")
    features = _call(body, inputs, "encoder",
                     f"a batch of examples of shape {tuple(input_shape)}")
    if len(features.shape) > 2:
        features = keras.layers.Flatten(name="flatten")(features)
    inputs, features = with_label(inputs, features, labels)
    return head(inputs, features, latent_dim, name)


def decoder(body, latent_dim, output_shape, labels=None, name="decoder"):
    """The likelihood head on the user's `body`."""
    inputs = keras.Input(shape=(latent_dim,), name="z")
    inputs, features = with_label(inputs, inputs, labels)
    size = features.shape[-1]
    features = _call(body, features, "decoder", f"vectors of size {size} "
                     "(latent_dim, plus the label code of a conditional "
                     "model: num_classes or label_embedding_dim)")
    parameters = likelihood_head(features, output_shape)
    return keras.Model(inputs, parameters, name=name)


def _call(body, inputs, argument, takes):
    try:
        return body(inputs)
    except Exception as error:  # Keras raises several types here
        raise ValueError(
            f"The `{argument}` body could not be applied to its input: it "
            f"must take {takes}. Keras said: {error}"
        ) from error

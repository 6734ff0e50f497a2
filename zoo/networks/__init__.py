"""Encoder and decoder networks: functional `keras.Model`s over any H x W x C.

A network is one of the axes of a zoo model (`zoo.VAE(network=...)`):

    "mlp"     multilayer perceptrons (`mlp.py`)
    "gated_mlp"  perceptrons of gated linear units (`gated_mlp.py`)
    "conv"    strided convolutions (`conv.py`)
    "resnet"  residual blocks with down/up-sampling stages (`resnet.py`)

or the user's own Keras model or layer for the encoder body and/or the
decoder body (`zoo.VAE(encoder=..., decoder=...)`, `custom.py`).

Encoders map an image `x` to the two posterior parameter tensors
`[z_mean, z_stddev]`, each `(batch, latent_dim)`; `z_stddev` is
`softplus(.) + SCALE_FLOOR` (`heads.py`), so the encoder is a plain Keras
model that any other Keras model can reuse::

    z_mean, z_stddev = vae.encoder(images)

Decoders map `z` to the likelihood's parameters, a tensor of shape
`(H, W, num_parameters * C)` (logits for Bernoulli likelihoods).
"""

from zoo.networks import conv
from zoo.networks import custom
from zoo.networks import gated_mlp
from zoo.networks import mlp
from zoo.networks import resnet
import keras

from zoo.networks.heads import LabelCondition
from zoo.networks.heads import check_widths
from zoo.networks.heads import classifier_head
from zoo.networks.heads import posterior_head

#: name -> the module that builds it; each has `DEFAULTS`, `encoder` and
#: `decoder`.
NETWORKS = {"mlp": mlp, "gated_mlp": gated_mlp, "conv": conv,
            "resnet": resnet}

__all__ = ["LabelCondition", "NETWORKS", "build", "build_classifier",
           "build_grid", "builds_conv_decoder", "check_widths",
           "check_options", "grid_shape"]


def check_options(network, options, has_encoder, has_decoder):
    """The network's options, defaults filled in and checked.

    Args:
        network: a name in `NETWORKS`, or None when the user supplies both
            bodies.
        options: dict of the options given (`filters`, `hidden_units`,
            `output_layer`), None for those not given.
        has_encoder, has_decoder: whether the user supplies that body.

    Raises:
        ValueError: for an unknown network, a built-in network with neither
            body to build, or an option the network does not take.
    """
    given = {key: value for key, value in options.items() if value is not None}
    if has_encoder and has_decoder:
        if network is not None or given:
            raise ValueError(
                "With both `encoder` and `decoder` given no built-in network "
                "is built; drop `network` and its options. Received: "
                f"network={network!r}, options={given}"
            )
        return {}
    if network not in NETWORKS:
        raise ValueError(
            f"`network` must be one of {sorted(NETWORKS)} (or pass your own "
            "Keras models as `encoder=` and `decoder=`). Received: "
            f"network={network!r}"
        )
    defaults = NETWORKS[network].DEFAULTS
    if has_decoder and "output_layer" in given:
        raise ValueError(
            "`output_layer` shapes the built-in decoder; with your own "
            "`decoder` drop it. Received: "
            f"output_layer={given['output_layer']!r}"
        )
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"network={network!r} takes the options {sorted(defaults)}; "
            f"{unknown} is not one of them."
        )
    choices = getattr(NETWORKS[network], "CHOICES", {})
    checked = {}
    for key, default in defaults.items():
        value = given.get(key, default)
        if key not in choices:
            minimum = 1 if key == "filters" else 0
            checked[key] = check_widths(value, key, minimum)
        elif value in choices[key]:
            checked[key] = value
        else:
            raise ValueError(
                f"`{key}` of network={network!r} must be one of "
                f"{list(choices[key])}. Received: {key}={value!r}"
            )
    return checked


def builds_conv_decoder(network, decoder_body):
    """Whether a model with this `network` and decoder body (None when the
    zoo builds it) gets the `"conv"` network's decoder: `network="conv"`,
    or no network and no decoder body (the default)."""
    return decoder_body is None and network in ("conv", None)


def check_images(network, image_shape):
    """Refuse flat examples for a network that takes images only."""
    if not NETWORKS[network].TAKES_FLAT and len(image_shape) != 3:
        raise ValueError(
            f"network={network!r} needs images, input_shape=(height, width, "
            f"channels). Received: input_shape={image_shape!r}. Use "
            "network='mlp' for flat vectors."
        )


def build(network, options, image_shape, latent_dim, parameter_shape,
          labels=None, encoder_body=None, decoder_body=None,
          head=posterior_head):
    """`(encoder, decoder)`: the built-in `network` with `options`, or the
    heads on the user's bodies where given. Every network module builds
    from the same arguments (`encoder(input_shape, latent_dim, options,
    labels, head=...)`, `decoder(latent_dim, output_shape, options,
    labels)`); `head` is the latent's posterior head (`zoo.latents`)."""
    if network is not None:
        check_images(network, image_shape)
    if encoder_body is not None:
        encoder = custom.encoder(encoder_body, image_shape, latent_dim, labels,
                                 head=head)
    else:
        encoder = NETWORKS[network].encoder(image_shape, latent_dim, options,
                                            labels, head=head)
    if decoder_body is not None:
        decoder = custom.decoder(decoder_body, latent_dim, parameter_shape,
                                 labels)
    else:
        decoder = NETWORKS[network].decoder(latent_dim, parameter_shape,
                                            options, labels)
    return encoder, decoder


def build_classifier(network, options, image_shape, num_classes,
                     encoder_body=None):
    """A classifier q(y|x) with the encoder's architecture: the built-in
    `network`'s encoder body (or a fresh copy of the user's), ending in
    the logits of `num_classes` classes (`heads.classifier_head`). Its
    weights are its own, never shared with the encoder."""
    if encoder_body is not None:
        if isinstance(encoder_body, keras.Model):
            body = keras.models.clone_model(encoder_body)
        else:
            body = encoder_body.__class__.from_config(
                encoder_body.get_config())
        return custom.encoder(body, image_shape, num_classes,
                              name="classifier", head=classifier_head)
    return NETWORKS[network].encoder(
        image_shape, num_classes, options, name="classifier",
        head=classifier_head,
    )


def build_grid(network, options, image_shape, latent_dim, parameter_shape):
    """`(encoder, decoder)` of a discrete latent (`zoo.models.VQVAE`): the
    encoder maps x to a grid of `latent_dim`-vectors `(batch, h, w,
    latent_dim)` (`grid_shape(encoder)` gives `(h, w)`), the decoder maps
    such a grid to the likelihood's parameters `parameter_shape`."""
    check_images(network, image_shape)
    module = NETWORKS[network]
    encoder = module.grid_encoder(image_shape, latent_dim, options)
    decoder = module.grid_decoder(
        grid_shape(encoder), latent_dim, parameter_shape, options)
    return encoder, decoder


def grid_shape(encoder):
    """`(h, w)`: the code grid of a `build_grid` encoder."""
    return tuple(encoder.output.shape[1:-1])

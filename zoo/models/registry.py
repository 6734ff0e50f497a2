"""The model registry: one entry per model, looked up by name."""

import inspect

from zoo.models.beta import BetaVAE
from zoo.models.conditional import ConditionalVAE
from zoo.models.conv import ConvVAE
from zoo.models.dense import DenseVAE
from zoo.models.iwae import IWAE
from zoo.models.tcvae import BetaTCVAE

# name -> (class, default options). A prior is an option of every model; the
# entries with a learned prior are the convolutional VAE with that option.
MODELS = {
    "dense_vae": (DenseVAE, {}),
    "conv_vae": (ConvVAE, {}),
    "beta_vae": (BetaVAE, {}),
    "iwae": (IWAE, {}),
    "beta_tcvae": (BetaTCVAE, {}),
    "conditional_vae": (ConditionalVAE, {}),
    "mixture_prior_vae": (ConvVAE, {"prior": "mixture"}),
    "vamp_prior_vae": (ConvVAE, {"prior": "vamp"}),
}


def list_models():
    """The registered model names, sorted."""
    return sorted(MODELS)


def options(name):
    """The constructor options a registered model accepts, sorted."""
    cls, _ = _entry(name)
    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("zoo."):
            names.update(
                parameter.name
                for parameter in inspect.signature(klass.__init__)
                .parameters.values()
                if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
            )
    return sorted(names - {"self"})


def get(name, **options_):
    """Build the registered model `name` with the given options.

    Example:

    >>> import zoo
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16)

    Raises:
        ValueError: for an unknown name or option; the message lists the
            valid ones.
    """
    valid = options(name)
    unknown = sorted(set(options_) - set(valid) - {"name"})
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for model {name!r}. "
            f"Valid options: {valid}."
        )
    missing = [key for key in ("input_shape", "latent_dim") if key not in options_]
    if missing:
        raise ValueError(
            f"zoo.get({name!r}, ...) needs {missing}, e.g. "
            "input_shape=(28, 28, 1), latent_dim=16."
        )
    cls, defaults = _entry(name)
    return cls(**{**defaults, **options_})


def _entry(name):
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(
            f"Unknown model {name!r}. Available models: {list_models()}."
        )
    return MODELS[name]

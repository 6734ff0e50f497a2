"""The registry: named presets of the zoo's options.

Every model with a flat latent (Gaussian, flow, spherical, categorical,
joint or deterministic) is a `zoo.VAE`; a registry name fixes some of its
options (the network, the latent, the objective, the prior, the condition)
and `zoo.get` takes any of them, the preset's included, to override it.
`vq_vae` is a `zoo.VQVAE` (a discrete codebook latent) and
`hierarchical_vae` a `zoo.HierarchicalVAE` (a top-down hierarchy of latent
groups), each built from its own options (`CLASSES`):

    zoo.get("iwae", input_shape=(28, 28, 1), latent_dim=16)
    zoo.get("iwae", network="mlp", ...)                  # a dense IWAE
    zoo.get("beta_tcvae", network="resnet", input_shape=(64, 64, 3), ...)

`zoo.get` also takes the objective's options (`beta`, `num_samples`,
`capacity`, `tc_weight`, ...), which it passes to the objective, and the
latent's (`flow_steps`, `num_categories`, `temperature`, `penalty`, ...;
`zoo.latents`), which it passes to the latent.
"""

import inspect

from zoo import latents
from zoo import objectives
from zoo.models.vae import VAE
from zoo.models.hierarchical_vae import HierarchicalVAE
from zoo.models.vq_vae import VQVAE

# name -> the options the preset fixes.
MODELS = {
    "dense_vae": {"network": "mlp"},
    "conv_vae": {"network": "conv"},
    "beta_vae": {"network": "conv", "objective": "beta"},
    "iwae": {"network": "conv", "objective": "iwae"},
    "miwae": {"network": "conv", "objective": "miwae"},
    "piwae": {"network": "conv", "objective": "piwae"},
    "ciwae": {"network": "conv", "objective": "ciwae"},
    "beta_tcvae": {"network": "conv", "objective": "beta_tc"},
    "factor_vae": {"network": "conv", "objective": "factor_vae"},
    "dip_vae": {"network": "conv", "objective": "dip_vae"},
    "wae_mmd": {"network": "conv", "objective": "wae_mmd"},
    "info_vae": {"network": "conv", "objective": "info_vae"},
    "conditional_vae": {"network": "conv", "num_classes": 10},
    # M2 pairs each example with every class (10x a VAE's step): dense
    # networks, as in Kingma et al. (2014).
    "semi_supervised_vae": {"network": "mlp", "num_classes": 10,
                            "objective": "semi_supervised"},
    "mixture_prior_vae": {"network": "conv", "prior": "mixture"},
    "vamp_prior_vae": {"network": "conv", "prior": "vamp"},
    "vq_vae": {"network": "conv"},
    "hierarchical_vae": {},
    # The latent axis (zoo.latents): Pythae's VAE-IAF, SVAE, RAE-L2/GP and
    # AE; PyTorch-VAE's Categorical VAE and JointVAE.
    "vae_iaf": {"network": "conv", "latent": "iaf"},
    "svae": {"network": "conv", "latent": "von_mises_fisher"},
    "categorical_vae": {"network": "conv", "latent": "relaxed_categorical"},
    "joint_vae": {"network": "conv", "latent": "joint"},
    "autoencoder": {"network": "conv", "latent": "deterministic"},
    "rae_l2": {"network": "conv", "latent": "deterministic",
               "penalty": "l2", "latent_weight": 1.0},
    "rae_gp": {"network": "conv", "latent": "deterministic",
               "penalty": "gradient", "latent_weight": 1.0},
}

#: The presets that are not a `VAE`: name -> their class. A `VQVAE` has a
#: discrete codebook latent, a `HierarchicalVAE` a hierarchy of groups;
#: each has its own options (no objective; only the hierarchy's top group
#: takes a prior).
CLASSES = {"vq_vae": VQVAE, "hierarchical_vae": HierarchicalVAE}


def list_models():
    """The registered model names, sorted."""
    return sorted(MODELS)


def model_class(name):
    """The class `zoo.get(name, ...)` builds: `zoo.VAE`, or the preset's
    own (`CLASSES`)."""
    _entry(name)
    return CLASSES.get(name, VAE)


def preset_latent(name):
    """The latent the preset `name` fixes (`"gaussian"` unless it says),
    or None for a preset of its own class (`CLASSES`)."""
    preset = _entry(name)
    return None if name in CLASSES else preset.get("latent", "gaussian")


def model_options(cls=VAE):
    """The options of `cls`, by default `zoo.VAE` (beside its
    objective's), sorted."""
    return sorted(
        parameter.name
        for parameter in inspect.signature(cls.__init__).parameters.values()
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        and parameter.name != "self"
    )


def options(name, objective=None, latent=None):
    """The options `zoo.get(name, ...)` accepts, sorted: the model's, its
    objective's (the preset's, or `objective`) and its latent's (the
    preset's, or `latent`)."""
    preset = _entry(name)
    if name in CLASSES:
        return model_options(CLASSES[name])
    objective = objective or preset.get("objective", "elbo")
    latent = latent or preset.get("latent", "gaussian")
    result = set(model_options())
    if not isinstance(objective, objectives.Objective):
        result.update(objectives.options(objective))
    if not isinstance(latent, latents.Latent):
        result.update(latents.options(latent))
    return sorted(result)


def get(name, **options_):
    """Build the registered model `name` with the given options.

    Example:

    >>> import zoo
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16)

    Raises:
        ValueError: for an unknown name or option; the message lists the
            valid ones.
    """
    preset = _entry(name)
    if name in CLASSES:
        return _get_class(name, preset, options_)
    objective = options_.pop("objective", preset.get("objective", "elbo"))
    latent = options_.pop("latent", preset.get("latent", "gaussian"))
    if latent != preset.get("latent", "gaussian"):  # the preset's latent
        dropped = latents.options(preset.get("latent", "gaussian"))  # options
        preset = {key: value for key, value in preset.items()
                  if key not in dropped}
    if objective == "beta" and "gamma" in options_ and (
        "capacity" not in options_
    ):
        raise ValueError(
            "`gamma` weighs |KL - C| in the capacity objective; pass "
            "`capacity` too, or drop `gamma` and set `beta`. "
            f"Received: gamma={options_['gamma']!r}, capacity=None"
        )
    if objective == "beta" and "capacity" in options_:
        if "beta" in options_:
            raise ValueError(
                "`beta` and `capacity` choose different objectives: beta * "
                "KL or gamma * |KL - C|; pass one of them. Received: "
                f"beta={options_['beta']!r}, capacity={options_['capacity']!r}"
            )
        objective = "capacity"  # beta_vae with a capacity, as in 0.1
    valid = options(name, objective, latent)
    unknown = sorted(set(options_) - set(valid) - {"name"})
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for model {name!r} (objective "
            f"{objective!r}, latent {latent!r}). Valid options: {valid}."
        )
    _check_required(name, options_)
    if "encoder" in options_ and "decoder" in options_:
        preset = {**preset, "network": None}  # the user's own networks
    given = {key: value for key, value in {**preset, **options_}.items()
             if key not in ("objective", "latent")}
    latent_keys = set() if isinstance(latent, latents.Latent) else set(
        latents.options(latent))
    model_keys = set(model_options()) | {"name"}
    parts = {"model": {}, "latent": {}, "objective": {}}
    for key, value in given.items():
        part = ("model" if key in model_keys else
                "latent" if key in latent_keys else "objective")
        parts[part][key] = value
    return VAE(**parts["model"],
               objective=objectives.get(
                   objective, model_seed=parts["model"].get("seed"),
                   **parts["objective"]),
               latent=latents.get(latent, **parts["latent"]))


def _get_class(name, preset, options_):
    """`zoo.get` for a preset of its own class (`CLASSES`)."""
    valid = options(name)
    unknown = sorted(set(options_) - set(valid) - {"name"})
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for model {name!r}. Valid "
            f"options: {valid}."
        )
    _check_required(name, options_)
    return CLASSES[name](**{**preset, **options_})


def _check_required(name, options_):
    missing = [key for key in ("input_shape", "latent_dim") if key not in options_]
    if missing:
        raise ValueError(
            f"zoo.get({name!r}, ...) needs {missing}, e.g. "
            "input_shape=(28, 28, 1), latent_dim=16."
        )


def _entry(name):
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(
            f"Unknown model {name!r}. Available models: {list_models()}."
        )
    return MODELS[name]

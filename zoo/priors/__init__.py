"""Priors p(z), one file each; `make_prior` is the axis's registry.

    "standard_normal"  N(0, I), fixed (`standard_normal.py`)
    "mixture"          a learned mixture of Gaussians (`mixture.py`)
    "vamp"             the VampPrior (`vamp.py`)
    "maf"              a learned masked autoregressive flow (`maf.py`)

and, for the VQ-VAE's discrete codes, a gated PixelCNN over the code grid
(`pixelcnn.py`).

A learnable prior is a Keras layer that owns its trainable weights (so they
train, save and load with the model) and builds its `tfd` distribution on
demand with `distribution(encoder)`. The weights stay float32 under mixed
precision (`autocast=False`), as the distributions' densities are. No learned
prior has an analytic KL to the Gaussian posterior, so the model's KL falls
back to the Monte Carlo estimate log q(z|x) - log p(z) at the
sampled z.
"""

from zoo import validation
from zoo.priors.maf import MAFPrior
from zoo.priors.mixture import MixturePrior
from zoo.priors.mixture import mixture_from_noise
from zoo.priors.pixelcnn import PixelCNN
from zoo.priors.standard_normal import standard_normal_prior
from zoo.priors.vamp import VampPrior

__all__ = ["MAFPrior", "MixturePrior", "PRIORS", "PixelCNN", "VampPrior",
           "check_combination", "make_prior", "mixture_from_noise",
           "standard_normal_prior"]

#: The axis's registry: name -> the prior layer's class, or None for the
#: fixed N(0, I). A prior layer has `from_options(latent_dim, input_shape,
#: num_components, unit_interval, seed)`, `takes_components`,
#: `distribution(encoder)`, `noise_inputs` and `sample_from_noise(eps, u,
#: encoder)` (`mixture.py`).
PRIORS = {"standard_normal": None, "mixture": MixturePrior, "vamp": VampPrior,
          "maf": MAFPrior}

#: The components of a learned prior when `prior_components` is None.
DEFAULT_COMPONENTS = 10


def make_prior(name, latent_dim, input_shape, num_components=None,
               unit_interval=True, seed=None):
    """The prior layer for option `prior=name`, or None for N(0, I).

    `num_components` (the model's `prior_components`) is the mixture's
    components or the VampPrior's pseudo-inputs, None for
    `DEFAULT_COMPONENTS`; the standard normal has none, so it refuses one.
    `unit_interval` says the data lie in [0, 1] (VampPrior pseudo-inputs
    are kept there); `seed` is the model's, for the initial weights.

    Raises:
        ValueError: for an unknown name, a non-positive `num_components`,
            or `num_components` with the standard normal prior.
    """
    if not isinstance(name, str) or name not in PRIORS:
        raise ValueError(
            f"`prior` must be one of {list(PRIORS)}. Received: prior={name!r}"
        )
    prior = PRIORS[name]
    if prior is None or not prior.takes_components:
        if num_components is not None:
            raise ValueError(
                "`prior_components` sets the components of a mixture prior; "
                f"prior={name!r} has none. Drop it, or choose a mixture "
                f"prior ('mixture' or 'vamp'). "
                f"Received: prior_components={num_components!r}"
            )
        if prior is None:
            return None
    else:
        num_components = validation.check_positive_int(
            DEFAULT_COMPONENTS if num_components is None else num_components,
            "prior_components",
        )
    return prior.from_options(
        latent_dim, input_shape, num_components, unit_interval, seed)


def check_combination(name, objective, num_classes):
    """Refuse a prior that the model's objective or condition does not
    allow, with the reason.

    Args:
        name: the model's `prior`.
        objective: the model's `zoo.objectives.Objective`.
        num_classes: the model's `num_classes`, None when unconditional.
    """
    if num_classes is not None and name == "vamp":
        raise ValueError(
            "A conditional model (num_classes) cannot use prior='vamp': "
            "the VampPrior's pseudo-inputs have no labels. Use "
            "prior='standard_normal' or 'mixture'."
        )
    if objective.needs_standard_normal_prior and name != "standard_normal":
        raise ValueError(
            f"objective={type(objective).__name__} moves q(z)'s "
            "moments to those of the standard normal prior; a learned "
            "prior has others. Use prior='standard_normal'. Received: "
            f"prior={name!r}"
        )

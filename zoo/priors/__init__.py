"""Priors p(z), one file each; `make_prior` is the axis's registry.

    "standard_normal"  N(0, I), fixed (`standard_normal.py`)
    "mixture"          a learned mixture of Gaussians (`mixture.py`)
    "vamp"             the VampPrior (`vamp.py`)

and, for the VQ-VAE's discrete codes, a gated PixelCNN over the code grid
(`pixelcnn.py`).

A learnable prior is a Keras layer that owns its trainable weights (so they
train, save and load with the model) and builds its `tfd` distribution on
demand with `distribution(encoder)`. The weights stay float32 under mixed
precision (`autocast=False`), as the distributions' densities are. Neither
learned prior has an analytic KL to the Gaussian posterior, so the model's
KL falls back to the Monte Carlo estimate log q(z|x) - log p(z) at the
sampled z.
"""

from zoo import validation
from zoo.priors.mixture import MixturePrior
from zoo.priors.pixelcnn import PixelCNN
from zoo.priors.standard_normal import standard_normal_prior
from zoo.priors.vamp import VampPrior

__all__ = ["MixturePrior", "PRIORS", "PixelCNN", "VampPrior", "make_prior",
           "standard_normal_prior"]

PRIORS = ("standard_normal", "mixture", "vamp")


def make_prior(name, latent_dim, input_shape, num_components,
               unit_interval=True, seed=None):
    """The prior layer for option `prior=name`, or None for N(0, I).

    `unit_interval` says the data lie in [0, 1] (VampPrior pseudo-inputs
    are kept there); `seed` is the model's, for the initial weights.

    Raises:
        ValueError: for an unknown name or a non-positive `num_components`.
    """
    if name not in PRIORS:
        raise ValueError(
            f"`prior` must be one of {list(PRIORS)}. Received: prior={name!r}"
        )
    num_components = validation.check_positive_int(
        num_components, "prior_components"
    )
    if name == "mixture":
        return MixturePrior(latent_dim, num_components, seed=seed,
                            name="prior")
    if name == "vamp":
        return VampPrior(input_shape, num_components,
                         unit_interval=unit_interval, seed=seed, name="prior")
    return None

"""Latents: what z is and how q(z|x) is built from the encoder's output.

The latent is one of the axes of `zoo.VAE` (`zoo.VAE(latent=...)`): a name,
or an instance for other settings,

    "gaussian"             DiagonalGaussian()          q(z|x) = N(mu, sigma^2)
                                                       (`gaussian.py`)
    "iaf"                  InverseAutoregressiveFlow(flow_steps=2)
                                                       a Gaussian through IAF
                                                       steps (Kingma et al.
                                                       2016; `inverse_
                                                       autoregressive_flow.py`)
    "von_mises_fisher"     VonMisesFisher()            vMF on the sphere, the
                                                       uniform prior (Davidson
                                                       et al. 2018)
    "relaxed_categorical"  RelaxedCategorical(num_categories, temperature)
                                                       Gumbel-softmax (Jang et
                                                       al. 2017)
    "joint"                Joint(num_categories, temperature)
                                                       Gaussian + categorical
                                                       (Dupont 2018)
    "deterministic"        Deterministic(penalty, latent_weight,
                                         penalty_weight)
                                                       a plain autoencoder or
                                                       an RAE (Ghosh et al.
                                                       2020)

`latent.py` holds the base class and what a latent supplies; the VQ-VAE's
codebook (`codebook.py`) is `zoo.VQVAE`'s own latent. `LATENTS` is the
axis's registry; `get` builds one, `options` lists a latent's options.
Where the math does not allow a combination with another axis, the latent
says why (`refused_priors`, `objective_refused`) and `check_combination`
refuses it.
"""

import inspect

from zoo.latents.deterministic import Deterministic
from zoo.latents.gaussian import DiagonalGaussian
from zoo.latents.inverse_autoregressive_flow import InverseAutoregressiveFlow
from zoo.latents.joint import Joint
from zoo.latents.latent import Latent
from zoo.latents.relaxed_categorical import RelaxedCategorical
from zoo.latents.von_mises_fisher import VonMisesFisher

__all__ = ["Deterministic", "DiagonalGaussian", "InverseAutoregressiveFlow",
           "Joint", "LATENTS", "Latent", "RelaxedCategorical",
           "VonMisesFisher", "check_combination", "get", "options"]

#: name -> the latent's class: the latents by name.
LATENTS = {
    "gaussian": DiagonalGaussian,
    "iaf": InverseAutoregressiveFlow,
    "von_mises_fisher": VonMisesFisher,
    "relaxed_categorical": RelaxedCategorical,
    "joint": Joint,
    "deterministic": Deterministic,
}


def options(name):
    """The options the latent `name` takes, sorted."""
    cls = _entry(name)
    return sorted(
        parameter.name
        for parameter in inspect.signature(cls.__init__).parameters.values()
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        and parameter.name != "self"
    )


def get(identifier, **options_):
    """A latent from its name and options, or a `Latent` as is.

    Raises:
        ValueError: for an unknown name, or an option the latent does not
            take; the message lists the valid ones.
    """
    if isinstance(identifier, Latent):
        if options_:
            raise ValueError(
                f"Options {sorted(options_)} go to the latent's constructor; "
                "received a latent instance already built."
            )
        return identifier
    cls = _entry(identifier)
    unknown = sorted(set(options_) - set(options(identifier)))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for latent {identifier!r}. "
            f"Valid options: {options(identifier)}."
        )
    return cls(**options_)


def check_combination(latent, objective, prior_name):
    """Refuse an objective or a prior that the latent's math does not
    allow, with the reason.

    Args:
        latent: a `Latent`.
        objective: the model's `zoo.objectives.Objective`.
        prior_name: the model's `prior`.
    """
    reason = latent.objective_refused(objective)
    if not reason and objective.needs_sample and not (
            latent.gaussian_posterior):
        reason = ("the objective reads q(z|x)'s diagonal Gaussian "
                  "parameters (its mean and scale), which this latent's "
                  "posterior does not have")
    if reason:
        raise ValueError(
            f"The objective {type(objective).__name__} cannot be combined "
            f"with latent={latent.registry_name!r}: {reason}. Choose "
            "another objective or latent. Received: "
            f"objective={type(objective).__name__}"
        )
    if prior_name in latent.refused_priors:
        raise ValueError(
            f"prior={prior_name!r} cannot be combined with "
            f"latent={latent.registry_name!r}: "
            f"{latent.refused_priors[prior_name]}. Use "
            "prior='standard_normal' (the latent's own fixed prior) or "
            f"another latent. Received: prior={prior_name!r}"
        )


def _entry(name):
    if not isinstance(name, str) or name not in LATENTS:
        raise ValueError(
            f"`latent` must be one of {list(LATENTS)} or a "
            "zoo.latents.Latent instance. "
            f"Received: latent={name!r}"
        )
    return LATENTS[name]

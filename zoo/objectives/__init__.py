"""Training objectives: the loss a zoo model minimises, one file each.

An objective is one of the axes of a zoo model (`zoo.VAE(objective=...)`):
a name, or an instance for other settings,

    "elbo"        ELBO()                       -ELBO, beta = 1  (`elbo.py`)
    "beta"        ELBO(beta=4.0)               beta-VAE (Higgins et al.
                                               2017)
    "capacity"    Capacity(capacity, gamma)    gamma * |KL - C| (Burgess et
                                               al. 2018; `capacity.py`)
    "iwae"        IWAE(num_samples=5)          -L_K (Burda et al. 2016;
                                               `iwae.py`)
    "miwae"       MIWAE(num_estimates=2,       mean of M bounds L_K
                  samples_per_estimate=5)      (Rainforth et al. 2018;
                                               `miwae.py`)
    "piwae"       PIWAE(num_estimates=2,       decoder on L_MK, encoder on
                  samples_per_estimate=5)      L_M,K (`piwae.py`)
    "ciwae"       CIWAE(num_samples=5,         c * ELBO + (1 - c) * L_K
                  elbo_weight=0.5)             (`ciwae.py`)
    "beta_tc"     BetaTC(tc_weight=6.0, ...)   beta-TCVAE (Chen et al. 2018;
                                               `beta_tc.py`)
    "factor_vae"  FactorVAE(gamma=6.4)         + gamma * TC by a
                                               discriminator (Kim & Mnih
                                               2018; `factor_vae.py`)
    "dip_vae"     DIPVAE(kind="i")             + covariance penalty of
                  (kind="ii": DIP-VAE-II)      the posterior means (I) or
                                               of z (II) (Kumar et al.
                                               2018; `dip_vae.py`)
    "wae_mmd"     WAE(mmd_weight=10.0,         -log p(x|z) + lambda * MMD^2
                  kernel="imq")                (Tolstikhin et al. 2018;
                                               `mmd.py`)
    "info_vae"    InfoVAE(alpha=0.0,           (1 - alpha) KL + (alpha +
                  lambda_=1000.0)              lambda - 1) MMD^2 (Zhao et
                                               al. 2019; `info_vae.py`)
    "semi_supervised"  SemiSupervised(alpha=50.0)  M2 (Kingma et al. 2014;
                                               `semi_supervised.py`)

Each is a small Keras layer that owns its schedulable non-trainable
variables (`beta`, `capacity`, `tc_weight`, ...), so they train, save and
load with the model and callbacks assign them without retracing
(`model.beta` and `model.capacity` are the objective's). The model hands
its objective the pieces of the bound and the objective returns the loss,
never calling back into the model (`objective.py` says which pieces):

    loss = data_loss(terms with the target) + latent_loss(latent terms)

the second entering through `add_loss`. `num_samples` says how many
posterior samples per example the model draws in training (None: one, with
no sample axis). `OBJECTIVES` is the axis's registry; `get` builds one.
"""

import inspect

from zoo.objectives.beta_tc import BetaTC
from zoo.objectives.capacity import Capacity
from zoo.objectives.ciwae import CIWAE
from zoo.objectives.dip_vae import DIPVAE
from zoo.objectives.elbo import ELBO
from zoo.objectives.factor_vae import FactorVAE
from zoo.objectives.info_vae import InfoVAE
from zoo.objectives.iwae import IWAE
from zoo.objectives.iwae import ImportanceWeighted
from zoo.objectives.miwae import MIWAE
from zoo.objectives.mmd import WAE
from zoo.objectives.objective import Objective
from zoo.objectives.piwae import PIWAE
from zoo.objectives.semi_supervised import SemiSupervised
from zoo.validation import check_weight

__all__ = ["BetaTC", "CIWAE", "Capacity", "DIPVAE", "ELBO", "FactorVAE",
           "IWAE", "ImportanceWeighted", "InfoVAE", "MIWAE", "OBJECTIVES",
           "Objective", "PIWAE", "SemiSupervised", "WAE", "check_weight",
           "get", "options"]


#: name -> (class, default options): the objectives by name.
OBJECTIVES = {
    "elbo": (ELBO, {}),
    "beta": (ELBO, {"beta": 4.0}),
    "capacity": (Capacity, {}),
    "iwae": (IWAE, {}),
    "miwae": (MIWAE, {}),
    "piwae": (PIWAE, {}),
    "ciwae": (CIWAE, {}),
    "beta_tc": (BetaTC, {}),
    "factor_vae": (FactorVAE, {}),
    "dip_vae": (DIPVAE, {}),
    "wae_mmd": (WAE, {}),
    "info_vae": (InfoVAE, {}),
    "semi_supervised": (SemiSupervised, {}),
}


def options(name):
    """The options the objective `name` takes, sorted."""
    cls = _entry(name)[0]
    names = set()
    for klass in cls.__mro__:
        if issubclass(klass, Objective):
            names.update(
                parameter.name for parameter in inspect.signature(
                    klass.__init__).parameters.values()
                if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
            )
    return sorted(names - {"self"})


def get(identifier, model_seed=None, **options_):
    """An objective from its name and options, or an `Objective` as is.

    `model_seed`, the model's seed, seeds a named objective that draws
    random numbers of its own (one with a `seed` option: FactorVAE's
    dimension shuffles) unless `seed` is among the options.

    Raises:
        ValueError: for an unknown name, or an option the objective does
            not take; the message lists the valid ones.
    """
    if isinstance(identifier, Objective):
        if options_:
            raise ValueError(
                f"Options {sorted(options_)} go to the objective's "
                "constructor; received an objective instance already built."
            )
        return identifier
    cls, defaults = _entry(identifier)
    unknown = sorted(set(options_) - set(options(identifier)))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for objective {identifier!r}. "
            f"Valid options: {options(identifier)}."
        )
    if "seed" in options(identifier):
        options_.setdefault("seed", model_seed)
    return cls(**{**defaults, **options_})


def _entry(name):
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise ValueError(
            f"`objective` must be one of {sorted(OBJECTIVES)} or a "
            "zoo.objectives.Objective instance. "
            f"Received: objective={name!r}"
        )
    return OBJECTIVES[name]



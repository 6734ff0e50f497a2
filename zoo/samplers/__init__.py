"""Ex-post samplers: densities fitted after training to the codes of the
training data, whose draws the model decodes instead of prior draws.

A VAE's prior p(z) and its aggregate posterior q(z) = E_x q(z|x) differ
(the "holes" of the prior), and a deterministic autoencoder has no prior at
all; fitting a density to the codes after training and sampling it
closes that gap (Ghosh et al. 2020; Dai & Wipf 2019). One file each:

    "gmm"        a Gaussian mixture fitted by EM (`gmm.py`)
    "two_stage"  a second-stage VAE over the codes (`two_stage.py`)
    "maf"        a masked autoregressive flow (`maf.py`)

    sampler = model.fit_sampler(x_train, sampler="gmm", num_components=10)
    images = model.sample(16, seed=0)     # decoded sampler draws

`zoo.VAE.fit_sampler` encodes the images (the encoder's `z_mean`, the
location of q(z|x)), fits the sampler to those codes and attaches it to
the model: `sample`, the `.keras` file and the exported `sample` and
`sample_from_noise` signatures then use it. Each sampler is a Keras layer
holding its fitted parameters as weights (`sampler.py`, the base class).
The noise of `sample_from_noise` is standard normal `eps` `(batch,
latent_dim)` for every sampler, plus a uniform `u` `(batch,)` that picks the
mixture component of "gmm".

References:
    Ghosh, Sajjadi, Vergari, Black & Schoelkopf, From Variational to
    Deterministic Autoencoders, ICLR 2020.
    Dai & Wipf, Diagnosing and Enhancing VAE Models, ICLR 2019.
"""

from zoo.samplers.gmm import GaussianMixtureSampler
from zoo.samplers.maf import MAFSampler
from zoo.samplers.sampler import Sampler
from zoo.samplers.two_stage import TwoStageSampler

__all__ = ["GaussianMixtureSampler", "MAFSampler", "SAMPLERS", "Sampler",
           "TwoStageSampler", "make_sampler"]

#: The axis's registry: name -> the sampler's class (`Sampler`).
SAMPLERS = {"gmm": GaussianMixtureSampler, "two_stage": TwoStageSampler,
            "maf": MAFSampler}


def make_sampler(name, latent_dim, seed=None, **options):
    """The unfitted sampler `name` over codes of `latent_dim`, with its
    `options` (each sampler's `OPTIONS` lists them and their defaults).

    Raises:
        ValueError: for an unknown name or an option the sampler does not
            take.
    """
    if not isinstance(name, str) or name not in SAMPLERS:
        raise ValueError(
            f"`sampler` must be one of {list(SAMPLERS)}. "
            f"Received: sampler={name!r}"
        )
    sampler = SAMPLERS[name]
    unknown = sorted(set(options) - set(sampler.OPTIONS))
    if unknown:
        raise ValueError(
            f"sampler={name!r} takes the options {sorted(sampler.OPTIONS)};"
            f" drop the others. Received: {', '.join(unknown)}"
        )
    return sampler(latent_dim, seed=seed, name=f"{name}_sampler", **options)

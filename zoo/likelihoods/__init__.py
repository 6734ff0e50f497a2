"""Likelihoods p(x|z), one file per family; `get_likelihood` is the axis's
registry.

    "bernoulli"             factorised Bernoulli (`factorised.py`)
    "continuous_bernoulli"  factorised continuous Bernoulli (`factorised.py`)
    "gaussian"              factorised Gaussian (`factorised.py`)
    "pixelcnn"              an autoregressive Bernoulli over the pixels whose
                            logits add a masked-convolution context of x to the
                            decoder's (`pixelcnn.py`)
"""

from zoo.likelihoods import pixelcnn
from zoo.likelihoods.factorised import BernoulliLikelihood
from zoo.likelihoods.factorised import ContinuousBernoulliLikelihood
from zoo.likelihoods.factorised import GaussianLikelihood
from zoo.likelihoods.factorised import Likelihood
from zoo.likelihoods.factorised import tfd

__all__ = ["BernoulliLikelihood", "ContinuousBernoulliLikelihood",
           "GaussianLikelihood", "LIKELIHOODS", "Likelihood", "get_likelihood",
           "tfd"]


LIKELIHOODS = ("bernoulli", "continuous_bernoulli", "gaussian", "pixelcnn")


def get_likelihood(name, scale=None, image_shape=None):
    """Return the `Likelihood` called `name` (one of `LIKELIHOODS`).

    Args:
        name: "bernoulli", "continuous_bernoulli", "gaussian" or
            "pixelcnn" (`zoo.likelihoods.pixelcnn`: its family holds a new
            `PixelContext` layer, `family.context`, for images of
            `image_shape`, whose weights the model must own).
        scale: for "gaussian" only: a fixed positive standard deviation, or
            None to learn one per pixel.
        image_shape: the model's input shape; used by "pixelcnn" only.

    Raises:
        ValueError: for an unknown name, or a `scale` that is not positive
            or is given for a non-Gaussian likelihood.
    """
    if name not in LIKELIHOODS:
        raise ValueError(
            f"`likelihood` must be one of {list(LIKELIHOODS)}. "
            f"Received: likelihood={name!r}"
        )
    if scale is not None:
        if name != "gaussian":
            raise ValueError(
                "`likelihood_scale` only applies to likelihood='gaussian'. "
                f"Received: likelihood={name!r}, likelihood_scale={scale!r}"
            )
        if not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(
                "`likelihood_scale` must be a positive float or None. "
                f"Received: likelihood_scale={scale!r}"
            )
        return GaussianLikelihood(float(scale))
    if name == "gaussian":
        return GaussianLikelihood()
    if name == "pixelcnn":
        return pixelcnn.make_likelihood(image_shape)
    if name == "continuous_bernoulli":
        return ContinuousBernoulliLikelihood()
    return BernoulliLikelihood()

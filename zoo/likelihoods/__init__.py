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


#: The axis's registry: name -> `Likelihood` class; `get_likelihood`
#: builds one with the class's `from_options(scale, image_shape, blocks)`.
LIKELIHOODS = {
    "bernoulli": BernoulliLikelihood,
    "continuous_bernoulli": ContinuousBernoulliLikelihood,
    "gaussian": GaussianLikelihood,
    "pixelcnn": pixelcnn.PixelCNNLikelihood,
}


def get_likelihood(name, scale=None, image_shape=None, blocks=None):
    """Return the `Likelihood` called `name` (a key of `LIKELIHOODS`).

    Args:
        name: "bernoulli", "continuous_bernoulli", "gaussian" or
            "pixelcnn" (`zoo.likelihoods.pixelcnn`: its family holds a new
            `PixelContext` layer, `family.context`, for images of
            `image_shape`, whose weights the model must own).
        scale: for "gaussian" only: a fixed positive standard deviation, or
            None to learn one per pixel.
        image_shape: the model's input shape.
        blocks: for "pixelcnn" only: the gated blocks of its `PixelContext`
            (the model's `pixelcnn_blocks`), an int >= 0, or None for
            `pixelcnn.BLOCKS`.

    Raises:
        ValueError: for an unknown name, a `scale` that is not positive,
            `blocks` that are not an int in [0, `pixelcnn.MAX_BLOCKS`], or
            either given for a likelihood without one.
    """
    if not isinstance(name, str) or name not in LIKELIHOODS:
        raise ValueError(
            f"`likelihood` must be one of {list(LIKELIHOODS)}. "
            f"Received: likelihood={name!r}"
        )
    return LIKELIHOODS[name].from_options(scale=scale,
                                          image_shape=image_shape,
                                          blocks=blocks)

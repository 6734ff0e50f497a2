"""The factorised likelihoods: Bernoulli, continuous Bernoulli, Gaussian.

Every distribution in the zoo is built here from plain tensors, inside the
model's own methods, so that only tensors cross Keras layer boundaries and
models save, load, trace and export like any Keras model.

Mathematical details:

  prior       p(z)   = N(z; 0, I)                                  (latent_dim)
  posterior   q(z|x) = N(z; mu(x), diag(sigma(x)^2))               (latent_dim)
  likelihood  p(x|z) = prod_i p(x_i | theta_i(z))                  (H x W x C)

Each factory wraps its base distribution in `tfd.Independent` over the event
dimensions, so `log_prob` returns one number per example. Scales come out of
a softplus plus a small floor; Bernoulli-type likelihoods are parameterised
by logits, so log-probabilities go through a numerically stable softplus.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.latents.gaussian import SCALE_FLOOR
from zoo.validation import assert_all_true
from zoo.validation import check_number

tfd = tfp.distributions


class Likelihood:
    """A family p(x | theta) over images, parameterised by a decoder output.

    The decoder emits `num_parameters * C` channels per pixel for images of
    `C` channels; `distribution(parameters)` turns that tensor into a
    distribution whose `log_prob(x)` is one number per example and whose
    `mean()` is the reconstruction in data space.

    Subclasses set `name`, `num_parameters`, and the support bounds
    `minimum`/`maximum` (None where unbounded).
    """

    name = None
    num_parameters = 1
    minimum = None
    maximum = None

    @classmethod
    def from_options(cls, scale=None, image_shape=None, blocks=None):
        """The family for a model's options: `likelihood_scale` and
        `pixelcnn_blocks` (refused here: only a likelihood with a scale, or
        with a PixelCNN, takes one) and its `input_shape`."""
        cls.refuse_scale(scale)
        cls.refuse_blocks(blocks)
        return cls()

    @classmethod
    def refuse_scale(cls, scale):
        """Raise `ValueError` for a `likelihood_scale` given to a
        likelihood without one."""
        if scale is not None:
            raise ValueError(
                "`likelihood_scale` only applies to likelihood='gaussian'. "
                f"Received: likelihood={cls.name!r}, likelihood_scale="
                f"{scale!r}"
            )

    @classmethod
    def refuse_blocks(cls, blocks):
        """Raise `ValueError` for a `pixelcnn_blocks` given to a
        likelihood without a PixelCNN."""
        if blocks is not None:
            raise ValueError(
                "`pixelcnn_blocks` sets the gated blocks of the PixelCNN of "
                f"likelihood='pixelcnn'; likelihood={cls.name!r} has none. "
                "Drop it, or choose likelihood='pixelcnn'. Received: "
                f"pixelcnn_blocks={blocks!r}"
            )

    def base_distribution(self, parameters):
        raise NotImplementedError

    def distribution(self, parameters, event_ndims):
        """The likelihood for decoder output `parameters`, event over the
        last `event_ndims` axes."""
        parameters = tf.cast(parameters, "float32")
        return tfd.Independent(
            self.base_distribution(parameters),
            reinterpreted_batch_ndims=event_ndims,
            name=f"{self.name}_likelihood",
        )

    @property
    def unit_interval(self):
        """True when the data must lie in [0, 1]."""
        return (self.minimum, self.maximum) == (0.0, 1.0)

    def support_message(self):
        if self.minimum is None:
            return "any finite value"
        return f"values in [{self.minimum}, {self.maximum}]"

    def check_support(self, array, argument):
        """Raise `ValueError` if the numpy `array` lies outside the support."""
        if self.minimum is None or array.size == 0:
            return
        low, high = float(np.min(array)), float(np.max(array))
        if low < self.minimum or high > self.maximum:
            raise ValueError(
                f"`{argument}` must hold {self.support_message()} for the "
                f"'{self.name}' likelihood, but its values span "
                f"[{low:g}, {high:g}]. Rescale the data (e.g. divide uint8 "
                "images by 255) or choose likelihood='gaussian'. "
            )

    def assert_support(self, tensor, argument, fix=None):
        """Graph-mode counterpart of `check_support`: assertion ops, for
        streamed data (default message) and serving signatures (`fix`)."""
        if self.minimum is None:
            return []
        fix = fix or ("a batch of the dataset does not. Rescale the data "
                      "or choose likelihood='gaussian'.")
        message = (
            f"`{argument}` must hold {self.support_message()} for the "
            f"'{self.name}' likelihood; {fix}"
        )
        return [assert_all_true(
            (tensor >= tf.cast(self.minimum, tensor.dtype))
            & (tensor <= tf.cast(self.maximum, tensor.dtype)), message)]


class BernoulliLikelihood(Likelihood):
    """p(x_i | z) = Bernoulli(sigmoid(logit_i)).

    log p(x_i | z) = x_i * logit_i - softplus(logit_i), which is the binary
    cross-entropy and is also used for grey values in [0, 1].
    """

    name = "bernoulli"
    minimum, maximum = 0.0, 1.0

    def base_distribution(self, parameters):
        return tfd.Bernoulli(logits=parameters, dtype=parameters.dtype)


class ContinuousBernoulliLikelihood(Likelihood):
    """p(x_i | z) = ContinuousBernoulli(sigmoid(logit_i)) on [0, 1].

    The properly normalised density for grey values (Loaiza-Ganem &
    Cunningham, 2019, https://arxiv.org/abs/1907.06845).
    """

    name = "continuous_bernoulli"
    minimum, maximum = 0.0, 1.0

    def base_distribution(self, parameters):
        return tfd.ContinuousBernoulli(logits=parameters)


class GaussianLikelihood(Likelihood):
    """p(x_i | z) = N(mu_i, sigma_i^2).

    With `scale=None` the decoder emits two channels per image channel,
    mu and a raw scale, and sigma_i = softplus(raw_i) + SCALE_FLOOR is learned
    per pixel. With a float `scale`, sigma is fixed to it and the decoder
    emits mu alone.
    """

    name = "gaussian"

    def __init__(self, scale=None):
        self.scale = scale
        self.num_parameters = 1 if scale is not None else 2

    @classmethod
    def from_options(cls, scale=None, image_shape=None, blocks=None):
        """A fixed standard deviation `scale` (a positive float), or None
        to learn one per pixel (`blocks` refused)."""
        cls.refuse_blocks(blocks)
        if scale is not None:
            scale = check_number(scale, "likelihood_scale", minimum=0.0,
                                 above=True, fix="Or None to learn it.")
        return cls(scale)

    def base_distribution(self, parameters):
        if self.scale is not None:
            return tfd.Normal(loc=parameters, scale=self.scale)
        loc, raw_scale = tf.split(parameters, 2, axis=-1)
        return tfd.Normal(
            loc=loc, scale=tf.math.softplus(raw_scale) + SCALE_FLOOR
        )

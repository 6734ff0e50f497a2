"""Learnable priors p(z): a mixture of Gaussians and the VampPrior.

Each prior is a Keras layer that owns its trainable weights (so they train,
save and load with the model) and builds its `tfd` distribution on demand
with `distribution(encoder)`. The weights stay float32 under mixed
precision (`autocast=False`), as the distributions' densities are. Neither
has an analytic KL to the Gaussian posterior, so the model's KL falls back
to the Monte Carlo estimate log q(z|x) - log p(z) at the sampled z.
"""

import keras
import numpy as np

from zoo import distributions
from zoo import validation

tfd = distributions.tfd

PRIORS = ("standard_normal", "mixture", "vamp")


@keras.saving.register_keras_serializable(package="zoo")
class MixturePrior(keras.layers.Layer):
    """p(z) = sum_k pi_k N(z; mu_k, diag(sigma_k^2)), all learned.

    pi = softmax(logits), sigma_k = softplus(raw_k) + SCALE_FLOOR; the means
    start spread as N(0, I) draws so the components differ from the start.

    Args:
        latent_dim: int > 0.
        num_components: int > 0, the number of Gaussians K (default 10).
        seed: int or None, seeds the initial means (the model's `seed`).
    """

    def __init__(self, latent_dim, num_components=10, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.num_components = num_components
        self.seed = seed
        self.logits = self.add_weight(
            shape=(num_components,),
            initializer="zeros",
            name="logits",
            autocast=False,
        )
        self.means = self.add_weight(
            shape=(num_components, latent_dim),
            initializer=keras.initializers.RandomNormal(seed=seed),
            name="means",
            autocast=False,
        )
        self.raw_scales = self.add_weight(
            shape=(num_components, latent_dim),
            initializer=keras.initializers.Constant(np.log(np.e - 1.0)),
            name="raw_scales",
            autocast=False,
        )
        self.built = True

    def distribution(self, encoder=None):
        scales = keras.ops.softplus(self.raw_scales) + distributions.SCALE_FLOOR
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=self.logits),
            tfd.Independent(tfd.Normal(self.means, scales), 1),
            name="mixture_prior",
        )

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "num_components": self.num_components, "seed": self.seed}


@keras.saving.register_keras_serializable(package="zoo")
class VampPrior(keras.layers.Layer):
    """p(z) = (1/K) sum_k q(z | u_k), with K learned pseudo-inputs u_k.

    The "variational mixture of posteriors" prior of Tomczak & Welling
    (2018, https://arxiv.org/abs/1705.07120): the pseudo-inputs are images
    pushed through the model's own encoder, so the prior follows the
    aggregate posterior. As in the paper, the pseudo-inputs stay in the
    data's range: for data in [0, 1] (Bernoulli-type likelihoods) they are
    u_k = sigmoid(a_k) of unconstrained weights a_k, initialised so that
    sigmoid(a_k) is spread around 0.5; for real-valued data (Gaussian
    likelihood) u_k = a_k.

    Args:
        input_shape: the shape of one pseudo-input (the model's input).
        num_components: int > 0, the number of pseudo-inputs K (default 10).
        unit_interval: bool, True (default) for data in [0, 1]: the
            pseudo-inputs are squashed by a sigmoid.
        seed: int or None, seeds the initial pseudo-inputs (the model's
            `seed`).
    """

    def __init__(self, input_shape, num_components=10, unit_interval=True,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pseudo_input_shape = tuple(input_shape)
        self.num_components = num_components
        self.unit_interval = bool(unit_interval)
        self.seed = seed
        self.pseudo_input_weights = self.add_weight(
            shape=(num_components, *self.pseudo_input_shape),
            initializer=keras.initializers.RandomNormal(seed=seed),
            name="pseudo_input_weights",
            autocast=False,
        )
        self.built = True

    @property
    def pseudo_inputs(self):
        """The K pseudo-inputs u_k, in the data's range."""
        if self.unit_interval:
            return keras.ops.sigmoid(self.pseudo_input_weights)
        return self.pseudo_input_weights

    def distribution(self, encoder):
        z_mean, z_stddev = encoder(self.pseudo_inputs)
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=keras.ops.zeros((self.num_components,))),
            tfd.Independent(tfd.Normal(z_mean, z_stddev), 1),
            name="vamp_prior",
        )

    def get_config(self):
        return {**super().get_config(),
                "input_shape": self.pseudo_input_shape,
                "num_components": self.num_components,
                "unit_interval": self.unit_interval, "seed": self.seed}


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

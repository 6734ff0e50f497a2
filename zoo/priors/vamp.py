"""The VampPrior (Tomczak & Welling 2018): p(z) a mixture of the posteriors
of learned pseudo-inputs."""

import keras

from zoo.likelihoods.factorised import tfd
from zoo.priors.mixture import GaussianMixtureNoise


@keras.saving.register_keras_serializable(package="zoo")
class VampPrior(GaussianMixtureNoise, keras.layers.Layer):
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

    @classmethod
    def from_options(cls, latent_dim, input_shape, num_components,
                     unit_interval, seed):
        """The prior of a model with these options (`make_prior`)."""
        return cls(input_shape, num_components, unit_interval=unit_interval,
                   seed=seed, name="prior")

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

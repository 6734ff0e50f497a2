"""CONTRIBUTING.md's recipes, followed literally.

Each toy component below is written the way CONTRIBUTING.md says to add a
network, an objective, a prior or a likelihood: one class, one registry
line. Registered (for the test only), each one passes the covering suite's
checks (`test_contract.check_case`: construction, one `fit` step, the
exact `.keras` round trip with safe mode, the export read through the TF1
loader) with no test code of its own, all four together in one model,
unconditional and conditional.
"""

import keras
import pytest
import tensorflow as tf
from keras import ops

from test_contract import check_case
from zoo import likelihoods
from zoo import networks
from zoo import objectives
from zoo import priors
from zoo.latents.gaussian import SCALE_FLOOR
from zoo.likelihoods import Likelihood
from zoo.likelihoods import tfd
from zoo.networks import heads
from zoo.objectives import Objective
from zoo.validation import check_weight


# Add a network: DEFAULTS, TAKES_FLAT, encoder(...), decoder(...). ----------

class TinyMLP:
    """Flatten -> Dense(relu) per entry of `hidden_units` -> posterior head;
    the decoder mirrors it to the likelihood's parameters."""

    DEFAULTS = {"hidden_units": (8,)}
    TAKES_FLAT = True

    @staticmethod
    def encoder(input_shape, latent_dim, options, labels=None,
                name="encoder", head=heads.posterior_head):
        inputs = keras.Input(shape=input_shape, name="x")
        features = keras.layers.Flatten(name="flatten")(inputs)
        inputs, features = heads.with_label(inputs, features, labels)
        features = heads.dense_stack(features, options["hidden_units"])
        return head(inputs, features, latent_dim, name)

    @staticmethod
    def decoder(latent_dim, output_shape, options, labels=None,
                name="decoder"):
        inputs = keras.Input(shape=(latent_dim,), name="z")
        inputs, features = heads.with_label(inputs, inputs, labels)
        features = heads.dense_stack(features, options["hidden_units"][::-1])
        return keras.Model(
            inputs, heads.likelihood_head(features, output_shape), name=name)


# Add an objective: subclass Objective, implement penalty(kls). -------------

@keras.saving.register_keras_serializable(package="zoo_tests")
class HalfKL(Objective):
    """loss = -E_q[log p(x|z)] + weight * sum_g KL_g (weight 0.5)."""

    def __init__(self, weight=0.5, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.schedulable(check_weight(weight, "weight"),
                                       "weight")

    def penalty(self, kls):
        return self.weight * sum(kls)

    def get_config(self):
        return {**super().get_config(), "weight": self.value_of(self.weight)}


# Add a prior: a layer with from_options, distribution and its noise. -------

@keras.saving.register_keras_serializable(package="zoo_tests")
class ScaledNormalPrior(keras.layers.Layer):
    """p(z) = N(0, s^2 I) with one learned scale s = softplus(raw) +
    SCALE_FLOOR."""

    takes_components = False
    noise_inputs = ("eps",)

    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.raw_scale = self.add_weight(
            shape=(), initializer="zeros", name="raw_scale", autocast=False)

    @classmethod
    def from_options(cls, latent_dim, input_shape, num_components,
                     unit_interval, seed):
        return cls(latent_dim, name="prior")

    def scale(self):
        return ops.softplus(self.raw_scale) + SCALE_FLOOR

    def distribution(self, encoder=None):
        return tfd.Independent(tfd.Normal(
            tf.zeros([self.latent_dim]),
            self.scale() * tf.ones([self.latent_dim])),
            reinterpreted_batch_ndims=1)

    def sample_from_noise(self, eps, u, encoder):
        return self.scale() * eps

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


# Add a likelihood: subclass Likelihood, implement base_distribution. -------

class LaplaceLikelihood(Likelihood):
    """p(x_i | z) = Laplace(mu_i, 0.1): mu from the decoder."""

    name = "laplace"

    def base_distribution(self, parameters):
        return tfd.Laplace(loc=parameters, scale=0.1)


TOYS = {"network": "tiny_mlp", "objective": "half_kl",
        "prior": "scaled_normal", "likelihood": "laplace"}

DEFAULT_CASE = {"network": "mlp", "latent": "gaussian", "objective": "elbo",
                "prior": "standard_normal", "likelihood": "bernoulli",
                "num_classes": None}


@pytest.fixture
def registered(monkeypatch):
    """Each recipe's one registry line, undone after the test."""
    monkeypatch.setitem(networks.NETWORKS, "tiny_mlp", TinyMLP)
    monkeypatch.setitem(objectives.OBJECTIVES, "half_kl", (HalfKL, {}))
    monkeypatch.setitem(priors.PRIORS, "scaled_normal", ScaledNormalPrior)
    monkeypatch.setitem(likelihoods.LIKELIHOODS, "laplace",
                        LaplaceLikelihood)


#: All four new components in one model, unconditional and conditional.
CASES = [{**DEFAULT_CASE, **TOYS}, {**DEFAULT_CASE, **TOYS, "num_classes": 3}]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(
    str(value) for value in case.values()))
def test_a_new_component_passes_the_covering_checks(registered, case,
                                                    tmp_path):
    check_case(case, tmp_path)


def test_the_registries_list_the_new_components(registered):
    from test_contract import registry_axes

    axes = registry_axes()
    for axis, value in TOYS.items():
        assert value in axes[axis]

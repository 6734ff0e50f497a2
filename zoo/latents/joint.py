"""The joint continuous and discrete latent of JointVAE (Dupont 2018): a
diagonal Gaussian beside one relaxed categorical variable."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers

from zoo.latents.gaussian import DiagonalGaussian
from zoo.latents.gaussian import diagonal_gaussian_posterior
from zoo.latents.latent import Latent
from zoo.latents.latent import sample_shape
from zoo.latents.relaxed_categorical import RelaxedCategorical
from zoo.validation import check_number

tfd = tfp.distributions

_NOT_GAUSSIAN = ("the learned priors (mixtures, the VampPrior, the MAF) "
                 "are densities over R^d, and the joint latent's discrete "
                 "part is categorical")


@keras.saving.register_keras_serializable(package="zoo.latents")
class Joint(Latent):
    """z = [z_c, c]: a diagonal Gaussian z_c of latent_dim - C dimensions
    and one categorical variable c of C = `num_categories` categories
    (one-hot), independent given x (`latent="joint"`).

    Mathematical details:

        q(z|x) = N(z_c; mu(x), diag(sigma(x)^2)) Cat(c; softmax(l(x))),
        p(z) = N(z_c; 0, I) Cat(c; 1/C),
        KL(q || p) = KL(N || N(0, I)) + KL(Cat || Cat(1/C)),

    both analytic. It is the composition of a `DiagonalGaussian` and a
    `RelaxedCategorical` with one variable: training decodes
    [mu + sigma * eps, y] with y the Gumbel-softmax relaxation of c at the
    temperature `model.temperature` (annealed by
    `zoo.training.callbacks.TemperatureSchedule`); `elbo` and
    `log_likelihood` score the discrete model with exact samples of c
    (`RelaxedCategorical` says why). Dupont's separate capacities for the
    two parts are not built: the capacity objective holds their sum.
    A reconstruction decodes [mu, mode of c].

    Args:
        num_categories: int >= 2, C (default None: max(2, latent_dim // 2));
            latent_dim - C >= 1 continuous dimensions remain.
        temperature: float in (0, 100], tau at the start (default 1.0).

    References:
        Dupont, Learning Disentangled Joint Continuous and Discrete
        Representations, NeurIPS 2018, https://arxiv.org/abs/1804.00104.
    """

    parameter_names = ("z_mean", "z_stddev", "logits")
    refused_priors = {"mixture": _NOT_GAUSSIAN, "vamp": _NOT_GAUSSIAN,
                      "maf": _NOT_GAUSSIAN}
    refused_objectives = RelaxedCategorical.refused_objectives
    no_ex_post_sampler = RelaxedCategorical.no_ex_post_sampler

    def __init__(self, num_categories=None, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_categories = None if num_categories is None else (
            check_number(num_categories, "num_categories", integer=True,
                         minimum=2))
        self.continuous = DiagonalGaussian(name="continuous")
        self.discrete = RelaxedCategorical(None, temperature,
                                           name="discrete")

    @property
    def temperature(self):
        """tau of the discrete part, a non-trainable variable."""
        return self.discrete.temperature

    def categories_for(self, latent_dim):
        return self.num_categories or max(2, latent_dim // 2)

    def check_latent_dim(self, latent_dim):
        if latent_dim - self.categories_for(latent_dim) < 1:
            raise ValueError(
                "The joint latent has latent_dim = (continuous dimensions) "
                "+ num_categories, with at least one continuous dimension; "
                "raise latent_dim or lower num_categories. Received: "
                f"latent_dim={latent_dim!r}, "
                f"num_categories={self.num_categories!r}"
            )

    def configure(self, latent_dim):
        super().configure(latent_dim)
        self.size = latent_dim - self.categories_for(latent_dim)
        self.continuous.configure(self.size)
        self.discrete.configure(latent_dim - self.size)

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The encoder: `inputs` -> `features` -> `[z_mean, z_stddev]` of
        the continuous part and the discrete part's logits."""
        gaussian = self.continuous.head(inputs, features, self.size,
                                        name=f"{name}_continuous")
        z_mean, z_stddev = gaussian.outputs
        logits = layers.Dense(latent_dim - self.size, dtype="float32",
                              name="logits")(features)
        return keras.Model(inputs, [z_mean, z_stddev, logits], name=name)

    def split(self, z):
        return z[..., :self.size], z[..., self.size:]

    def posterior(self, parameters):
        return tfd.Blockwise([self.continuous.posterior(parameters[:2]),
                              self.discrete.posterior(parameters[2:])],
                             name="joint_posterior")

    def fixed_prior(self):
        standard_normal = diagonal_gaussian_posterior(
            tf.zeros([self.size]), tf.ones([self.size]))  # N(0, I)
        return tfd.Blockwise([standard_normal, self.discrete.fixed_prior()],
                             name="joint_prior")

    def kl_divergence(self, posterior, z, prior, log_posterior=None):
        """The sum of the two parts' analytic KLs."""
        return sum(
            part.kl_divergence(q, None, p) for part, q, p in zip(
                (self.continuous, self.discrete), posterior.distributions,
                prior.distributions))

    def training_sample(self, parameters, num_samples, seed_generator):
        z_c, _ = self.continuous.training_sample(
            parameters[:2], num_samples, seed_generator)
        y, _ = self.discrete.training_sample(
            parameters[2:], num_samples, seed_generator)
        return tf.concat([z_c, y], -1), None

    def sample_and_log_prob(self, parameters, num_samples, seed):
        posterior = self.posterior(parameters)
        z = posterior.sample(sample_shape(num_samples), seed=seed)
        return z, posterior.log_prob(z)

    def posterior_from_noise(self, parameters, eps):
        eps_c, eps_d = self.split(eps)
        z_c, log_c = self.continuous.posterior_from_noise(parameters[:2],
                                                          eps_c)
        c, log_d = self.discrete.posterior_from_noise(parameters[2:], eps_d)
        return tf.concat([z_c, c], -1), log_c + log_d

    def prior_from_noise(self, eps):
        eps_c, eps_d = self.split(eps)
        return tf.concat([eps_c, self.discrete.prior_from_noise(eps_d)], -1)

    def code(self, parameters):
        return tf.concat([parameters[0], self.discrete.code(parameters[2:])],
                         -1)

    def get_config(self):
        return {**super().get_config(),
                "num_categories": self.num_categories,
                "temperature": float(keras.ops.convert_to_numpy(
                    self.temperature))}

"""The discrete latent: categorical variables trained through their
Gumbel-softmax (concrete) relaxation (Jang et al. 2017; Maddison et al.
2017)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers

from zoo.latents.latent import Latent
from zoo.latents.latent import sample_shape
from zoo.validation import check_number

tfb = tfp.bijectors
tfd = tfp.distributions

#: The largest temperature (a larger one makes the relaxed sample nearly
#: the uniform vector 1/C whatever the logits).
MAX_TEMPERATURE = 100.0

#: Uniform draws are kept in [TINY, 1 - TINY] before the Gumbel transform.
TINY = 1e-7

_DISCRETE_PRIOR = ("the prior of a discrete latent is the uniform "
                   "categorical; the learned priors (mixtures, the "
                   "VampPrior, the MAF) are densities over R^d")


def check_temperature(temperature):
    return check_number(
        temperature, "temperature", minimum=0.0, maximum=MAX_TEMPERATURE,
        above=True, fix="The Gumbel-softmax temperature, e.g. 1.0 "
        "(annealed towards 0.5 by zoo.training.callbacks.TemperatureSchedule).")


def one_hot_categorical(logits, num_categories):
    """Independent one-hot categoricals over the `(..., V * C)` logits (V
    variables of C categories), as a distribution over flat `(V * C,)`
    vectors."""
    size = logits.shape[-1]
    shape = (size // num_categories, num_categories)
    grouped = tf.reshape(logits, tf.concat([tf.shape(logits)[:-1], shape], 0))
    return tfd.TransformedDistribution(
        tfd.Independent(tfd.OneHotCategorical(logits=grouped,
                                              dtype=tf.float32), 1),
        tfb.Reshape((size,), shape), name="categorical")


def gumbel_max(logits, eps, num_categories):
    """Exact categorical samples one_hot(argmax_c(logits_c + g_c)) with
    Gumbel noise g = -log(-log(Phi(eps))) from standard normal `eps`
    (the Gumbel-max trick), flat like the logits."""
    uniform = tf.clip_by_value(tfd.Normal(0.0, 1.0).cdf(eps), TINY, 1 - TINY)
    scores = logits - tf.math.log(-tf.math.log(uniform))
    grouped = tf.reshape(scores, tf.concat(
        [tf.shape(scores)[:-1], [-1, num_categories]], 0))
    return tf.reshape(tf.one_hot(tf.argmax(grouped, -1), num_categories),
                      tf.shape(scores))


def relaxed_sample(logits, temperature, num_categories, num_samples, seed):
    """A reparameterised Gumbel-softmax sample y = softmax((logits + g) /
    tau) per variable, flat like the logits."""
    grouped = tf.reshape(logits, tf.concat(
        [tf.shape(logits)[:-1], [-1, num_categories]], 0))
    sample = tfd.RelaxedOneHotCategorical(temperature, logits=grouped).sample(
        sample_shape(num_samples), seed=seed)
    return tf.reshape(sample, tf.concat(
        [tf.shape(sample)[:-2], [logits.shape[-1]]], 0))


def mode(logits, num_categories):
    """one_hot(argmax_c logits_c) per variable, flat like the logits."""
    grouped = tf.reshape(logits, tf.concat(
        [tf.shape(logits)[:-1], [-1, num_categories]], 0))
    return tf.reshape(tf.one_hot(tf.argmax(grouped, -1), num_categories),
                      tf.shape(logits))


@keras.saving.register_keras_serializable(package="zoo.latents")
class RelaxedCategorical(Latent):
    """V categorical variables of C categories each, latent_dim = V * C
    (`latent="relaxed_categorical"`; `num_categories` = C).

    Mathematical details:

    The encoder gives logits l (V x C); the model is discrete,

        q(c|x) = prod_v Cat(c_v; softmax(l_v)),   p(c) = prod_v Cat(1/C),
        ELBO(x) = E_q(c|x)[log p(x|c)] - KL(q(c|x) || p(c)),
        KL = sum_v sum_k q_vk log(q_vk C)        (analytic, TFP's),

    and z is the one-hot codes, flattened. In training, the data term is
    estimated at the relaxed sample (Gumbel-softmax, reparameterised)

        y_v = softmax((l_v + g_v) / tau),  g_vk ~ Gumbel(0, 1),

    and the KL is the analytic KL of the discrete variables to the
    uniform categorical (as Jang et al. and Dupont do) rather than the
    Monte Carlo KL between relaxed densities (Maddison et al.): it is exact
    for the discrete model and has no variance; the relaxation's bias is
    in the data term alone and vanishes as tau -> 0. `elbo` and
    `log_likelihood` score the discrete model itself: exact samples
    c ~ q(c|x) (Gumbel-max), so `log_likelihood` is the importance-weighted
    bound on log p(x) = log sum_c p(c) p(x|c).

    The temperature tau is a non-trainable variable, `model.temperature`,
    that `zoo.training.callbacks.TemperatureSchedule` anneals
    (tau_t = max(tau_min, tau_0 exp(-r t)), Jang et al.). A reconstruction
    decodes the mode of q(c|x); `sample` decodes c ~ p(c).

    Args:
        num_categories: int >= 2, C (default None: latent_dim, one
            variable); latent_dim must be a multiple of it.
        temperature: float in (0, 100], tau at the start (default 1.0).

    References:
        Jang, Gu & Poole, Categorical Reparameterization with
        Gumbel-Softmax, ICLR 2017, https://arxiv.org/abs/1611.01144.
        Maddison, Mnih & Teh, The Concrete Distribution, ICLR 2017,
        https://arxiv.org/abs/1611.00712.
    """

    parameter_names = ("logits",)
    refused_priors = {"mixture": _DISCRETE_PRIOR, "vamp": _DISCRETE_PRIOR,
                      "maf": _DISCRETE_PRIOR}
    no_ex_post_sampler = ("its codes are one-hot categories, and a density "
                          "over R^d fitted to them draws between them")
    refused_objectives = {
        "IWAE": "the training samples are relaxed (not one-hot), where "
        "the discrete posterior has no density; the discrete model's "
        "K-sample bound is `log_likelihood`",
        "BetaTC": "beta-TC's estimate of the aggregate posterior q(z) uses "
        "diagonal Gaussian densities; a categorical posterior is not one",
    }

    def __init__(self, num_categories=None, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_categories = None if num_categories is None else (
            check_number(num_categories, "num_categories", integer=True,
                         minimum=2))
        self.temperature = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(
                check_temperature(temperature)),
            dtype="float32", trainable=False, name="temperature",
            autocast=False)

    @property
    def categories(self):
        """C, the categories of each variable."""
        return self.num_categories or self.latent_dim

    def check_latent_dim(self, latent_dim):
        categories = self.num_categories or latent_dim
        if latent_dim < 2 or latent_dim % categories:
            raise ValueError(
                "A relaxed categorical latent has latent_dim = (number of "
                "variables) * num_categories, with num_categories >= 2; "
                "choose latent_dim as a multiple of num_categories. "
                f"Received: latent_dim={latent_dim!r}, "
                f"num_categories={self.num_categories!r}"
            )

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The encoder: `inputs` -> `features` -> the logits
        `(batch, latent_dim)`."""
        logits = layers.Dense(latent_dim, dtype="float32", name="logits")(
            features)
        return keras.Model(inputs, logits, name=name)

    def posterior(self, parameters):
        return one_hot_categorical(parameters[0], self.categories)

    def fixed_prior(self):
        return one_hot_categorical(tf.zeros([self.latent_dim]),
                                   self.categories)

    def training_sample(self, parameters, num_samples, seed_generator):
        return relaxed_sample(
            parameters[0], self.temperature, self.categories, num_samples,
            self.stateless_seed(seed_generator)), None

    def sample_and_log_prob(self, parameters, num_samples, seed):
        posterior = self.posterior(parameters)
        z = posterior.sample(sample_shape(num_samples), seed=seed)
        return z, posterior.log_prob(z)

    def posterior_from_noise(self, parameters, eps):
        z = gumbel_max(parameters[0][None], eps, self.categories)
        return z, self.posterior(parameters).log_prob(z)

    def prior_from_noise(self, eps):
        return gumbel_max(tf.zeros_like(eps), eps, self.categories)

    def code(self, parameters):
        return mode(parameters[0], self.categories)

    def get_config(self):
        return {**super().get_config(),
                "num_categories": self.num_categories,
                "temperature": float(keras.ops.convert_to_numpy(
                    self.temperature))}

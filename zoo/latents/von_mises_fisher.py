"""The hyperspherical latent: a von Mises-Fisher posterior with the uniform
prior on the sphere (Davidson et al. 2018)."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers

from zoo.latents.latent import Latent
from zoo.latents.latent import sample_shape

tfd = tfp.distributions

#: The least concentration kappa: kappa = softplus(.) + 1, as in Davidson
#: et al.'s code (kappa near 0 is the uniform prior, where the KL vanishes
#: and the posterior carries nothing).
CONCENTRATION_FLOOR = 1.0

#: The one latent_dim TFP's sampler reparameterises (module docstring).
SPHERE_DIM = 3

_SPHERE_PRIOR = ("the prior of a hyperspherical latent is the uniform "
                 "distribution on the sphere; the learned priors "
                 "(mixtures, the VampPrior, the MAF) are densities over "
                 "R^d, not on the sphere")


class VonMisesFisherOnS2(tfd.VonMisesFisher):
    """`tfd.VonMisesFisher` on the sphere S^2 in R^3, with its
    normaliser, entropy and mean in closed form.

    For d = 3 the Bessel function in C_d is elementary, I_{1/2}(kappa) =
    sqrt(2 / (pi kappa)) sinh(kappa), so

        log C_3(kappa) = log kappa - log(4 pi) - log sinh(kappa),
        log sinh(kappa) = kappa + log1p(-exp(-2 kappa)) - log 2,
        A_3(kappa) = E[mu^T z] = coth(kappa) - 1 / kappa,
        H = -kappa A_3(kappa) - log C_3(kappa),
        E[z] = A_3(kappa) mu.

    TFP evaluates the general log I_{d/2-1} by series and continued
    fractions: the same values (to float32 rounding; closer for large
    kappa), but its graph takes about ten times as long to trace as the
    rest of a training step. log_prob's form and the registered KL to
    `tfd.SphericalUniform` (entropy difference) are TFP's.

    Sampling is TFP's inverse-CDF transform, written so that its gradient
    stays finite. With u ~ U[0, 1) the cosine to the mean direction is
    w = 1 + log(u + (1 - u) e^{-2 kappa}) / kappa, and the sample is
    z = R(mu) [w, sqrt(1 - w^2) v] with v uniform on the circle and R(mu)
    the Householder reflection taking e_1 to mu. TFP forms 1 - w^2 from
    the rounded w: once kappa is a few hundred, w rounds to exactly 1 for
    u within ~3e-8 kappa of 1, sqrt'(0) is infinite and one such draw
    makes the whole gradient NaN (a conv `svae` on Fashion-MNIST reached
    kappa ~ 480 and went NaN within its first epoch). Here both factors of
    1 - w^2 = (1 - w)(1 + w) come from logs without cancellation,

        1 - w = -logsumexp(log u, log(1 - u) - 2 kappa) / kappa,
        1 + w = logsumexp(log u + 2 kappa, log(1 - u)) / kappa,

    so they are positive for every u in (0, 1); u = 0 (w = -1, probability
    ~6e-8 a draw) gets a zero radius and a zero gradient through it. The
    random draws are TFP's (the same seed split and streams), so a seed
    gives TFP's samples to float32 rounding.
    Concentrations must be positive (the latent's are at least 1).
    """

    def _sample_n(self, n, seed=None):
        mean_direction = tf.convert_to_tensor(self.mean_direction)
        concentration = tf.convert_to_tensor(self.concentration)
        cosine_seed, circle_seed = tfp.random.split_seed(
            seed, salt="von_mises_fisher")
        batch_shape = self._batch_shape_tensor(
            mean_direction=mean_direction, concentration=concentration)
        u = tf.random.stateless_uniform(
            tf.concat([[n], batch_shape], axis=0), seed=cosine_seed,
            dtype=self.dtype)
        # u carries no gradient: log 0 = -inf only drops out of the sums.
        log_u = tf.math.log(u)
        log_1mu = tf.math.log1p(-u)
        one_minus_w = -tf.reduce_logsumexp(
            tf.stack([log_u, log_1mu - 2.0 * concentration]),
            axis=0) / concentration
        one_plus_w = tf.reduce_logsumexp(
            tf.stack([log_u + 2.0 * concentration, log_1mu]),
            axis=0) / concentration
        squared_radius = one_minus_w * one_plus_w
        positive = u > 0
        radius = tf.where(positive, tf.sqrt(tf.where(
            positive, squared_radius, tf.ones_like(u))), tf.zeros_like(u))
        circle = tf.math.l2_normalize(tf.random.stateless_normal(
            tf.concat([[n], batch_shape, [2]], axis=0), seed=circle_seed,
            dtype=self.dtype), axis=-1)
        samples = tf.concat([(1.0 - one_minus_w)[..., tf.newaxis],
                             radius[..., tf.newaxis] * circle], axis=-1)
        return self._rotate(samples, mean_direction=mean_direction)

    def _log_normalization(self, concentration=None):
        # TFP's convention: log_prob = kappa mu^T z - _log_normalization.
        if concentration is None:
            concentration = tf.convert_to_tensor(self.concentration)
        log_sinh = (concentration
                    + tf.math.log1p(-tf.exp(-2.0 * concentration))
                    - np.log(2.0))
        return np.log(4.0 * np.pi) + log_sinh - tf.math.log(concentration)

    def _mean_resultant_length(self, concentration):
        return 1.0 / tf.math.tanh(concentration) - 1.0 / concentration

    def _entropy(self):
        concentration = tf.convert_to_tensor(self.concentration)
        entropy = (-concentration * self._mean_resultant_length(concentration)
                   + self._log_normalization(concentration))
        return tf.broadcast_to(entropy, self._batch_shape_tensor(
            concentration=concentration))

    def _mean(self):
        concentration = tf.convert_to_tensor(self.concentration)
        return self.mean_direction * self._mean_resultant_length(
            concentration)[..., tf.newaxis]


@keras.saving.register_keras_serializable(package="zoo.latents")
class VonMisesFisher(Latent):
    """q(z|x) = vMF(z; mu(x), kappa(x)) on the unit sphere S^{d-1} in R^d,
    p(z) = the uniform distribution on the sphere (`latent="von_mises_fisher"`).

    Mathematical details:

    With d = `latent_dim`, the encoder gives the mean direction
    mu = v / ||v|| and the concentration kappa = softplus(w) + 1, and

        q(z|x) = C_d(kappa) exp(kappa mu^T z),
        C_d(kappa) = kappa^{d/2-1} / ((2 pi)^{d/2} I_{d/2-1}(kappa)),
        p(z) = Gamma(d/2) / (2 pi^{d/2})   (uniform on S^{d-1}),
        KL(q || p) = kappa A_d(kappa) + log C_d(kappa) - log p(z),
        A_d(kappa) = I_{d/2}(kappa) / I_{d/2-1}(kappa),

    analytic (TFP registers KL(VonMisesFisher || SphericalUniform)), here
    in closed form for d = 3 (`VonMisesFisherOnS2`). A reconstruction
    decodes mu.

    Supported dimension: TFP's `tfd.VonMisesFisher` samples z by an
    inverse-CDF transform, reparameterised in both mu and kappa, only for
    d = 3; for other d it uses Wood's rejection sampler, whose gradient in
    kappa lacks the correction term of Davidson et al. (their g_cor), so
    the ELBO's gradient would be biased. `latent_dim` must therefore be 3
    (the sphere S^2); other values are refused.

    The noise signatures: prior samples are z = eps / ||eps|| from
    standard normal eps (uniform on the sphere); posterior samples are not
    a function of normal noise (the sampler is not), so a model with this
    latent exports no `score_from_noise`.

    References:
        Davidson, Falorsi, De Cao, Kipf & Tomczak, Hyperspherical
        Variational Auto-Encoders, UAI 2018,
        https://arxiv.org/abs/1804.00891.
    """

    parameter_names = ("mean_direction", "concentration")
    refused_priors = {"mixture": _SPHERE_PRIOR, "vamp": _SPHERE_PRIOR,
                      "maf": _SPHERE_PRIOR}
    refused_objectives = {
        "BetaTC": "beta-TC's estimate of the aggregate posterior q(z) uses "
        "diagonal Gaussian densities; a von Mises-Fisher posterior is not "
        "one",
    }
    no_ex_post_sampler = ("its codes lie on the unit sphere, and a density "
                          "over R^d fitted to them draws off it")
    no_posterior_noise = (
        "TFP's von Mises-Fisher sampler is not a function of standard "
        "normal noise")

    only_latent_dim = SPHERE_DIM

    def check_latent_dim(self, latent_dim):
        if latent_dim != self.only_latent_dim:
            raise ValueError(
                "latent='von_mises_fisher' needs latent_dim=3: TFP's "
                "VonMisesFisher sampler is reparameterised only on the "
                "sphere S^2 in R^3 (elsewhere its gradient in the "
                "concentration is biased). Use latent_dim=3, or "
                "latent='gaussian' for other sizes. "
                f"Received: latent_dim={latent_dim!r}"
            )

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The encoder: `inputs` -> `features` -> `[mean_direction
        (batch, d), concentration (batch, 1)]`."""
        direction = layers.Dense(latent_dim, dtype="float32",
                                 name="direction")(features)
        direction = layers.UnitNormalization(
            dtype="float32", name="mean_direction")(direction)
        concentration = layers.Dense(
            1, activation="softplus", dtype="float32",
            name="concentration_softplus")(features)
        concentration = layers.Rescaling(
            1.0, offset=CONCENTRATION_FLOOR, dtype="float32",
            name="concentration")(concentration)
        return keras.Model(inputs, [direction, concentration], name=name)

    def posterior(self, parameters):
        mean_direction, concentration = parameters
        return VonMisesFisherOnS2(mean_direction, concentration[..., 0],
                                  name="von_mises_fisher_posterior")

    def fixed_prior(self):
        return tfd.SphericalUniform(self.latent_dim,
                                    name="spherical_uniform_prior")

    def training_sample(self, parameters, num_samples, seed_generator):
        posterior = self.posterior(parameters)
        seed = self.stateless_seed(seed_generator)
        return posterior.sample(sample_shape(num_samples), seed=seed), None

    def sample_and_log_prob(self, parameters, num_samples, seed):
        posterior = self.posterior(parameters)
        z = posterior.sample(sample_shape(num_samples), seed=seed)
        return z, posterior.log_prob(z)

    def prior_from_noise(self, eps):
        return tf.math.l2_normalize(eps, axis=-1)

    def code(self, parameters):
        return parameters[0]

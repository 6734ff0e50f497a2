"""The deterministic latent: a plain autoencoder, and the regularised
autoencoders (RAE) of Ghosh et al. (2020)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers
from keras import ops

from zoo.latents.latent import Latent
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number

tfd = tfp.distributions

#: The decoder penalties: name -> what it is.
PENALTIES = {
    None: "none (a plain autoencoder, or only the latent term)",
    "l2": "lambda * ||theta_D||^2, the decoder's weights (RAE-L2)",
    "gradient": "lambda * ||d sum D(z) / dz||^2 per example (RAE-GP)",
}

_NO_KL = ("a deterministic latent has no KL term and no posterior density")


@keras.saving.register_keras_serializable(package="zoo.latents")
class Deterministic(Latent):
    """A deterministic code z = E(x): the plain autoencoder and the RAEs.

    Mathematical details:

    The encoder gives z = E(x) and the loss per example is

        loss = -log p(x | z) + beta_z * ||z||^2 / 2 + lambda * R,

    with -log p(x|z) the likelihood's reconstruction term (the objective's
    `reconstruction`), `latent_weight` = beta_z and `penalty_weight` =
    lambda, and R the decoder penalty (Ghosh et al., 2020):

        penalty=None        R = 0            (with beta_z = 0: a plain
                                              autoencoder)
        penalty="l2"        R = sum_theta theta^2 over the decoder's
                            trainable weights (RAE-L2; the same number for
                            every example of the batch)
        penalty="gradient"  R = ||d/dz sum_j D(z)_j||^2, the squared norm
                            of the gradient of the sum of the decoder's
                            outputs (the likelihood's parameters) with
                            respect to z (RAE-GP; one vector-Jacobian
                            product, a cheap proxy for the Jacobian's
                            Frobenius norm)

    These terms are the latent's `latent_loss`, added unweighted by the
    objective (`zoo.objectives.Objective.latent_loss`); there is no KL, so
    `beta` and the objectives that weigh or reshape a KL (beta, capacity,
    IWAE, beta-TC, semi-supervised) are refused.

    There is no posterior density and no likelihood bound: `elbo`,
    `log_likelihood` and the exported `score` signatures are refused.
    `encode` gives the point mass at z (`tfd.Deterministic`) and
    `sample(n, seed)` decodes z ~ N(0, I), a distribution the
    autoencoder's latent was never fitted to (that is the contrast with a
    VAE the catalogue measures); an ex-post density fitted to the codes
    (Ghosh et al.'s Gaussian mixture) is what the RAE paper samples from.

    Args:
        penalty: None (default), `"l2"` or `"gradient"`: R above.
        latent_weight: float >= 0, beta_z on ||z||^2 / 2 (default 0.0).
        penalty_weight: float > 0, lambda (default None: 1e-3 with a
            penalty); refused without a penalty.

    References:
        Ghosh, Sajjadi, Vergari, Black & Schoelkopf, From Variational to
        Deterministic Autoencoders, ICLR 2020,
        https://arxiv.org/abs/1903.12436.
    """

    parameter_names = ("z",)
    has_bound = False
    refused_priors = {
        "mixture": _NO_KL + ": a learned prior would never be trained",
        "vamp": _NO_KL + ": a learned prior would never be trained",
        "maf": _NO_KL + ": a learned prior would never be trained",
    }
    no_posterior_noise = _NO_KL

    #: lambda when a penalty is chosen and `penalty_weight` is None.
    DEFAULT_PENALTY_WEIGHT = 1e-3

    def __init__(self, penalty=None, latent_weight=0.0, penalty_weight=None,
                 **kwargs):
        super().__init__(**kwargs)
        if penalty not in PENALTIES:
            raise ValueError(
                f"`penalty` must be one of {list(PENALTIES)}: "
                + "; ".join(f"{k!r}: {v}" for k, v in PENALTIES.items())
                + f". Received: penalty={penalty!r}"
            )
        if penalty is None and penalty_weight is not None:
            raise ValueError(
                "`penalty_weight` weighs the decoder penalty; with "
                "penalty=None there is none. Choose penalty='l2' or "
                "'gradient', or drop penalty_weight. Received: "
                f"penalty_weight={penalty_weight!r}"
            )
        self.penalty = penalty
        self.latent_weight = check_number(
            latent_weight, "latent_weight", minimum=0.0, maximum=FLOAT32_MAX)
        self.penalty_weight = None if penalty_weight is None else (
            check_number(penalty_weight, "penalty_weight", minimum=0.0,
                         maximum=FLOAT32_MAX, above=True))

    def objective_refused(self, objective):
        """Every objective but the plain ELBO (beta = 1, no free bits):
        the others weigh or reshape a KL term this latent does not have."""
        plain = type(objective).__name__ == "ELBO" and (
            objective.free_bits == 0
            and float(keras.ops.convert_to_numpy(objective.beta)) == 1.0)
        if plain:
            return None
        return (_NO_KL + "; its loss is the reconstruction plus the "
                "latent's own penalties (latent_weight, penalty), with "
                "objective='elbo' and beta=1")

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The encoder: `inputs` -> `features` -> z = W h + b."""
        z = layers.Dense(latent_dim, dtype="float32", name="z")(features)
        return keras.Model(inputs, z, name=name)

    def posterior(self, parameters):
        """The point mass at z."""
        return tfd.Independent(tfd.Deterministic(parameters[0]), 1,
                               name="deterministic_code")

    def training_sample(self, parameters, num_samples, seed_generator):
        return parameters[0], None

    def code(self, parameters):
        return parameters[0]

    def prior_from_noise(self, eps):
        return eps

    def regularizer(self, z, decoder_output, decoder):
        """The per-example latent loss, `(batch,)`:
        beta_z ||z||^2 / 2 + lambda R.

        Args:
            z: the codes `(batch, latent_dim)`.
            decoder_output: a function z -> the decoder's output for z
                (for the gradient penalty).
            decoder: the decoder model (its weights for the L2 penalty).
        """
        loss = self.latent_weight * 0.5 * ops.sum(ops.square(z), axis=-1)
        weight = self.penalty_weight or self.DEFAULT_PENALTY_WEIGHT
        if self.penalty == "l2":
            loss = loss + weight * decoder_l2(decoder)
        elif self.penalty == "gradient":
            loss = loss + weight * gradient_penalty(z, decoder_output)
        return loss

    def get_config(self):
        return {**super().get_config(), "penalty": self.penalty,
                "latent_weight": self.latent_weight,
                "penalty_weight": self.penalty_weight}


def decoder_l2(decoder):
    """sum_theta theta^2 over the decoder's trainable weights."""
    return sum(ops.sum(ops.square(ops.cast(weight, "float32")))
               for weight in decoder.trainable_weights)


def gradient_penalty(z, decoder_output):
    """||d/dz sum_j D(z)_j||^2 per example, `(batch,)` (the decoder acts
    on each example alone, so the gradient of the batch's sum with respect
    to one row of z is that example's)."""
    with tf.GradientTape() as tape:
        tape.watch(z)
        total = tf.reduce_sum(tf.cast(decoder_output(z), "float32"))
    gradient = tape.gradient(total, z)
    return tf.reduce_sum(tf.square(gradient), axis=-1)

"""MIWAE: the average of M importance-weighted bounds of K samples each
(Rainforth et al. 2018)."""

import math

import keras
from keras import ops

from zoo import validation
from zoo.objectives.iwae import ImportanceWeighted


def multiple_bound(log_weights, num_estimates, samples_per_estimate):
    """(1/M) sum_m log (1/K) sum_k w_mk from `(M * K, batch)` log weights,
    the m-th bound on the m-th block of K rows: `(batch,)`."""
    blocks = ops.reshape(log_weights,
                         (num_estimates, samples_per_estimate, -1))
    return ops.mean(ops.logsumexp(blocks, axis=1), axis=0) - math.log(
        samples_per_estimate)


@keras.saving.register_keras_serializable(package="zoo.objectives")
class MIWAE(ImportanceWeighted):
    """MIWAE(M, K): the average of M importance-weighted bounds of K
    samples each.

    Mathematical details:

    With M * K reparameterised samples z_mk ~ q(z|x) and weights w_mk =
    p(x|z_mk) p(z_mk) / q(z_mk|x), MIWAE maximises

        L_M,K(x) = (1/M) sum_m log (1/K) sum_k w_mk,

    the mean of M independent IWAE bounds L_K: MIWAE(1, K) is the IWAE,
    MIWAE(M, 1) the ELBO averaged over M samples. Rainforth et al. (2018)
    show that the encoder's gradient signal-to-noise ratio under L_K
    falls as K grows (as 1/sqrt(K)) while the decoder's rises; for a fixed
    budget of M * K samples, MIWAE trades bound tightness for a better
    encoder gradient. The model draws `num_samples` = M * K samples per
    example; the loss is split as for `zoo.objectives.IWAE`
    (-(L_M,K + KL) + beta * KL).

    Args:
        num_estimates: int > 0, M (default 2).
        samples_per_estimate: int > 0, K (default 5, the IWAE's).
        beta: float >= 0, the KL weight (default 1.0: exactly -L_M,K).

    References:
        Rainforth, Kosiorek, Le, Maddison, Igl, Wood & Teh, Tighter
        Variational Bounds are Not Necessarily Better, ICML 2018,
        https://arxiv.org/abs/1802.04537.
    """

    def __init__(self, num_estimates=2, samples_per_estimate=5, beta=1.0,
                 **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.num_estimates = validation.check_positive_int(
            num_estimates, "num_estimates")
        self.samples_per_estimate = validation.check_positive_int(
            samples_per_estimate, "samples_per_estimate")
        self.num_samples = validation.check_size(
            self.num_estimates * self.samples_per_estimate,
            "num_estimates * samples_per_estimate", validation.MAX_SAMPLES,
            "a training step draws that many samples per example.")

    def bound(self, terms):
        """L_M,K(x) from the `(M * K, batch)` "log_weights"."""
        return multiple_bound(terms["log_weights"], self.num_estimates,
                              self.samples_per_estimate)

    def get_config(self):
        return {**super().get_config(), "num_estimates": self.num_estimates,
                "samples_per_estimate": self.samples_per_estimate}

"""beta-TCVAE: the KL split into mutual information, total correlation and
dimension-wise KL (Chen et al. 2018)."""

import math

import keras
from keras import ops

from zoo import validation
from zoo.bounds import batch_mean
from zoo.likelihoods.factorised import tfd
from zoo.objectives.objective import Objective
from zoo.validation import check_weight

@keras.saving.register_keras_serializable(package="zoo.objectives")
class BetaTC(Objective):
    """beta-TCVAE: the KL split into mutual information, total correlation
    and dimension-wise KL, each with its own weight.

    Mathematical details:

    Averaged over the data, the ELBO's KL splits into three terms (Chen et
    al., 2018), with q(z) = E_x q(z|x) the aggregate posterior:

        E_x KL(q(z|x) || p(z)) = I_q(x; z)                       (index-code MI)
                               + KL(q(z) || prod_j q(z_j))       (total correlation)
                               + sum_j KL(q(z_j) || p(z_j))      (dimension-wise KL)

    and the loss is

        -E_q[log p(x|z)]
        + beta * (mi_weight * MI + tc_weight * TC + dimension_kl_weight * DWKL).

    `tc_weight` is the beta of Chen et al. (the paper's alpha and gamma are
    `mi_weight` and `dimension_kl_weight`); `beta` is the weight on the
    whole KL term, as in every zoo model, so `BetaWarmUp` ramps all three
    together. With all four weights 1 the penalty is exactly the Monte Carlo
    KL log q(z|x) - log p(z) at the sampled z: the three estimates telescope.
    log q(z) and log q(z_j) are estimated on each batch of M examples from a
    dataset of N with minibatch-weighted sampling:

        log q(z_i) ~= logsumexp_m log q(z_i | x_m) - log(N M),

    and alike per dimension for log q(z_ij). The four weights are
    non-trainable variables; `mutual_information`, `total_correlation` and
    `dimension_wise_kl` are logged as metrics beside the analytic `kl`.

    Args:
        tc_weight: float >= 0, weight of the total correlation (default
            6.0; the paper's beta).
        mi_weight: float >= 0, weight of the mutual information (default
            1.0; the paper's alpha).
        dimension_kl_weight: float >= 0, weight of the dimension-wise KL
            (default 1.0; the paper's gamma).
        beta: float >= 0, weight of the whole KL term (default 1.0).
        dataset_size: int > 0, N in the estimator (default 60000).

    References:
        Chen, Li, Grosse & Duvenaud, Isolating Sources of Disentanglement in
        VAEs, NeurIPS 2018, https://arxiv.org/abs/1802.04942.
    """

    needs_sample = True
    metric_names = ("mutual_information", "total_correlation",
                    "dimension_wise_kl")

    def __init__(self, tc_weight=6.0, mi_weight=1.0, dimension_kl_weight=1.0,
                 beta=1.0, dataset_size=60000, **kwargs):
        super().__init__(**kwargs)
        self.dataset_size = validation.check_positive_int(
            dataset_size, "dataset_size"
        )
        # The order of release 0.1's variables: beta, then the three.
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.tc_weight = self.schedulable(
            check_weight(tc_weight, "tc_weight"), "tc_weight"
        )
        self.mi_weight = self.schedulable(
            check_weight(mi_weight, "mi_weight"), "mi_weight"
        )
        self.dimension_kl_weight = self.schedulable(
            check_weight(dimension_kl_weight, "dimension_kl_weight"),
            "dimension_kl_weight",
        )

    def latent_loss(self, terms):
        """beta * (mi_weight * MI + tc_weight * TC + dimension_kl_weight *
        DWKL) from the batch's sample "z", q(z|x)'s "z_mean" and
        "z_stddev", and "log_posterior" and "log_prior" at the sample; the
        metrics are the analytic `kl` and the three estimates."""
        z = terms["z"]
        # log q(z_i,j | x_m) for every pair (i, m) of the batch: (M, M, D).
        pairwise = tfd.Normal(
            terms["z_mean"][None], terms["z_stddev"][None]
        ).log_prob(z[:, None])
        batch = ops.cast(ops.shape(z)[0], "float32")
        log_normaliser = ops.log(batch) + math.log(self.dataset_size)
        log_q_z = ops.logsumexp(ops.sum(pairwise, -1), axis=1) - log_normaliser
        log_q_z_dims = ops.sum(
            ops.logsumexp(pairwise, axis=1) - log_normaliser, -1
        )
        metrics = {
            "kl": batch_mean(terms["kl"]),
            "mutual_information": batch_mean(
                terms["log_posterior"] - log_q_z),
            "total_correlation": batch_mean(log_q_z - log_q_z_dims),
            "dimension_wise_kl": batch_mean(log_q_z_dims - terms["log_prior"]),
        }
        loss = self.beta * (
            self.mi_weight * metrics["mutual_information"]
            + self.tc_weight * metrics["total_correlation"]
            + self.dimension_kl_weight * metrics["dimension_wise_kl"]
        )
        return loss, metrics

    def get_config(self):
        return {
            **super().get_config(),
            "tc_weight": self.value_of(self.tc_weight),
            "mi_weight": self.value_of(self.mi_weight),
            "dimension_kl_weight": self.value_of(self.dimension_kl_weight),
            "beta": self.value_of(self.beta),
            "dataset_size": self.dataset_size,
        }

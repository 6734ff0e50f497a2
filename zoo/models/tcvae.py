"""beta-TCVAE: the KL split into mutual information, total correlation and
dimension-wise KL, each with its own weight."""

import math

import keras
from keras import ops

from zoo import distributions
from zoo import validation
from zoo.models.base import batch_mean
from zoo.models.conv import ConvVAE


@keras.saving.register_keras_serializable(package="zoo")
class BetaTCVAE(ConvVAE):
    """Convolutional VAE whose KL term is decomposed and reweighted.

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
        input_shape, latent_dim, filters, hidden_units: as `ConvVAE`.
        tc_weight: float >= 0, weight of the total correlation (default
            6.0; the paper's beta).
        mi_weight: float >= 0, weight of the mutual information (default
            1.0; the paper's alpha).
        dimension_kl_weight: float >= 0, weight of the dimension-wise KL
            (default 1.0; the paper's gamma).
        beta: float >= 0, weight of the whole KL term (default 1.0).
        dataset_size: int > 0, N in the estimator (default 60000).
        **kwargs: the base class's options.

    References:
        Chen, Li, Grosse & Duvenaud, Isolating Sources of Disentanglement in
        VAEs, NeurIPS 2018, https://arxiv.org/abs/1802.04942.
    """

    def __init__(self, input_shape, latent_dim, tc_weight=6.0, mi_weight=1.0,
                 dimension_kl_weight=1.0, beta=1.0, dataset_size=60000,
                 **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         beta=beta, **kwargs)
        for name, value in (("tc_weight", tc_weight), ("mi_weight", mi_weight),
                            ("dimension_kl_weight", dimension_kl_weight)):
            if isinstance(value, bool) or not isinstance(
                value, (int, float)
            ) or not 0 <= value < math.inf:
                raise ValueError(
                    f"`{name}` must be a finite float >= 0. "
                    f"Received: {name}={value!r}"
                )
        self.dataset_size = validation.check_positive_int(
            dataset_size, "dataset_size"
        )
        self.tc_weight = self._weight(tc_weight, "tc_weight")
        self.mi_weight = self._weight(mi_weight, "mi_weight")
        self.dimension_kl_weight = self._weight(
            dimension_kl_weight, "dimension_kl_weight"
        )
        self.mutual_information_tracker = keras.metrics.Mean(
            name="mutual_information"
        )
        self.total_correlation_tracker = keras.metrics.Mean(
            name="total_correlation"
        )
        self.dimension_wise_kl_tracker = keras.metrics.Mean(
            name="dimension_wise_kl"
        )

    def _weight(self, value, name):
        return self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(value)),
            dtype="float32", trainable=False, name=name,
        )

    def add_kl_loss(self, posterior, z):
        normal = posterior.distribution
        # log q(z_i,j | x_m) for every pair (i, m) of the batch: (M, M, D).
        pairwise = distributions.tfd.Normal(
            normal.loc[None], normal.scale[None]
        ).log_prob(z[:, None])
        batch = ops.cast(ops.shape(z)[0], "float32")
        log_normaliser = ops.log(batch) + math.log(self.dataset_size)
        log_q_z = ops.logsumexp(ops.sum(pairwise, -1), axis=1) - log_normaliser
        log_q_z_dims = ops.sum(
            ops.logsumexp(pairwise, axis=1) - log_normaliser, -1
        )
        log_q_z_given_x = posterior.log_prob(z)
        mutual_information = batch_mean(log_q_z_given_x - log_q_z)
        total_correlation = batch_mean(log_q_z - log_q_z_dims)
        dimension_wise_kl = batch_mean(log_q_z_dims - self.prior().log_prob(z))
        for tracker, value in (
            (self.kl_tracker, batch_mean(self.kl_divergence(posterior, z))),
            (self.mutual_information_tracker, mutual_information),
            (self.total_correlation_tracker, total_correlation),
            (self.dimension_wise_kl_tracker, dimension_wise_kl),
        ):
            tracker.update_state(value, sample_weight=ops.shape(z)[0])
        self.add_loss(self.beta * (
            self.mi_weight * mutual_information
            + self.tc_weight * total_correlation
            + self.dimension_kl_weight * dimension_wise_kl
        ))

    def get_config(self):
        return {
            **super().get_config(),
            "tc_weight": float(ops.convert_to_numpy(self.tc_weight)),
            "mi_weight": float(ops.convert_to_numpy(self.mi_weight)),
            "dimension_kl_weight": float(
                ops.convert_to_numpy(self.dimension_kl_weight)
            ),
            "dataset_size": self.dataset_size,
        }

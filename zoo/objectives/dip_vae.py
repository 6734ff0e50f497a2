"""DIP-VAE I and II: the aggregate posterior's covariance pushed to the
prior's identity (Kumar et al. 2018)."""

import keras
from keras import ops

from zoo.bounds import batch_mean
from zoo.objectives.objective import Objective
from zoo.validation import check_weight

#: The two estimators of Kumar et al.: the covariance of the posterior
#: means (I) or of z under the aggregate posterior (II).
KINDS = ("i", "ii")

#: lambda_d / lambda_od when `diagonal_weight` is None (Kumar et al.'s
#: choice, as disentanglement_lib has it): 10 for DIP-VAE-I, 1 for II.
DIAGONAL_FACTOR = {"i": 10.0, "ii": 1.0}


def covariance_penalty(covariance, offdiagonal_weight, diagonal_weight):
    """lambda_od sum_(i != j) C_ij^2 + lambda_d sum_i (C_ii - 1)^2."""
    diagonal = ops.diagonal(covariance)
    offdiagonal = ops.sum(ops.square(covariance)) - ops.sum(
        ops.square(diagonal))
    return (offdiagonal_weight * offdiagonal
            + diagonal_weight * ops.sum(ops.square(diagonal - 1.0)))


def posterior_covariance(z_mean, z_stddev, kind):
    """The batch estimate of Cov_p(x)[mu(x)] (kind "i") or of
    Cov_q(z)[z] = Cov_p(x)[mu(x)] + E_p(x)[diag sigma(x)^2] (kind "ii"),
    `(latent_dim, latent_dim)`, with the batch's 1/M normalisation."""
    centred = z_mean - ops.mean(z_mean, axis=0, keepdims=True)
    count = ops.cast(ops.shape(z_mean)[0], z_mean.dtype)
    covariance = ops.matmul(ops.transpose(centred), centred) / count
    if kind == "ii":
        covariance = covariance + ops.diag(
            ops.mean(ops.square(z_stddev), axis=0))
    return covariance


@keras.saving.register_keras_serializable(package="zoo.objectives")
class DIPVAE(Objective):
    """DIP-VAE: the ELBO plus a penalty that moves the covariance of the
    aggregate posterior q(z) = E_x q(z|x) to the identity of p(z).

    Mathematical details:

    Kumar et al. (2018) ask the aggregate posterior to match the factorised
    prior N(0, I) in its second moments. With mu(x), diag sigma(x)^2 the
    parameters of q(z|x), the loss is

        loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z))
               + lambda_od sum_(i != j) C_ij^2 + lambda_d sum_i (C_ii - 1)^2

    with C = Cov_p(x)[mu(x)] for DIP-VAE-I, and, for DIP-VAE-II, the
    covariance of z under q(z),

        C = Cov_p(x)[mu(x)] + E_p(x)[diag sigma(x)^2],

    both estimated on the batch (mean and covariance with 1/M over its M
    examples). The penalty is a batch-level term added to the batch-mean
    loss; its value is logged as `dip_penalty`. The target is the
    identity, the covariance of N(0, I): a learned prior has another one,
    so the model refuses DIP-VAE with one.

    Args:
        kind: `"i"` (default) or `"ii"`.
        offdiagonal_weight: float >= 0, lambda_od (default 10.0).
        diagonal_weight: float >= 0, lambda_d, or None (default): 10 *
            lambda_od for DIP-VAE-I, lambda_od for II, as in Kumar et
            al.'s experiments.
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`.

    References:
        Kumar, Sattigeri & Balakrishnan, Variational Inference of
        Disentangled Latent Concepts from Unlabeled Observations, ICLR
        2018, https://arxiv.org/abs/1711.00848.
    """

    needs_sample = True
    needs_standard_normal_prior = True
    metric_names = ("dip_penalty",)

    def __init__(self, kind="i", offdiagonal_weight=10.0,
                 diagonal_weight=None, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(
                f"`kind` must be one of {KINDS}: DIP-VAE-I penalises the "
                "covariance of the posterior means, II that of z. "
                f"Received: kind={kind!r}"
            )
        self.kind = kind
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.offdiagonal_weight = check_weight(
            offdiagonal_weight, "offdiagonal_weight")
        self.diagonal_weight = (
            DIAGONAL_FACTOR[kind] * self.offdiagonal_weight
            if diagonal_weight is None
            else check_weight(diagonal_weight, "diagonal_weight"))

    def latent_loss(self, terms):
        """beta * KL + the covariance penalty from the batch's "z_mean"
        and "z_stddev"; the metrics are `kl` and `dip_penalty`."""
        covariance = posterior_covariance(
            ops.cast(terms["z_mean"], "float32"),
            ops.cast(terms["z_stddev"], "float32"), self.kind)
        penalty = covariance_penalty(
            covariance, self.offdiagonal_weight, self.diagonal_weight)
        kl = batch_mean(terms["kl"])
        return self.beta * kl + penalty, {"kl": kl, "dip_penalty": penalty}

    def get_config(self):
        return {**super().get_config(), "kind": self.kind,
                "offdiagonal_weight": self.offdiagonal_weight,
                "diagonal_weight": self.diagonal_weight,
                "beta": self.value_of(self.beta)}

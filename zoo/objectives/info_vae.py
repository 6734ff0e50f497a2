"""InfoVAE with the MMD divergence (Zhao et al. 2019)."""

import keras

from zoo.objectives.mmd import MMDPenalty
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number


@keras.saving.register_keras_serializable(package="zoo.objectives")
class InfoVAE(MMDPenalty):
    """InfoVAE-MMD: the ELBO with its KL weighed down and the mutual
    information of x and z kept, through an MMD between q(z) and p(z).

    Mathematical details:

    Zhao et al. (2019, eq. 6) add to the ELBO a weight lambda on a
    divergence D between the aggregate posterior q(z) = E_x q(z|x) and
    the prior, and alpha on the mutual information I_q(x; z); rewritten
    in terms the model can estimate, the loss is

        loss = -E_q(z|x)[log p(x|z)] + (1 - alpha) * KL(q(z|x) || p(z))
               + (alpha + lambda - 1) * MMD^2(q(z), p(z)),

    with D = MMD^2 estimated on the batch as in `zoo.objectives.WAE`
    (unbiased, IMQ or Gaussian kernel). alpha = 0 keeps the mutual
    information of the ELBO and only adds the MMD (the MMD-VAE); alpha =
    1 drops the KL (a WAE with weight lambda). The weights are `model.beta`
    = 1 - alpha and `mmd_weight` = alpha + lambda - 1, non-trainable
    variables; both must be >= 0 (alpha <= 1, alpha + lambda >= 1), else
    the loss would reward a posterior far from the prior. The config
    holds alpha and lambda as the variables give them now.

    Args:
        alpha: float <= 1, the paper's alpha (default 0.0).
        lambda_: float, the paper's lambda (default 1000.0, so the MMD,
            a few hundredths, weighs a few nats beside a log-likelihood
            of hundreds); alpha + lambda_ >= 1.
        kernel: `"imq"` (default) or `"rbf"`.
        kernel_scale: float > 0, s in C = 2 d s^2 (default 1.0).

    References:
        Zhao, Song & Ermon, InfoVAE: Balancing Learning and Inference in
        Variational Autoencoders, AAAI 2019,
        https://arxiv.org/abs/1706.02262.
    """

    def __init__(self, alpha=0.0, lambda_=1000.0, kernel="imq",
                 kernel_scale=1.0, **kwargs):
        alpha = check_number(
            alpha, "alpha", maximum=1.0,
            fix="The KL weight 1 - alpha must be >= 0.")
        lambda_ = check_number(
            lambda_, "lambda_", minimum=1.0 - alpha, maximum=FLOAT32_MAX,
            fix=f"The MMD weight alpha + lambda_ - 1 must be >= 0 (alpha="
                f"{alpha!r}).")
        super().__init__(kernel=kernel, kernel_scale=kernel_scale, **kwargs)
        self.beta = self.schedulable(1.0 - alpha, "beta")
        self.mmd_weight = self.schedulable(alpha + lambda_ - 1.0,
                                           "mmd_weight")

    def get_config(self):
        beta = self.value_of(self.beta)
        return {**super().get_config(), "alpha": 1.0 - beta,
                "lambda_": self.value_of(self.mmd_weight) + beta}

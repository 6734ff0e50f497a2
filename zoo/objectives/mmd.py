"""The maximum mean discrepancy between q(z) and p(z), and the Wasserstein
autoencoder that penalises it (WAE-MMD, Tolstikhin et al. 2018)."""

import keras
from keras import ops

from zoo.bounds import batch_mean
from zoo.objectives.objective import Objective
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number
from zoo.validation import check_weight

#: The kernels `maximum_mean_discrepancy` takes.
KERNELS = ("imq", "rbf")


def check_kernel(kernel, kernel_scale):
    """`(kernel, kernel_scale)` checked: a name of `KERNELS` and a positive
    scale."""
    if kernel not in KERNELS:
        raise ValueError(
            f"`kernel` must be one of {KERNELS}: the inverse multiquadratic "
            "or the Gaussian (RBF) kernel. Received: "
            f"kernel={kernel!r}"
        )
    return kernel, check_number(kernel_scale, "kernel_scale", minimum=0.0,
                                maximum=FLOAT32_MAX, above=True)


def kernel_matrix(a, b, kernel, kernel_scale):
    """k(a_i, b_j) for every pair of rows, `(n, m)`, with C = 2 d s^2
    (d the columns, s `kernel_scale`):

        imq:  k(a, b) = C / (C + ||a - b||^2)
        rbf:  k(a, b) = exp(-||a - b||^2 / C)
    """
    dimensions = ops.cast(ops.shape(a)[-1], a.dtype)
    scale = 2.0 * dimensions * kernel_scale**2
    distances = ops.sum(ops.square(a[:, None] - b[None]), axis=-1)
    if kernel == "imq":
        return scale / (scale + distances)
    return ops.exp(-distances / scale)


def maximum_mean_discrepancy(z, prior_sample, kernel, kernel_scale):
    """The unbiased (U-statistic) estimate of MMD^2(q(z), p(z)) from n
    draws z_i ~ q(z) and n draws z'_j ~ p(z):

        MMD^2 = 1/(n (n-1)) sum_(i != j) [k(z_i, z_j) + k(z'_i, z'_j)]
                - 2/n^2 sum_(i, j) k(z_i, z'_j)

    (Gretton et al. 2012, eq. 3 with m = n). A batch of one has no pairs:
    its within-sample sums are 0.
    """
    count = ops.cast(ops.shape(z)[0], z.dtype)
    pairs = ops.maximum(count * (count - 1.0), 1.0)

    def within(sample):
        matrix = kernel_matrix(sample, sample, kernel, kernel_scale)
        return (ops.sum(matrix) - ops.sum(ops.diagonal(matrix))) / pairs

    cross = ops.mean(kernel_matrix(z, prior_sample, kernel, kernel_scale))
    return within(z) + within(prior_sample) - 2.0 * cross


class MMDPenalty(Objective):
    """Base class of the objectives with an MMD penalty (`WAE`,
    `zoo.objectives.InfoVAE`): the loss's latent term is

        beta * KL(q(z|x) || p(z)) + mmd_weight * MMD^2(q(z), p(z)),

    from the batch's samples and as many prior draws; a subclass sets the
    two variables `beta` and `mmd_weight`.

    Args:
        kernel: `"imq"` or `"rbf"` (`kernel_matrix`).
        kernel_scale: float > 0, s in C = 2 d s^2.
    """

    needs_sample = True
    needs_prior_sample = True
    metric_names = ("mmd",)
    #: The weight on MMD^2, a non-trainable variable (set by a subclass).
    mmd_weight = None

    def __init__(self, kernel="imq", kernel_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kernel, self.kernel_scale = check_kernel(kernel, kernel_scale)

    def latent_loss(self, terms):
        """beta * KL + mmd_weight * MMD^2 of the batch's samples "z"
        against the "prior_sample"; the metrics are `kl` and `mmd`."""
        mmd = maximum_mean_discrepancy(
            ops.cast(terms["z"], "float32"),
            ops.cast(terms["prior_sample"], "float32"),
            self.kernel, self.kernel_scale)
        kl = batch_mean(terms["kl"])
        loss = self.beta * kl + self.mmd_weight * mmd
        return loss, {"kl": kl, "mmd": mmd}

    def get_config(self):
        return {**super().get_config(), "kernel": self.kernel,
                "kernel_scale": self.kernel_scale}


@keras.saving.register_keras_serializable(package="zoo.objectives")
class WAE(MMDPenalty):
    """The Wasserstein autoencoder with the MMD penalty (WAE-MMD).

    Mathematical details:

    The WAE of Tolstikhin et al. (2018) minimises a transport cost between
    the data and the model, relaxed to

        loss = -E_q(z|x)[log p(x|z)] + mmd_weight * MMD^2(q(z), p(z))
               + beta * KL(q(z|x) || p(z)),

    with q(z) = E_x q(z|x) the aggregate posterior: the batch's samples
    z_i ~ q(z|x_i) against as many prior draws z'_i ~ p(z), by the unbiased
    estimate of `maximum_mean_discrepancy`, with the inverse
    multiquadratic kernel k(a, b) = C / (C + ||a - b||^2) or the Gaussian
    k(a, b) = exp(-||a - b||^2 / C), C = 2 d s^2 (d = latent_dim, s =
    `kernel_scale`, the prior's standard deviation in the paper). Unlike
    the ELBO's KL, which pulls every q(z|x) to p(z), the MMD only asks
    that the codes of all the data together look like prior draws. The
    cost here is the likelihood's -log p(x|z) (the paper's squared error
    is the Gaussian likelihood's, up to scale); q(z|x) is the model's
    Gaussian (the paper's "random encoder"). `beta` (default 0: the WAE)
    adds the ELBO's KL; the `kl` metric is logged either way, and `mmd`
    beside it.

    Args:
        mmd_weight: float >= 0, lambda of the paper (default 10.0, its
            value for MNIST).
        kernel: `"imq"` (default) or `"rbf"`.
        kernel_scale: float > 0, s in C = 2 d s^2 (default 1.0).
        beta: float >= 0, the KL weight (default 0.0); a non-trainable
            variable, `model.beta`.

    References:
        Tolstikhin, Bousquet, Gelly & Schoelkopf, Wasserstein
        Auto-Encoders, ICLR 2018, https://arxiv.org/abs/1711.01558.
        Gretton, Borgwardt, Rasch, Schoelkopf & Smola, A Kernel Two-Sample
        Test, JMLR 2012.
    """

    def __init__(self, mmd_weight=10.0, kernel="imq", kernel_scale=1.0,
                 beta=0.0, **kwargs):
        super().__init__(kernel=kernel, kernel_scale=kernel_scale, **kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.mmd_weight = self.schedulable(
            check_weight(mmd_weight, "mmd_weight"), "mmd_weight")

    def get_config(self):
        return {**super().get_config(),
                "mmd_weight": self.value_of(self.mmd_weight),
                "beta": self.value_of(self.beta)}

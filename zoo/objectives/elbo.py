"""The negative ELBO with a weight beta on its KL term, free bits and KL
balancing between latent groups (VAE, beta-VAE, the hierarchy's
objective)."""

import keras
from keras import ops

from zoo.objectives.objective import Objective
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number
from zoo.validation import check_weight


@keras.saving.register_keras_serializable(package="zoo.objectives")
class ELBO(Objective):
    """The negative ELBO with a weight beta on its KL term, free bits and KL
    balancing.

    Mathematical details:

        loss = -E_q(z|x)[log p(x|z)] + beta * sum_g max(KL_g, free_bits),

    with KL_g the batch mean of KL(q(z_g|x, z_<g) || p(z_g|z_<g)) for each
    latent group g (a single group, KL(q(z|x) || p(z)), for a flat
    latent), estimated with one reparameterised sample. At beta = 1 and no
    free bits it is the negative evidence lower bound (Kingma & Welling,
    2014); beta > 1 is the beta-VAE objective of Higgins et al. (2017),
    which trades reconstruction for a posterior closer to the factorised
    prior; free bits > 0 charge each group at least that many nats, so
    the optimiser gains nothing from pushing a group's KL below it
    (Kingma et al. 2016), against posterior collapse. The `kl` metric is
    the plain sum of the groups' KL.

    KL balancing (`kl_balance=True`, NVAE's, Vahdat & Kautz 2020, Appendix
    A) weighs each group's KL by a coefficient gamma_g while the KL is
    warmed up (beta < 1):

        loss = -E_q(z|x)[log p(x|z)]
               + beta * sum_g gamma_g * max(KL_g, free_bits),
        gamma_g = G * c_g / sum_h c_h,   c_g = (|KL_g| + 0.01) / n_g,

    for G groups, n_g the number of dimensions of group g (`group_sizes`),
    and gamma_g held constant in the gradient (stop_gradient): a group
    with a larger KL per dimension than the others is charged more, one
    with a smaller KL per dimension less, so no group collapses while the
    others are opening. The coefficients average 1, so the KL term keeps
    its scale against the reconstruction term. At beta >= 1 the loss is
    the plain sum again (above), so the trained objective is still the
    ELBO; the switch reads the `beta` variable, so
    `zoo.training.callbacks.BetaWarmUp` moves it without retracing. The
    coefficients come from the groups' KLs, not from the charged
    max(KL_g, free_bits). The |.| keeps c_g positive for a Monte Carlo
    KL, which can be negative on a batch; an analytic KL is >= 0 already.

    n_g, the number of dimensions (h * w * c for a spatial group, d for a
    vector), is NVAE's alpha_l as its first author explains it in the
    NVlabs/NVAE issue 26: a group's batch-mean KL over its dimension (the
    paper's wording, a coefficient that grows with the group's size, is a
    typo there for one that shrinks with it). NVAE's code takes alpha_l
    proportional to the spatial area of the group's scale over the number
    of groups at that scale; when every spatial group has the same
    channels and every scale the same number of groups (the zoo's conv
    hierarchy: `group_channels` and `groups_per_scale` are shared), that
    is n_g up to a constant factor, which the normalisation removes. n_g
    also covers the vector groups (the top group z_0, the gated_mlp
    network's groups), which have no spatial area.

    Args:
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`, that `zoo.training.callbacks.BetaWarmUp`
            ramps.
        free_bits: float >= 0, the least KL in nats each group is charged
            (default 0.0, none).
        kl_balance: bool, whether to balance the groups' KLs while
            beta < 1 (default False).
        group_sizes: with `kl_balance=True`, the number of dimensions of
            each latent group, top first (positive ints;
            `zoo.HierarchicalVAE(kl_balance=True)` passes its own); None
            (the default) without it.

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
        Kingma et al., Improved Variational Inference with Inverse
        Autoregressive Flow, NeurIPS 2016 (free bits).
        Vahdat & Kautz, NVAE: A Deep Hierarchical Variational Autoencoder,
        NeurIPS 2020, Appendix A (KL balancing).
    """

    def __init__(self, beta=1.0, free_bits=0.0, kl_balance=False,
                 group_sizes=None, **kwargs):
        super().__init__(**kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.free_bits = check_number(free_bits, "free_bits", minimum=0.0,
                                      maximum=FLOAT32_MAX)
        self.kl_balance = check_kl_balance(kl_balance)
        self.group_sizes = check_group_sizes(group_sizes, kl_balance)

    def penalty(self, kls):
        charged = kls
        if self.free_bits:
            charged = [ops.maximum(kl, self.free_bits) for kl in kls]
        if not self.kl_balance:
            return self.beta * sum(charged)
        coefficients = self.balance_coefficients(kls)
        balanced = sum(
            coefficient * kl for coefficient, kl in zip(coefficients, charged))
        return self.beta * ops.where(self.beta < 1.0, balanced, sum(charged))

    def balance_coefficients(self, kls):
        """The KL balancing coefficients gamma_g (class docstring) of the
        groups' batch-mean KLs `kls`, one scalar per group, held constant
        in the gradient.

        Raises:
            ValueError: if `kls` has not one entry per `group_sizes`.
        """
        if len(kls) != len(self.group_sizes):
            raise ValueError(
                f"KL balancing was given {len(self.group_sizes)} group "
                f"sizes but the model has {len(kls)} latent groups: pass "
                "`group_sizes` with the number of dimensions of each "
                f"group, top first. Received: group_sizes={self.group_sizes}"
            )
        per_dimension = [
            (ops.abs(ops.stop_gradient(kl)) + 0.01) / float(size)
            for kl, size in zip(kls, self.group_sizes)]
        total = sum(per_dimension)
        return [len(kls) * value / total for value in per_dimension]

    def get_config(self):
        return {**super().get_config(), "beta": self.value_of(self.beta),
                "free_bits": self.free_bits, "kl_balance": self.kl_balance,
                "group_sizes": self.group_sizes}


def check_kl_balance(kl_balance):
    """`kl_balance` if it is a bool, else a `ValueError` naming it."""
    if not isinstance(kl_balance, bool):
        raise ValueError(
            "`kl_balance` must be True or False. "
            f"Received: kl_balance={kl_balance!r}"
        )
    return kl_balance


def check_group_sizes(group_sizes, kl_balance):
    """`group_sizes` as a list of positive ints where `kl_balance` reads
    it, None where it does not; else a `ValueError` naming it."""
    if not kl_balance:
        if group_sizes is not None:
            raise ValueError(
                "`group_sizes` weighs the groups' KLs for KL balancing "
                "only: pass kl_balance=True, or drop `group_sizes`. "
                f"Received: group_sizes={group_sizes!r}"
            )
        return None
    if not isinstance(group_sizes, (list, tuple)) or not group_sizes:
        raise ValueError(
            "kl_balance=True needs `group_sizes`, the number of dimensions "
            "of each latent group, top first, e.g. [16, 196, 784] "
            "(zoo.HierarchicalVAE(kl_balance=True) passes its own). "
            f"Received: group_sizes={group_sizes!r}"
        )
    return [
        check_number(size, f"group_sizes[{index}]", integer=True, minimum=1,
                     fix=f"(In group_sizes={group_sizes!r}.)")
        for index, size in enumerate(group_sizes)
    ]

"""The negative ELBO with a weight beta on its KL term and free bits (VAE,
beta-VAE, the hierarchy's objective)."""

import keras
from keras import ops

from zoo.objectives.objective import Objective
from zoo.validation import FLOAT32_MAX
from zoo.validation import check_number
from zoo.validation import check_weight


@keras.saving.register_keras_serializable(package="zoo.objectives")
class ELBO(Objective):
    """The negative ELBO with a weight beta on its KL term, and free bits.

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

    Args:
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`, that `zoo.training.callbacks.BetaWarmUp`
            ramps.
        free_bits: float >= 0, the least KL in nats each group is charged
            (default 0.0, none).

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
        Kingma et al., Improved Variational Inference with Inverse
        Autoregressive Flow, NeurIPS 2016 (free bits).
    """

    def __init__(self, beta=1.0, free_bits=0.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.free_bits = check_number(free_bits, "free_bits", minimum=0.0,
                                      maximum=FLOAT32_MAX)

    def penalty(self, kls):
        if self.free_bits:
            kls = [ops.maximum(kl, self.free_bits) for kl in kls]
        return self.beta * sum(kls)

    def get_config(self):
        return {**super().get_config(), "beta": self.value_of(self.beta),
                "free_bits": self.free_bits}

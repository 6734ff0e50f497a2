"""The negative ELBO with a weight beta on its KL term (VAE, beta-VAE)."""

import keras

from zoo.objectives.objective import Objective
from zoo.validation import check_weight

@keras.saving.register_keras_serializable(package="zoo.objectives")
class ELBO(Objective):
    """The negative ELBO with a weight beta on its KL term.

    Mathematical details:

        loss = -E_q(z|x)[log p(x|z)] + beta * KL(q(z|x) || p(z)),

    estimated with one reparameterised sample; at beta = 1 the negative
    evidence lower bound (Kingma & Welling, 2014), and for beta > 1 the
    beta-VAE objective of Higgins et al. (2017), which trades
    reconstruction for a posterior closer to the factorised prior.

    Args:
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`, that `zoo.training.callbacks.BetaWarmUp` ramps.

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")

    def penalty(self, kl):
        return self.beta * kl

    def get_config(self):
        return {**super().get_config(), "beta": self.value_of(self.beta)}

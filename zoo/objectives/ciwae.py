"""CIWAE: a convex combination of the ELBO and the IWAE bound (Rainforth
et al. 2018)."""

import keras
from keras import ops

from zoo import validation
from zoo.bounds import importance_weighted_bound
from zoo.objectives.iwae import ImportanceWeighted


@keras.saving.register_keras_serializable(package="zoo.objectives")
class CIWAE(ImportanceWeighted):
    """CIWAE(K, beta): beta times the ELBO plus (1 - beta) times the IWAE
    bound, from the same K samples.

    Mathematical details:

    With K reparameterised samples z_k ~ q(z|x) and log weights
    log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x), CIWAE maximises

        L_CIWAE(x) = c * (1/K) sum_k log w_k + (1 - c) * log (1/K) sum_k w_k,

    c = `elbo_weight` (the paper's beta, renamed: beta is the KL weight in
    every zoo objective): c = 1 is the ELBO averaged over K samples, c = 0
    the IWAE bound L_K. The ELBO part keeps a gradient signal for the
    encoder that the IWAE part loses as K grows (Rainforth et al. 2018).
    The loss is split as for `zoo.objectives.IWAE`
    (-(L_CIWAE + KL) + beta * KL).

    Args:
        num_samples: int > 0, K (default 5, the IWAE's).
        elbo_weight: float in [0, 1], c (default 0.5).
        beta: float >= 0, the KL weight (default 1.0: exactly -L_CIWAE).

    References:
        Rainforth, Kosiorek, Le, Maddison, Igl, Wood & Teh, Tighter
        Variational Bounds are Not Necessarily Better, ICML 2018,
        https://arxiv.org/abs/1802.04537.
    """

    def __init__(self, num_samples=5, elbo_weight=0.5, beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.num_samples = validation.check_positive_int(
            num_samples, "num_samples")
        self.elbo_weight = validation.check_number(
            elbo_weight, "elbo_weight", minimum=0.0, maximum=1.0,
            fix="CIWAE is a convex combination of the ELBO and the IWAE "
                "bound.")

    def bound(self, terms):
        """L_CIWAE(x) from the `(K, batch)` "log_weights"."""
        log_weights = terms["log_weights"]
        return (self.elbo_weight * ops.mean(log_weights, axis=0)
                + (1.0 - self.elbo_weight)
                * importance_weighted_bound(log_weights))

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples,
                "elbo_weight": self.elbo_weight}

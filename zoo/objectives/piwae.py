"""PIWAE: the decoder trained on the IWAE bound, the encoder on the MIWAE
bound, from the same samples (Rainforth et al. 2018)."""

import keras

from zoo.bounds import importance_weighted_bound
from zoo.objectives.miwae import MIWAE
from zoo.objectives.miwae import multiple_bound


@keras.saving.register_keras_serializable(package="zoo.objectives")
class PIWAE(MIWAE):
    """PIWAE(M, K): the generative model on the IWAE bound of all M * K
    samples, the encoder on the MIWAE bound L_M,K of the same samples.

    Mathematical details:

    Rainforth et al. (2018) give the decoder (and prior), theta, the
    tightest bound, L_MK = log (1/(MK)) sum w_mk (`IWAE` over every
    sample), and the encoder, phi, the MIWAE bound L_M,K, whose gradient
    has a better signal-to-noise ratio (`MIWAE`). One loss with both
    gradients, on one optimizer: with w the log weights and w~ the same
    weights at z~ = stop_gradient(z) with q's parameters stopped too (the
    model's "stopped_log_weights": they depend on theta only),

        surrogate = L_MK(w~) + L_M,K(w) - L_M,K(w~).

    Its value is L_MK (the last two cancel). Its theta-gradient is L_MK's:
    grad_theta L_M,K(w) and grad_theta L_M,K(w~) are equal (the same
    weights, z held), so they cancel. Its phi-gradient is L_M,K's: w~ has
    none. A prior that runs through the encoder (the VampPrior) takes
    the IWAE gradient on that path too: it is part of the generative
    model there. The model decodes the stopped samples a second time, so
    a step costs about twice an MIWAE step's decoding. The loss is split
    as for `zoo.objectives.IWAE` (-(surrogate + KL) + beta * KL).

    Args:
        num_estimates: int > 0, M (default 2).
        samples_per_estimate: int > 0, K (default 5).
        beta: float >= 0, the KL weight (default 1.0).

    References:
        Rainforth, Kosiorek, Le, Maddison, Igl, Wood & Teh, Tighter
        Variational Bounds are Not Necessarily Better, ICML 2018,
        https://arxiv.org/abs/1802.04537.
    """

    needs_stopped_log_weights = True

    def bound(self, terms):
        """The surrogate, from the `(M * K, batch)` "log_weights" and
        "stopped_log_weights"."""
        log_weights = terms["log_weights"]
        stopped = terms["stopped_log_weights"]
        blocks = (self.num_estimates, self.samples_per_estimate)
        return (importance_weighted_bound(stopped)
                + multiple_bound(log_weights, *blocks)
                - multiple_bound(stopped, *blocks))

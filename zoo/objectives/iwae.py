"""The importance-weighted autoencoder's K-sample bound (Burda et al. 2016),
and the base class of the objectives on K importance weights."""

import keras

from zoo import validation
from zoo.bounds import batch_mean
from zoo.bounds import importance_weighted_bound
from zoo.objectives.elbo import ELBO

class ImportanceWeighted(ELBO):
    """Base class of the objectives on K importance weights per example
    (`IWAE`, `zoo.objectives.MIWAE`, `PIWAE`, `CIWAE`): the loss is

        loss = [-(bound(x) + KL(q(z|x) || p(z)))] + beta * KL(q(z|x) || p(z)),

    the bracket the `reconstruction` term, so that at beta = 1 it is
    exactly -bound(x) (`IWAE` says why it is split so). A subclass sets
    `num_samples` (K, what the model draws) and writes `bound`.
    """

    def data_loss(self, terms):
        """-(bound + KL), batch mean: the loss beyond the beta * KL term,
        from the `(K, batch)` "log_weights" and the "kl" at the first of the
        K samples (the one `latent_loss` charged)."""
        return -batch_mean(self.bound(terms) + terms["kl"])

    def bound(self, terms):
        """The `(batch,)` bound whose gradient the objective follows, from
        the data terms."""
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="zoo.objectives")
class IWAE(ImportanceWeighted):
    """The importance-weighted autoencoder's K-sample bound.

    Mathematical details:

    With K = `num_samples` reparameterised samples z_k ~ q(z|x) and weights
    w_k = p(x|z_k) p(z_k) / q(z_k|x), the IWAE maximises

        L_K(x) = log (1/K) sum_k w_k   <=   log p(x),

    which equals the ELBO at K = 1 and tightens as K grows (Burda et al.,
    2016). To keep the zoo's contract (KL through `add_loss`), the loss is
    split as

        loss = [-(L_K(x) + KL(q(z|x) || p(z)))] + beta * KL(q(z|x) || p(z))
             = -L_K(x) + (beta - 1) * KL(q(z|x) || p(z)),

    the bracket being the `reconstruction` term, so that with beta = 1
    (default) the loss is exactly -L_K and its gradient the IWAE estimator;
    beta != 1 adds (beta - 1) * KL to the IW bound (a warm-up from beta = 0
    trains on -L_K - KL, the bound with its KL switched off). KL is the
    model's: analytic for the standard-normal prior, else the Monte Carlo
    estimate at the first of the K samples. At K = 1 the `reconstruction`
    term -(log p(x|z) - KL_sample + KL) is an unbiased estimate of
    -E_q[log p(x|z)], as for the VAE. The weights are computed by
    `VAE.log_weights`, shared with `log_likelihood`.

    Args:
        num_samples: int > 0, the K of the training bound (default 5).
        beta: float >= 0, the KL weight (default 1.0: exactly -L_K).

    References:
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders,
        ICLR 2016, https://arxiv.org/abs/1509.00519.
    """

    def __init__(self, num_samples=5, beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.num_samples = validation.check_positive_int(
            num_samples, "num_samples"
        )

    def bound(self, terms):
        """L_K(x) from the `(K, batch)` "log_weights"."""
        return importance_weighted_bound(terms["log_weights"])

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples}

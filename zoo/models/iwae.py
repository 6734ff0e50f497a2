"""IWAE: the importance-weighted autoencoder's K-sample objective."""

import keras
from keras import ops

from zoo import validation
from zoo.models.base import batch_mean
from zoo.models.base import importance_weighted_bound
from zoo.models.conv import ConvVAE


@keras.saving.register_keras_serializable(package="zoo")
class IWAE(ConvVAE):
    """Convolutional VAE trained on the importance-weighted bound.

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
        input_shape, latent_dim, filters, hidden_units: as `ConvVAE`.
        num_samples: int > 0, the K of the training bound (default 5).
        **kwargs: the base class's options.

    Example:

    >>> import zoo
    >>> model = zoo.get("iwae", input_shape=(28, 28, 1), latent_dim=8,
    ...                 num_samples=5)

    References:
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders,
        ICLR 2016, https://arxiv.org/abs/1509.00519.
    """

    def __init__(self, input_shape, latent_dim, num_samples=5, **kwargs):
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         **kwargs)
        self.num_samples = validation.check_positive_int(
            num_samples, "num_samples"
        )

    def call(self, inputs, training=None):
        """Returns a dict: the decoder's parameters for all K samples and
        the posterior/samples that `reconstruction_loss` weighs them with."""
        x, condition = self.split_inputs(inputs)
        posterior, z = self.sample_posterior(
            x, condition, num_samples=self.num_samples, training=training
        )
        self.add_kl_loss(posterior, z[0])
        parameters = self.likelihood_parameters(
            ops.reshape(z, (-1, self.latent_dim)), condition,
            training=training,
        )
        return {
            "parameters": parameters,
            "z": z,
            "z_mean": posterior.distribution.loc,
            "z_stddev": posterior.distribution.scale,
        }

    def reconstruction_loss(self, target, y_pred):
        """-(L_K(x) + KL), batch mean: the loss beyond the beta * KL term."""
        posterior = self.posterior(y_pred["z_mean"], y_pred["z_stddev"])
        log_weights = self.log_weights(
            target, posterior, y_pred["z"], y_pred["parameters"]
        )
        bound = importance_weighted_bound(log_weights)
        return -batch_mean(bound + self.kl_divergence(posterior, y_pred["z"][0]))

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples}

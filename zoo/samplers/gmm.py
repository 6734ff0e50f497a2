"""An ex-post Gaussian mixture over the codes (Ghosh et al. 2020)."""

import keras
import numpy as np
import sklearn.mixture
import tensorflow as tf

from zoo import validation
from zoo.likelihoods.factorised import tfd
from zoo.priors.mixture import component_from_uniform
from zoo.samplers.sampler import Sampler

#: The covariance structures the mixture takes.
COVARIANCE_TYPES = ("full", "diag")


@keras.saving.register_keras_serializable(package="zoo.samplers")
class GaussianMixtureSampler(Sampler):
    """p(z) = sum_k pi_k N(z; mu_k, Sigma_k), fitted to the codes by EM.

    Mathematical details:

    `fit` runs scikit-learn's `GaussianMixture` (expectation maximisation
    of the codes' log-likelihood, k-means initialisation, seeded) and keeps
    its fitted parameters as the layer's weights: log pi `(K,)`, mu
    `(K, D)` and the Cholesky factors L_k of Sigma_k = L_k L_k^T
    `(K, D, D)` (diagonal for `covariance_type="diag"`). The density is

        log p(z) = logsumexp_k [log pi_k + log N(z; mu_k, L_k L_k^T)],

    a `tfd.MixtureSameFamily` of `tfd.MultivariateNormalTriL`. A draw is
    z = mu_k + L_k eps from standard normal `eps` `(batch, D)`, with the
    component k chosen by a uniform `u` `(batch,)` through the cumulative
    weights (`zoo.priors.mixture.component_from_uniform`); these are the
    noise inputs of the `sample_from_noise` signature.

    Args:
        latent_dim: int > 0, D.
        num_components: int > 0, K (default 10, as Ghosh et al.).
        covariance_type: `"full"` (default) or `"diag"`.
        seed: int or None, seeds EM's initialisation.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> codes = np.random.default_rng(0).normal(3.0, 1.0, (500, 2))
    >>> sampler = GaussianMixtureSampler(2, num_components=2, seed=0)
    >>> draws = sampler.fit(codes).sample(1000, seed=(0, 0))
    >>> bool(abs(float(draws.numpy().mean()) - 3.0) < 0.2)
    True

    References:
        Ghosh, Sajjadi, Vergari, Black & Schoelkopf, From Variational to
        Deterministic Autoencoders, ICLR 2020 (ex-post density estimation).
    """

    OPTIONS = {"num_components": 10, "covariance_type": "full"}

    noise_inputs = ("eps", "u")

    def __init__(self, latent_dim, num_components=10, covariance_type="full",
                 seed=None, **kwargs):
        super().__init__(latent_dim, seed=seed, **kwargs)
        self.num_components = validation.check_positive_int(
            num_components, "num_components")
        if covariance_type not in COVARIANCE_TYPES:
            raise ValueError(
                f"`covariance_type` must be one of {list(COVARIANCE_TYPES)}."
                f" Received: covariance_type={covariance_type!r}"
            )
        self.covariance_type = covariance_type
        components, size = self.num_components, self.latent_dim
        self.log_weights = self.add_weight(
            shape=(components,), initializer="zeros", trainable=False,
            name="log_weights")
        self.means = self.add_weight(
            shape=(components, size), initializer="zeros", trainable=False,
            name="means")
        self.scale_tril = self.add_weight(
            shape=(components, size, size), trainable=False,
            initializer=keras.initializers.Constant(np.eye(size)),
            name="scale_tril")
        self.built = True

    def fit(self, codes):
        """Fit the mixture to `codes` `(N, latent_dim)` by EM; returns self.

        Raises:
            ValueError: if there are fewer codes than `num_components`.
        """
        codes = self.checked_codes(codes).astype("float64")
        if len(codes) < self.num_components:
            raise ValueError(
                f"`num_components` ({self.num_components}) must be at most "
                f"the number of codes ({len(codes)}); fit on more examples "
                "or ask for fewer components. Received: "
                f"num_components={self.num_components}"
            )
        mixture = sklearn.mixture.GaussianMixture(
            self.num_components, covariance_type=self.covariance_type,
            random_state=self.seed,
        ).fit(codes)
        covariances = mixture.covariances_
        if self.covariance_type == "diag":
            covariances = np.stack([np.diag(row) for row in covariances])
        self.log_weights.assign(np.log(mixture.weights_).astype("float32"))
        self.means.assign(mixture.means_.astype("float32"))
        self.scale_tril.assign(
            np.linalg.cholesky(covariances).astype("float32"))
        return self

    def distribution(self):
        """The fitted mixture, a `tfd.MixtureSameFamily`."""
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=self.log_weights),
            tfd.MultivariateNormalTriL(self.means, self.scale_tril),
            name="gaussian_mixture_sampler",
        )

    def log_prob(self, z):
        """log p(z) per row of `z` `(batch, latent_dim)`."""
        return self.distribution().log_prob(tf.cast(z, "float32"))

    def sample_from_noise(self, eps, u=None):
        """z = mu_k + L_k eps, k chosen by `u` (class docstring)."""
        component = component_from_uniform(self.log_weights, u)
        loc = tf.gather(self.means, component)
        scale_tril = tf.gather(self.scale_tril, component)
        return loc + tf.linalg.matvec(scale_tril, tf.cast(eps, "float32"))

    def get_config(self):
        return {**super().get_config(),
                "num_components": self.num_components,
                "covariance_type": self.covariance_type}

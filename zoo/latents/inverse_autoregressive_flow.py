"""The normalizing-flow posterior: a diagonal Gaussian pushed through
inverse autoregressive flow steps (Kingma et al. 2016)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.latents.autoregressive_network import AutoregressiveNetwork
from zoo.latents.gaussian import diagonal_gaussian_posterior
from zoo.latents.latent import Latent
from zoo.latents.latent import sample_shape
from zoo.latents.gaussian import posterior_head
from zoo.validation import check_positive_int
from zoo.validation import check_widths

tfb = tfp.bijectors
tfd = tfp.distributions


@keras.saving.register_keras_serializable(package="zoo.latents")
class InverseAutoregressiveFlow(Latent):
    """q(z|x): a diagonal Gaussian followed by `flow_steps` IAF steps.

    Mathematical details:

    The encoder gives mu(x), sigma(x); then

        z_0 = mu + sigma * eps,  eps ~ N(0, I),
        z_t = (z_{t-1} - m_t(z_{t-1})) * exp(-s_t(z_{t-1})),  t = 1..T,

    with (m_t, s_t) = MADE_t(z_{t-1}) autoregressive (entry i a function of
    entries < i; `AutoregressiveNetwork`), so each step's Jacobian is
    triangular and

        log q(z_T|x) = log N(z_0; mu, sigma^2) + sum_t sum_i s_t(z_{t-1})_i.

    Each step is TFP's `tfb.MaskedAutoregressiveFlow` used in its inverse
    (parallel) direction, `tfb.Invert(...)`; the order of z is reversed
    between steps (`tfb.Permute`). The KL to any prior is the Monte Carlo
    estimate log q(z_T|x) - log p(z_T) at the training sample (no closed
    form). The flow is unconditional given z_0: the context vector h(x) of
    Kingma et al. is not fed to the MADEs (x enters through mu and sigma).
    A reconstruction decodes the flow's image of mu.

    Args:
        flow_steps: int > 0, T (default 2).
        flow_hidden_units: tuple of ints > 0, each MADE's hidden widths
            (default `(64,)`).

    References:
        Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling, Improved
        Variational Inference with Inverse Autoregressive Flow, NeurIPS
        2016, https://arxiv.org/abs/1606.04934.
        Papamakarios, Pavlakou & Murray, Masked Autoregressive Flow for
        Density Estimation, NeurIPS 2017.
    """

    refused_priors = {
        "vamp": "the VampPrior is the mixture of the posteriors at its "
        "pseudo-inputs, and an IAF posterior's mixture has no density the "
        "prior layer builds (it builds Gaussian components)",
    }
    refused_objectives = {
        "BetaTC": "beta-TC's estimate of the aggregate posterior q(z) uses "
        "the diagonal Gaussian densities of q(z|x), which an IAF posterior "
        "is not",
    }

    def __init__(self, flow_steps=2, flow_hidden_units=(64,), **kwargs):
        super().__init__(**kwargs)
        self.flow_steps = check_positive_int(flow_steps, "flow_steps")
        self.flow_hidden_units = check_widths(
            flow_hidden_units, "flow_hidden_units")
        self.networks = []

    def configure(self, latent_dim):
        super().configure(latent_dim)
        self.networks = [
            AutoregressiveNetwork(latent_dim, self.flow_hidden_units,
                                  dtype="float32", name=f"made_{step}")
            for step in range(self.flow_steps)
        ]

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The base Gaussian's head: `[z_mean, z_stddev]`."""
        return posterior_head(inputs, features, latent_dim, name)

    def bijector(self):
        """z_0 -> z_T: the T steps, the order reversed between them."""
        steps = []
        for index, network in enumerate(self.networks):
            if index:
                steps.append(tfb.Permute(
                    list(reversed(range(self.latent_dim)))))
            steps.append(tfb.Invert(tfb.MaskedAutoregressiveFlow(
                shift_and_log_scale_fn=network)))
        return tfb.Chain(list(reversed(steps)))  # the last applied first

    def posterior(self, parameters):
        return tfd.TransformedDistribution(
            diagonal_gaussian_posterior(*parameters), self.bijector(),
            name="inverse_autoregressive_flow_posterior")

    def flow(self, parameters, eps):
        """z_T and log q(z_T|x) from standard normal `eps`."""
        z_mean, z_stddev = parameters
        z_0 = z_mean + z_stddev * eps
        bijector = self.bijector()
        log_q = diagonal_gaussian_posterior(z_mean, z_stddev).log_prob(
            z_0) - bijector.forward_log_det_jacobian(z_0, event_ndims=1)
        return bijector.forward(z_0), log_q

    def training_sample(self, parameters, num_samples, seed_generator):
        return self.flow(parameters, self.standard_normal_noise(
            parameters, num_samples, seed_generator))

    def sample_and_log_prob(self, parameters, num_samples, seed):
        eps = tf.random.stateless_normal(
            [*sample_shape(num_samples), tf.shape(parameters[0])[0],
             self.latent_dim], seed=seed)
        return self.flow(parameters, eps)

    def posterior_from_noise(self, parameters, eps):
        return self.flow(parameters, eps)

    def prior_from_noise(self, eps):
        return eps

    def code(self, parameters):
        return self.bijector().forward(parameters[0])

    def get_config(self):
        return {**super().get_config(), "flow_steps": self.flow_steps,
                "flow_hidden_units": self.flow_hidden_units}

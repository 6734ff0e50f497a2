"""A masked autoregressive flow (MAF) prior p(z), trained with the model."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.networks.made import MADE
from zoo.priors.standard_normal import standard_normal_prior

tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="zoo")
class MAFPrior(keras.layers.Layer):
    """p(z): a masked autoregressive flow (MAF) over a standard normal base.

    Mathematical details:

    z = f(eps), eps ~ N(0, I), with f = f_S o P o ... o P o f_1 a chain of
    S MAF steps with the dimension order reversed (P) between them. One step
    y = f_s(x) is, for i = 1..D,

        y_i = x_i * exp(a_i(y_<i)) + m_i(y_<i),

    with (m, a) a MADE of y (`zoo.networks.made`). Its inverse is one pass,
    x = (y - m(y)) * exp(-a(y)), so the density is

        log p(z) = log N(f^-1(z); 0, I) - sum_s sum_i a_i(y^(s)_<i),

    y^(s) the input of step s on the way back from z. Sampling runs the D
    steps of each y in turn (`tfb.MaskedAutoregressiveFlow`'s forward).
    There is no analytic KL from a Gaussian posterior to it, so the model's
    KL is the Monte Carlo estimate log q(z|x) - log p(z) at the sample.

    The flow's noise is `eps` alone (`noise_inputs`): the `sample_from_noise`
    signature gives z = f(eps) for standard normal `eps`.

    Args:
        latent_dim: int > 0, D.
        flow_steps: int > 0, S (default 2).
        hidden_units: tuple of ints, the MADEs' hidden widths (default
            `(64, 64)`).
        seed: int or None, seeds the initial weights (the model's `seed`).
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).

    Example:

    >>> prior = MAFPrior(latent_dim=4, seed=0)
    >>> tuple(prior.distribution().sample(3, seed=(1, 2)).shape)
    (3, 4)

    References:
        Papamakarios, Pavlakou & Murray, Masked Autoregressive Flow for
        Density Estimation, 2017.
        Germain et al., MADE: Masked Autoencoder for Distribution
        Estimation, 2015.
    """

    #: A flow prior has no mixture components (`prior_components`).
    takes_components = False

    #: The noise `sample_from_noise` takes.
    noise_inputs = ("eps",)

    def __init__(self, latent_dim, flow_steps=2, hidden_units=(64, 64),
                 seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")  # densities stay float32
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.flow_steps = int(flow_steps)
        self.hidden_units = tuple(hidden_units)
        self.seed = seed
        self.networks = [
            MADE(self.latent_dim, self.hidden_units,
                 seed=None if seed is None else seed + 100 * step,
                 name=f"made_{step}")
            for step in range(self.flow_steps)
        ]
        self.built = True

    @classmethod
    def from_options(cls, latent_dim, input_shape, num_components,
                     unit_interval, seed):
        """The prior of a model with these options (`make_prior`): the
        default flow (2 steps of (64, 64) MADEs)."""
        return cls(latent_dim, seed=seed, name="prior")

    def bijector(self):
        """f, eps -> z, as a `tfb.Chain` (applied right to left)."""
        steps = []
        for step, network in enumerate(self.networks):
            if step:
                steps.append(tfb.Permute(
                    list(reversed(range(self.latent_dim)))))
            steps.append(tfb.MaskedAutoregressiveFlow(
                shift_and_log_scale_fn=network))
        return tfb.Chain(list(reversed(steps)))

    def distribution(self, encoder=None):
        """The flow's `tfd.TransformedDistribution` over `(latent_dim,)`."""
        return tfp.distributions.TransformedDistribution(
            standard_normal_prior(self.latent_dim), self.bijector(),
            name="maf_prior",
        )

    def sample_from_noise(self, eps, u=None, encoder=None):
        """z = f(eps) for standard normal `eps` `(batch, latent_dim)`."""
        return self.bijector().forward(tf.cast(eps, "float32"))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "flow_steps": self.flow_steps,
                "hidden_units": self.hidden_units, "seed": self.seed}

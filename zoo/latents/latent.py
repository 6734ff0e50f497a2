"""`Latent`, the base class of the latent axis: what z is, how q(z|x) is
made from the encoder's output, and the pieces of the bound it gives.

A latent is a small Keras layer that `zoo.VAE(latent=...)` owns (so its
variables, an IAF's networks or a temperature, train, save and load with
the model). It supplies, as tensors in and out:

    head(inputs, features, latent_dim, name)
                        the encoder's head: features -> the posterior's
                        parameters (`parameter_names`, in that order)
    posterior(parameters)
                        q(z|x), a `tfd` distribution over `(latent_dim,)`
                        (what `encode` returns)
    training_sample(parameters, num_samples, seed_generator)
                        a reparameterised z for training and log q(z|x)
                        at it
    sample_and_log_prob(parameters, num_samples, seed)
                        K samples z_k ~ q(z|x) and log q(z_k|x), for the
                        importance weights (stateless seed)
    kl_divergence(posterior, z, prior, log_posterior)
                        KL(q(z|x) || p(z)) per example: analytic where
                        TFP registers it, else log q(z|x) - log p(z) at z
    fixed_prior()       the latent's own prior (None: the model's prior
                        axis, N(0, I) by default)
    prior_from_noise(eps), posterior_from_noise(parameters, eps)
                        prior and posterior samples made from standard
                        normal noise (the `*_from_noise` signatures)
    code(parameters)    the z a reconstruction decodes (the posterior's
                        mean or mode)

The model hands the KL (or, for a latent without one, `latent_loss`) to
its objective; the ELBO itself is written once, in `zoo.objectives`.
"""

import keras
import tensorflow_probability as tfp
from keras import ops

tfd = tfp.distributions


class Latent(keras.layers.Layer):
    """Base class of the latents.

    A subclass sets the class attributes below, implements `head`,
    `posterior`,
    `training_sample`, `sample_and_log_prob`, `code`, `prior_from_noise`
    and `posterior_from_noise`, and `check_latent_dim` where its options
    constrain `latent_dim`.
    """

    #: The names of the encoder's outputs (and of the `encode_mean`
    #: signature's), in order.
    parameter_names = ("z_mean", "z_stddev")
    #: Whether the model has a likelihood bound (`elbo`, `log_likelihood`,
    #: the `score` signatures); False for a deterministic autoencoder.
    has_bound = True
    #: Whether q(z|x) is the diagonal Gaussian of its parameters (what
    #: beta-TC's estimator of q(z) needs).
    gaussian_posterior = False
    #: Whether the learned priors (`prior="mixture"`, `"vamp"`) may be
    #: combined with it: name -> why not (empty: every prior).
    refused_priors = {}
    #: Objectives the math does not allow with this latent: class name ->
    #: why (`objective_refused`).
    refused_objectives = {}
    #: Why posterior samples cannot be made from standard normal noise
    #: (no `score_from_noise` signature), or None.
    no_posterior_noise = None
    #: Why an ex-post sampler (`zoo.samplers`: a density over R^d fitted
    #: to the codes) cannot stand in for the prior, or None.
    no_ex_post_sampler = None
    #: The one `latent_dim` the latent takes (`check_latent_dim` refuses
    #: the others), or None when it takes any.
    only_latent_dim = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = None

    def configure(self, latent_dim):
        """Fix `latent_dim` (checked against the options) and make what
        depends on it; the model calls it once, before building."""
        self.check_latent_dim(latent_dim)
        self.latent_dim = latent_dim
        self.built = True

    def check_latent_dim(self, latent_dim):
        """Raise `ValueError` when the options cannot take `latent_dim`."""

    def objective_refused(self, objective):
        """Why the math does not allow `objective` (an `Objective`) with
        this latent, or None."""
        return self.refused_objectives.get(type(objective).__name__)

    @property
    def registry_name(self):
        """The latent's name in `zoo.latents.LATENTS`."""
        from zoo.latents import LATENTS

        return next((name for name, cls in LATENTS.items()
                     if type(self) is cls), type(self).__name__)

    # The encoder's head ----------------------------------------------

    def head(self, inputs, features, latent_dim, name="encoder"):
        """The encoder: `inputs` -> `features` -> the parameters, a
        functional Keras model (its outputs in float32)."""
        raise NotImplementedError

    def parameters(self, outputs):
        """The encoder's outputs as a list (a one-output head gives one
        tensor)."""
        if isinstance(outputs, (list, tuple)):
            return list(outputs)
        return [outputs]

    # Distributions ---------------------------------------------------

    def fixed_prior(self):
        """The latent's own p(z), or None for the model's prior axis."""
        return None

    def kl_divergence(self, posterior, z, prior, log_posterior=None):
        """KL(q(z|x) || p(z)) per example: analytic through
        `tfd.kl_divergence` where TFP registers it, else the Monte Carlo
        estimate log q(z|x) - log p(z) at the sample z (`log_posterior`,
        log q(z|x) at z, when the caller has it)."""
        try:
            return tfd.kl_divergence(posterior, prior)
        except NotImplementedError:
            if log_posterior is None:
                log_posterior = posterior.log_prob(z)
            return log_posterior - prior.log_prob(z)

    def standard_normal_noise(self, parameters, num_samples, seed_generator):
        """Standard normal draws `(batch, latent_dim)` or `(K, batch,
        latent_dim)` from the model's `SeedGenerator`."""
        shape = (ops.shape(parameters[0])[0], self.latent_dim)
        if num_samples is not None:
            shape = (num_samples, *shape)
        return keras.random.normal(shape, dtype=parameters[0].dtype,
                                   seed=seed_generator)

    def stateless_seed(self, seed_generator):
        """A `(2,)` int32 stateless seed drawn from the model's
        `SeedGenerator` (for TFP's samplers)."""
        return keras.random.randint(
            (2,), 0, 2**31 - 1, dtype="int32", seed=seed_generator)



def sample_shape(num_samples):
    """TFP's `sample_shape` for `num_samples` (None: one sample, no
    axis)."""
    return () if num_samples is None else (num_samples,)

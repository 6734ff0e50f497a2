"""Deterministic versions of the random signatures: the noise is an input.

The serving signatures `encode`, `sample` and `score` draw their noise
inside the graph with stateless random ops, which ONNX cannot express and
LiteRT's built-in ops do not include. The functions here compute the same
things from noise the caller draws, so every runtime can run them, and
`zoo.export` exports each as a signature of every model:

    signature          inputs                       outputs
    encode_mean        x                            z_mean, z_stddev
    sample_from_noise  eps (float32, [batch,        images
                       latent_dim]), for a learned
                       prior also u (float32,
                       [batch])
    score_from_noise   x, eps (float32, [K, batch,  elbo, log_likelihood
                       latent_dim])

(a conditional model takes `labels`, int32 [batch], too). The noise is:

- `eps`: standard normal draws. `sample_from_noise` turns them into prior
  samples: z = eps for the standard normal prior; for a learned prior (a
  mixture of diagonal Gaussians: `prior="mixture"` or the VampPrior)
  z = mu_k + sigma_k * eps, where the component k is chosen by `u`.
  `score_from_noise` turns them into posterior samples
  z_k = z_mean + z_stddev * eps_k, one per row k of `eps`.
- `u`: uniform draws in [0, 1), one per sample, that choose the mixture
  component by inverting the cumulative mixture weights: k is the number
  of cumulative weights pi_1, pi_1 + pi_2, ... that are <= u. So `u`
  uniform gives k with probability pi_k, as the prior does.

`score_from_noise` gives the ELBO (beta = 1) at z_1 = the first row of
`eps`, and the importance-weighted bound on log p(x) over all K rows, as
`VAE.compute_elbo` and `VAE.compute_log_likelihood` do with their own
noise. With the same noise the outputs equal the model's.
"""

import tensorflow as tf

from zoo.bounds import importance_weighted_bound


def has_learned_prior(model):
    """Whether `model`'s prior is a learned mixture, so that sampling it
    takes the uniform noise `u` besides `eps`."""
    return model.prior_layer is not None


def encode_mean(model, x, labels=None):
    """`{"z_mean", "z_stddev"}`: q(z|x)'s parameters, no sample."""
    z_mean, z_stddev = model.posterior_parameters(x, labels)
    return {"z_mean": z_mean, "z_stddev": z_stddev}


def prior_transform(model, eps, u=None):
    """Prior samples z `(batch, latent_dim)` from standard normal `eps`
    (and, for a learned prior, uniform `u` `(batch,)`)."""
    if not has_learned_prior(model):
        return eps
    prior = model.prior()
    weights = tf.nn.softmax(prior.mixture_distribution.logits)
    cumulative = tf.cumsum(weights)[:-1]
    component = tf.reduce_sum(
        tf.cast(u[:, None] >= cumulative[None, :], tf.int32), axis=1
    )
    gaussians = prior.components_distribution.distribution
    loc = tf.gather(gaussians.loc, component)
    scale = tf.gather(gaussians.scale, component)
    return loc + scale * eps


def sample_from_noise(model, eps, u=None, labels=None):
    """`{"images"}`: the likelihood means of the prior samples made from
    the noise (see `prior_transform`; a hierarchical model's `eps` holds
    every group's noise, `HierarchicalVAE.compute_samples_from_noise`)."""
    if model.latent_structure == "hierarchy":
        return {"images": model.compute_samples_from_noise(eps)}
    z = prior_transform(model, eps, u)
    parameters = model.likelihood_parameters(z, labels)
    return {"images": model.likelihood_distribution(parameters).mean()}


def score_from_noise(model, x, eps, labels=None):
    """`{"elbo", "log_likelihood"}` per example from posterior noise
    `eps` `(K, batch, latent_dim)`; see the module docstring (a
    hierarchical model's `eps` is `(K, batch, noise_dim)`, every group's
    noise: `HierarchicalVAE.compute_scores_from_noise`)."""
    if model.latent_structure == "hierarchy":
        return model.compute_scores_from_noise(x, eps)
    z_mean, z_stddev = model.posterior_parameters(x, labels)
    posterior = model.posterior(z_mean, z_stddev)
    z = z_mean[None] + z_stddev[None] * eps
    parameters = model.likelihood_parameters(
        tf.reshape(z, (-1, model.latent_dim)), labels
    )
    log_weights = model.log_weights(x, posterior, z, parameters)
    first = z[0]
    first_parameters = model.likelihood_parameters(first, labels)
    elbo = model.likelihood_distribution(first_parameters).log_prob(x) - (
        model.kl_divergence(posterior, first)
    )
    return {
        "elbo": elbo,
        "log_likelihood": importance_weighted_bound(log_weights),
    }

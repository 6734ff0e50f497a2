"""Test-set likelihood of a trained VAE: -ELBO, importance-weighted NLL,
bits per dimension, and active units.

Mathematical details:

  -ELBO(x) = -E_q(z|x)[log p(x|z)] + KL(q(z|x) || p(z))       >= -log p(x)
  NLL_K(x) = -log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)       >= -log p(x)

NLL_K decreases (weakly, in expectation) as K grows and tends to -log p(x)
(Burda et al., 2016). Both are reported in nats per example; bits per
dimension divide by (H * W * C * log 2).

Active units (Burda et al., 2016): latent dimension d is active when
Cov_x(E_q(z|x)[z_d]) > threshold (0.01): the posterior mean moves with x.

Binarization floor: images binarized pixel by pixel, x_i ~ Bernoulli(g_i)
from grey levels g, carry H(x | g) = sum_i H(Bernoulli(g_i)) nats of pure
noise, and H(x) >= H(x | g): no model's expected NLL on such images is
below the mean of `binarization_entropy(g)`.
"""

import math

import numpy as np

from zoo import validation


def _batches(x, batch_size):
    validation.check_positive_int(batch_size, "batch_size")
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size]


def _inputs(x, labels, batch_size):
    """Batches of x, or of `[x, labels]` for a conditional model."""
    if labels is None:
        yield from _batches(x, batch_size)
        return
    for pair in zip(_batches(x, batch_size), _batches(labels, batch_size)):
        yield list(pair)


def negative_elbo(model, x, batch_size=500, seed=0, labels=None):
    """Mean -ELBO (beta = 1) over `x`, in nats per example, streamed.
    A conditional model needs `labels`: its -ELBO is given them."""
    values = [
        -model.elbo(batch, seed=seed + index).numpy()
        for index, batch in enumerate(_inputs(x, labels, batch_size))
    ]
    return float(np.mean(np.concatenate(values)))


def negative_log_likelihood(
    model, x, num_samples=1000, batch_size=100, chunk_size=100, seed=0,
    labels=None,
):
    """Mean importance-weighted NLL bound over `x`, in nats per example.

    Memory holds `batch_size * chunk_size` decoded images at a time, so
    K = 1000 over 10,000 images fits on any machine. A conditional model
    gives -log p(x | labels) with `labels`, and the marginal -log p(x)
    (`VAE.marginal_log_likelihood`, C times the cost) without.
    """
    score = (
        model.marginal_log_likelihood
        if model.condition_spec() is not None and labels is None
        else model.log_likelihood
    )
    values = [
        -score(
            batch, num_samples=num_samples, chunk_size=chunk_size,
            seed=seed + index,
        ).numpy()
        for index, batch in enumerate(_inputs(x, labels, batch_size))
    ]
    return float(np.mean(np.concatenate(values)))


def binarization_entropy(grey):
    """sum_i H(Bernoulli(g_i)) per image, in nats, for grey levels in
    [0, 1] `(N, ...)`: the noise that binarizing each image adds."""
    g = np.asarray(grey, "float64").reshape(len(grey), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(g * np.log(g) + (1.0 - g) * np.log1p(-g))
    return np.nan_to_num(entropy, nan=0.0).sum(axis=1)


def bits_per_dim(nats, image_shape):
    """Convert nats per example into bits per dimension."""
    return nats / (math.prod(image_shape) * math.log(2))


def active_units(model, x, threshold=0.01, batch_size=500):
    """Number of latent dimensions whose posterior mean varies with x.

    Returns:
        int in [0, latent_dim].
    """
    code = getattr(model, "latent_code", lambda batch: model.encoder(batch)[0])
    means = np.concatenate([
        np.asarray(code(batch)) for batch in _batches(x, batch_size)
    ])
    return int(np.sum(np.var(means, axis=0) > threshold))


def evaluate_likelihood(model, x, num_samples=100, seed=0):
    """All of the above for one model on one split, as a dict.

    Returns:
        dict with `negative_elbo`, `nll`, `bits_per_dim` (of the NLL),
        `active_units`, `num_samples` (K) and `num_examples`.
    """
    nll = negative_log_likelihood(model, x, num_samples=num_samples, seed=seed)
    return {
        "negative_elbo": negative_elbo(model, x, seed=seed),
        "nll": nll,
        "bits_per_dim": bits_per_dim(nll, model.image_shape),
        "active_units": active_units(model, x),
        "num_samples": num_samples,
        "num_examples": len(x),
    }

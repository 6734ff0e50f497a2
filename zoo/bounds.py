"""Small helpers of the bounds: the importance-weighted bound, the batch
mean every loss term uses, and stateless seeds."""

import math

import numpy as np
import tensorflow as tf
from keras import ops

from zoo.validation import check_number


def importance_weighted_bound(log_weights):
    """log (1/K) sum_k w_k from `(K, batch)` log weights: `(batch,)`.

    With w_k = p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), this is the bound
    L_K of Burda et al. (2016): log p(x) >= L_K, equal to the ELBO at K = 1
    and tightening as K grows.
    """
    num_samples = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(num_samples)


def chunked_bound(bound_of_chunk, num_samples, chunk_size, seed):
    """The importance-weighted bound over `num_samples` samples, drawn
    `chunk_size` at a time, so memory grows with the chunk, not with K.

    `bound_of_chunk(size, seed)` gives the `(batch,)` bound b_i of one chunk
    of k_i = `size` samples drawn with the stateless `seed`; chunk i uses
    `seed + i`. The chunks combine exactly:
    log p_K(x) = logsumexp_i(b_i + log k_i) - log K.
    """
    chunks = []
    for index, start in enumerate(range(0, num_samples, chunk_size)):
        size = min(chunk_size, num_samples - start)
        chunks.append(bound_of_chunk(size, seed + index) + math.log(size))
    return tf.reduce_logsumexp(tf.stack(chunks), axis=0) - math.log(
        num_samples
    )


def batch_mean(values):
    """The mean over the batch axis, 0 for an empty batch.

    Under `tf.distribute` a final partial batch smaller than the number of
    replicas leaves some replicas an empty batch; like Keras's own losses
    (`divide_no_nan`), their terms are then 0, not NaN.
    """
    return ops.divide_no_nan(
        ops.sum(values), ops.cast(ops.size(values), values.dtype)
    )


def stateless_seed(seed):
    """A `(2,)` int32 stateless seed from an int, or a random one for None."""
    if seed is None:
        seed = np.random.randint(0, 2**31 - 1)
    seed = check_number(seed, "seed", integer=True, minimum=-(2**31),
                        maximum=2**31 - 1, fix="An int32, or None.")
    return tf.constant([int(seed), 0], dtype=tf.int32)

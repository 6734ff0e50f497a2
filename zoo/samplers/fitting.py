"""Fitting a sampler's weights by minimising a loss over its codes."""

import keras
import numpy as np
import tensorflow as tf


def minimise(loss, variables, codes, epochs, batch_size, learning_rate,
             seed):
    """Adam on `loss(batch, seed)` (a scalar; `seed` a stateless `(2,)`
    int seed, different each step, for losses that sample) over shuffled
    batches of `codes`, for `epochs` passes.

    Returns:
        The mean loss over the last epoch's batches, a float.
    """
    optimizer = keras.optimizers.Adam(learning_rate)
    rng = np.random.default_rng(seed)
    noise_seed = int(rng.integers(2**31 - 1))

    @tf.function(reduce_retracing=True)
    def step(batch, step_seed):
        with tf.GradientTape() as tape:
            value = loss(batch, step_seed)
        optimizer.apply_gradients(
            zip(tape.gradient(value, variables), variables))
        return value

    steps = 0
    for _ in range(epochs):
        order = rng.permutation(len(codes))
        losses = []
        for start in range(0, len(codes), batch_size):
            batch = tf.constant(codes[order[start:start + batch_size]])
            losses.append(float(step(
                batch, tf.constant([noise_seed, steps], tf.int32))))
            steps += 1
    return float(np.mean(losses))

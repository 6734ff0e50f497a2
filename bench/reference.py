"""The reference model of docs/benchmark.md, for side-by-side ratios only.

Our own copy of the convolutional VAE of TensorFlow's "Convolutional
Variational Autoencoder" tutorial, trained the way the tutorial trains it:
a custom `tf.function` GradientTape loop on the single-sample Monte Carlo
ELBO, log p(x|z) + log p(z) - log q(z|x), with Adam at 1e-4.

    encoder: Conv2D(32, 3, s2, relu) -> Conv2D(64, 3, s2, relu) -> Flatten
             -> Dense(2 * latent)                       (mean, log-variance)
    decoder: Dense(7*7*32, relu) -> Reshape -> Conv2DTranspose(64, 3, s2,
             same, relu) -> Conv2DTranspose(32, 3, s2, same, relu)
             -> Conv2DTranspose(1, 3, s1, same)         (Bernoulli logits)

It lives in bench/ and never in zoo/.
"""

import math

import keras
import tensorflow as tf

LOG_2PI = math.log(2.0 * math.pi)


def build(latent_dim=16):
    """The tutorial's encoder and decoder as two Keras models."""
    encoder = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(2 * latent_dim),
    ])
    decoder = keras.Sequential([
        keras.Input((latent_dim,)),
        keras.layers.Dense(7 * 7 * 32, activation="relu"),
        keras.layers.Reshape((7, 7, 32)),
        keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same",
                                     activation="relu"),
        keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same",
                                     activation="relu"),
        keras.layers.Conv2DTranspose(1, 3, strides=1, padding="same"),
    ])
    return encoder, decoder


def _log_normal(z, mean, log_variance):
    return tf.reduce_sum(
        -0.5 * ((z - mean) ** 2 * tf.exp(-log_variance) + log_variance + LOG_2PI),
        axis=-1,
    )


def log_weights(encoder, decoder, x, num_samples):
    """(K, batch) log p(x|z_k) + log p(z_k) - log q(z_k|x), z_k ~ q(z|x)."""
    mean, log_variance = tf.split(encoder(x), 2, axis=-1)
    z = mean + tf.exp(0.5 * log_variance) * tf.random.normal(
        (num_samples, *mean.shape)
    )
    logits = decoder(tf.reshape(z, (-1, mean.shape[-1])))
    targets = tf.reshape(tf.broadcast_to(x[None], (num_samples, *x.shape)),
                         logits.shape)
    log_px = -tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(targets, logits), axis=[1, 2, 3]
    )
    log_px = tf.reshape(log_px, (num_samples, -1))
    return (log_px + _log_normal(z, 0.0, 0.0)
            - _log_normal(z, mean, log_variance))


def train(encoder, decoder, dataset, epochs, on_epoch_end=None):
    """The tutorial's training loop; returns the wall seconds per epoch.

    `on_epoch_end(epoch, train_seconds_so_far)` runs outside the timed
    region (for scoring).
    """
    import time

    step = train_step(encoder, decoder)
    seconds = []
    for epoch in range(epochs):
        start = time.perf_counter()
        for x in dataset:
            step(x)
        seconds.append(time.perf_counter() - start)
        if on_epoch_end is not None:
            on_epoch_end(epoch, sum(seconds))
    return seconds


def train_step(encoder, decoder):
    """The tutorial's step: a `tf.function` of one batch, Adam at 1e-4 on
    the negative single-sample ELBO."""
    optimizer = keras.optimizers.Adam(1e-4)
    variables = encoder.trainable_variables + decoder.trainable_variables

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(log_weights(encoder, decoder, x, 1))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def negative_elbo_and_nll(encoder, decoder, x, num_samples=100, batch_size=100):
    """Mean -ELBO (K = 1) and IW NLL (K = num_samples) over x, nats."""
    tf.random.set_seed(0)
    elbo, bound = [], []
    for start in range(0, len(x), batch_size):
        batch = tf.constant(x[start:start + batch_size])
        elbo.append(log_weights(encoder, decoder, batch, 1)[0])
        weights = log_weights(encoder, decoder, batch, num_samples)
        bound.append(tf.reduce_logsumexp(weights, 0) - math.log(num_samples))
    return (-float(tf.reduce_mean(tf.concat(elbo, 0))),
            -float(tf.reduce_mean(tf.concat(bound, 0))))

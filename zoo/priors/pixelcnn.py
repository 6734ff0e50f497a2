"""A gated PixelCNN: an autoregressive prior over a grid of discrete codes.

The prior of `zoo.models.VQVAE`. It models a grid of code indices c
(h x w, each in {0, ..., K-1}) in raster order (row by row, left to right),

    p(c) = prod_i p(c_i | c_<i),

with every conditional a softmax over the K codes. All h * w conditionals
come out of one pass of masked convolutions: the kernel of a masked
convolution is zero at the positions after its centre in raster order (and,
for the first layer, mask "A", at the centre itself), so the logits at
position i depend on c_<i only. Layers after the first use mask "B" (centre
allowed), which keeps that property.

Each hidden layer is a gated block (van den Oord et al. 2016),

    y = x + Conv1x1(tanh(W_f * x) . sigmoid(W_g * x)),

with W_f and W_g one masked convolution of twice the width. (The paper
also splits the network into a vertical and a horizontal stack to remove
the "blind spot" of stacked masked convolutions; this single-stack version
keeps the blind spot, which matters little on the small code grids of a
VQ-VAE.)

Training is plain Keras: `compile()` defaults to the sparse categorical
cross-entropy from logits, and `fit(codes, codes)` maximises log p(c) of
the training set's codes. `log_prob(codes)` gives log p(c) in nats per
grid; `sample(n, seed)` draws grids ancestrally, one position at a time,
with stateless seeds (the same seed gives the same grids), each step
computing the network at the new position alone from the activations the
steps before cached (`zoo.networks.masked_conv.RasterCache`; Ramachandran
et al., 2017, Fast Generation for Convolutional Autoregressive Models).

References:
    van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves & Kavukcuoglu,
    Conditional Image Generation with PixelCNN Decoders, NeurIPS 2016,
    https://arxiv.org/abs/1606.05328.
    van den Oord, Kalchbrenner & Kavukcuoglu, Pixel Recurrent Neural
    Networks, ICML 2016 (masks A and B).
"""

import keras
import tensorflow as tf
from keras import layers
from keras import ops

from zoo.networks.masked_conv import GatedBlock
from zoo.networks.masked_conv import MaskedConv2D
from zoo.networks.masked_conv import RasterCache
from zoo.networks.masked_conv import dense
from zoo.networks.masked_conv import gated_step
from zoo.networks.masked_conv import gated_weights
from zoo.networks.masked_conv import pointwise_weights


@keras.saving.register_keras_serializable(package="zoo")
class PixelCNN(keras.Model):
    """Gated PixelCNN over `grid_shape` grids of codes in {0, ..., K-1}.

    Embedding(K, width) -> MaskedConv_A(width, 7x7) -> `num_blocks` gated
    blocks (3x3) -> relu -> Conv1x1(width, relu) -> Conv1x1(K): the logits
    of p(c_i | c_<i) `(batch, h, w, K)` for int codes `(batch, h, w)`.

    Args:
        num_embeddings: int > 0, K.
        grid_shape: `(h, w)`, the code grid.
        width: int > 0, the channels of every layer (default 64).
        num_blocks: int >= 0, the gated blocks (default 4).
    """

    def __init__(self, num_embeddings, grid_shape, width=64, num_blocks=4,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = int(num_embeddings)
        self.grid_shape = tuple(int(size) for size in grid_shape)
        self.width = int(width)
        self.num_blocks = int(num_blocks)
        self.embedding = layers.Embedding(num_embeddings, width,
                                          name="embedding")
        self.first = MaskedConv2D(width, 7, "A", name="masked_a")
        self.blocks = [GatedBlock(width, name=f"gated_{index}")
                       for index in range(num_blocks)]
        self.hidden = layers.Conv2D(width, 1, activation="relu",
                                    name="hidden")
        self.logits = layers.Conv2D(num_embeddings, 1, dtype="float32",
                                    name="logits")
        self.build((None, *self.grid_shape))

    def build(self, input_shape):
        grid = (None, *self.grid_shape)
        self.embedding.build(grid)
        self.first.build((*grid, self.width))
        for block in self.blocks:
            block.build((*grid, self.width))
        self.hidden.build((*grid, self.width))
        self.logits.build((*grid, self.width))
        self.built = True

    def call(self, codes):
        features = self.first(self.embedding(ops.cast(codes, "int32")))
        for block in self.blocks:
            features = block(features)
        features = self.hidden(ops.relu(features))
        return self.logits(features)

    def compile(self, optimizer="adam", loss=None, **kwargs):
        """`keras.Model.compile`, by default Adam on the cross-entropy of
        the codes (`fit(codes, codes)` maximises log p(codes))."""
        if loss is None:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def log_prob(self, codes):
        """log p(c) = sum_i log p(c_i | c_<i), in nats, `(batch,)`."""
        codes = ops.cast(codes, "int32")
        log_probs = ops.log_softmax(self(codes), axis=-1)
        picked = ops.take_along_axis(log_probs, codes[..., None], axis=-1)
        return ops.sum(picked, axis=(1, 2, 3))

    @tf.function(reduce_retracing=True)
    def sample(self, num_samples, seed):
        """`num_samples` grids drawn in raster order, int32
        `(num_samples, h, w)`; `seed` is a stateless `(2,)` int seed.

        Cached (`zoo.networks.masked_conv.RasterCache`): step i computes
        every layer at position i alone, from the activations the earlier
        steps cached, instead of a pass over the whole grid. It draws
        with the same random op and seeds as `sample_uncached`, so the
        same seed gives the same grids."""
        height, width = self.grid_shape
        positions = height * width
        seeds = tf.random.experimental.stateless_split(
            tf.cast(seed, tf.int64), positions)
        cache = RasterCache(height, width,
                            pad=self.first.kernel_size[0] // 2)
        batch = tf.convert_to_tensor(num_samples, tf.int32)
        embeddings = ops.convert_to_tensor(self.embedding.embeddings)
        embeddings = tf.cast(embeddings, self.first.compute_dtype)
        first = cache.tap_weights(self.first)
        gated = [gated_weights(cache, block) for block in self.blocks]
        hidden = pointwise_weights(self.hidden)
        logits_weights = pointwise_weights(self.logits)

        def draw(position, embedded, buffers, codes):
            index = cache.index(position)
            features = cache.step(self.first, embedded, index, first)
            written = []
            for block, weights, buffer in zip(self.blocks, gated, buffers):
                buffer = cache.write(buffer, index, features)
                written.append(buffer)
                features = gated_step(cache, block, buffer, index, weights,
                                      features)
            features = dense(self.hidden, tf.nn.relu(features), *hidden)
            logits = dense(self.logits, features, *logits_weights)
            value = tf.random.stateless_categorical(
                logits, 1, seeds[position], dtype=tf.int32)[:, 0]
            embedded = cache.write(embedded, index,
                                   tf.gather(embeddings, value))
            return (position + 1, embedded, written,
                    codes.write(position, value))

        # The padding is zero, as the masked convolution's "same" padding
        # of the embedded codes; only drawn positions are ever written.
        _, _, _, codes = tf.while_loop(
            lambda position, *_: position < positions, draw,
            (tf.constant(0), cache.zeros(batch, self.width, embeddings.dtype),
             [cache.zeros(batch, self.width, block.compute_dtype)
              for block in self.blocks],
             tf.TensorArray(tf.int32, size=positions,
                            element_shape=(None,))))
        return tf.reshape(tf.transpose(codes.stack()),
                          (batch, height, width))

    def sample_uncached(self, num_samples, seed):
        """`sample` without the cache: the straightforward sampler (one
        pass of the network over the whole grid per position) that
        `sample` is tested and timed against; the same seed gives the
        same grids."""
        height, width = self.grid_shape
        codes = tf.zeros((num_samples, height, width), tf.int32)
        seeds = tf.random.experimental.stateless_split(
            tf.cast(seed, tf.int64), height * width
        )

        def draw(position, codes):
            row, column = position // width, position % width
            logits = self(codes)[:, row, column, :]
            value = tf.random.stateless_categorical(
                logits, 1, seeds[position], dtype=tf.int32
            )[:, 0]
            update = tf.one_hot(position, height * width, dtype=tf.int32)
            update = tf.reshape(update, (1, height, width))
            return position + 1, codes + update * value[:, None, None]

        _, codes = tf.while_loop(
            lambda position, _: position < height * width, draw,
            (tf.constant(0), codes),
        )
        return codes

    def get_config(self):
        return {**super().get_config(),
                "num_embeddings": self.num_embeddings,
                "grid_shape": self.grid_shape, "width": self.width,
                "num_blocks": self.num_blocks}

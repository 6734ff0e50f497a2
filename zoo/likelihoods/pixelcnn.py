"""An autoregressive likelihood: p(x|z) as a PixelCNN over the pixels.

`likelihood="pixelcnn"` on any zoo model with image inputs replaces the
factorised Bernoulli p(x|z) = prod_i p(x_i | z) by

    p(x | z) = prod_i Bernoulli(x_i; sigmoid(l_i)),
    l_i = a_i(z) + sum_f u_{i,f}(x_<i) * b_{i,f}(z),

in raster order (row by row, left to right; the C channels of a pixel
are drawn together, each given the pixels before it). The decoder emits
`1 + FEATURES` maps per image channel, a(z) and b_1..F(z); a gated
PixelCNN over the image alone (`PixelContext`: a 5x5 mask-"A" convolution
and `blocks` gated 3x3 mask-"B" blocks of `WIDTH` channels, the layers of
`zoo.priors.pixelcnn`) emits the F context maps u(x_<i), whose value at pixel i
depends on the pixels before i only. So p(x|z) is normalised: the product
of one proper Bernoulli per pixel given the pixels before it.

The model's `pixelcnn_blocks` sets `blocks` (None: `BLOCKS`, 3). The
context at pixel i reads the `2 + blocks` rows above it
(`PixelContext.rows_above`); fewer blocks make the autoregressive part
more local, which leaves the global structure to the latent (PixelVAE's
small receptive field; Chen et al., 2017, restrict it for the same
reason, so that the latent code is used).

This is the PixelVAE idea (Gulrajani et al., 2017: a VAE whose decoder
ends in PixelCNN layers, so the latent carries the global structure and
the autoregressive layers the local detail) with one change: z enters
through the per-pixel inner product above instead of inside the masked
layers. The context network then sees x only, so the K samples of an
importance-weighted bound share its one pass over x (the bound costs what
the factorised Bernoulli's costs, plus one PixelCNN pass per image), at
the price of z and the context meeting in one bilinear layer rather than
in every layer. The context's output layer starts at zero, so a new model
starts as the factorised Bernoulli with logits a(z).

`log_prob(x)` is exact and takes one pass. `sample()` draws the pixels
one position at a time (H * W steps, in a `tf.while_loop` compiled with
XLA, with stateless seeds), each step computing the context network at
the drawn pixel alone from the activations cached by the steps before
(`PixelContext.draw`; Ramachandran et al., 2017), not a pass over the
image. E[x|z] has no closed form;
`mean()` returns the unbiased one-trajectory estimate

    m_i = sigmoid(l_i(x'_<i, z)),   x' ~ p(x | z) drawn with `mean_seed`,

whose expectation over x' is E[x_i | z] exactly (the tower rule), and
which is deterministic for a fixed `mean_seed`. Its grey values show the
model's uncertainty where a binary sample would not.

The signatures of a model with this likelihood that draw pixels
(`reconstruct`, `decode`, `sample`, their deterministic twins) hold
stateless random ops, so `zoo.export.convert` skips them for ONNX and LiteRT
with that reason; `score` and `elbo` are exact and need no drawing.

References:
    Gulrajani, Kumar, Ahmed, Taiga, Visin, Vazquez & Courville, PixelVAE:
    A Latent Variable Model for Natural Images, ICLR 2017,
    https://arxiv.org/abs/1611.05013.
    van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves & Kavukcuoglu,
    Conditional Image Generation with PixelCNN Decoders, NeurIPS 2016.
    Chen, Kingma, Salimans, Duan, Dhariwal, Schulman, Sutskever & Abbeel,
    Variational Lossy Autoencoder, ICLR 2017,
    https://arxiv.org/abs/1611.02731.
    Ramachandran, Paine, Khorrami, Babaeizadeh, Chang, Zhang,
    Hasegawa-Johnson, Campbell & Huang, Fast Generation for Convolutional
    Autoregressive Models, ICLR 2017 workshop,
    https://arxiv.org/abs/1704.06001.
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers
from keras import ops

from zoo.likelihoods.factorised import Likelihood
from zoo.networks.masked_conv import GatedBlock
from zoo.networks.masked_conv import MaskedConv2D
from zoo.networks.masked_conv import RasterCache
from zoo.networks.masked_conv import dense
from zoo.networks.masked_conv import gated_step
from zoo.networks.masked_conv import gated_weights
from zoo.networks.masked_conv import pointwise_weights
from zoo.validation import check_number

tfd = tfp.distributions

#: Context maps u_f per image channel (the decoder emits 1 + FEATURES).
FEATURES = 8
#: Channels of the context network's layers.
WIDTH = 32
#: Gated mask-"B" blocks after the first mask-"A" convolution, when the
#: model's `pixelcnn_blocks` is None.
BLOCKS = 3
#: The most gated blocks `pixelcnn_blocks` may ask for: a context reading
#: 66 rows above, more than the zoo's images have (28 to 64 pixels), and
#: far below what would exhaust memory when the context network is built.
MAX_BLOCKS = 64


@keras.saving.register_keras_serializable(package="zoo")
class PixelContext(layers.Layer):
    """The context maps u(x_<i) `(batch, H, W, FEATURES * C)` of images
    `(batch, H, W, C)`: MaskedConv_A(5x5) -> `blocks` gated blocks ->
    relu -> Conv1x1(width, relu) -> Conv1x1(features * C, zeros).

    Args:
        image_shape: `(H, W, C)` of the images.
        width: channels of every hidden layer.
        blocks: gated blocks (3x3, mask "B"), 0 or more.
        features: context maps per image channel.
    """

    def __init__(self, image_shape, width=WIDTH, blocks=BLOCKS,
                 features=FEATURES, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(size) for size in image_shape)
        self.width = int(width)
        self.blocks = int(blocks)
        self.features = int(features)
        channels = self.image_shape[-1]
        self.first = MaskedConv2D(width, 5, "A", name="masked_a")
        self.gated = [GatedBlock(width, name=f"gated_{index}")
                      for index in range(blocks)]
        self.hidden = layers.Conv2D(width, 1, activation="relu",
                                    name="hidden")
        self.output_maps = layers.Conv2D(
            features * channels, 1, kernel_initializer="zeros",
            dtype="float32", name="context")
        self.build((None, *self.image_shape))

    def build(self, input_shape):
        shape = (None, *self.image_shape)
        hidden = (None, *self.image_shape[:2], self.width)
        self.first.build(shape)
        for block in self.gated:
            block.build(hidden)
        self.hidden.build(hidden)
        self.output_maps.build(hidden)
        self.built = True

    @property
    def rows_above(self):
        """How many rows above pixel i its context reads: 2 for the 5x5
        first layer, 1 per gated 3x3 block (the 1x1 layers add none)."""
        return 2 + self.blocks

    @tf.function(reduce_retracing=True)
    def draw(self, parameters, seed):
        """Images drawn in raster order for the decoder outputs
        `parameters` `(N, H, W, (1 + F) * C)` with the stateless `(2,)`
        int64 `seed`, and p(x_i = 1 | x_<i, z) along the way: two
        `(N, H, W, C)` tensors. Traced once per shape, so an eager call
        runs the H * W steps as one graph.

        Cached (`zoo.networks.masked_conv.RasterCache`): step i computes
        every layer at pixel i alone, from the activations the earlier
        steps cached, so a step costs one pixel's arithmetic rather than
        a pass over the image, and the loop is compiled with XLA (one
        compilation per batch size), which removes the per-op cost of
        H * W small steps. The uniform numbers are drawn before the loop,
        outside XLA, exactly as `draw_uncached` draws them (XLA's
        stateless generator gives other numbers), so the same seed gives
        the same images as `draw_uncached`.
        """
        height, width, channels = self.image_shape
        seeds = tf.random.experimental.stateless_split(seed, height * width)
        shape = tf.stack([tf.shape(parameters)[0], channels])
        uniforms = tf.map_fn(
            lambda seed: tf.random.stateless_uniform(shape, seed), seeds,
            fn_output_signature=tf.TensorSpec((None, channels), tf.float32))
        return self._draw_cached(parameters, uniforms)

    @tf.function(reduce_retracing=True, jit_compile=True)
    def _draw_cached(self, parameters, uniforms):
        """`draw` given its uniform numbers `(H * W, N, C)`."""
        height, width, channels = self.image_shape
        positions = height * width
        cache = RasterCache(height, width, pad=self.first.kernel_size[0] // 2)
        batch = tf.shape(parameters)[0]
        first = cache.tap_weights(self.first)
        gated = [gated_weights(cache, block) for block in self.gated]
        hidden = pointwise_weights(self.hidden)
        output_maps = pointwise_weights(self.output_maps)
        flat_parameters = tf.transpose(tf.reshape(
            parameters, (batch, positions, parameters.shape[-1])), (1, 0, 2))

        def step(position, images, buffers, probabilities):
            index = cache.index(position)
            features = cache.step(self.first, images, index, first)
            written = []
            for block, weights, buffer in zip(self.gated, gated, buffers):
                # The block's input at this pixel is final: cache it for
                # the pixels after (its 3x3 taps read it from there).
                buffer = cache.write(buffer, index, features)
                written.append(buffer)
                features = gated_step(cache, block, buffer, index, weights,
                                      features)
            features = dense(self.hidden, tf.nn.relu(features), *hidden)
            context = dense(self.output_maps, features, *output_maps)
            probability = tf.math.sigmoid(_logits(
                flat_parameters[position], tf.cast(context, tf.float32),
                channels))
            value = tf.cast(uniforms[position] < probability, tf.float32)
            return (position + 1, cache.write(images, index, value),
                    written, probabilities.write(position, probability))

        buffers = [cache.zeros(batch, self.width, block.compute_dtype)
                   for block in self.gated]
        _, images, _, probabilities = tf.while_loop(
            lambda position, *_: position < positions, step,
            (tf.constant(0), cache.zeros(batch, channels), buffers,
             tf.TensorArray(tf.float32, size=positions,
                            element_shape=(None, channels))))
        images = images.gather(cache.indices)  # (H * W, N, C)
        probabilities = probabilities.stack()

        def to_images(flat):
            return tf.reshape(tf.transpose(flat, (1, 0, 2)),
                              (batch, height, width, channels))

        return to_images(images), to_images(probabilities)

    @tf.function(reduce_retracing=True)
    def draw_uncached(self, parameters, seed):
        """`draw` without the cache, the straightforward sampler that
        `draw` is tested and timed against (the same seed gives the same
        images). Images drawn in raster order for the decoder outputs
        `parameters` `(N, H, W, (1 + F) * C)` with the stateless `(2,)`
        int64 `seed`, and p(x_i = 1 | x_<i, z) along the way: two
        `(N, H, W, C)` tensors. Traced once per shape, so an eager call
        runs the H * W steps as one graph."""
        height, width, channels = self.image_shape
        positions = height * width
        seeds = tf.random.experimental.stateless_split(seed, positions)
        rows_above = self.rows_above

        def step(position, images, probabilities):
            row, column = position // width, position % width
            # Row `row` of the context reads rows row - rows_above .. row
            # only (the masks hide the rows below; the layers' zero padding
            # above the crop never reaches it), so the pass runs on them.
            top = tf.maximum(row - rows_above, 0)
            context = self(images[:, top:row + 1])[:, row - top, column, :]
            probability = tf.math.sigmoid(_logits(
                parameters[:, row, column, :], context, channels))
            uniform = tf.random.stateless_uniform(
                tf.shape(probability), seeds[position])
            value = tf.cast(uniform < probability, tf.float32)
            where = tf.reshape(tf.one_hot(position, positions),
                               (1, height, width, 1))
            return (position + 1,
                    images + where * value[:, None, None, :],
                    probabilities + where * probability[:, None, None, :])

        zeros = tf.zeros(tf.concat(
            [tf.shape(parameters)[:1], self.image_shape], 0), tf.float32)
        _, images, probabilities = tf.while_loop(
            lambda position, *_: position < positions, step,
            (tf.constant(0), zeros, zeros))
        return images, probabilities

    def call(self, images):
        features = self.first(images)
        for block in self.gated:
            features = block(features)
        return self.output_maps(self.hidden(ops.relu(features)))

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "width": self.width, "blocks": self.blocks,
                "features": self.features}


class PixelCNNBernoulli(tfd.Distribution):
    """p(x|z) of the module docstring for decoder outputs `parameters`
    `(*batch, H, W, (1 + F) * C)` and the model's `PixelContext`.

    The event is one image `(H, W, C)`; `log_prob(x)` is one number per
    image. Images `x` whose batch shape is a suffix of `parameters`' (for
    example `(batch, ...)` against `(K, batch, ...)`) are broadcast after
    the context pass, so K samples share it.

    Args:
        parameters: the decoder's output, float.
        context: the model's `PixelContext`.
        mean_seed: stateless `(2,)` int seed of `mean()`'s trajectory.
    """

    def __init__(self, parameters, context, mean_seed=(0, 0),
                 validate_args=False, allow_nan_stats=True,
                 name="pixelcnn_likelihood"):
        parameters_dict = dict(locals())
        with tf.name_scope(name) as name:
            self._parameters_tensor = tf.convert_to_tensor(
                parameters, "float32", name="parameters")
            self._context = context
            self._mean_seed = tf.cast(mean_seed, tf.int32)
            super().__init__(
                dtype=tf.float32,
                reparameterization_type=tfd.NOT_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters_dict,
                name=name,
            )

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return {"parameters": tfp.util.ParameterProperties(event_ndims=3)}

    @property
    def image_shape(self):
        return self._context.image_shape

    def _event_shape(self):
        return tf.TensorShape(self.image_shape)

    def _event_shape_tensor(self):
        return tf.constant(self.image_shape, tf.int32)

    def _batch_shape(self):
        return self._parameters_tensor.shape[:-3]

    def _batch_shape_tensor(self):
        return tf.shape(self._parameters_tensor)[:-3]

    def logits(self, x):
        """l_i for images `x` (broadcast against the batch shape)."""
        channels = self.image_shape[-1]
        x = tf.convert_to_tensor(x, "float32")
        flat = tf.reshape(x, (-1, *self.image_shape))
        context = self._context(flat)
        context = tf.reshape(context, tf.concat(
            [tf.shape(x)[:-3], tf.shape(context)[1:]], 0))
        return _logits(self._parameters_tensor, context, channels)

    def _log_prob(self, x):
        x = tf.convert_to_tensor(x, "float32")
        logits = self.logits(x)
        log_prob = x * logits - tf.math.softplus(logits)
        return tf.reduce_sum(log_prob, axis=(-3, -2, -1))

    def _sample_n(self, n, seed=None):
        seed = tfp.random.sanitize_seed(seed)
        images, _ = self._draw(
            tf.tile(self._flat_parameters(), [n, 1, 1, 1]), seed)
        return tf.reshape(images, tf.concat(
            [[n], self.batch_shape_tensor(), self.image_shape], 0))

    def _mean(self):
        _, probabilities = self._draw(self._flat_parameters(),
                                      self._mean_seed)
        return tf.reshape(probabilities, tf.concat(
            [self.batch_shape_tensor(), self.image_shape], 0))

    def _flat_parameters(self):
        return tf.reshape(self._parameters_tensor,
                          (-1, *self.image_shape[:2],
                           self._parameters_tensor.shape[-1]))

    def _draw(self, parameters, seed):
        """`PixelContext.draw`: images for the flat `parameters` and
        p(x_i = 1 | x_<i, z) along the way."""
        return self._context.draw(parameters, tf.cast(seed, tf.int64))


def _logits(parameters, context, channels):
    """l = a + sum_f u_f * b_f from the decoder's `(..., (1 + F) * C)`
    parameters [a, b] and the context maps u `(..., F * C)`, broadcast
    against each other; maps are channel-minor (index f * C + c)."""
    products = context * parameters[..., channels:]
    shape = tf.concat([tf.shape(products)[:-1], [-1, channels]], 0)
    return parameters[..., :channels] + tf.reduce_sum(
        tf.reshape(products, shape), axis=-2)


class PixelCNNLikelihood(Likelihood):
    """The family of `PixelCNNBernoulli`: Bernoulli-type data in [0, 1],
    `1 + FEATURES` decoder maps per image channel, and the model's
    `PixelContext` (its weights are the model's)."""

    name = "pixelcnn"
    num_parameters = 1 + FEATURES
    minimum, maximum = 0.0, 1.0

    def __init__(self, context):
        self.context = context

    def distribution(self, parameters, event_ndims):
        """`PixelCNNBernoulli`; its event is one image, so `event_ndims`
        is 3 (`make_context` refuses any other input shape)."""
        return PixelCNNBernoulli(parameters, self.context)


    @classmethod
    def from_options(cls, scale=None, image_shape=None, blocks=None):
        """The family of a model with images of `image_shape`, with a new
        `PixelContext` of `blocks` gated blocks (None: `BLOCKS`) as its
        `context` (`likelihood_scale` refused).

        Raises:
            ValueError: if `image_shape` is not `(H, W, C)` or `blocks` is
                not an int in [0, `MAX_BLOCKS`].
        """
        cls.refuse_scale(scale)
        return cls(make_context(image_shape, blocks))


def make_context(image_shape, blocks=None):
    """A new `PixelContext` for images of `image_shape` with `blocks` gated
    blocks (the model's `pixelcnn_blocks`; None: `BLOCKS`). Its context at
    a pixel reads the `2 + blocks` rows above (`PixelContext.rows_above`).

    Raises:
        ValueError: if `image_shape` is not `(H, W, C)` or `blocks` is not
            an int in [0, `MAX_BLOCKS`].
    """
    if len(image_shape) != 3:
        raise ValueError(
            "likelihood='pixelcnn' needs images, input_shape=(height, "
            "width, channels): it orders the pixels in raster order. "
            f"Received: input_shape={tuple(image_shape)!r}. Use "
            "likelihood='bernoulli' for flat vectors.")
    blocks = check_number(
        BLOCKS if blocks is None else blocks, "pixelcnn_blocks",
        integer=True, minimum=0, maximum=MAX_BLOCKS,
        fix=f"Each block adds a row above to the context (None: {BLOCKS}).")
    return PixelContext(image_shape, blocks=blocks, name="pixel_context")

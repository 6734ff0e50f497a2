"""Conditional VAE: encoder and decoder conditioned on a class label."""

import math

import keras
import numpy as np
import tensorflow as tf

from zoo import networks
from zoo import validation
from zoo.models.base import stateless_seed
from zoo.models.conv import ConvVAE


@keras.saving.register_keras_serializable(package="zoo")
class ConditionalVAE(ConvVAE):
    """A convolutional VAE whose encoder and decoder both see a class label y.

    Mathematical details:

    The model is p(x, z | y) = p(z) p(x | z, y) with the prior p(z) = N(0, I)
    shared by all classes, and the posterior q(z | x, y). Training maximises
    the conditional ELBO,

        log p(x|y) >= E_q(z|x,y)[log p(x|z,y)] - beta * KL(q(z|x,y) || p(z)),

    so z is free to carry what the label does not (style, for a digit's
    class). Because p(y) is not modelled, the likelihood reported for a
    labelled example is log p(x|y); `marginal_log_likelihood` gives
    log p(x) = log (1/C) sum_y p(x|y) under a uniform class prior, which is
    comparable with the unconditional models' numbers.

    Inputs are `[x, labels]` (or a dict `{"x": x, "labels": labels}`),
    labels being int class ids `(batch,)`; the networks code them one-hot
    or, with `label_embedding_dim`, by a learned embedding, concatenated to
    the image features and to z (see `zoo.networks`):

        model.fit([x, labels])                  # or fit([x_noisy, labels], x)
        model.encode([x, labels]); model.decode([z, labels])
        model.sample(16, labels=3, seed=0)      # 16 images of class 3

    A `tf.data.Dataset` yields `{"x": x, "labels": labels}` batches (a bare
    `(x, labels)` pair would read as `(x, y)`); `ImageDataset.as_dataset(
    conditional=True)` builds one.

    Args:
        input_shape: `(height, width, channels)`.
        latent_dim: int > 0.
        num_classes: int > 0, the number of classes (default 10).
        label_embedding_dim: None (default, one-hot labels) or an int > 0,
            the size of a learned label embedding.
        **kwargs: `ConvVAE`'s options (`filters`, `hidden_units`) and the
            base class's (`likelihood`, `beta`, `prior`, `seed`, ...). The
            VampPrior needs unconditional pseudo-inputs, so `prior="vamp"` is
            refused.

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.get("conditional_vae", input_shape=(28, 28, 1),
    ...                 latent_dim=8, num_classes=10)
    >>> model.sample(4, labels=[0, 1, 2, 3], seed=0).shape
    TensorShape([4, 28, 28, 1])

    References:
        Sohn, Lee & Yan, Learning Structured Output Representation using
        Deep Conditional Generative Models, NeurIPS 2015.
        Kingma, Rezende, Mohamed & Welling, Semi-Supervised Learning with
        Deep Generative Models, NeurIPS 2014 (the M2 model's p(x|z,y)).
    """

    def __init__(self, input_shape, latent_dim, num_classes=10,
                 label_embedding_dim=None, **kwargs):
        # Set before ConvVAE.__init__ builds the networks from them.
        self.num_classes = validation.check_positive_int(
            num_classes, "num_classes"
        )
        self.label_embedding_dim = (
            None if label_embedding_dim is None
            else validation.check_positive_int(
                label_embedding_dim, "label_embedding_dim"
            )
        )
        if kwargs.get("prior") == "vamp":
            raise ValueError(
                "A ConditionalVAE cannot use prior='vamp': the VampPrior's "
                "pseudo-inputs have no labels. Use prior='standard_normal' "
                "or 'mixture'."
            )
        super().__init__(input_shape=input_shape, latent_dim=latent_dim,
                         **kwargs)

    def label_condition(self):
        return networks.LabelCondition(
            self.num_classes, self.label_embedding_dim
        )

    # The condition -----------------------------------------------------

    def split_inputs(self, inputs):
        """`(x, labels)` from `[x, labels]` or `{"x": x, "labels": labels}`."""
        if isinstance(inputs, dict) and set(inputs) == {"x", "labels"}:
            return inputs["x"], inputs["labels"]
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            return inputs[0], inputs[1]
        raise ValueError(
            "A ConditionalVAE takes [x, labels] or {'x': x, 'labels': "
            "labels} ([z, labels] to decode): the examples and their int "
            f"class ids in [0, {self.num_classes}). Received: "
            f"{_describe(inputs)}."
        )

    def condition_spec(self):
        return tf.TensorSpec((None,), tf.int32, name="labels")

    def posterior_parameters(self, x, condition=None, training=None):
        return self.encoder(
            [tf.convert_to_tensor(x), tf.cast(condition, "int32")],
            training=training,
        )

    def likelihood_parameters(self, z, condition=None, training=None):
        """The decoder's output for `[z, labels]`. With K samples per
        example z is `(K * batch, latent_dim)`, sample-major, so the labels
        are tiled K times to match."""
        z = tf.convert_to_tensor(z)
        labels = tf.cast(condition, "int32")
        repeats = tf.shape(z)[0] // tf.maximum(tf.shape(labels)[0], 1)
        return self.decoder([z, tf.tile(labels, [repeats])], training=training)

    # Generation and scoring --------------------------------------------

    def sample(self, num_samples, seed=None, labels=None):
        """Generate `num_samples` examples of the classes `labels`.

        Args:
            num_samples: int > 0.
            seed: int or None; the same seed gives the same samples.
            labels: an int class id for all samples, an array of
                `num_samples` ids, or None (default) to draw the classes
                uniformly with the seed.
        """
        num_samples = validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "draw more in several calls.",
        )
        seed = stateless_seed(seed)
        if labels is not None:
            if np.ndim(labels) == 0:
                labels = np.full((num_samples,), labels)
            labels = tf.constant(
                validation.check_labels(labels, self.num_classes, num_samples)
            )
        return self.compute_samples(int(num_samples), seed, labels)

    def compute_samples(self, num_samples, seed, condition=None):
        if condition is None:
            condition = tf.random.stateless_uniform(
                [num_samples], seed=tf.random.experimental.stateless_fold_in(
                    seed, 1),
                maxval=self.num_classes, dtype=tf.int32,
            )
        return super().compute_samples(num_samples, seed, condition)

    def marginal_log_likelihood(self, x, num_samples=1000, chunk_size=100,
                                seed=0):
        """log p(x) = log (1/C) sum_y p(x|y) under a uniform p(y), per
        example, in nats: each log p(x|y) is the importance-weighted bound
        of `log_likelihood` (C times its cost), so this is a lower bound too.
        """
        x = self._checked_images(x, "x", target=True)
        per_class = [
            self.log_likelihood(
                [x, np.full((len(x),), label)], num_samples=num_samples,
                chunk_size=chunk_size, seed=seed,
            )
            for label in range(self.num_classes)
        ]
        return tf.reduce_logsumexp(tf.stack(per_class), axis=0) - math.log(
            self.num_classes
        )

    # Checks and config -------------------------------------------------

    def _checked_inputs(self, inputs, argument, target=False):
        x, labels = self.split_inputs(inputs)
        x = self._checked_images(x, argument, target)
        return [x, validation.check_labels(labels, self.num_classes, len(x))]

    def _checked_latents(self, latents):
        z, labels = self.split_inputs(latents)
        z = validation.check_latents(z, self.latent_dim)
        return [z, validation.check_labels(labels, self.num_classes, len(z))]

    def _condition_assertions(self, condition):
        labels = tf.cast(condition, "int32")
        message = (
            f"A dataset batch holds labels outside [0, {self.num_classes}); "
            "build the model with num_classes above the largest id."
        )
        return [
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(labels, self.num_classes, message=message),
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "label_embedding_dim": self.label_embedding_dim,
        }


def _describe(inputs):
    if isinstance(inputs, dict):
        return f"a dict with keys {sorted(inputs)}"
    if isinstance(inputs, (list, tuple)):
        return f"a {type(inputs).__name__} of {len(inputs)} items"
    return f"{type(inputs).__name__} (images without labels?)"

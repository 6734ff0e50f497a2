"""Binarization of grey images into {0, 1} pixels for Bernoulli likelihoods.

Two ways, chosen with `binarize=` in every loader:

- `"static"`: drawn once, with a seed, following the benchmark protocol
  (docs/benchmark.md): pixel x becomes 1 with probability x,

      rng = numpy.random.default_rng(seed)
      train_bin = rng.uniform(size=train.shape) < train / 255
      test_bin = rng.uniform(size=test.shape) < test / 255

  with the same generator, train first, then test.
- `"dynamic"`: a fresh Bernoulli draw for every batch of every epoch inside
  the `tf.data` pipeline, which acts as a regulariser.
"""

import numpy as np
import tensorflow as tf

from zoo.datasets import seeds

MODES = ("none", "static", "dynamic")


def binarize_static(probabilities, seed=0):
    """Draw {0, 1} images once, in order, from one seeded generator.

    Args:
        probabilities: a sequence of arrays of pixel probabilities in
            [0, 1] (e.g. `[train / 255, test / 255]`); `None` entries are
            skipped. They are drawn in the order given.
        seed: int, the seed of `numpy.random.default_rng`.

    Returns:
        A list of float32 arrays of 0.0 / 1.0 (None where the input was).

    Example:

    >>> train, test = binarize_static([x_train / 255, x_test / 255], seed=0)
    """
    rng = np.random.default_rng(seed)
    return [
        None if array is None
        else (rng.uniform(size=array.shape) < array).astype("float32")
        for array in probabilities
    ]


def binarize_dynamic(dataset, seed=0):
    """Redraw {0, 1} pixels for every batch of every epoch, seeded.

    Args:
        dataset: a `tf.data.Dataset` of image batches `x` or `(x, y)`
            tuples, values in [0, 1].
        seed: int; the same seed gives the same draws for the same epoch.

    Returns:
        A `tf.data.Dataset` of the same structure with x in {0, 1}.
    """

    def draw(element, seed):
        images = element[0] if isinstance(element, tuple) else element
        noise = tf.random.stateless_uniform(tf.shape(images), seed=seed)
        binary = tf.cast(noise < images, images.dtype)
        if isinstance(element, tuple):
            return (binary, *element[1:])
        return binary

    return seeds.map_with_seeds(dataset, draw, seed)

"""Corrupted copies of images, for training and scoring denoising VAEs.

Three corruptions, each seeded and clipped to [0, 1]:

- `"gaussian"`: x + amount * eps, eps ~ N(0, 1) per pixel;
- `"salt_and_pepper"`: a fraction `amount` of the pixels set to 0 or 1
  (half each);
- `"mask"`: one random square per image set to 0 (cut-out), covering a
  fraction `amount` of the image's area.

`corrupt()` gives numpy `(x_noisy, x_clean)` pairs; `corrupt_dataset()`
corrupts batches on the fly inside a `tf.data` pipeline, with a new draw
every epoch, so `model.fit(corrupt_dataset(...))` trains a denoiser.
All use the same stateless TensorFlow functions below.
"""

import tensorflow as tf

from zoo.datasets import checks
from zoo.datasets import seeds
from zoo.validation import check_number


def gaussian_noise(x, amount, seed):
    """Add N(0, amount^2) noise to every pixel, then clip to [0, 1].

    Args:
        x: float tensor of images `(batch, H, W, C)` in [0, 1].
        amount: float >= 0, the noise's standard deviation.
        seed: `(2,)` int tensor, a stateless seed.

    Returns:
        A tensor like `x`.
    """
    noise = tf.random.stateless_normal(tf.shape(x), seed=seed, dtype=x.dtype)
    return tf.clip_by_value(x + amount * noise, 0.0, 1.0)


def salt_and_pepper(x, amount, seed):
    """Set a fraction `amount` of pixels to 1 (salt) or 0 (pepper).

    Args:
        x: float tensor of images `(batch, H, W, C)` in [0, 1].
        amount: float in [0, 1], the fraction of pixels replaced; half of
            them become 1, half 0.
        seed: `(2,)` int tensor, a stateless seed.

    Returns:
        A tensor like `x`.
    """
    draw = tf.random.stateless_uniform(tf.shape(x), seed=seed, dtype=x.dtype)
    salted = tf.where(draw < amount / 2, tf.ones_like(x), x)
    return tf.where((draw >= amount / 2) & (draw < amount),
                    tf.zeros_like(x), salted)


def random_mask(x, amount, seed):
    """Zero one random square per image covering `amount` of its area.

    The square's side is `round(sqrt(amount) * H)` by
    `round(sqrt(amount) * W)` pixels, placed uniformly inside the image.

    Args:
        x: float tensor of images `(batch, H, W, C)` in [0, 1].
        amount: float in [0, 1], the fraction of the area masked.
        seed: `(2,)` int tensor, a stateless seed.

    Returns:
        A tensor like `x`.
    """
    shape = tf.shape(x)
    height, width = shape[1], shape[2]
    side = tf.sqrt(tf.cast(amount, "float32"))
    mask_height = tf.cast(tf.round(side * tf.cast(height, "float32")),
                          "int32")
    mask_width = tf.cast(tf.round(side * tf.cast(width, "float32")), "int32")
    corners = tf.random.stateless_uniform(
        (shape[0], 2), seed=seed, dtype="float32"
    )
    top = tf.cast(corners[:, 0] * tf.cast(height - mask_height + 1,
                                          "float32"), "int32")
    left = tf.cast(corners[:, 1] * tf.cast(width - mask_width + 1,
                                           "float32"), "int32")
    rows = tf.range(height)[None, :]
    columns = tf.range(width)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + mask_height)[:, None])
    in_columns = (columns >= left[:, None]) & (
        columns < (left + mask_width)[:, None]
    )
    masked = in_rows[:, :, None, None] & in_columns[:, None, :, None]
    return tf.where(masked, tf.zeros_like(x), x)


CORRUPTIONS = {
    "gaussian": gaussian_noise,
    "salt_and_pepper": salt_and_pepper,
    "mask": random_mask,
}


def corrupt(x, kind="gaussian", amount=0.2, seed=0):
    """Corrupted copies of images as a numpy `(x_noisy, x_clean)` pair.

    Args:
        x: images `(N, H, W)` or `(N, H, W, C)`, uint8 or floats in [0, 1].
        kind: `"gaussian"` (default), `"salt_and_pepper"` or `"mask"`.
        amount: float (default 0.2): the noise's standard deviation for
            `"gaussian"`, the fraction of pixels or of area for the others.
        seed: int (default 0); the same seed gives the same corruption.

    Returns:
        `(x_noisy, x_clean)`, float32 arrays `(N, H, W, C)` in [0, 1].

    Raises:
        ValueError: for invalid images, an unknown `kind` or an `amount`
            out of range.

    Example:

    >>> x_noisy, x_clean = zoo.datasets.corrupt(data.x_test, "mask", 0.25)
    >>> model.fit(x_noisy, x_clean, epochs=5)
    """
    function = _check(kind, amount)
    x_clean = checks.to_unit_images(x, "x").astype("float32")
    seed = tf.constant([seed, 0], dtype="int64")
    x_noisy = function(tf.constant(x_clean), amount, seed).numpy()
    return x_noisy, x_clean


def corrupt_dataset(dataset, kind="gaussian", amount=0.2, seed=0):
    """Corrupt image batches on the fly: yields `(x_noisy, x_clean)`.

    Each batch of each epoch gets a new, seeded corruption, so passing the
    result to `model.fit` trains a denoising VAE on endless variations.

    Args:
        dataset: a `tf.data.Dataset` of float image batches
            `(batch, H, W, C)` in [0, 1], e.g. `data.as_dataset()`.
        kind, amount: as in `corrupt()`.
        seed: int (default 0), the seed of the sequence of corruptions.

    Returns:
        A `tf.data.Dataset` of `(x_noisy, x_clean)` pairs.

    Raises:
        ValueError: if the dataset does not yield image batches alone, for
            an unknown `kind` or an `amount` out of range.

    Example:

    >>> pairs = zoo.datasets.corrupt_dataset(data.as_dataset(), "gaussian")
    >>> model.fit(pairs, epochs=5)
    """
    function = _check(kind, amount)
    spec = dataset.element_spec
    if not isinstance(spec, tf.TensorSpec) or spec.shape.rank != 4:
        raise ValueError(
            "`dataset` must yield image batches (batch, H, W, C) alone, "
            "e.g. as_dataset(with_labels=False). "
            f"Received: dataset.element_spec={spec}"
        )
    return seeds.map_with_seeds(
        dataset, lambda x, seed: (function(x, amount, seed), x), seed
    )


def _check(kind, amount):
    """The corruption function for `kind`, after checking `amount`."""
    checks.check_choice(kind, tuple(CORRUPTIONS), "kind")
    check_number(amount, "amount", minimum=0.0,
                 maximum=None if kind == "gaussian" else 1.0,
                 fix=f"(For kind={kind!r}.)")
    return CORRUPTIONS[kind]

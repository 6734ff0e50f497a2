"""Checks that turn users' arrays into images in [0, 1], or say why not.

Every check raises `ValueError` naming the argument, the fix, and ending
like Keras errors: `Received: x_train.shape=(...)`.
"""

import numpy as np


def to_unit_images(x, argument):
    """Validate an image array and scale it to [0, 1].

    The dtype decides the scale, as in `tf.image.convert_image_dtype`:
    `uint8` images are divided by 255 (in float64, so `x / 255` is exactly
    the benchmark protocol's probability), floating-point images must
    already lie in [0, 1], and booleans become 0.0 / 1.0.

    Args:
        x: array-like of shape `(N, H, W)` (one channel) or `(N, H, W, C)`.
        argument: the name used in error messages, e.g. `"x_train"`.

    Returns:
        A floating-point numpy array `(N, H, W, C)` with values in [0, 1].

    Raises:
        ValueError: for a non-numeric or unsupported dtype, a rank other
            than 3 or 4, an empty array, NaN/inf, or values outside [0, 1].
    """
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{argument}` must be an array of images of one size; it could "
            f"not be converted to one ({error}). Resize all images to the "
            f"same height and width. Received: {argument}={_summary(x)}"
        ) from None
    if array.dtype == bool:
        array = array.astype("float32")
    elif array.dtype == np.uint8:
        array = array / 255.0
    elif not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"`{argument}` must hold uint8 pixels (0..255) or floats in "
            "[0, 1]. Convert it, e.g. x.astype('uint8') for integer pixels "
            f"or x.astype('float32') / x.max() for other data. "
            f"Received: {argument}.dtype={array.dtype}"
        )
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4:
        raise ValueError(
            f"`{argument}` must have shape (N, H, W) or (N, H, W, C). "
            "Add a batch axis for a single image (x[None]) or reshape flat "
            "vectors, e.g. x.reshape((-1, 28, 28, 1)). "
            f"Received: {argument}.shape={array.shape}"
        )
    if array.size == 0:
        raise ValueError(
            f"`{argument}` is empty; pass at least one image. "
            f"Received: {argument}.shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"`{argument}` holds NaN or infinite values; remove or impute "
            "them first. Received: "
            f"{argument} with {np.count_nonzero(~np.isfinite(array))} "
            "non-finite values"
        )
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"`{argument}` must lie in [0, 1] (or be uint8 in 0..255). "
            "Rescale it, e.g. (x - x.min()) / (x.max() - x.min()). "
            f"Received: {argument} with values in [{low}, {high}]"
        )
    return array


def check_labels(y, num_examples, argument):
    """Validate labels for `num_examples` images.

    Args:
        y: array-like with one row per image (class ids, or factor vectors).
        num_examples: the number of images the labels belong to.
        argument: the name used in error messages, e.g. `"y_train"`.

    Returns:
        The labels as a numpy array.

    Raises:
        ValueError: for non-numeric labels or a count that differs from
            the images'.
    """
    array = np.asarray(y)
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"`{argument}` must be numeric (e.g. integer class ids). "
            f"Received: {argument}.dtype={array.dtype}"
        )
    if array.ndim == 0 or len(array) != num_examples:
        raise ValueError(
            f"`{argument}` must hold one label per image ({num_examples}). "
            f"Received: {argument}.shape={array.shape}"
        )
    return array


def check_choice(value, allowed, argument):
    """Raise a `ValueError` unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(
            f"`{argument}` must be one of {list(allowed)}. "
            f"Received: {argument}={value!r}"
        )
    return value


def _summary(x):
    """A short description of `x` for error messages."""
    if isinstance(x, (list, tuple)):
        shapes = sorted({np.shape(item) for item in x}, key=str)
        return f"a {type(x).__name__} of {len(x)} items of shapes {shapes}"
    return type(x).__name__

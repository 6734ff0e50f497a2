"""`from_directory`: an `ImageDataset` from a folder of image files."""

import pathlib

import keras
import numpy as np

from zoo.datasets import checks
from zoo.datasets.arrays import from_arrays

COLOR_MODES = ("grayscale", "rgb", "rgba")


def from_directory(path, image_size=(28, 28), color_mode="grayscale",
                   test_path=None, binarize="none", validation_size=0,
                   seed=0):
    """Load a folder of images (PNG, JPEG, BMP, GIF) into an `ImageDataset`.

    Files are read with `keras.utils.image_dataset_from_directory` and
    resized to `image_size`. If `path` has one subfolder per class, the
    labels are the class indices in alphabetical order of the subfolders;
    if it holds the images directly, there are no labels.

    Args:
        path: str or path-like, the folder of training images.
        image_size: `(height, width)` every image is resized to (default
            `(28, 28)`).
        color_mode: `"grayscale"` (default, 1 channel), `"rgb"` (3) or
            `"rgba"` (4).
        test_path: optional folder of test images, laid out like `path`.
        binarize: `"none"` (default), `"static"` or `"dynamic"`.
        validation_size: int >= 0 (default 0), training examples held out
            (the last ones) as the validation split.
        seed: int (default 0), the binarization and pipeline seed.

    Returns:
        An `ImageDataset` with images `(N, *image_size, channels)`.

    Raises:
        ValueError: if a folder does not exist or holds no images, or for
            an invalid `image_size` or `color_mode`.

    Example:

    >>> data = zoo.datasets.from_directory("faces/", image_size=(64, 64),
    ...                                    color_mode="rgb")
    """
    checks.check_choice(color_mode, COLOR_MODES, "color_mode")
    if not (
        isinstance(image_size, (tuple, list)) and len(image_size) == 2
        and all(isinstance(size, int) and size > 0 for size in image_size)
    ):
        raise ValueError(
            "`image_size` must be (height, width), two positive ints, e.g. "
            f"(28, 28). Received: image_size={image_size!r}"
        )
    x_train, y_train = _read_images(path, "path", image_size, color_mode)
    x_test, y_test = (None, None)
    if test_path is not None:
        x_test, y_test = _read_images(
            test_path, "test_path", image_size, color_mode
        )
    return from_arrays(
        x_train, y_train, x_test, y_test, binarize=binarize,
        validation_size=validation_size, seed=seed,
        name=pathlib.Path(path).name,
    )


def _read_images(path, argument, image_size, color_mode):
    """All images under `path` as floats `(N, H, W, C)` in [0, 1], and
    labels or None."""
    folder = pathlib.Path(path).expanduser()
    if not folder.is_dir():
        raise ValueError(
            f"`{argument}` must be an existing folder of images. "
            f"Received: {argument}={str(path)!r}"
        )
    labelled = any(child.is_dir() for child in folder.iterdir())
    try:
        dataset = keras.utils.image_dataset_from_directory(
            folder, labels="inferred" if labelled else None,
            color_mode=color_mode, image_size=tuple(image_size),
            batch_size=None, shuffle=False, verbose=False,
        )
    except ValueError as error:
        raise ValueError(
            f"Cannot read images from {folder}: {error} Put .png/.jpg/.bmp/"
            "/.gif files in it, or one subfolder of them per class. "
            f"Received: {argument}={str(path)!r}"
        ) from None
    images, labels = [], []
    for element in dataset.batch(1024).as_numpy_iterator():
        batch = element[0] if labelled else element
        # Keras returns float32 pixels in 0..255 (resized: not integers).
        images.append(np.clip(batch / 255.0, 0.0, 1.0))
        if labelled:
            labels.append(element[1])
    return (
        np.concatenate(images),
        np.concatenate(labels) if labelled else None,
    )

"""`from_arrays`: an `ImageDataset` from in-memory arrays.

Every loader in `zoo.datasets` ends here, so all data meets the same
checks, scaling, binarization and validation split.
"""

import numpy as np

from zoo.datasets import binarization
from zoo.datasets import checks
from zoo.datasets.image_dataset import ImageDataset
from zoo.validation import check_number


def from_arrays(x_train, y_train=None, x_test=None, y_test=None,
                binarize="none", validation_size=0, seed=0, name="arrays"):
    """Build an `ImageDataset` from numpy arrays.

    `uint8` images are scaled from 0..255 to [0, 1]; floating-point images
    must already lie in [0, 1]. The validation split is the last
    `validation_size` training examples (as Keras' `validation_split`),
    taken after binarization, so static binarization draws the whole
    training set first and then the test set, as the benchmark protocol
    does.

    Args:
        x_train: images `(N, H, W)` or `(N, H, W, C)`, uint8 or floats in
            [0, 1].
        y_train: optional labels, one row per training image.
        x_test: optional test images of the same height, width and channels.
        y_test: optional test labels.
        binarize: `"none"` (default), `"static"` or `"dynamic"`; see
            `zoo.datasets.binarization`.
        validation_size: int >= 0 (default 0), the number of training
            examples held out as the validation split.
        seed: int (default 0), seeds the static binarization and is the
            default seed of `as_dataset`.
        name: str, the dataset's name.

    Returns:
        An `ImageDataset`.

    Raises:
        ValueError: for bad images or labels (dtype, rank, empty, NaN/inf,
            values outside [0, 1], mismatched sizes), an unknown
            `binarize` or an invalid `validation_size`.

    Example:

    >>> x = np.random.default_rng(0).uniform(size=(100, 16, 16, 1))
    >>> data = zoo.datasets.from_arrays(x, validation_size=10)
    >>> data.x_train.shape, data.x_validation.shape
    ((90, 16, 16, 1), (10, 16, 16, 1))
    """
    checks.check_choice(binarize, binarization.MODES, "binarize")
    check_number(seed, "seed", integer=True)
    x_train = checks.to_unit_images(x_train, "x_train")
    if x_test is not None:
        x_test = checks.to_unit_images(x_test, "x_test")
        if x_test.shape[1:] != x_train.shape[1:]:
            raise ValueError(
                "`x_test` must have the same image shape as `x_train` "
                f"{x_train.shape[1:]}; resize one of them. "
                f"Received: x_test.shape={x_test.shape}"
            )
    if y_test is not None and x_test is None:
        raise ValueError(
            "`y_test` needs `x_test`; pass both or neither. "
            f"Received: y_test.shape={np.shape(y_test)}, x_test=None"
        )
    if y_train is not None:
        y_train = checks.check_labels(y_train, len(x_train), "y_train")
    if y_test is not None:
        y_test = checks.check_labels(y_test, len(x_test), "y_test")
    check_number(validation_size, "validation_size", integer=True, minimum=0,
                 maximum=len(x_train), below=True,
                 fix="The upper bound is the number of training examples.")
    if binarize == "static":
        x_train, x_test = binarization.binarize_static([x_train, x_test], seed)
    else:
        x_train = x_train.astype("float32")
        x_test = None if x_test is None else x_test.astype("float32")
    train_size = len(x_train) - validation_size
    return ImageDataset(
        name,
        train=(x_train[:train_size], _rows(y_train, 0, train_size)),
        validation=(
            (x_train[train_size:], _rows(y_train, train_size, None))
            if validation_size else (None, None)
        ),
        test=(x_test, y_test),
        binarize=binarize,
        seed=int(seed),
    )


def _rows(labels, start, stop):
    """labels[start:stop], or None without labels."""
    return None if labels is None else labels[start:stop]

"""scikit-learn's bundled 8x8 digits: a small set that needs no download."""

from sklearn import datasets as sklearn_datasets

from zoo.datasets.arrays import from_arrays

TRAIN_SIZE = 1500


def digits(binarize="none", validation_size=0, seed=0):
    """The 1,797 8x8 handwritten digits bundled with scikit-learn.

    Always available, offline, and small enough for tests and quick
    experiments. Pixels (0..16 in scikit-learn) are scaled to [0, 1]; the
    first 1,500 images are the training split, the last 297 the test split.

    Args:
        binarize: `"none"` (default), `"static"` or `"dynamic"`; see
            `zoo.datasets.binarization`.
        validation_size: int >= 0 (default 0), training examples held out
            (the last ones) as the validation split.
        seed: int (default 0), the binarization and pipeline seed.

    Returns:
        An `ImageDataset`: x_train `(1500 - validation_size, 8, 8, 1)`,
        x_test `(297, 8, 8, 1)`, float32 in [0, 1]; int labels 0-9.

    Example:

    >>> data = zoo.datasets.digits()
    >>> model = zoo.get("conv_vae", input_shape=(8, 8, 1), latent_dim=2)
    >>> model.compile()
    >>> model.fit(data.as_dataset(batch_size=64), epochs=1)
    """
    bunch = sklearn_datasets.load_digits()
    images = bunch.images / 16.0
    return from_arrays(
        images[:TRAIN_SIZE], bunch.target[:TRAIN_SIZE],
        images[TRAIN_SIZE:], bunch.target[TRAIN_SIZE:],
        binarize=binarize, validation_size=validation_size, seed=seed,
        name="digits",
    )

"""`ImageDataset`: the one type every loader in `zoo.datasets` returns."""

import tensorflow as tf

from zoo import validation
from zoo.datasets import binarization
from zoo.datasets import checks

SPLITS = ("train", "validation", "test")


def _in_memory_options():
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


#: The options of `ImageDataset.as_dataset`'s pipelines: `tf.data`'s
#: autotuning off. The arrays are in memory, so there is nothing to tune,
#: and an iterator with autotuning, deleted at an epoch's end, waits for its
#: tuning thread: `fit` epochs of 60 batches stalled by up to a second and
#: ran at a median 1.04-1.10x the time without it in three runs of
#: `python -m bench.speed` (part 5).
IN_MEMORY_OPTIONS = _in_memory_options()


class ImageDataset:
    """Train, validation and test images in [0, 1] with their labels.

    Every loader (`fashion_mnist()`, `mnist()`, `digits()`, `from_arrays()`,
    `from_directory()`) returns one; build your own with `from_arrays()`.
    Images are float32 numpy arrays of shape `(N, H, W, C)` with values in
    [0, 1] (exactly 0.0 / 1.0 after static binarization); labels are numpy
    arrays with one row per image, or None.

    Attributes:
        name: str, the dataset's name, e.g. `"fashion_mnist"`.
        x_train, y_train: the training images and labels.
        x_validation, y_validation: the validation split (None if empty).
        x_test, y_test: the test split (None if absent).
        binarize: `"none"`, `"static"` or `"dynamic"` (see
            `zoo.datasets.binarization`); `"dynamic"` arrays stay grey and
            `as_dataset` draws {0, 1} pixels batch by batch.
        seed: int, the seed of the binarization and of `as_dataset`.
        image_shape: `(H, W, C)`.

    Example:

    >>> data = zoo.datasets.digits()
    >>> data.x_train.shape
    (1500, 8, 8, 1)
    >>> model = zoo.get("conv_vae", input_shape=data.image_shape, latent_dim=2)
    >>> model.compile()
    >>> model.fit(data.as_dataset(batch_size=64), epochs=1)
    """

    def __init__(self, name, train, validation=(None, None),
                 test=(None, None), binarize="none", seed=0):
        self.name = name
        self.x_train, self.y_train = train
        self.x_validation, self.y_validation = validation
        self.x_test, self.y_test = test
        self.binarize = binarize
        self.seed = seed
        self.image_shape = tuple(self.x_train.shape[1:])

    def split(self, split):
        """The `(x, y)` arrays of `split`: `"train"`, `"validation"` or
        `"test"`.

        Raises:
            ValueError: for an unknown split or one this dataset lacks.
        """
        checks.check_choice(split, SPLITS, "split")
        x, y = {
            "train": (self.x_train, self.y_train),
            "validation": (self.x_validation, self.y_validation),
            "test": (self.x_test, self.y_test),
        }[split]
        if x is None:
            hint = (
                "pass validation_size > 0 to the loader"
                if split == "validation"
                else "pass x_test to from_arrays()"
            )
            raise ValueError(
                f"The dataset {self.name!r} has no {split} split; {hint}. "
                f"Received: split={split!r}"
            )
        return x, y

    def as_dataset(self, split="train", batch_size=128, shuffle=True,
                   seed=None, with_labels=False, conditional=False):
        """A `tf.data` pipeline over one split: shuffle, batch, prefetch.

        Batches hold images only by default, so `model.fit(dataset)` trains
        a VAE directly; `with_labels=True` yields `(x, y)` pairs instead.
        The arrays already live in memory, so the pipeline needs no
        `cache()`. With `binarize="dynamic"` every batch of every epoch is
        a fresh Bernoulli draw. `conditional=True` yields the
        `{"x": x, "labels": y}` inputs a conditional model (`num_classes=`) trains on.
        `tf.data`'s autotuning is off (`IN_MEMORY_OPTIONS`).

        Args:
            split: `"train"` (default), `"validation"` or `"test"`.
            batch_size: int > 0 (default 128).
            shuffle: bool (default True); reshuffled every epoch.
            seed: int or None (default: the dataset's `seed`); seeds the
                shuffle and the dynamic binarization.
            with_labels: bool (default False); yield `(x, y)` pairs.
            conditional: bool (default False); yield `{"x": x, "labels": y}`
                dicts, a conditional model's inputs.

        Returns:
            A `tf.data.Dataset` of float32 batches `(batch, H, W, C)`.

        Raises:
            ValueError: for a missing split, a `batch_size` that is not a
                positive int, or `with_labels=True` or `conditional=True`
                without labels.
        """
        x, y = self.split(split)
        validation.check_positive_int(batch_size, "batch_size")
        labelled = with_labels or conditional
        if labelled and y is None:
            raise ValueError(
                f"The {split} split of {self.name!r} has no labels; use "
                "with_labels=False and conditional=False, or pass labels to "
                f"the loader. Received: with_labels={with_labels}, "
                f"conditional={conditional}"
            )
        seed = self.seed if seed is None else seed
        dataset = tf.data.Dataset.from_tensor_slices((x, y) if labelled else x)
        if shuffle:
            dataset = dataset.shuffle(
                len(x), seed=seed, reshuffle_each_iteration=True
            )
        batches = finish(dataset.batch(batch_size), self.binarize, seed)
        if conditional:
            batches = batches.map(lambda x, y: {"x": x, "labels": y})
        return batches.with_options(IN_MEMORY_OPTIONS)

    def __repr__(self):
        sizes = ", ".join(
            f"{split}={len(getattr(self, 'x_' + split))}"
            for split in SPLITS
            if getattr(self, "x_" + split) is not None
        )
        return (
            f"ImageDataset(name={self.name!r}, image_shape="
            f"{self.image_shape}, {sizes}, binarize={self.binarize!r})"
        )


def finish(batches, binarize, seed):
    """The per-batch end of every pipeline: dynamic binarization (if
    chosen), then prefetch."""
    if binarize == "dynamic":
        batches = binarization.binarize_dynamic(batches, seed)
    return batches.prefetch(tf.data.AUTOTUNE)


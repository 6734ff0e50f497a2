"""The training data of `zoo train`, and the model options it is given.

`zoo train MODEL` reads its data from one of:

- `--dataset NAME`: a built-in dataset (`fashion_mnist`, `mnist`,
  `digits`), with its own test split;
- `--data FOLDER` of image files (PNG, JPEG, BMP, GIF): read with
  `zoo.datasets.from_directory`, resized to `--image-size H,W` (default:
  the size of the first image) with `--channels 1|3|4` (default: those
  of the first image); one subfolder per class gives labels;
- `--data FILE.npy`: an array of images `(N, H, W)` or `(N, H, W, C)`,
  uint8 or floats in [0, 1]; `--data FILE.npz`: its `x_train` (and
  `y_train`, `x_test`, `y_test` if present), or its only array;
- `--data FOLDER` written by `zoo.datasets.write_stream` (it holds
  `images.npy`): streamed from disk with flat memory.

`--labels FILE.npy` gives int labels, one per image, where the data has
none of its own (a conditional model needs them; other models colour the
latent scatter with them).

Folders and arrays without a test split hold out 10% of their images
(at least one) as the test split: a random sample with a fixed seed
(`zoo.datasets.splits`), stratified by class when there are labels (the
last files of a folder of class subfolders would be its last class).
Images labelled -1 (unlabelled, for a semi-supervised model) all train;
10% of the labelled ones are held out, so the split is scored with its
labels. A stream is too large to split, so it trains on every image and
is scored on its first `STREAM_TEST_IMAGES` (read with
`numpy.load(mmap_mode="r")`), which `metrics.json` says.

Everything about the data is checked here, before a model is built or a
file written: images of 1, 3 or 4 channels (the figures' colours; a
channels-first array is refused with the fix), readable image files
(a damaged one is named), int labels >= -1 with at most `MAX_CLASSES`
classes. `fingerprint` identifies the data's content, so a run is never
resumed on other data (zoo/training/runs.py).

`parse_option("filters=16,32")` reads one `--option KEY=VALUE`.
"""

import ast
import hashlib
import math
import pathlib

import numpy as np

from zoo.numbers import MAX_IMAGE_SIDE

#: Images a streamed run is scored and drawn on (its first ones).
STREAM_TEST_IMAGES = 1000

#: The share of a folder's or array's images held out as its test split.
TEST_FRACTION = 0.1

#: `--channels` -> `from_directory`'s colour mode.
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}

BUILT_IN = ("fashion_mnist", "mnist", "digits")

#: The most classes labels may give (1 + the largest label): a conditional
#: model's networks take one-hot labels of this size, and a
#: semi-supervised one decodes every image once per class.
MAX_CLASSES = 10_000

#: The channel counts the figures draw: grey, RGB, RGBA.
CHANNELS = (1, 3, 4)


class TrainingData:
    """What `zoo train` trains on, however it was given.

    Attributes:
        description: str, where the data came from, for run.json.
        image_shape: `(H, W, C)`.
        binarize: the binarization applied (`"none"`, `"static"` or
            `"dynamic"`).
        x_test, y_test: the images (and int labels, or None) the run is
            scored and drawn on.
        test_split: str, what `x_test` is, in words.
        num_classes: int, 1 + the largest label, or None without labels.
        class_names: the name of each class (index = label), or None.
        unlabelled: int, the training images labelled -1 (unlabelled).
        num_train: int, the number of training images.
        fingerprint: str, a digest of the data's content (`fingerprint`).
    """

    def __init__(self, description, image_shape, binarize, train, x_test,
                 y_test, test_split, num_classes, class_names=None,
                 unlabelled=0, num_train=None):
        self.description = description
        self.image_shape = tuple(image_shape)
        self.binarize = binarize
        self._train = train
        self.x_test = x_test
        self.y_test = y_test
        self.test_split = test_split
        self.num_classes = num_classes
        self.class_names = class_names
        self.unlabelled = unlabelled
        self.num_train = num_train
        self.fingerprint = None

    @property
    def has_labels(self):
        return self.y_test is not None

    def train_dataset(self, batch_size, seed, conditional):
        """The `tf.data` pipeline `fit` trains on: images, or
        `{"x", "labels"}` dicts for a conditional model."""
        return self._train(batch_size, seed, conditional)

    def test_dataset(self, conditional, batch_size=500):
        """The held-out images as a `tf.data` pipeline, for validation."""
        import tensorflow as tf

        if conditional:
            dataset = tf.data.Dataset.from_tensor_slices(
                {"x": self.x_test, "labels": self.y_test.astype("int32")}
            )
        else:
            dataset = tf.data.Dataset.from_tensor_slices(self.x_test)
        return dataset.batch(batch_size)


def load(settings):
    """The `TrainingData` of a `zoo train` run from its settings (the
    parsed arguments, or a run.json read back).

    Args:
        settings: dict with `dataset`, `data`, `image_size`, `channels`,
            `labels`, `binarize` and `seed`.

    Raises:
        ValueError: for data that cannot be read, or options that do not
            apply to it; the message says what to pass instead.
    """
    data = settings.get("data")
    if data is None:
        for option in ("image_size", "channels", "labels"):
            if settings.get(option) is not None:
                raise ValueError(
                    f"--{option.replace('_', '-')} applies to --data; the "
                    f"built-in dataset {settings['dataset']!r} has its own "
                    "images and labels. Drop it, or pass --data PATH."
                )
        return _built_in(settings)
    path = pathlib.Path(data).expanduser()
    if (path / "images.npy").is_file():
        loaded = _stream(path, settings)
    elif path.is_dir():
        loaded = _folder(path, settings)
    elif path.suffix in (".npy", ".npz") and path.is_file():
        loaded = _array_file(path, settings)
    else:
        loaded = None
    if loaded is not None:
        _check_channels(loaded.image_shape, data)
        loaded.fingerprint = fingerprint(path, settings.get("labels"))
        return loaded
    raise ValueError(
        f"--data must be a folder of images, a .npy/.npz array or a "
        f"write_stream folder; {str(path)!r} is none of these (missing, "
        "or another file type). Received: --data " + str(data)
    )


def parse_option(text):
    """`(key, value)` of one `--option KEY=VALUE`.

    Values read as Python literals where they are one: ints, floats,
    `None`, `True`/`False`, and tuples written `16,32` (or `(16, 32)`;
    one element: `128,`); anything else is a str (`prior=mixture`).

    `nan` and `inf` (any case, signed) read as floats, and are refused:
    no model option takes a non-finite number.

    Raises:
        ValueError: without a `=` or a key, or for a non-finite number.
    """
    key, separator, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not separator or not key.isidentifier():
        raise ValueError(
            "--option must be KEY=VALUE with a model option as KEY, e.g. "
            f"--option filters=16,32. Received: --option {text}"
        )
    value = _parse_value(value.strip())
    for number in value if isinstance(value, tuple) else (value,):
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(
                f"--option {key} must be a finite number (NaN and infinity "
                f"are never valid options), e.g. --option {key}=1.0. "
                f"Received: --option {text}"
            )
    return key, value


def _parse_value(text):
    if "," in text and not text.startswith(("(", "[")):
        return tuple(_parse_value(part.strip()) for part in text.split(",")
                     if part.strip())
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return float(text)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    if isinstance(value, list):
        return tuple(value)
    return value


# Sources ---------------------------------------------------------------------


def _built_in(settings):
    from zoo import datasets
    from zoo import plotting

    name, binarize = settings["dataset"], settings["binarize"] or "static"
    data = getattr(datasets, name)(binarize=binarize, seed=settings["seed"])
    return _from_image_dataset(data, name, binarize, "the dataset's test split",
                               class_names=plotting.CLASS_NAMES.get(name))


def _folder(path, settings):
    from zoo.datasets import directory

    files, _, class_names = directory.image_files(path, "--data")
    image_size, channels = _image_format(files[0], settings)
    x, y = _read_folder(path, image_size, channels)
    if y is not None and settings.get("labels") is not None:
        raise ValueError(
            f"{path} has one subfolder per class, which gives the labels; "
            "drop --labels, or put the images in the folder itself. "
            f"Received: --labels {settings['labels']}"
        )
    if y is None:
        y = _labels_file(settings, len(x))
        class_names = None
    return _held_out_split(
        x, y, settings, path.name,
        f"folder {path} ({image_size[0]}x{image_size[1]}, {channels} "
        "channel(s))", class_names=class_names,
    )


def _array_file(path, settings):
    from zoo import datasets

    _no_image_options(settings, f"the array file {path}")
    arrays = _read_arrays(path)
    y = arrays.get("y_train")
    argument = "y_train"
    if y is not None and settings.get("labels") is not None:
        raise ValueError(
            f"{path} holds y_train, which gives the labels; drop --labels. "
            f"Received: --labels {settings['labels']}"
        )
    if y is None:
        y = _labels_file(settings, len(arrays["x_train"]))
        argument = "--labels"
    binarize = settings["binarize"] or "static"
    if "x_test" in arrays:
        if (arrays.get("y_test") is None) != (y is None):
            raise ValueError(
                f"{path} must give labels for both splits or for neither: "
                "add y_test (or y_train), or remove the other."
            )
        y = class_labels(y, argument)
        y_test = class_labels(arrays.get("y_test"), "y_test",
                              unlabelled=False)
        data = datasets.from_arrays(
            arrays["x_train"], y, arrays["x_test"], y_test,
            binarize=binarize, seed=settings["seed"], name=path.stem,
        )
        return _from_image_dataset(data, f"arrays {path}", binarize,
                                   f"x_test of {path.name}",
                                   unlabelled=_unlabelled(y))
    return _held_out_split(arrays["x_train"], y, settings, path.stem,
                           f"arrays {path}", argument=argument)


def _held_out_split(x, y, settings, name, description, class_names=None,
                    argument="--labels"):
    """`TrainingData` over images `x` (and labels `y` or None) without a
    test split: a seeded sample of 10% is held out as one
    (`zoo.datasets.splits.held_out_order`), stratified by class, labelled
    images only."""
    from zoo import datasets
    from zoo.datasets import splits

    binarize = settings["binarize"] or "static"
    if np.ndim(x) < 3:  # from_arrays says what is wrong
        datasets.from_arrays(x)
    y = class_labels(y, argument)
    held_out = _held_out(len(x), y)
    order = splits.held_out_order(len(x), held_out, y)
    data = datasets.from_arrays(
        np.asarray(x)[order], None if y is None else y[order],
        binarize=binarize, seed=settings["seed"], name=name,
        validation_size=held_out,
    )
    return _from_image_dataset(
        data, description, binarize, _held_out_words(len(x), y),
        split="validation", class_names=class_names,
        unlabelled=_unlabelled(y),
    )


def _stream(path, settings):
    from zoo import datasets
    from zoo.datasets import checks

    _no_image_options(settings, f"the write_stream folder {path}")
    binarize = settings["binarize"] or "dynamic"
    if binarize == "static":
        raise ValueError(
            "A write_stream folder is read as it is written, so it cannot be "
            "binarized once ahead: pass --binarize dynamic (a fresh draw "
            "per batch) or none, or write {0, 1} images. "
            "Received: --binarize static"
        )
    images = np.load(path / "images.npy", mmap_mode="r")
    has_labels = (path / "labels.npy").is_file()
    if settings.get("labels") is not None:
        raise ValueError(
            f"A write_stream folder keeps its labels in labels.npy beside "
            f"images.npy; drop --labels and write them with "
            f"write_stream(folder, x, y). Received: --labels "
            f"{settings['labels']}"
        )
    x_test = np.asarray(images[:STREAM_TEST_IMAGES], "float32")
    y_test = None
    num_classes = None
    unlabelled = 0
    if has_labels:
        labels = class_labels(np.load(path / "labels.npy"),
                              f"{path / 'labels.npy'}")
        checks.check_labels(labels, len(images), "labels")
        y_test = labels[:STREAM_TEST_IMAGES]
        unlabelled = _unlabelled(labels)
        if unlabelled:  # scored with its labels: the labelled ones
            if np.all(y_test == -1):
                raise ValueError(
                    f"The first {len(y_test)} images of {path} are all "
                    "unlabelled (-1); a stream is scored on its first "
                    "images, with their labels. Write some labelled images "
                    "first."
                )
            x_test, y_test = x_test[y_test != -1], y_test[y_test != -1]
        num_classes = int(np.max(labels)) + 1

    def train(batch_size, seed, conditional):
        stream = datasets.read_stream(
            path, batch_size=batch_size, seed=seed, binarize=binarize,
            with_labels=conditional,
        )
        if conditional:
            stream = stream.map(lambda x, y: {"x": x, "labels": y})
        return stream

    if binarize == "dynamic":
        x_test = datasets.binarize_static([x_test], settings["seed"])[0]
    return TrainingData(
        f"write_stream folder {path} ({len(images)} images)",
        images.shape[1:], binarize, train, x_test, y_test,
        f"the first {len(x_test)} training images (a stream has no "
        "held-out split)", num_classes, unlabelled=unlabelled,
        num_train=len(images),
    )


def _from_image_dataset(data, description, binarize, test_split,
                        split="test", class_names=None, unlabelled=0):
    """`TrainingData` over an `ImageDataset`, scored on `split`."""
    x_test, y_test = data.split(split)

    def train(batch_size, seed, conditional):
        return data.as_dataset(
            "train", batch_size=batch_size, seed=seed,
            conditional=conditional,
        )

    num_classes = None
    if data.y_train is not None:
        num_classes = int(max(np.max(data.y_train), np.max(y_test))) + 1
    return TrainingData(description, data.image_shape, binarize, train,
                        x_test, y_test, test_split, num_classes, class_names,
                        unlabelled, num_train=len(data.x_train))


# Reading ---------------------------------------------------------------------


def _image_format(first, settings):
    """`(image_size, channels)`: the options given, else those of the
    image file `first`."""
    image_size, channels = settings.get("image_size"), settings.get(
        "channels")
    if image_size is None or channels is None:
        from PIL import Image

        try:
            with Image.open(first) as image:
                image.load()
        except Exception as error:  # noqa: BLE001 - any decoding failure
            reason = " ".join(str(error).split()) or type(error).__name__
            raise ValueError(
                f"Cannot read the image {first} ({reason}): it is damaged "
                "or not an image. Replace or remove it. Received: --data "
                f"{first.parent}"
            ) from None
        if image_size is None:
            image_size = (image.height, image.width)
            if max(image_size) > MAX_IMAGE_SIDE:
                raise ValueError(
                    f"The image {first} is {image.height}x{image.width}, "
                    f"above the zoo's {MAX_IMAGE_SIDE} pixels a side; pass "
                    "--image-size HEIGHT,WIDTH to resize the images, e.g. "
                    "--image-size 64,64."
                )
        if channels is None:
            channels = {"L": 1, "1": 1, "I": 1, "I;16": 1, "F": 1,
                        "LA": 4, "RGBA": 4, "PA": 4}.get(image.mode, 3)
    if channels not in COLOR_MODES:
        raise ValueError(
            "--channels must be 1 (grey), 3 (RGB) or 4 (RGBA). "
            f"Received: --channels {channels}"
        )
    return tuple(image_size), channels


def _read_folder(path, image_size, channels):
    """Images `(N, H, W, C)` in [0, 1] and labels or None, from a folder."""
    from zoo import datasets

    data = datasets.from_directory(
        path, image_size=image_size, color_mode=COLOR_MODES[channels]
    )
    return data.x_train, data.y_train


def _read_arrays(path):
    """`{"x_train", ...}` from a .npy file or a .npz archive."""
    try:
        if path.suffix == ".npy":
            return {"x_train": np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as error:
        raise ValueError(
            f"Cannot read {path} ({error}); save it with numpy.save or "
            "numpy.savez. Received: --data " + str(path)
        ) from None
    if "x_train" in arrays:
        known = {"x_train", "y_train", "x_test", "y_test"}
        unknown = sorted(set(arrays) - known)
        if unknown:
            raise ValueError(
                f"{path} holds arrays {unknown} besides x_train; an .npz "
                f"may hold only {sorted(known)}. Remove the others."
            )
        return arrays
    if len(arrays) == 1:
        return {"x_train": next(iter(arrays.values()))}
    raise ValueError(
        f"{path} holds arrays {sorted(arrays)}: name the images x_train "
        "(and optionally y_train, x_test, y_test), or save one array."
    )


def _labels_file(settings, num_images):
    """The int labels of `--labels FILE.npy`, checked, or None."""
    from zoo.datasets import checks

    labels = settings.get("labels")
    if labels is None:
        return None
    try:
        values = np.load(pathlib.Path(labels).expanduser(),
                         allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"--labels must be a .npy file of int labels, one per image "
            f"({error}). Received: --labels {labels}"
        ) from None
    if not np.issubdtype(values.dtype, np.integer) or values.ndim != 1:
        raise ValueError(
            "--labels must hold one int label per image, shape (N,). "
            f"Received: dtype={values.dtype}, shape={values.shape}"
        )
    return class_labels(checks.check_labels(values, num_images, "--labels"),
                        "--labels")


def _no_image_options(settings, what):
    for option in ("image_size", "channels"):
        if settings.get(option) is not None:
            raise ValueError(
                f"--{option.replace('_', '-')} applies to a folder of image "
                f"files; {what} has its own image shape. Drop it."
            )


def _held_out(num_images, labels=None):
    """How many images the test split holds: 10% (at least 1) of the
    images, or of the labelled ones when some are labelled -1."""
    candidates = num_images
    if labels is not None and _unlabelled(labels):
        candidates = num_images - _unlabelled(labels)
        if candidates < 2:
            raise ValueError(
                f"The labels mark {num_images - candidates} of {num_images} "
                "images unlabelled (-1); at least 2 must be labelled, one "
                "to train on and one held out for testing. Label more "
                f"images. Received: {candidates} labelled image(s)"
            )
    if candidates < 2:
        raise ValueError(
            f"--data needs at least 2 images (one is held out for testing). "
            f"Received: {num_images}"
        )
    return max(1, int(candidates * TEST_FRACTION))


def _held_out_words(num_images, labels=None):
    held_out = _held_out(num_images, labels)
    how = "a random sample (fixed seed)"
    if labels is not None:
        how += ", stratified by class"
        if _unlabelled(labels):
            how += ", of the labelled images"
    return f"{held_out} of {num_images} images, held out: {how}"


def _unlabelled(labels):
    """How many of `labels` (or None) are -1, unlabelled."""
    return 0 if labels is None else int(np.count_nonzero(labels == -1))


def class_labels(labels, argument, unlabelled=True):
    """`labels` (or None) as int64 class ids, checked before any training:
    integers, one per image, >= 0 or -1 (unlabelled; only where
    `unlabelled`), at most `MAX_CLASSES` classes.

    Raises:
        ValueError: naming `argument` and the fix.
    """
    if labels is None:
        return None
    values = np.asarray(labels)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"{argument} must hold one int class id per image, shape (N,) "
            "(one-hot labels: labels.argmax(axis=-1)). "
            f"Received: {argument}.shape={values.shape}"
        )
    if not len(values):
        return values.astype("int64")
    if not (np.issubdtype(values.dtype, np.integer) or (
        np.issubdtype(values.dtype, np.floating)
        and np.all(np.isfinite(values)) and np.all(values == np.round(values))
    )):
        raise ValueError(
            f"{argument} must hold int class ids. "
            f"Received: {argument}.dtype={values.dtype}"
        )
    values = values.astype("int64")
    lowest = -1 if unlabelled else 0
    if values.min() < lowest:
        index = int(np.argmin(values))
        raise ValueError(
            f"{argument} must hold class ids >= 0"
            + (", or -1 for an unlabelled image (a semi-supervised model's "
               "training data)" if unlabelled else " (-1, unlabelled, is "
               "only for training images)")
            + f"; image {index} has the label {values[index]}. Fix or drop "
            f"it. Received: {argument} values from {values.min()} to "
            f"{values.max()}"
        )
    if values.max() + 1 > MAX_CLASSES:
        raise ValueError(
            f"{argument} gives {values.max() + 1:,} classes (its largest id "
            f"is {values.max():,}), above the zoo's limit of "
            f"{MAX_CLASSES:,}; a model builds one input per class. Number "
            "the classes 0..C-1, e.g. labels = numpy.unique(labels, "
            f"return_inverse=True)[1]. Received: {argument} values from "
            f"{values.min()} to {values.max()}"
        )
    return values


def _check_channels(image_shape, data):
    """Refuse images the run's figures cannot draw: 1, 3 or 4 channels."""
    if len(image_shape) != 3 or image_shape[-1] in CHANNELS:
        return
    fix = "convert them to 1 (grey), 3 (RGB) or 4 (RGBA) channels"
    if image_shape[0] in CHANNELS:
        fix = ("they look channels-first: put the channels last, e.g. "
               "x = numpy.moveaxis(x, 1, -1)")
    raise ValueError(
        f"--data images must be (N, H, W) or (N, H, W, C) with C = 1, 3 or "
        f"4 channels; these are {image_shape} each, so C = "
        f"{image_shape[-1]}: {fix}. Received: --data {data}"
    )


def fingerprint(path, labels=None):
    """A digest of the data at `path` (and of the `labels` file): what a
    resumed run checks it is trained on (zoo/training/runs.py).

    An array file and a folder of images are hashed whole (every image's
    path and bytes); a `write_stream` folder, too large for that, by the
    size, modification time, first and last MiB of its files."""
    from zoo.datasets import directory

    digest = hashlib.sha256()
    path = pathlib.Path(path).expanduser()
    if (path / "images.npy").is_file():
        for name in ("images.npy", "labels.npy"):
            _digest_sample(digest, path / name)
    elif path.is_dir():
        files, _, _ = directory.image_files(path, "--data")
        for file in files:
            digest.update(str(file.relative_to(path)).encode() + b"\0")
            _digest_file(digest, file)
    else:
        _digest_file(digest, path)
    if labels is not None:
        digest.update(b"labels\0")
        _digest_file(digest, pathlib.Path(labels).expanduser())
    return digest.hexdigest()[:20]


def _digest_file(digest, path):
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)


def _digest_sample(digest, path):
    if not path.is_file():
        digest.update(b"none\0")
        return
    status = path.stat()
    digest.update(f"{status.st_size}:{status.st_mtime_ns}\0".encode())
    with open(path, "rb") as file:
        digest.update(file.read(1 << 20))
        file.seek(max(0, status.st_size - (1 << 20)))
        digest.update(file.read(1 << 20))

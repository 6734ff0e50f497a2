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

Folders and arrays without a test split hold out their last 10% of
images (at least one) as the test split; a stream is too large to split,
so it trains on every image and is scored on its first
`STREAM_TEST_IMAGES` (read with `numpy.load(mmap_mode="r")`), which
`metrics.json` says.

`parse_option("filters=16,32")` reads one `--option KEY=VALUE`.
"""

import ast
import pathlib

import numpy as np

#: Images a streamed run is scored and drawn on (its first ones).
STREAM_TEST_IMAGES = 1000

#: The share of a folder's or array's images held out as its test split.
TEST_FRACTION = 0.1

#: `--channels` -> `from_directory`'s colour mode.
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}

BUILT_IN = ("fashion_mnist", "mnist", "digits")


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
    """

    def __init__(self, description, image_shape, binarize, train, x_test,
                 y_test, test_split, num_classes, class_names=None):
        self.description = description
        self.image_shape = tuple(image_shape)
        self.binarize = binarize
        self._train = train
        self.x_test = x_test
        self.y_test = y_test
        self.test_split = test_split
        self.num_classes = num_classes
        self.class_names = class_names

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
        return _stream(path, settings)
    if path.is_dir():
        return _folder(path, settings)
    if path.suffix in (".npy", ".npz") and path.is_file():
        return _array_file(path, settings)
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

    Raises:
        ValueError: without a `=` or a key.
    """
    key, separator, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not separator or not key.isidentifier():
        raise ValueError(
            "--option must be KEY=VALUE with a model option as KEY, e.g. "
            f"--option filters=16,32. Received: --option {text}"
        )
    return key, _parse_value(value.strip())


def _parse_value(text):
    if "," in text and not text.startswith(("(", "[")):
        return tuple(_parse_value(part.strip()) for part in text.split(",")
                     if part.strip())
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
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
    from zoo import datasets

    image_size, channels = _image_format(path, settings)
    x, y = _read_folder(path, image_size, channels)
    if y is not None and settings.get("labels") is not None:
        raise ValueError(
            f"{path} has one subfolder per class, which gives the labels; "
            "drop --labels, or put the images in the folder itself. "
            f"Received: --labels {settings['labels']}"
        )
    if y is None:
        y = _labels_file(settings, len(x))
    binarize = settings["binarize"] or "static"
    data = datasets.from_arrays(
        x, y, binarize=binarize, seed=settings["seed"], name=path.name,
        validation_size=_held_out(len(x)),
    )
    class_names = None
    if settings.get("labels") is None and y is not None:
        class_names = sorted(child.name for child in path.iterdir()
                             if child.is_dir())
    return _from_image_dataset(
        data, f"folder {path} ({image_size[0]}x{image_size[1]}, "
        f"{channels} channel(s))", binarize, _held_out_words(len(x)),
        split="validation", class_names=class_names,
    )


def _array_file(path, settings):
    from zoo import datasets

    _no_image_options(settings, f"the array file {path}")
    arrays = _read_arrays(path)
    y = arrays.get("y_train")
    if y is not None and settings.get("labels") is not None:
        raise ValueError(
            f"{path} holds y_train, which gives the labels; drop --labels. "
            f"Received: --labels {settings['labels']}"
        )
    if y is None:
        y = _labels_file(settings, len(arrays["x_train"]))
    binarize = settings["binarize"] or "static"
    if "x_test" in arrays:
        if (arrays.get("y_test") is None) != (y is None):
            raise ValueError(
                f"{path} must give labels for both splits or for neither: "
                "add y_test (or y_train), or remove the other."
            )
        data = datasets.from_arrays(
            arrays["x_train"], y, arrays["x_test"], arrays.get("y_test"),
            binarize=binarize, seed=settings["seed"], name=path.stem,
        )
        return _from_image_dataset(data, f"arrays {path}", binarize,
                                   f"x_test of {path.name}")
    data = datasets.from_arrays(
        arrays["x_train"], y, binarize=binarize, seed=settings["seed"],
        name=path.stem, validation_size=_held_out(len(arrays["x_train"])),
    )
    return _from_image_dataset(
        data, f"arrays {path}", binarize,
        _held_out_words(len(arrays["x_train"])), split="validation",
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
    if has_labels:
        labels = np.load(path / "labels.npy", mmap_mode="r")
        y_test = checks.check_labels(
            np.asarray(labels[:STREAM_TEST_IMAGES]), len(x_test), "labels"
        )
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
        "held-out split)", num_classes,
    )


def _from_image_dataset(data, description, binarize, test_split,
                        split="test", class_names=None):
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
                        x_test, y_test, test_split, num_classes, class_names)


# Reading ---------------------------------------------------------------------


def _image_format(path, settings):
    """`(image_size, channels)`: the options given, else the first
    image's."""
    image_size, channels = settings.get("image_size"), settings.get(
        "channels")
    if image_size is None or channels is None:
        from PIL import Image

        with Image.open(_first_image(path)) as image:
            image.load()
        if image_size is None:
            image_size = (image.height, image.width)
        if channels is None:
            channels = {"L": 1, "1": 1, "I": 1, "I;16": 1, "F": 1,
                        "LA": 4, "RGBA": 4, "PA": 4}.get(image.mode, 3)
    if channels not in COLOR_MODES:
        raise ValueError(
            "--channels must be 1 (grey), 3 (RGB) or 4 (RGBA). "
            f"Received: --channels {channels}"
        )
    return tuple(image_size), channels


def _first_image(path):
    suffixes = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
    for file in sorted(path.rglob("*")):
        if file.suffix.lower() in suffixes and file.is_file():
            return file
    raise ValueError(
        f"{path} holds no images: put .png/.jpg/.bmp/.gif files in it, or "
        "one subfolder of them per class. Received: --data " + str(path)
    )


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
    return checks.check_labels(values, num_images, "--labels")


def _no_image_options(settings, what):
    for option in ("image_size", "channels"):
        if settings.get(option) is not None:
            raise ValueError(
                f"--{option.replace('_', '-')} applies to a folder of image "
                f"files; {what} has its own image shape. Drop it."
            )


def _held_out(num_images):
    if num_images < 2:
        raise ValueError(
            f"--data needs at least 2 images (one is held out for testing). "
            f"Received: {num_images}"
        )
    return max(1, int(num_images * TEST_FRACTION))


def _held_out_words(num_images):
    return (f"the last {_held_out(num_images)} of {num_images} images, "
            "held out")

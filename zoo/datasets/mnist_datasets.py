"""Fashion-MNIST and MNIST, found on disk first and downloaded last.

Both are 28x28 grey images of 10 classes, 60,000 for training and 10,000
for testing, stored as four idx files (see `zoo.datasets.idx`):

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

(uncompressed files without `.gz` work too), or as one `.npz` file with
arrays `x_train`, `y_train`, `x_test`, `y_test` (Keras' `mnist.npz`).
"""

import os
import pathlib

import keras
import numpy as np

from zoo.datasets import idx
from zoo.datasets.arrays import from_arrays

FILES = {
    "x_train": ("train-images-idx3-ubyte", idx.IMAGES_MAGIC),
    "y_train": ("train-labels-idx1-ubyte", idx.LABELS_MAGIC),
    "x_test": ("t10k-images-idx3-ubyte", idx.IMAGES_MAGIC),
    "y_test": ("t10k-labels-idx1-ubyte", idx.LABELS_MAGIC),
}

# Where each dataset may already be on disk, besides `data_dir` and
# `ZOO_DATA_DIR`: the folder name used under `ZOO_DATA_DIR`, the Debian
# package's folder, and the Keras cache folder under `KERAS_HOME`.
SOURCES = {
    "fashion_mnist": {
        "folder": "fashion-mnist",
        "debian_directory": "/usr/share/datasets/fashion-mnist",
        "debian_package": "dataset-fashion-mnist",
        "keras_cache": "datasets/fashion-mnist",
        "keras_module": "fashion_mnist",
    },
    "mnist": {
        "folder": "mnist",
        "debian_directory": None,
        "debian_package": None,
        "keras_cache": "datasets",
        "keras_module": "mnist",
    },
}


def fashion_mnist(data_dir=None, binarize="none", validation_size=0, seed=0):
    """Fashion-MNIST: 70,000 28x28 grey images of clothing, 10 classes.

    The idx files are looked for, in this order, in:

    1. `$ZOO_DATA_DIR/fashion-mnist` if that environment variable is set;
    2. `/usr/share/datasets/fashion-mnist` (Debian/Ubuntu package
       `dataset-fashion-mnist`);
    3. the Keras cache, `~/.keras/datasets/fashion-mnist` (or under
       `$KERAS_HOME`);
    4. finally `keras.datasets.fashion_mnist.load_data()` downloads them
       (this needs a network).

    An explicit `data_dir` replaces that search: the data is read from
    that folder only, and a folder that does not exist or lacks the files
    is an error naming it and the files expected there.

    Args:
        data_dir: str or path-like, optional folder holding the four idx
            files (or `fashion-mnist.npz`); None (default) searches the
            places above.
        binarize: `"none"` (default), `"static"` (the benchmark protocol,
            drawn once with `seed`) or `"dynamic"`; see
            `zoo.datasets.binarization`.
        validation_size: int >= 0 (default 0), training examples held out
            (the last ones) as the validation split.
        seed: int (default 0), the binarization and pipeline seed.

    Returns:
        An `ImageDataset`: x_train `(60000 - validation_size, 28, 28, 1)`,
        x_test `(10000, 28, 28, 1)`, float32 in [0, 1]; uint8 labels 0-9.

    Raises:
        FileNotFoundError: if no place holds the data (the message lists
            every place tried and the ways to get the data), or if an
            explicit `data_dir` does not hold it (the message names the
            folder and the expected files).
        ValueError: for a damaged file (naming it) or invalid arguments.

    Example:

    >>> data = zoo.datasets.fashion_mnist(binarize="static")
    >>> model.fit(data.as_dataset(batch_size=128), epochs=5)
    """
    return _load("fashion_mnist", data_dir, binarize, validation_size, seed)


def mnist(data_dir=None, binarize="none", validation_size=0, seed=0):
    """MNIST: 70,000 28x28 grey images of handwritten digits, 10 classes.

    Read from `data_dir` alone when it is given (an error naming the
    folder and the expected files if it lacks them); otherwise looked for
    in `$ZOO_DATA_DIR/mnist`, then the Keras cache
    (`~/.keras/datasets/mnist.npz`), then downloaded by
    `keras.datasets.mnist.load_data()` (this needs a network). A folder may
    hold the four idx files or `mnist.npz`. Arguments, return value and
    errors are those of `fashion_mnist()`.

    Example:

    >>> data = zoo.datasets.mnist(data_dir="~/data/mnist")
    """
    return _load("mnist", data_dir, binarize, validation_size, seed)


def _load(name, data_dir, binarize, validation_size, seed):
    """Find `name`'s arrays and build the `ImageDataset`."""
    source = SOURCES[name]
    if data_dir is not None:
        arrays = _read_given_directory(data_dir, source)
        return from_arrays(
            arrays["x_train"], arrays["y_train"], arrays["x_test"],
            arrays["y_test"], binarize=binarize,
            validation_size=validation_size, seed=seed, name=name,
        )
    tried = []
    for directory in _directories(source):
        arrays, reason = read_directory(directory, source["folder"])
        if arrays is not None:
            break
        tried.append(f"{directory}: {reason}")
    else:
        arrays = _download(source, tried)
    return from_arrays(
        arrays["x_train"], arrays["y_train"], arrays["x_test"],
        arrays["y_test"], binarize=binarize,
        validation_size=validation_size, seed=seed, name=name,
    )


def _read_given_directory(data_dir, source):
    """The arrays in the folder the caller named, or a `FileNotFoundError`
    naming the folder and the files expected in it (no fallback)."""
    directory = pathlib.Path(data_dir).expanduser()
    arrays, reason = read_directory(directory, source["folder"])
    if arrays is not None:
        return arrays
    expected = ", ".join(f"{stem}[.gz]" for stem, _ in FILES.values())
    raise FileNotFoundError(
        f"data_dir={str(data_dir)!r} does not hold the {source['folder']} "
        f"data ({reason}). Expected there: the four idx files {expected}, "
        f"or {source['folder']}.npz. Copy them there, or pass "
        "data_dir=None to search $ZOO_DATA_DIR, the system and Keras "
        "caches, and then download."
    )


def _directories(source):
    """The folders to search when no `data_dir` was given, in order."""
    directories = []
    if os.environ.get("ZOO_DATA_DIR"):
        directories.append(
            pathlib.Path(os.environ["ZOO_DATA_DIR"]).expanduser()
            / source["folder"]
        )
    if source["debian_directory"]:
        directories.append(pathlib.Path(source["debian_directory"]))
    keras_home = os.environ.get(
        "KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")
    )
    directories.append(pathlib.Path(keras_home) / source["keras_cache"])
    return directories


def read_directory(directory, folder):
    """Read the four idx files, or `<folder>.npz`, from `directory`.

    Args:
        directory: `pathlib.Path` to look in.
        folder: the dataset's file stem, e.g. `"fashion-mnist"`.

    Returns:
        `(arrays, None)` with a dict of the four uint8 arrays, or
        `(None, reason)` when the directory does not hold the dataset.

    Raises:
        ValueError: if a file is there but damaged.
    """
    npz = directory / f"{folder}.npz"
    paths = {}
    for key, (stem, _) in FILES.items():
        candidates = [directory / f"{stem}.gz", directory / stem]
        paths[key] = next((path for path in candidates if path.is_file()),
                          None)
    if all(paths.values()):
        arrays = {
            key: idx.read_idx(paths[key], FILES[key][1]) for key in FILES
        }
        for split in ("train", "test"):
            if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
                raise ValueError(
                    f"{paths['x_' + split]} holds "
                    f"{len(arrays['x_' + split])} images but "
                    f"{paths['y_' + split]} holds "
                    f"{len(arrays['y_' + split])} labels; the files do not "
                    "belong together. Get both again. "
                    f"Received: directory={str(directory)!r}"
                )
        return arrays, None
    if npz.is_file():
        return _read_npz(npz), None
    if not directory.is_dir():
        return None, "no such directory"
    missing = [FILES[key][0] + "[.gz]" for key, path in paths.items()
               if path is None]
    return None, f"missing {', '.join(missing)} (and no {npz.name})"


def _read_npz(path):
    """The four arrays of a Keras-style `.npz` file."""
    try:
        with np.load(path, allow_pickle=False) as content:
            return {key: content[key] for key in FILES}
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(
            f"Cannot read {path}: {error}. It must be an .npz file with "
            f"arrays {list(FILES)}; delete it and get it again. "
            f"Received: path={str(path)!r}"
        ) from None


def _download(source, tried):
    """`keras.datasets.<name>.load_data()`, or a `FileNotFoundError`
    listing every place tried and the ways to get the data."""
    download = f"keras.datasets.{source['keras_module']}.load_data"
    try:
        (x_train, y_train), (x_test, y_test) = getattr(
            keras.datasets, source["keras_module"]
        ).load_data()
        return {"x_train": x_train, "y_train": y_train,
                "x_test": x_test, "y_test": y_test}
    except Exception as error:  # Keras raises a bare Exception offline.
        tried.append(f"{download}(): {error}")
    ways = [
        f"with a network, run {download}() once (it fills the "
        "Keras cache)",
        "copy the four idx files (" + ", ".join(
            f"{stem}.gz" for stem, _ in FILES.values()
        ) + f") into a folder and pass data_dir=<folder>, or into "
        f"$ZOO_DATA_DIR/{source['folder']}",
    ]
    if source["debian_package"]:
        ways.insert(
            0, f"on Debian/Ubuntu: sudo apt-get install "
            f"{source['debian_package']}",
        )
    raise FileNotFoundError(
        f"Could not find the {source['folder']} data. Tried:\n  - "
        + "\n  - ".join(tried)
        + "\nGet the data one of these ways:\n  - "
        + "\n  - ".join(ways)
    )

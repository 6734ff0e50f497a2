"""Streaming from disk: train on more images than fit in memory.

`write_stream` saves images (and labels) as standard `.npy` files, chunk by
chunk; `read_stream` reads them back record by record with
`tf.data.FixedLengthRecordDataset`, so memory holds only the shuffle
buffer and a few batches, however many images the files hold. The files
stay ordinary numpy arrays: `numpy.load(path, mmap_mode="r")` opens them.
"""

import contextlib
import pathlib

import numpy as np
import tensorflow as tf

from zoo.training import atomic
from zoo import validation
from zoo.datasets import checks
from zoo.datasets.image_dataset import finish

IMAGES_FILE = "images.npy"
LABELS_FILE = "labels.npy"


def write_stream(directory, x, y=None, chunk_size=4096):
    """Write images (and labels) to `directory` for `read_stream`.

    `x` is read and checked `chunk_size` images at a time, so a
    `numpy.memmap` larger than memory can be written with flat memory.

    Args:
        directory: str or path-like; created if missing.
        x: images `(N, H, W)` or `(N, H, W, C)`, uint8 or floats in [0, 1];
            any array that slices along its first axis (e.g. a memmap).
        y: optional labels, one row per image.
        chunk_size: int > 0 (default 4096), images per chunk.

    Returns:
        The `pathlib.Path` of `directory`.

    Every file is written to a temporary name and renamed into place
    (`zoo.training.atomic`), and a `labels.npy` of an earlier call is removed when
    `y` is None: the images are never paired with labels they were not
    written with. A crash mid-write leaves the old files, the old or new
    images without labels (`read_stream(..., with_labels=True)` then says
    labels.npy is missing), or the new files; never a truncated file.

    Raises:
        ValueError: for invalid images or labels (naming the chunk's
            first index); the folder is then left as it was.

    Example:

    >>> zoo.datasets.write_stream("/data/big", x_train, y_train)
    >>> model.fit(zoo.datasets.read_stream("/data/big"), epochs=5)
    """
    validation.check_positive_int(chunk_size, "chunk_size")
    directory = pathlib.Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    atomic.remove_abandoned(directory)  # of writes killed earlier
    first = checks.to_unit_images(x[:1], "x")
    num_examples = len(x)
    labels = None if y is None else checks.check_labels(y, num_examples, "y")
    with contextlib.ExitStack() as stack:
        # Both files are written whole to temporary names first; the
        # renames run as the stack unwinds: images, then labels.
        if labels is not None:
            labels_path = stack.enter_context(
                atomic.replacing(directory / LABELS_FILE)
            )
            with open(labels_path, "wb") as file:
                np.save(file, labels.astype("<i8"))
        images_path = stack.enter_context(
            atomic.replacing(directory / IMAGES_FILE)
        )
        with open(images_path, "wb") as file:
            _write_header(file, "<f4", (num_examples, *first.shape[1:]))
            for start in range(0, num_examples, chunk_size):
                chunk = checks.to_unit_images(
                    x[start:start + chunk_size], f"x[{start}:]"
                )
                if chunk.shape[1:] != first.shape[1:]:
                    raise ValueError(
                        f"All images must have shape {first.shape[1:]}. "
                        f"Received: x[{start}:].shape={chunk.shape}"
                    )
                file.write(chunk.astype("<f4").tobytes())
        # Old labels go before the new images come, so no moment pairs new
        # images with old labels: a crash leaves the old files, the old
        # images alone, the new images alone, or the new files.
        (directory / LABELS_FILE).unlink(missing_ok=True)
    return directory


def read_stream(directory, batch_size=128, shuffle=True, seed=0,
                buffer_size=10_000, binarize="none", with_labels=False):
    """A `tf.data` pipeline that streams `write_stream`'s files from disk.

    Records are read in order, shuffled within a buffer of `buffer_size`
    images (reshuffled every epoch), batched and prefetched. Memory grows
    with `buffer_size` and `batch_size`, not with the number of images.

    Args:
        directory: str or path-like, written by `write_stream`.
        batch_size: int > 0 (default 128).
        shuffle: bool (default True).
        seed: int (default 0), seeds the shuffle and dynamic binarization.
        buffer_size: int > 0 (default 10,000), images in the shuffle buffer.
        binarize: `"none"` (default) or `"dynamic"` (a fresh Bernoulli draw
            per batch and epoch); for static binarization write {0, 1}
            images.
        with_labels: bool (default False); yield `(x, y)` pairs.

    Returns:
        A `tf.data.Dataset` of float32 batches `(batch, H, W, C)`.

    Raises:
        ValueError: if a file is missing, not float32/int64 `.npy`, or
            truncated; or for invalid arguments.

    Example:

    >>> stream = zoo.datasets.read_stream("/data/big", batch_size=256)
    >>> model.fit(stream, epochs=5)
    """
    validation.check_positive_int(batch_size, "batch_size")
    validation.check_positive_int(buffer_size, "buffer_size")
    checks.check_choice(binarize, ("none", "dynamic"), "binarize")
    directory = pathlib.Path(directory).expanduser()
    images, image_shape, num_images = _records(directory / IMAGES_FILE, "<f4")
    if with_labels:
        labels, label_shape, num_labels = _records(
            directory / LABELS_FILE, "<i8"
        )
        if num_labels != num_images:
            raise ValueError(
                f"{directory} holds {num_images} images but {num_labels} "
                "labels; write both again with write_stream(). "
                f"Received: directory={str(directory)!r}"
            )
        dataset = tf.data.Dataset.zip(images, labels)
    else:
        dataset = images
    if shuffle:
        dataset = dataset.shuffle(
            buffer_size, seed=seed, reshuffle_each_iteration=True
        )

    def decode(records, shape, dtype):
        values = tf.io.decode_raw(records, dtype, little_endian=True)
        return tf.reshape(values, (-1, *shape))

    def decode_batch(*batch):
        x = decode(batch[0], image_shape, tf.float32)
        if with_labels:
            return x, decode(batch[1], label_shape, tf.int64)
        return x

    batches = dataset.batch(batch_size).map(
        decode_batch, num_parallel_calls=tf.data.AUTOTUNE
    )
    return finish(batches, binarize, seed)


def _write_header(file, dtype, shape):
    """The `.npy` header for a C-ordered array of `dtype` and `shape`."""
    np.lib.format.write_array_header_1_0(
        file, {"descr": dtype, "fortran_order": False, "shape": shape}
    )


def _records(path, dtype):
    """A `FixedLengthRecordDataset` of one array row per record, the row
    shape and the number of rows, after checking the `.npy` file's header and size."""
    if not path.is_file():
        raise ValueError(
            f"{path} does not exist; write the data with write_stream() "
            "first (labels only if y was given). "
            f"Received: directory={str(path.parent)!r}"
        )
    with open(path, "rb") as file:
        try:
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }[np.lib.format.read_magic(file)]
            shape, fortran_order, found = read_header(file)
        except (ValueError, KeyError) as error:
            raise ValueError(
                f"{path} is not a valid .npy file ({error}); write it again "
                f"with write_stream(). Received: path={str(path)!r}"
            ) from None
        header_bytes = file.tell()
    row_shape = shape[1:]
    record_bytes = int(np.prod(row_shape)) * found.itemsize
    if found != np.dtype(dtype) or fortran_order or not shape:
        raise ValueError(
            f"{path} must hold a C-ordered {np.dtype(dtype)} array, as "
            f"write_stream() writes. Received: dtype={found}, shape={shape}"
        )
    expected = header_bytes + shape[0] * record_bytes
    if path.stat().st_size != expected:
        raise ValueError(
            f"{path} has {path.stat().st_size} bytes; its header {shape} "
            f"needs {expected}: the file is truncated. Write it again with "
            f"write_stream(). Received: path={str(path)!r}"
        )
    records = tf.data.FixedLengthRecordDataset(
        str(path), record_bytes, header_bytes=header_bytes
    ).apply(tf.data.experimental.assert_cardinality(shape[0]))
    return records, row_shape, shape[0]

"""`from_directory`: an `ImageDataset` from a folder of image files."""

import pathlib

import numpy as np

from zoo.datasets import checks
from zoo.datasets import splits
from zoo.datasets.arrays import from_arrays
from zoo.numbers import MAX_IMAGE_BYTES
from zoo.numbers import MAX_IMAGE_SIDE
from zoo.numbers import is_number

COLOR_MODES = ("grayscale", "rgb", "rgba")


def from_directory(path, image_size=(28, 28), color_mode="grayscale",
                   test_path=None, binarize="none", validation_size=0,
                   seed=0):
    """Load a folder of images (PNG, JPEG, BMP, GIF) into an `ImageDataset`.

    Files are decoded and resized to `image_size` (bilinear) as
    `keras.utils.image_dataset_from_directory` does. If `path` has one
    subfolder per class, the labels are the class indices in alphabetical
    order of the subfolders; if it holds the images directly, there are no
    labels. Hidden files and folders (`.ipynb_checkpoints/`, `.DS_Store`)
    are skipped; a folder mixing images with class subfolders is refused
    (`image_files`), so no image is dropped silently.

    Args:
        path: str or path-like, the folder of training images.
        image_size: `(height, width)` every image is resized to (default
            `(28, 28)`).
        color_mode: `"grayscale"` (default, 1 channel), `"rgb"` (3) or
            `"rgba"` (4).
        test_path: optional folder of test images, laid out like `path`.
        binarize: `"none"` (default), `"static"` or `"dynamic"`.
        validation_size: int >= 0 (default 0), training examples held out
            as the validation split: a sample drawn with `seed`, stratified
            by class (`zoo.datasets.splits.held_out_order`), not the last
            files, which would be the last class.
        seed: int (default 0), the binarization and pipeline seed.

    Returns:
        An `ImageDataset` with images `(N, *image_size, channels)`.

    Raises:
        ValueError: if a folder does not exist, holds no images, mixes
            images with class subfolders or holds a damaged image (the
            message names the file), or for an invalid `image_size` or
            `color_mode`.

    Example:

    >>> data = zoo.datasets.from_directory("faces/", image_size=(64, 64),
    ...                                    color_mode="rgb")
    """
    checks.check_choice(color_mode, COLOR_MODES, "color_mode")
    if not (
        isinstance(image_size, (tuple, list)) and len(image_size) == 2
        and all(is_number(size, integer=True, minimum=1,
                          maximum=MAX_IMAGE_SIDE) for size in image_size)
    ):
        raise ValueError(
            "`image_size` must be (height, width), two positive ints up to "
            f"{MAX_IMAGE_SIDE}, e.g. (28, 28). Received: "
            f"image_size={image_size!r}"
        )
    x_train, y_train = _read_images(path, "path", image_size, color_mode)
    if is_number(validation_size, integer=True, minimum=0,
                 maximum=len(x_train), above=True, below=True) and isinstance(
        seed, (int, np.integer)
    ):  # else from_arrays says what is wrong
        order = splits.held_out_order(len(x_train), int(validation_size),
                                      y_train, seed)
        x_train = x_train[order]
        y_train = None if y_train is None else y_train[order]
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


def image_files(path, argument="path"):
    """The image files under the folder `path`, as `from_directory` reads
    them: `(files, labels, class_names)`.

    Hidden entries (a name starting with ".", e.g. `.ipynb_checkpoints/`,
    `.DS_Store`, macOS's `._photo.png`) are skipped everywhere. A folder
    holds either images (no labels: `labels` and `class_names` are None)
    or one subfolder of images per class (files listed class by class, in
    alphabetical order of the subfolders, each subfolder read recursively);
    a mix of the two is refused, so no image is dropped silently.

    Raises:
        ValueError: naming `argument` and the fix, if `path` is not a
            folder, holds no image, mixes images with class subfolders, or
            has a class subfolder without images.
    """
    folder = pathlib.Path(path).expanduser()
    if not folder.is_dir():
        raise ValueError(
            f"`{argument}` must be an existing folder of images. "
            f"Received: {argument}={str(path)!r}"
        )
    entries = _visible(folder)
    classes = [entry for entry in entries if entry.is_dir()]
    loose = [entry for entry in entries if _is_image(entry)]
    if classes and loose:
        raise ValueError(
            f"{folder} holds {len(loose)} image(s) (e.g. {loose[0].name}) "
            f"beside the subfolder(s) {[entry.name for entry in classes]}; "
            "a folder holds either images (no labels) or one subfolder of "
            "images per class, so some images would be left out. Move the "
            "images into a class subfolder, or the subfolders out of the "
            f"folder. Received: {argument}={str(path)!r}"
        )
    if not classes:
        if not loose:
            raise ValueError(
                f"Cannot read images from {folder}: No images found (hidden "
                f"files and folders are skipped). Put {'/'.join(SUFFIXES)} "
                "files in it, or one subfolder of them per class. "
                f"Received: {argument}={str(path)!r}"
            )
        return loose, None, None
    files, labels = [], []
    for label, subfolder in enumerate(classes):
        found = _images_under(subfolder)
        if not found:
            raise ValueError(
                f"The class subfolder {subfolder} holds no images (hidden "
                "files and folders are skipped), so its class would have no "
                "example; add images to it or remove it. "
                f"Received: {argument}={str(path)!r}"
            )
        files += found
        labels += [label] * len(found)
    return files, np.array(labels, "int32"), [entry.name for entry in classes]


#: The image files read, as Keras's `image_dataset_from_directory`.
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def _visible(folder):
    """The entries of `folder` whose name does not start with ".", sorted."""
    return sorted(
        (entry for entry in folder.iterdir()
         if not entry.name.startswith(".")),
        key=lambda entry: entry.name,
    )


def _is_image(entry):
    return entry.suffix.lower() in SUFFIXES and entry.is_file()


def _images_under(folder):
    """The visible image files under `folder`, recursively, sorted."""
    files = []
    for entry in _visible(folder):
        if entry.is_dir():
            files += _images_under(entry)
        elif _is_image(entry):
            files.append(entry)
    return files


def _read_images(path, argument, image_size, color_mode):
    """All images under `path` as floats `(N, H, W, C)` in [0, 1], and
    labels or None."""
    import tensorflow as tf

    files, labels, _ = image_files(path, argument)
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
    size = len(files) * image_size[0] * image_size[1] * channels * 4
    if size > MAX_IMAGE_BYTES:
        raise ValueError(
            f"{len(files):,} images of {image_size[0]}x{image_size[1]}x"
            f"{channels} take {size / 2**30:.1f} GiB as float32, above the "
            f"zoo's {MAX_IMAGE_BYTES / 2**30:.0f} GiB for images read into "
            "memory. Pass a smaller image_size, or write the images to a "
            "stream folder (zoo.datasets.write_stream) and train from it. "
            f"Received: {argument}={str(path)!r}"
        )

    def load(file):
        # As Keras's image_dataset_from_directory: decode, then bilinear.
        image = tf.image.decode_image(tf.io.read_file(file),
                                      channels=channels,
                                      expand_animations=False)
        image = tf.image.resize(image, image_size, method="bilinear")
        image.set_shape((*image_size, channels))
        return image

    dataset = tf.data.Dataset.from_tensor_slices([str(f) for f in files])
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    images = []
    try:
        for batch in dataset.batch(1024).as_numpy_iterator():
            # float32 pixels in 0..255 (resized: not integers).
            images.append(np.clip(batch / 255.0, 0.0, 1.0))
    except tf.errors.OpError:
        raise ValueError(_unreadable(files, argument, path)) from None
    return np.concatenate(images), labels


def _unreadable(files, argument, path):
    """The message naming the first file that does not decode."""
    from PIL import Image

    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
        except Exception as error:  # noqa: BLE001 - any decoding failure
            reason = " ".join(str(error).split()) or type(error).__name__
            return (
                f"Cannot read the image {file} ({reason}): it is damaged or "
                "not an image. Replace or remove it. "
                f"Received: {argument}={str(path)!r}"
            )
    return (
        f"Cannot decode the images under {path}: one is damaged or not an "
        "image (each opens with PIL, but not with TensorFlow). Re-save them "
        f"as PNG. Received: {argument}={str(path)!r}"
    )

"""Tests for zoo.datasets: loaders, ImageDataset pipelines, binarization,
corruption and validation."""

import gzip
import hashlib
import pathlib
import struct

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from conftest import one_preset_per_architecture
from zoo import datasets
from zoo.datasets import mnist_datasets

REAL_FASHION_MNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")
# sha256 of the first training image's 784 raw bytes (an ankle boot).
FIRST_IMAGE_SHA256 = (
    "5bd44e331a6d6998daf675700cd0c13dcd7af8ab954b7585124124da61459e7b"
)
needs_real_data = pytest.mark.skipif(
    not (REAL_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST is not installed at /usr/share/datasets/"
    "fashion-mnist (apt-get install dataset-fashion-mnist); CI installs it.",
)


# Helpers ---------------------------------------------------------------------


def write_idx(path, array, compress=True):
    """Write `array` (uint8) in the idx format: big-endian magic 0x0803 for
    3-d images, 0x0801 for 1-d labels, then the sizes, then the bytes."""
    header = struct.pack(">I", 0x0800 + array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype("uint8").tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as file:
        file.write(content)


def raw_arrays(seed=0, train=12, test=5, shape=(6, 5)):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (train, *shape), dtype="uint8"),
        "y_train": rng.integers(0, 10, train, dtype="uint8"),
        "x_test": rng.integers(0, 256, (test, *shape), dtype="uint8"),
        "y_test": rng.integers(0, 10, test, dtype="uint8"),
    }


def write_idx_directory(directory, arrays, compress=True):
    directory.mkdir(parents=True, exist_ok=True)
    for key, (stem, _) in mnist_datasets.FILES.items():
        name = f"{stem}.gz" if compress else stem
        write_idx(directory / name, arrays[key], compress)
    return directory


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No Debian folder, an empty Keras cache, no ZOO_DATA_DIR, and a Keras
    download that fails as it does without a network."""
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    sources = {
        name: {
            **source,
            "debian_directory": source["debian_directory"]
            and str(tmp_path / "no_debian"),
        }
        for name, source in mnist_datasets.SOURCES.items()
    }
    monkeypatch.setattr(mnist_datasets, "SOURCES", sources)

    def no_network():
        raise Exception("URL fetch failure: Name or service not known")

    for module in (keras.datasets.fashion_mnist, keras.datasets.mnist):
        monkeypatch.setattr(module, "load_data", no_network)


# Fashion-MNIST / MNIST loaders -----------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_reads_idx_files_from_data_dir(tmp_path, compress):
    arrays = raw_arrays()
    write_idx_directory(tmp_path, arrays, compress)
    data = datasets.fashion_mnist(data_dir=tmp_path)
    assert isinstance(data, datasets.ImageDataset)
    assert data.x_train.shape == (12, 6, 5, 1)
    assert data.x_test.shape == (5, 6, 5, 1)
    assert data.x_train.dtype == np.float32
    np.testing.assert_allclose(
        data.x_train[..., 0], arrays["x_train"] / 255, rtol=1e-6
    )
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])
    assert data.x_validation is None


def test_zoo_data_dir_environment_variable(tmp_path, monkeypatch, offline):
    write_idx_directory(tmp_path / "fashion-mnist", raw_arrays())
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert datasets.fashion_mnist().x_train.shape == (12, 6, 5, 1)


def test_keras_cache_is_searched(tmp_path, offline):
    write_idx_directory(
        tmp_path / "keras_home" / "datasets" / "fashion-mnist",
        raw_arrays(seed=1, train=7),
    )
    assert len(datasets.fashion_mnist().x_train) == 7


def test_keras_download_is_the_last_resort(offline, monkeypatch):
    arrays = raw_arrays(train=9)
    monkeypatch.setattr(
        keras.datasets.mnist, "load_data",
        lambda: ((arrays["x_train"], arrays["y_train"]),
                 (arrays["x_test"], arrays["y_test"])),
    )
    data = datasets.mnist()
    assert data.name == "mnist"
    assert data.x_train.shape == (9, 6, 5, 1)


def test_mnist_reads_keras_npz(tmp_path):
    arrays = raw_arrays(train=8)
    np.savez(tmp_path / "mnist.npz", **arrays)
    data = datasets.mnist(data_dir=tmp_path, validation_size=3)
    assert data.x_train.shape == (5, 6, 5, 1)
    assert data.x_validation.shape == (3, 6, 5, 1)
    np.testing.assert_array_equal(data.y_validation, arrays["y_train"][5:])


@pytest.mark.parametrize(
    "loader, package",
    [("fashion_mnist", "dataset-fashion-mnist"), ("mnist", None)],
)
def test_missing_data_lists_every_place_and_way(tmp_path, offline, loader,
                                                package):
    with pytest.raises(FileNotFoundError) as info:
        getattr(datasets, loader)()
    message = str(info.value)
    for place in (
        str(tmp_path / "keras_home" / "datasets"),
        f"keras.datasets.{loader}.load_data()",
        "URL fetch failure",
        "data_dir=",
        "ZOO_DATA_DIR",
    ):
        assert place in message
    if package:
        assert f"apt-get install {package}" in message
        assert str(tmp_path / "no_debian") in message


@pytest.mark.parametrize("loader", ["fashion_mnist", "mnist"])
def test_explicit_data_dir_that_does_not_exist_is_an_error(
        tmp_path, offline, monkeypatch, loader):
    # Data in every fallback place must not be used for an explicit folder.
    write_idx_directory(tmp_path / "fallback" / "fashion-mnist", raw_arrays())
    write_idx_directory(tmp_path / "fallback" / "mnist", raw_arrays())
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "fallback"))
    with pytest.raises(FileNotFoundError) as info:
        getattr(datasets, loader)(data_dir="/does/not/exist")
    message = str(info.value)
    assert "'/does/not/exist'" in message
    assert "no such directory" in message
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert stem in message
    assert "URL fetch failure" not in message  # no download was tried


def test_partial_directory_names_the_missing_files(tmp_path, offline):
    directory = write_idx_directory(tmp_path / "partial", raw_arrays())
    (directory / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="missing t10k-labels"):
        datasets.fashion_mnist(data_dir=directory)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-20])


def _not_gzip(path):
    path.write_bytes(b"<html>404 Not Found</html>")


def _wrong_magic(path):
    write_idx(path, np.zeros(12, "uint8"))  # a labels file named images


def _short_data(path):
    with gzip.open(path, "rb") as file:
        content = file.read()
    with gzip.open(path, "wb") as file:
        file.write(content[:-7])


@pytest.mark.parametrize(
    "damage, message",
    [
        (_truncate, "Cannot decompress"),
        (_not_gzip, "Cannot decompress"),
        (_wrong_magic, "magic number 2049; expected 2051"),
        (_short_data, "truncated"),
    ],
)
def test_damaged_idx_file_names_the_file(tmp_path, damage, message):
    directory = write_idx_directory(tmp_path, raw_arrays())
    path = directory / "train-images-idx3-ubyte.gz"
    damage(path)
    with pytest.raises(ValueError, match=message) as info:
        datasets.fashion_mnist(data_dir=directory)
    assert str(path) in str(info.value)
    assert "get it again" in str(info.value)


def test_images_and_labels_of_different_lengths(tmp_path):
    arrays = raw_arrays()
    arrays["y_train"] = arrays["y_train"][:-1]
    write_idx_directory(tmp_path, arrays)
    with pytest.raises(ValueError, match="12 images but .* 11 labels"):
        datasets.fashion_mnist(data_dir=tmp_path)


@needs_real_data
def test_real_fashion_mnist():
    data = datasets.fashion_mnist()
    assert data.x_train.shape == (60000, 28, 28, 1)
    assert data.x_test.shape == (10000, 28, 28, 1)
    assert data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)
    first = np.round(data.x_train[0] * 255).astype("uint8")
    assert hashlib.sha256(first.tobytes()).hexdigest() == FIRST_IMAGE_SHA256
    assert data.y_train[0] == 9


@needs_real_data
@pytest.mark.slow
def test_real_static_binarization_is_the_benchmark_protocol():
    with gzip.open(REAL_FASHION_MNIST / "train-images-idx3-ubyte.gz") as f:
        train = np.frombuffer(f.read(), np.uint8, offset=16).reshape(
            -1, 28, 28
        )
    with gzip.open(REAL_FASHION_MNIST / "t10k-images-idx3-ubyte.gz") as f:
        test = np.frombuffer(f.read(), np.uint8, offset=16).reshape(
            -1, 28, 28
        )
    rng = np.random.default_rng(0)
    train_bin = rng.uniform(size=train.shape) < train / 255
    test_bin = rng.uniform(size=test.shape) < test / 255
    data = datasets.fashion_mnist(binarize="static", seed=0)
    np.testing.assert_array_equal(data.x_train[..., 0], train_bin)
    np.testing.assert_array_equal(data.x_test[..., 0], test_bin)


# Static and dynamic binarization ---------------------------------------------


def test_static_binarization_follows_the_protocol():
    arrays = raw_arrays(train=40, test=30)
    train, test = arrays["x_train"], arrays["x_test"]
    data = datasets.from_arrays(train, x_test=test, binarize="static",
                                seed=7)
    rng = np.random.default_rng(7)
    train_bin = rng.uniform(size=train.shape) < train / 255
    test_bin = rng.uniform(size=test.shape) < test / 255
    np.testing.assert_array_equal(data.x_train[..., 0], train_bin)
    np.testing.assert_array_equal(data.x_test[..., 0], test_bin)
    # Train is drawn first: drawing test first gives other bits.
    test_first = np.random.default_rng(7).uniform(size=test.shape) < (
        test / 255
    )
    assert not np.array_equal(data.x_test[..., 0], test_first)


def test_static_binarization_is_seeded():
    x = raw_arrays(train=50)["x_train"]
    first = datasets.from_arrays(x, binarize="static", seed=1).x_train
    again = datasets.from_arrays(x, binarize="static", seed=1).x_train
    other = datasets.from_arrays(x, binarize="static", seed=2).x_train
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert set(np.unique(first)) == {0.0, 1.0}


def test_validation_split_is_taken_after_binarization():
    x = raw_arrays(train=50)["x_train"]
    whole = datasets.from_arrays(x, binarize="static", seed=3)
    split = datasets.from_arrays(x, binarize="static", seed=3,
                                 validation_size=10)
    np.testing.assert_array_equal(split.x_train, whole.x_train[:40])
    np.testing.assert_array_equal(split.x_validation, whole.x_train[40:])


def test_dynamic_binarization_differs_between_epochs():
    data = datasets.digits(binarize="dynamic", seed=5)
    assert not set(np.unique(data.x_train)) <= {0.0, 1.0}  # stays grey
    dataset = data.as_dataset(batch_size=2000, shuffle=False)
    epoch_1, epoch_2 = (next(iter(dataset)).numpy() for _ in range(2))
    assert set(np.unique(epoch_1)) == {0.0, 1.0}
    assert not np.array_equal(epoch_1, epoch_2)
    assert abs(epoch_1.mean() - data.x_train.mean()) < 0.01
    rerun = datasets.digits(binarize="dynamic", seed=5).as_dataset(
        batch_size=2000, shuffle=False
    )
    np.testing.assert_array_equal(next(iter(rerun)).numpy(), epoch_1)


def test_dynamic_binarization_keeps_labels():
    dataset = datasets.digits(binarize="dynamic").as_dataset(
        batch_size=16, shuffle=False, with_labels=True
    )
    x, y = next(iter(dataset))
    np.testing.assert_array_equal(y.numpy(), datasets.digits().y_train[:16])
    assert set(np.unique(x.numpy())) <= {0.0, 1.0}


# ImageDataset.as_dataset -----------------------------------------------------


def test_digits_shapes_and_range():
    data = datasets.digits(validation_size=100)
    assert data.x_train.shape == (1400, 8, 8, 1)
    assert data.x_validation.shape == (100, 8, 8, 1)
    assert data.x_test.shape == (297, 8, 8, 1)
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.image_shape == (8, 8, 1)
    assert "validation=100" in repr(data)


def test_as_dataset_yields_images_then_optionally_labels():
    data = datasets.digits()
    images = data.as_dataset(batch_size=32, shuffle=False)
    first = next(iter(images)).numpy()
    np.testing.assert_array_equal(first, data.x_train[:32])
    x, y = next(iter(data.as_dataset("test", batch_size=32, shuffle=False,
                                     with_labels=True)))
    np.testing.assert_array_equal(x.numpy(), data.x_test[:32])
    np.testing.assert_array_equal(y.numpy(), data.y_test[:32])


@pytest.mark.parametrize("options", [{}, {"conditional": True}])
def test_as_dataset_turns_tf_data_autotuning_off(options):
    # in-memory arrays: autotuning has nothing to tune and stalls epoch ends
    dataset = datasets.digits().as_dataset(batch_size=32, **options)
    assert dataset.options().autotune.enabled is False


def test_as_dataset_shuffles_every_epoch_and_keeps_every_example():
    data = datasets.from_arrays(np.arange(64, dtype="float32").reshape(
        64, 1, 1, 1) / 63)
    dataset = data.as_dataset(batch_size=64, seed=0)
    epoch_1, epoch_2 = (next(iter(dataset)).numpy().ravel()
                        for _ in range(2))
    np.testing.assert_array_equal(np.sort(epoch_1), data.x_train.ravel())
    assert not np.array_equal(epoch_1, data.x_train.ravel())
    assert not np.array_equal(epoch_1, epoch_2)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"split": "validation"}, "no validation split"),
        ({"split": "dev"}, "Received: split='dev'"),
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"with_labels": True}, "has no labels"),
        ({"conditional": True}, "has no labels"),
    ],
)
def test_as_dataset_rejects_bad_arguments(arguments, message):
    data = datasets.from_arrays(np.zeros((4, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=message):
        data.as_dataset(**arguments)


@pytest.mark.parametrize("name", one_preset_per_architecture())
def test_contract_models_train_from_as_dataset(name):
    """Each architecture (the objective does not touch the data path)
    trains from `as_dataset` at 8x8: two steps and one validation batch,
    eagerly (each preset's step is traced in tests/test_contract.py)."""
    data = datasets.digits(binarize="dynamic")
    # latent_dim 3: the one size every latent takes (the sphere's).
    model = zoo.get(name, input_shape=data.image_shape, latent_dim=3)
    model.compile(run_eagerly=True)
    conditional = model.condition_spec() is not None
    history = model.fit(
        data.as_dataset(batch_size=64, conditional=conditional),
        validation_data=data.as_dataset(
            "test", batch_size=128, conditional=conditional),
        epochs=1, steps_per_epoch=2, validation_steps=1, verbose=0,
    )
    assert np.isfinite(history.history["loss"][0])
    assert np.isfinite(history.history["val_loss"][0])


def test_denoising_model_trains_from_corrupt_dataset():
    data = datasets.digits()
    model = zoo.get("conv_vae", input_shape=(8, 8, 1), latent_dim=2)
    model.compile()
    pairs = datasets.corrupt_dataset(data.as_dataset(batch_size=64), "mask",
                                     0.25)
    history = model.fit(pairs, epochs=1, verbose=0)
    assert np.isfinite(history.history["reconstruction"][0])


# from_arrays validation ------------------------------------------------------


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((4, 3, 3), "int64"), r"Received: x_train.dtype=int64"),
        (np.array([["a"]]), r"Received: x_train.dtype=<U1"),
        (np.full((4, 3, 3), np.nan), "NaN or infinite"),
        (np.full((4, 3, 3), np.inf), "NaN or infinite"),
        (np.full((4, 3, 3), 1.5), r"Received: x_train with values in"),
        (np.full((4, 3, 3), -0.1), r"Rescale it"),
        (np.zeros((0, 3, 3), "float32"), r"Received: x_train.shape=\(0, 3"),
        (np.zeros((4, 9), "float32"), r"Received: x_train.shape=\(4, 9\)"),
        ([np.zeros((3, 3)), np.zeros((4, 4))], "same height and width"),
    ],
)
def test_from_arrays_rejects_bad_images(x, message):
    with pytest.raises(ValueError, match=message):
        datasets.from_arrays(x)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"x_test": np.zeros((2, 4, 4))}, r"Received: x_test.shape=\(2, 4, 4"),
        ({"y_train": np.zeros(3)}, r"Received: y_train.shape=\(3,\)"),
        ({"y_train": np.array(["cat"] * 4)}, "y_train.dtype"),
        ({"y_test": np.zeros(2)}, "`y_test` needs `x_test`"),
        ({"binarize": "yes"}, r"Received: binarize='yes'"),
        ({"validation_size": 4}, r"Received: validation_size=4"),
        ({"validation_size": -1}, r"Received: validation_size=-1"),
        ({"seed": "0"}, r"Received: seed='0'"),
    ],
)
def test_from_arrays_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        datasets.from_arrays(np.zeros((4, 3, 3), "float32"), **arguments)


def test_from_arrays_scales_uint8_and_accepts_booleans():
    pixels = np.array([[[0, 51, 255]]], dtype="uint8")
    np.testing.assert_allclose(
        datasets.from_arrays(pixels).x_train.ravel(), [0.0, 0.2, 1.0]
    )
    booleans = np.array([[[True, False]]])
    np.testing.assert_array_equal(
        datasets.from_arrays(booleans).x_train.ravel(), [1.0, 0.0]
    )


# from_directory --------------------------------------------------------------


def _write_images(directory, count, size, mode="L", value=128):
    directory.mkdir(parents=True)
    for index in range(count):
        Image.new(mode, size, color=value if mode == "L" else (value,) * 3
                  ).save(directory / f"{index}.png")


def test_from_directory_with_class_folders(tmp_path):
    _write_images(tmp_path / "train" / "cats", 3, (10, 12), value=0)
    _write_images(tmp_path / "train" / "dogs", 2, (20, 8), value=255)
    _write_images(tmp_path / "test" / "cats", 1, (6, 6), value=0)
    data = datasets.from_directory(tmp_path / "train", image_size=(16, 16),
                                   test_path=tmp_path / "test")
    assert data.x_train.shape == (5, 16, 16, 1)
    assert data.x_test.shape == (1, 16, 16, 1)
    np.testing.assert_array_equal(data.y_train, [0, 0, 0, 1, 1])
    np.testing.assert_allclose(data.x_train[:3], 0.0)
    np.testing.assert_allclose(data.x_train[3:], 1.0)


def test_from_directory_flat_rgb_folder_has_no_labels(tmp_path):
    _write_images(tmp_path / "faces", 4, (9, 9), mode="RGB", value=51)
    data = datasets.from_directory(tmp_path / "faces", image_size=(9, 9),
                                   color_mode="rgb")
    assert data.x_train.shape == (4, 9, 9, 3)
    assert data.y_train is None
    np.testing.assert_allclose(data.x_train, 0.2, atol=1e-6)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"path": "does/not/exist"}, "existing folder"),
        ({"image_size": (28,)}, r"Received: image_size=\(28,\)"),
        ({"color_mode": "cmyk"}, r"Received: color_mode='cmyk'"),
    ],
)
def test_from_directory_rejects_bad_arguments(tmp_path, arguments, message):
    _write_images(tmp_path / "images", 1, (4, 4))
    with pytest.raises(ValueError, match=message):
        datasets.from_directory(**{"path": tmp_path / "images", **arguments})


def test_from_directory_validation_split_holds_every_class(tmp_path):
    # Files are read class by class: the last ones are the last class.
    _write_images(tmp_path / "train" / "cats", 10, (6, 6), value=0)
    _write_images(tmp_path / "train" / "dogs", 10, (6, 6), value=255)
    (tmp_path / "train" / ".ipynb_checkpoints").mkdir()  # skipped
    data = datasets.from_directory(tmp_path / "train", image_size=(6, 6),
                                   validation_size=4)
    assert sorted(data.y_validation.tolist()) == [0, 0, 1, 1]
    assert sorted(data.y_train.tolist()) == [0] * 8 + [1] * 8
    # Each image keeps its label.
    np.testing.assert_allclose(data.x_validation.mean(axis=(1, 2, 3)),
                               data.y_validation, atol=1e-6)


def test_from_directory_without_images(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match="Cannot read images from"):
        datasets.from_directory(tmp_path / "empty")


# Corruption ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gaussian", "salt_and_pepper", "mask"])
def test_corruption_is_seeded_and_clipped(kind):
    x = datasets.digits().x_test
    noisy, clean = datasets.corrupt(x, kind, 0.3, seed=4)
    again, _ = datasets.corrupt(x, kind, 0.3, seed=4)
    other, _ = datasets.corrupt(x, kind, 0.3, seed=5)
    np.testing.assert_array_equal(clean, x)
    np.testing.assert_array_equal(noisy, again)
    assert not np.array_equal(noisy, other)
    assert not np.array_equal(noisy, clean)
    assert noisy.dtype == np.float32
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0


def test_corruption_amounts():
    ones = np.ones((200, 10, 10, 1), "float32")
    masked, _ = datasets.corrupt(ones, "mask", 0.25, seed=0)
    np.testing.assert_array_equal((masked == 0).sum(axis=(1, 2, 3)), 25)
    grey = np.full((200, 10, 10, 1), 0.5, "float32")
    salted, _ = datasets.corrupt(grey, "salt_and_pepper", 0.2, seed=0)
    assert abs((salted == 1).mean() - 0.1) < 0.01
    assert abs((salted == 0).mean() - 0.1) < 0.01
    noisy, _ = datasets.corrupt(grey, "gaussian", 0.1, seed=0)
    assert abs(noisy.std() - 0.1) < 0.005


def test_corrupt_dataset_differs_between_epochs_and_reproduces():
    def first_batch(seed):
        pairs = datasets.corrupt_dataset(
            datasets.digits().as_dataset(batch_size=32, shuffle=False),
            "salt_and_pepper", 0.2, seed=seed,
        )
        return pairs, [x.numpy() for x in next(iter(pairs))]

    pairs, (noisy_1, clean) = first_batch(seed=1)
    noisy_2, _ = (x.numpy() for x in next(iter(pairs)))
    _, (rerun, _) = first_batch(seed=1)
    np.testing.assert_array_equal(clean, datasets.digits().x_train[:32])
    assert not np.array_equal(noisy_1, clean)
    assert not np.array_equal(noisy_1, noisy_2)
    np.testing.assert_array_equal(noisy_1, rerun)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"kind": "blur"}, r"Received: kind='blur'"),
        ({"kind": "mask", "amount": 1.5}, r"Received: amount=1.5"),
        ({"kind": "gaussian", "amount": -0.1}, r"Received: amount=-0.1"),
    ],
)
def test_corrupt_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        datasets.corrupt(np.zeros((2, 4, 4), "float32"), **arguments)


def test_corrupt_dataset_needs_image_batches():
    labelled = datasets.digits().as_dataset(with_labels=True)
    with pytest.raises(ValueError, match="with_labels=False"):
        datasets.corrupt_dataset(labelled)

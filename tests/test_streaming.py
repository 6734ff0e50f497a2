"""Tests for zoo.datasets streaming: write_stream / read_stream."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zoo
from zoo import datasets

MEGABYTE = 2**20


def _collect(dataset):
    batches = list(dataset.as_numpy_iterator())
    if isinstance(batches[0], tuple):
        return tuple(np.concatenate(part) for part in zip(*batches))
    return np.concatenate(batches)


def test_round_trip_in_order(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (10, 4, 3), dtype="uint8")
    y = np.arange(10)
    datasets.write_stream(tmp_path, x, y, chunk_size=3)
    images, labels = _collect(datasets.read_stream(
        tmp_path, batch_size=4, shuffle=False, with_labels=True
    ))
    np.testing.assert_array_equal(
        images, datasets.from_arrays(x).x_train
    )
    assert images.dtype == np.float32 and images.shape == (10, 4, 3, 1)
    np.testing.assert_array_equal(labels, y)
    assert len(datasets.read_stream(tmp_path, batch_size=4)) == 3
    np.testing.assert_array_equal(
        np.load(tmp_path / "images.npy"), images
    )


def test_shuffles_every_epoch_and_keeps_every_image(tmp_path):
    x = (np.arange(50, dtype="float32") / 49).reshape(50, 1, 1, 1)
    datasets.write_stream(tmp_path, x)
    stream = datasets.read_stream(tmp_path, batch_size=8, buffer_size=50)
    epoch_1, epoch_2 = _collect(stream).ravel(), _collect(stream).ravel()
    np.testing.assert_array_equal(np.sort(epoch_1), x.ravel())
    assert not np.array_equal(epoch_1, x.ravel())
    assert not np.array_equal(epoch_1, epoch_2)


def test_dynamic_binarization_in_stream(tmp_path):
    datasets.write_stream(tmp_path, np.full((64, 4, 4, 1), 0.5, "float32"))
    stream = datasets.read_stream(tmp_path, batch_size=64, shuffle=False,
                                  binarize="dynamic")
    epoch_1, epoch_2 = _collect(stream), _collect(stream)
    assert set(np.unique(epoch_1)) == {0.0, 1.0}
    assert not np.array_equal(epoch_1, epoch_2)


def test_model_trains_from_stream(tmp_path):
    data = datasets.digits()
    datasets.write_stream(tmp_path, data.x_train)
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    model.compile()
    history = model.fit(datasets.read_stream(tmp_path, batch_size=64),
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_bad_chunk_leaves_no_partial_files(tmp_path):
    x = np.zeros((10, 3, 3), "float32")
    x[7, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"`x\[6:\]` holds NaN"):
        datasets.write_stream(tmp_path, x, np.zeros(10), chunk_size=3)
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_is_named(tmp_path):
    datasets.write_stream(tmp_path, np.zeros((10, 3, 3), "float32"))
    path = tmp_path / "images.npy"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated") as info:
        datasets.read_stream(tmp_path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"with_labels": True}, "labels.npy does not exist"),
        ({"binarize": "static"}, r"Received: binarize='static'"),
        ({"buffer_size": 0}, r"Received: buffer_size=0"),
    ],
)
def test_read_stream_rejects_bad_arguments(tmp_path, arguments, message):
    datasets.write_stream(tmp_path, np.zeros((4, 3, 3), "float32"))
    with pytest.raises(ValueError, match=message):
        datasets.read_stream(tmp_path, **arguments)


def test_not_an_npy_file(tmp_path):
    (tmp_path / "images.npy").write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="not a valid .npy file"):
        datasets.read_stream(tmp_path)


def test_rewrite_without_labels_removes_the_old_labels(tmp_path):
    """Images written again without labels are never paired with the
    labels of an earlier write."""
    datasets.write_stream(tmp_path, np.zeros((6, 3, 3), "float32"),
                          np.arange(6))
    datasets.write_stream(tmp_path, np.ones((6, 3, 3), "float32"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images.npy"]
    with pytest.raises(ValueError, match="labels.npy does not exist"):
        datasets.read_stream(tmp_path, with_labels=True)
    np.testing.assert_array_equal(
        _collect(datasets.read_stream(tmp_path, shuffle=False)), 1.0
    )


def test_images_and_labels_of_different_lengths_are_refused(tmp_path):
    datasets.write_stream(tmp_path, np.zeros((6, 3, 3), "float32"),
                          np.arange(6))
    np.save(tmp_path / "labels.npy", np.arange(5, dtype="<i8"))
    with pytest.raises(ValueError, match="6 images but 5 labels"):
        datasets.read_stream(tmp_path, with_labels=True)


KILLED_WRITE = textwrap.dedent("""
    import sys
    import numpy as np
    from zoo import datasets
    datasets.write_stream(sys.argv[1], np.ones((6, 3, 3), "float32"),
                          np.arange(6) + 1)
""")


def test_killed_write_leaves_no_truncated_file(tmp_path):
    """SIGKILL while the new images.npy is half written: the old images
    stay whole; the old labels are gone (never paired with other images),
    so reading with labels says so."""
    datasets.write_stream(tmp_path, np.zeros((6, 3, 3), "float32"),
                          np.arange(6))
    old_images = (tmp_path / "images.npy").read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", KILLED_WRITE, str(tmp_path)],
        env={**os.environ, "ZOO_TEST_KILL_WRITING": "images.npy",
             "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert (tmp_path / "images.npy").read_bytes() == old_images
    assert not (tmp_path / "labels.npy").exists()
    with pytest.raises(ValueError, match="labels.npy does not exist"):
        datasets.read_stream(tmp_path, with_labels=True)
    datasets.write_stream(tmp_path, np.ones((6, 3, 3), "float32"),
                          np.arange(6))  # a later write cleans up
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "images.npy", "labels.npy"
    ]


# Reads every record of a stream, touching every pixel, and prints the
# process's peak RSS in bytes: VmHWM, as getrusage's ru_maxrss carries the
# parent's peak over fork + exec. It measures the data path: a `fit` on top
# adds a few MB of allocator growth per hundred steps that has nothing to do
# with the data (measured 835, 860, 877 MB peaks for 6, 47, 94 steps).
PEAK_MEMORY_SCRIPT = textwrap.dedent("""
    import re, sys
    from zoo import datasets

    total = 0.0
    for batch in datasets.read_stream(sys.argv[1], batch_size=256,
                                      buffer_size=1000):
        total += float(batch.numpy().sum())
    assert total > 0
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s*(\\d+) kB", status).group(1)) * 1024)
""")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="reads the peak RSS from /proc/self/status")
def test_peak_memory_does_not_grow_with_records(tmp_path):
    image = np.random.default_rng(0).uniform(size=(64, 64, 1))
    peaks, sizes = [], []
    for records in (1_500, 12_000):
        directory = tmp_path / str(records)
        # A broadcast view: the writer reads it chunk by chunk.
        datasets.write_stream(directory,
                              np.broadcast_to(image, (records, 64, 64, 1)))
        sizes.append((directory / "images.npy").stat().st_size)
        result = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(directory)],
            capture_output=True, text=True, check=True, timeout=300,
        )
        peaks.append(int(result.stdout.split()[-1]))
    # 8x the records is ~170 MB more data: a reader that held the records
    # would grow by all of it. A streaming reader still grows a little over
    # 8x the batches (tf.data's autotuned map and prefetch buffers ramp up;
    # 53 MB in one 2-core CI run), so the bound is half the
    # added data.
    added = sizes[1] - sizes[0]
    assert added > 160 * MEGABYTE
    assert peaks[1] - peaks[0] < added / 2, (
        f"peak RSS {peaks[0] / MEGABYTE:.0f} MB for 1x records, "
        f"{peaks[1] / MEGABYTE:.0f} MB for 8x"
    )

"""`zoo train --data/--labels/--option` on tiny data, and a quiet command.

The end-to-end runs are subprocesses (`python -m zoo`), as a user types
them, on a folder of 64 generated 16x16 PNGs or a small array, for one
epoch.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from zoo.cli import commands as cli
from zoo.cli import data as cli_data
from zoo import quiet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: What TensorFlow's and absl's log lines look like: "I0000 00:00:..."
#: (absl/glog), "2026-... I tensorflow/..." (TF's own), and the messages
#: the issue reported.
LOG_LINE = re.compile(
    r"^[IWEF]\d{4} |absl::InitializeLog|tensorflow/|cuInit|oneDNN|"
    r"cuda_|cpu_feature_guard|UserWarning|WARNING", re.M
)


def zoo_command(*argv, env=None):
    """`python -m zoo ARGV...` with this checkout first on the path."""
    environment = {**os.environ, **(env or {})}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell
    environment.pop(quiet.VERBOSE_VARIABLE, None)
    environment["PYTHONPATH"] = os.pathsep.join(
        [ROOT, environment.get("PYTHONPATH", "")]
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "zoo", *argv], capture_output=True, text=True,
        env=environment, timeout=600, check=False,
    )


@pytest.fixture
def png_folder(tmp_path):
    """64 grey 16x16 PNGs: a bright rectangle at a random corner each."""
    folder = tmp_path / "pngs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(64):
        image = np.zeros((16, 16), "uint8")
        image[rng.integers(0, 12):, rng.integers(0, 12):] = 255
        Image.fromarray(image).save(folder / f"{index:03d}.png")
    return folder


@pytest.mark.slow
def test_train_on_a_folder_of_pngs_is_quiet(png_folder, tmp_path, capsys):
    run = tmp_path / "run"
    result = zoo_command(
        "train", "conv_vae", "--data", str(png_folder), "--option",
        "filters=16,32", "--epochs", "1", "--output", str(run),
    )
    assert result.returncode == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert not LOG_LINE.search(stream), stream
    assert "test -ELBO" in result.stdout
    settings = json.loads((run / "run.json").read_text())
    assert settings["data"] == str(png_folder)
    assert settings["dataset"] is None
    assert settings["option"] == ["filters=16,32"]
    assert settings["model_options"]["filters"] == [16, 32]
    assert settings["data_description"].endswith("(16x16, 1 channel(s))")
    assert "held out" in settings["test_split"]
    for name in ("model.keras", "samples.png", "latent.png", "curves.png",
                 "interpolation.png", "metrics.json"):
        assert (run / name).stat().st_size > 0, name
    # The run reads its data back from run.json (here in-process).
    assert cli.main(["evaluate", str(run), "--num-samples", "2",
                     "--limit", "4"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["num_examples"] == 4


@pytest.mark.slow
def test_conditional_model_trains_on_an_array_with_labels_verbosely(
        tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(40, 8, 8)) > 0.5).astype("uint8") * 255
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.arange(40) % 3)
    run = tmp_path / "run"
    result = zoo_command(
        "train", "conditional_vae", "--data", str(tmp_path / "x.npy"),
        "--labels", str(tmp_path / "y.npy"), "--latent-dim", "2",
        "--epochs", "1", "--output", str(run), "--verbose",
    )
    assert result.returncode == 0, result.stderr
    # --verbose shows TensorFlow's logs (2.21 logs while it loads).
    assert LOG_LINE.search(result.stderr), result.stderr
    assert "skipped reconstructions.png" in result.stdout
    settings = json.loads((run / "run.json").read_text())
    assert settings["labels"] == str(tmp_path / "y.npy")
    assert settings["model_options"]["num_classes"] == 3
    assert (run / "samples.png").stat().st_size > 0
    assert not (run / "latent.png").exists()


@pytest.mark.slow
def test_stream_folder_trains_in_process(tmp_path, capsys):
    from zoo import datasets

    rng = np.random.default_rng(1)
    x = (rng.uniform(size=(30, 8, 8, 1)) > 0.5).astype("float32")
    datasets.write_stream(tmp_path / "stream", x, np.arange(30) % 2)
    run = tmp_path / "run"
    assert cli.main([
        "train", "dense_vae", "--data", str(tmp_path / "stream"),
        "--epochs", "1", "--batch-size", "16", "--latent-dim", "2",
        "--option", "hidden_units=8,", "--output", str(run),
    ]) == 0
    settings = json.loads((run / "run.json").read_text())
    assert settings["binarize"] == "dynamic"
    assert settings["model_options"]["hidden_units"] == [8]
    metrics = json.loads((run / "metrics.json").read_text())
    assert "first 30 training images" in metrics["test_split"]
    assert "manifold.png" in {path.name for path in run.iterdir()}


def test_folder_of_class_subfolders_gives_labels(png_folder, tmp_path):
    for index, path in enumerate(sorted(png_folder.iterdir())):
        subfolder = png_folder / ("circle" if index % 2 else "square")
        subfolder.mkdir(exist_ok=True)
        path.rename(subfolder / path.name)
    data = cli_data.load({"data": str(png_folder), "binarize": None,
                          "seed": 0, "image_size": [8, 8], "channels": 3})
    assert data.image_shape == (8, 8, 3)
    assert data.class_names == ["circle", "square"]
    assert data.num_classes == 2
    assert len(data.x_test) == 6 and data.y_test is not None


@pytest.mark.parametrize("text, expected", [
    ("filters=16,32", ("filters", (16, 32))),
    ("hidden_units=(128,)", ("hidden_units", (128,))),
    ("hidden_units=128,", ("hidden_units", (128,))),
    ("latent-dim=8", ("latent_dim", 8)),
    ("beta=0.5", ("beta", 0.5)),
    ("likelihood_scale=None", ("likelihood_scale", None)),
    ("prior=mixture", ("prior", "mixture")),
    ("label_embedding_dim=4", ("label_embedding_dim", 4)),
])
def test_parse_option(text, expected):
    assert cli_data.parse_option(text) == expected


@pytest.mark.parametrize("argv, reason", [
    (["--option", "no_such=1"], "Valid options: ["),
    (["--option", "latent_dim=4", "--latent-dim", "8"],
     "set by both --latent-dim and --option latent_dim"),
    (["--option", "seed=3"], "drop --option seed"),
    (["--option", "input_shape=8,8,1"], "input_shape comes from the data"),
    (["--option", "filters=abc"], "filters"),
])
def test_bad_options_are_one_line(tmp_path, capsys, argv, reason):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "conv_vae", "--dataset", "digits",
                  "--output", str(tmp_path / "run"), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_conditional_model_without_labels_says_how(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((10, 8, 8), "uint8"))
    with pytest.raises(SystemExit):
        cli.main(["train", "conditional_vae", "--data",
                  str(tmp_path / "x.npy"), "--output", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert "pass --labels LABELS.npy" in err


def test_labels_of_the_wrong_length(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((10, 8, 8), "uint8"))
    np.save(tmp_path / "y.npy", np.zeros(9, "int64"))
    with pytest.raises(SystemExit):
        cli.main(["train", "conditional_vae", "--data",
                  str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                  "--output", str(tmp_path / "r")])
    assert "one label per image (10)" in capsys.readouterr().err


def test_stream_refuses_static_binarization(tmp_path, capsys):
    from zoo import datasets

    datasets.write_stream(tmp_path / "s", np.zeros((4, 8, 8, 1), "float32"))
    with pytest.raises(SystemExit):
        cli.main(["train", "dense_vae", "--data", str(tmp_path / "s"),
                  "--binarize", "static", "--output", str(tmp_path / "r")])
    assert "--binarize dynamic" in capsys.readouterr().err


def test_zoo_command_detection():
    assert quiet.is_zoo_command(["/usr/bin/zoo", "list"], [])
    assert quiet.is_zoo_command(["-m"], ["python", "-m", "zoo", "list"])
    assert not quiet.is_zoo_command(["script.py"], ["python", "script.py"])


@pytest.mark.parametrize("terminal, verbosity", [(True, 1), (False, 2)])
def test_progress_bar_on_a_terminal_one_line_per_epoch_otherwise(
        monkeypatch, terminal, verbosity):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    assert cli._fit_verbosity() == verbosity


# Issue #39, round two -------------------------------------------------------


def _pngs(folder, count, value=128, size=8):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.fromarray(np.full((size, size), value, "uint8")).save(
            folder / f"{index:03d}.png")


def _load(path, **settings):
    return cli_data.load({"data": str(path), "binarize": None, "seed": 0,
                          **settings})


def test_held_out_split_of_class_folders_holds_every_class(tmp_path):
    # Read class by class, the last 10% would be the last class alone.
    for name in ("a_shirts", "b_shoes"):
        _pngs(tmp_path / "data" / name, 30)
    data = _load(tmp_path / "data")
    assert len(data.x_test) == 6
    assert sorted(data.y_test.tolist()) == [0, 0, 0, 1, 1, 1]
    assert "stratified by class" in data.test_split
    # Every class is trained on, the held-out images are not.
    train = np.concatenate([batch[1] for batch in data.train_dataset(
        64, 0, True).map(lambda d: (d["x"], d["labels"]))
        .as_numpy_iterator()])
    assert sorted(np.bincount(train).tolist()) == [27, 27]


def test_held_out_split_of_an_array_is_a_seeded_sample(tmp_path):
    x = np.arange(50, dtype="uint8")[:, None, None] * np.ones((1, 4, 4),
                                                             "uint8")
    np.save(tmp_path / "x.npy", x)
    first = _load(tmp_path / "x.npy", binarize="none")
    again = _load(tmp_path / "x.npy", binarize="none", seed=3)
    held_out = sorted(np.round(first.x_test[:, 0, 0, 0] * 255).astype(int))
    assert held_out != list(range(45, 50))  # not the last images
    # The same images whatever --seed, so runs are scored alike.
    np.testing.assert_array_equal(first.x_test, again.x_test)


def test_hidden_entries_are_skipped(tmp_path):
    flat = tmp_path / "flat"
    _pngs(flat, 12)
    (flat / ".ipynb_checkpoints").mkdir()  # empty: was "no images"
    (flat / "._000.png").write_text("macOS metadata, not an image")
    data = _load(flat)
    assert len(data.x_test) + 11 == 12 and data.y_test is None
    classes = tmp_path / "classes"
    _pngs(classes / "circle", 6)
    _pngs(classes / "square", 6)
    _pngs(classes / ".ipynb_checkpoints", 2)  # was class 0's name
    data = _load(classes)
    assert data.class_names == ["circle", "square"]
    assert data.num_classes == 2


def test_images_beside_subfolders_are_refused(tmp_path):
    # 60 images and thumbs/ with 3 trained on the 3.
    _pngs(tmp_path / "data", 60)
    _pngs(tmp_path / "data" / "thumbs", 3)
    with pytest.raises(ValueError, match=r"holds 60 image\(s\) .* beside "
                       r"the subfolder\(s\) \['thumbs'\]"):
        _load(tmp_path / "data")


def test_semi_supervised_training_on_partly_labelled_data(tmp_path,
                                                          capsys):
    # The held-out split was drawn from all images, with their -1 labels:
    # the run stopped after its first epoch when scoring it.
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(40, 8, 8)) > 0.5).astype("uint8") * 255
    labels = np.arange(40) % 3
    labels[::2] = -1
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", labels)
    run = tmp_path / "run"
    assert cli.main([
        "train", "semi_supervised_vae", "--data", str(tmp_path / "x.npy"),
        "--labels", str(tmp_path / "y.npy"), "--latent-dim", "2",
        "--option", "hidden_units=8,", "--epochs", "1", "--batch-size", "20",
        "--output", str(run),
    ]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert np.isfinite(metrics["test_negative_elbo"])
    assert "of the labelled images" in metrics["test_split"]
    assert not (run / "backup").exists()  # finished


def test_resume_on_changed_data_is_refused(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "x.npy"
    np.save(data, (rng.uniform(size=(20, 8, 8)) > 0.5).astype("uint8"))
    run = tmp_path / "run"
    argv = ["train", "dense_vae", "--data", str(data), "--latent-dim", "2",
            "--option", "hidden_units=8,", "--epochs", "1",
            "--output", str(run)]
    assert cli.main(argv) == 0
    model = (run / "model.keras").read_bytes()
    (run / "model.keras").unlink()  # as if killed before the end
    checkpoint = (run / "checkpoints" / "epoch_001.keras").read_bytes()
    capsys.readouterr()
    for other in [(rng.uniform(size=(20, 8, 8)) > 0.5),  # same shape
                  np.ones((20, 9, 9))]:  # another shape
        np.save(data, other.astype("uint8"))
        for command in (argv, ["train", "--resume", str(run)]):
            with pytest.raises(SystemExit) as info:
                cli.main(command)
            assert info.value.code == 2
            err = capsys.readouterr().err
            assert "changed since it started" in err, err
            assert "--overwrite" in err and err.count("\n") == 1
            assert (run / "checkpoints" / "epoch_001.keras").read_bytes() == (
                checkpoint)
    # Nor scored on it: its test split would be other images.
    (run / "model.keras").write_bytes(model)
    with pytest.raises(SystemExit):
        cli.main(["evaluate", str(run)])
    assert "changed since the run was trained" in capsys.readouterr().err


def test_resume_with_the_same_data_by_a_relative_path(tmp_path, capsys,
                                                      monkeypatch):
    # run.json holds absolute paths (and lists): `--data x` was "another
    # setting" than the /abs/x it recorded.
    monkeypatch.chdir(tmp_path)
    _pngs(tmp_path / "pngs", 10, size=6)
    argv = ["dense_vae", "--data", "pngs", "--image-size", "6,6",
            "--latent-dim", "2", "--option", "hidden_units=8,",
            "--epochs", "1"]
    assert cli.main(["train", *argv, "--output", "run"]) == 0
    (tmp_path / "run" / "model.keras").unlink()  # as if killed
    capsys.readouterr()
    assert cli.main(["train", "--resume", "run", "--data", "./pngs",
                     "--image-size", "6,6", "--output", "./run"]) == 0
    assert (tmp_path / "run" / "model.keras").exists()


def test_run_of_the_old_held_out_split_is_not_resumed_on_the_new(tmp_path):
    # A run of release 0.2 held out the last images: continuing it now
    # would train on some of the images it was scored on.
    from zoo.training import runs

    settings = {"model": "dense_vae", "data": "/data/x.npy",
                "test_split": "the last 6 of 64 images, held out"}
    runs.open_run(tmp_path / "run", settings).close()
    new = {**settings, "test_split": "6 of 64 images, held out: a random "
           "sample (fixed seed)", "data_fingerprint": "abc"}
    with pytest.raises(ValueError, match="holds a run scored on another "
                       "held-out split .* Pass --overwrite"):
        runs.open_run(tmp_path / "run", new)


def test_backup_of_another_shape_is_not_set_aside(tmp_path, capsys,
                                                   monkeypatch):
    # A run without a data fingerprint (release 0.2) resumed on images of
    # another shape: its whole backup was called "damaged", set aside, and
    # the run trained again over its checkpoints without --overwrite.
    from zoo.training import runs

    monkeypatch.setattr(runs.RunFolder, "finish", lambda self: None)
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((20, 8, 8), "uint8"))
    run = tmp_path / "run"
    argv = ["train", "dense_vae", "--data", str(data), "--latent-dim", "2",
            "--option", "hidden_units=8,", "--epochs", "1",
            "--output", str(run)]
    assert cli.main(argv) == 0  # the backup is kept: as if killed
    settings = json.loads((run / "run.json").read_text())
    settings.pop("data_fingerprint", None)
    (run / "run.json").write_text(json.dumps(settings))
    checkpoint = (run / "checkpoints" / "epoch_001.keras").read_bytes()
    np.save(data, np.zeros((20, 9, 9), "uint8"))
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(argv)
    err = capsys.readouterr().err
    assert "holds another model's weights" in err and err.count("\n") == 1
    assert (run / "checkpoints" / "epoch_001.keras").read_bytes() == (
        checkpoint)
    assert (run / "backup").is_dir()
    assert not list(run.glob("*.corrupt-*"))

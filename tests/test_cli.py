"""The `zoo` command end to end, its `--help`, and its one-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from zoo.cli import commands as cli
from zoo.export import load_for_serving

COMMANDS = ("list", "train", "evaluate", "sample", "export")
FIGURES = (
    "samples.png", "reconstructions.png", "curves.png", "latent.png",
    "traversals.png", "interpolation.png", "manifold.png",
)


def run(capsys, *argv):
    """`zoo ARGV...` in this process: (exit status, stdout, stderr)."""
    try:
        status = cli.main(list(argv))
    except SystemExit as error:
        status = error.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow
@pytest.mark.parametrize("model,options", [
    ("dense_vae", []),
    # A hierarchy's run folder is about its top group z_0.
    ("hierarchical_vae", ["--option", "width=4"]),
])
def test_train_evaluate_sample_export(tmp_path, capsys, model, options):
    run_dir = tmp_path / "run"
    status, out, _ = run(
        capsys, "train", model, "--dataset", "digits", "--epochs", "1",
        "--latent-dim", "2", "--output", str(run_dir), *options,
    )
    assert status == 0, out
    assert "test -ELBO" in out
    for name in ("model.keras", "run.json", "history.json", "metrics.json",
                 "checkpoints/epoch_001.keras", *FIGURES):
        assert (run_dir / name).stat().st_size > 0, name
    assert {path.name for path in (run_dir / "logs").iterdir()} >= {
        "train", "validation", "images"
    }

    status, out, _ = run(
        capsys, "evaluate", str(run_dir), "--num-samples", "4",
        "--limit", "50",
    )
    assert status == 0
    results = json.loads(out)
    assert results["num_examples"] == 50
    assert results["nll"] <= results["negative_elbo"] + 1.0

    grid = tmp_path / "grid.png"
    status, out, _ = run(
        capsys, "sample", str(run_dir), "--n", "9", "--out", str(grid)
    )
    assert status == 0 and grid.stat().st_size > 0

    status, out, _ = run(
        capsys, "export", str(run_dir), "--to", str(tmp_path / "served")
    )
    assert status == 0
    served = load_for_serving(tmp_path / "served" / "1")
    images = served.sample(num_samples=3, seed=(0, 1))["images"]
    assert images.shape == (3, 8, 8, 1) and np.isfinite(images).all()


@pytest.mark.parametrize("command", COMMANDS)
def test_help(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: zoo {command}")


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["train", "dense_vae", "--epochs", "0"], "--epochs: must be a "
         "positive integer"),
        (["train", "dense_vae", "--learning-rate", "fast"],
         "--learning-rate: must be a positive finite number"),
        (["train", "dense_vae", "--dataset", "cifar"], "invalid choice"),
        (["train", "no_such_vae", "--dataset", "digits"],
         "Unknown model 'no_such_vae'"),
        (["train", "conv_vae", "--dataset", "digits", "--option",
          "no_such=1"], "Valid options: ["),
        (["train", "conv_vae", "--dataset", "digits", "--option", "filters"],
         "--option must be KEY=VALUE"),
        (["train", "dense_vae", "--dataset", "digits", "--image-size", "8,8"],
         "--image-size applies to --data"),
        (["train", "dense_vae", "--image-size", "8"], "--image-size: must be "
         "HEIGHT,WIDTH"),
        (["train", "dense_vae", "--data", "no/such/file.png"],
         "--data must be a folder of images"),
        (["evaluate", "no/such/run"], "not a run folder"),
        (["sample", "no/such/run", "--n", "-1"], "--n: must be a positive"),
        (["export", "no/such/run"], "the following arguments are required: "
         "--to"),
        (["dance"], "invalid choice"),
        (["train", "dense_vae", "--latent-dim", "10000000"],
         "--latent-dim: must be a positive integer up to 65536"),
        (["sample", "no/such/run", "--n", "1000000000"],
         "--n: must be a positive integer up to 1048576"),
        (["train"], "name the model to train"),
        (["train", "vq_vae", "--dataset", "digits"],
         "`zoo train vq_vae` is not supported yet"),
    ],
)
def test_bad_arguments_exit_with_one_line(capsys, argv, reason):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert reason in err
    assert err.count("\n") == 1 and err.startswith("zoo")


def test_console_entry_point_fails_with_status_2():
    result = subprocess.run(
        [sys.executable, "-m", "zoo", "train", "conv_vae", "--epochs", "x"],
        capture_output=True, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "zoo train: error: argument --epochs: must be a positive integer, "
        "e.g. 5. Received: 'x' (see `zoo train --help`)"
    )


def test_likelihood_choices_are_every_zoo_likelihood():
    from zoo import likelihoods

    train = next(action for action in cli.build_parser()._subparsers
                 ._group_actions[0].choices["train"]._actions
                 if "--likelihood" in action.option_strings)
    assert tuple(train.choices) == tuple(likelihoods.LIKELIHOODS)


# Issue #39, round two -------------------------------------------------------


def _quiet_env(**variables):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TF_CPP_MIN_LOG_LEVEL", "ZOO_VERBOSE")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment["PYTHONPATH"] = os.pathsep.join(
        [root, environment.get("PYTHONPATH", "")])
    return {**environment, **variables}


@pytest.mark.parametrize("argv", [
    ["--help"], ["train", "--help"], ["train", "dense_vae", "--seed", "-1"],
    ["train", "dense_vae", "--learning-rate", "nan"],
    ["train", "dense_vae", "--image-size", "20000,20000"],
])
def test_help_and_argument_errors_do_not_import_tensorflow(argv):
    # It took 5 to 17 s: TensorFlow was imported before the arguments.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "zoo", *argv],
        capture_output=True, text=True, env=_quiet_env(), timeout=120,
    )
    assert result.returncode in (0, 2), result.stderr
    imported = [line.split("|")[-1].strip() for line in
                result.stderr.splitlines() if line.startswith("import time")]
    assert "zoo.cli.commands" in imported
    assert not [name for name in imported
                if name.split(".")[0] in ("tensorflow", "keras")], imported


def test_start_up_logs_hidden_with_a_log_level_of_ones_own():
    result = subprocess.run(
        [sys.executable, "-m", "zoo", "list"], capture_output=True,
        text=True, env=_quiet_env(TF_CPP_MIN_LOG_LEVEL="2"), timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "conv_vae" in result.stdout
    assert result.stderr == ""


def test_constants_written_out_for_a_fast_parser_match_the_zoo():
    from zoo.models import autoencoder

    assert cli.DEFAULT_LEARNING_RATE == autoencoder.DEFAULT_LEARNING_RATE


def test_images_read_from_a_folder_are_bounded_by_their_memory(
        tmp_path, monkeypatch):
    from PIL import Image

    from zoo.datasets import directory

    for index in range(3):
        Image.new("L", (8, 8), 128).save(tmp_path / f"{index}.png")
    # 3 images of 8x8x1 float32 are 768 bytes.
    monkeypatch.setattr(directory, "MAX_IMAGE_BYTES", 767)
    with pytest.raises(ValueError, match="GiB as float32, above the zoo.s"):
        directory.from_directory(tmp_path, image_size=(8, 8))
    monkeypatch.setattr(directory, "MAX_IMAGE_BYTES", 768)
    assert directory.from_directory(
        tmp_path, image_size=(8, 8), validation_size=1).x_train.shape[0] == 2


def test_overwrite_keeps_files_no_run_wrote(tmp_path, capsys):
    folder = tmp_path / "results"
    (folder / "logs").mkdir(parents=True)
    (folder / "logs" / "important.txt").write_text("mine")
    (folder / "samples.png").write_bytes(b"mine too")
    for extra in ([], ["--overwrite"]):
        status, _, err = run(capsys, "train", "dense_vae", "--dataset",
                             "digits", "--output", str(folder), *extra)
        assert status == 2
        assert "not a run folder" in err and err.count("\n") == 1, err
        assert "use --overwrite" not in err
    assert (folder / "logs" / "important.txt").read_text() == "mine"
    assert (folder / "samples.png").read_bytes() == b"mine too"
    assert sorted(path.name for path in folder.iterdir()) == [
        ".lock", "logs", "samples.png"]


def test_resume_and_output_naming_one_folder_differently(tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run").mkdir()
    for output in (str(tmp_path / "run"), "./run", "run/"):
        status, _, err = run(capsys, "train", "--resume", "run",
                             "--output", output)
        assert status == 2
        assert "holds no run to resume" in err, err  # not "two folders"


def test_export_to_an_existing_version_names_the_flag(tmp_path, capsys):
    import zoo

    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2,
                    hidden_units=(8,))
    (tmp_path / "run").mkdir()
    model.save(tmp_path / "run" / "model.keras")
    (tmp_path / "served" / "1").mkdir(parents=True)
    (tmp_path / "served" / "1" / "saved_model.pb").write_bytes(b"v1")
    status, _, err = run(capsys, "export", str(tmp_path / "run"), "--to",
                         str(tmp_path / "served"), "--version", "1")
    assert status == 2
    assert "pass --overwrite to replace it" in err, err
    assert "overwrite=True" not in err and "version=None" not in err
    assert (tmp_path / "served" / "1" / "saved_model.pb").read_bytes() == (
        b"v1")


@pytest.mark.slow
def test_beta_tcvae_estimates_over_the_data_it_trains_on(tmp_path, capsys):
    """beta-TC's N (dataset_size) is the number of training images, not
    the default 60,000, unless --option dataset_size= says."""
    import keras

    import zoo

    train_size = len(zoo.datasets.digits().x_train)
    for extra, expected in (([], train_size),
                            (["--option", "dataset_size=77"], 77)):
        run_dir = tmp_path / f"run{len(extra)}"
        status, out, _ = run(
            capsys, "train", "beta_tcvae", "--dataset", "digits", "--epochs",
            "1", "--latent-dim", "2", "--option", "hidden_units=(8,)",
            "--option", "filters=(4,)", "--output", str(run_dir), *extra,
        )
        assert status == 0, out
        model = keras.models.load_model(run_dir / "model.keras")
        assert model.objective.dataset_size == expected

"""`python saved_models/regenerate.py --published-row ROW --name NAME`: a
finished row of bench/published_table.py shipped as a preset, end to end
on a tiny model, a tiny test set and small K, with saved_models/ and the
bench's results in a temporary folder."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import real_images, regenerate_script
from zoo import export

ROW = "tiny_row"
NAME = "tiny_preset"
#: The row's K (its `protocol.test_samples`), and the samples the shipped
#: requests must allow at the least (`SERVED_SAMPLES`, 1,000 for real):
#: 4 test images a request at K, 2 at the checks' K = 100.
SAMPLES = 50
SERVED_SAMPLES = 200
CHECK_EXAMPLES = 4
#: 10 test images: 3 requests at K (4, 4, 2), 2 for the checks.
TEST_IMAGES = 10


@pytest.fixture
def script(tmp_path, monkeypatch):
    """regenerate.py with its folders under `tmp_path` (saved_models/ as
    `tmp_path / "saved_models"`, the bench's results as `tmp_path /
    "published_table"`), Fashion-MNIST replaced by binarized 8x8 digits,
    and small limits."""
    regenerate = regenerate_script()
    monkeypatch.setattr(regenerate, "HERE", tmp_path / "saved_models")
    monkeypatch.setattr(regenerate, "BACKUPS",
                        tmp_path / "saved_models" / ".backup")
    monkeypatch.setattr(regenerate, "PUBLISHED_TABLE",
                        tmp_path / "published_table")
    monkeypatch.setattr(regenerate, "SERVED_SAMPLES", SERVED_SAMPLES)
    monkeypatch.setattr(regenerate, "CHECK_EXAMPLES", CHECK_EXAMPLES)
    (tmp_path / "saved_models").mkdir()
    images = (real_images((8, 8, 1), count=TEST_IMAGES + 16) > 0.5).astype(
        "float32")
    data = zoo.datasets.from_arrays(images[TEST_IMAGES:],
                                    x_test=images[:TEST_IMAGES])
    monkeypatch.setattr(zoo.datasets, "fashion_mnist",
                        lambda binarize: data)
    return regenerate


def finish_row(folder, command=f"python -m bench.published_table --row "
               f"{ROW} --max-epochs 2000"):
    """Write what bench/published_table.py's train_row writes for a
    finished KEEP_MODEL row into `folder`: `<row>.keras`, a tiny
    hierarchical PixelCNN model trained a step with its optimizer, and
    `<row>.json`; return the model."""
    options = {"latent_dim": 2, "model": "hierarchical_vae",
               "likelihood": "pixelcnn", "width": 4, "group_channels": 1,
               "pixelcnn_blocks": 1,
               "recipe": {"learning_rate": 2e-3, "cosine_decay": True,
                          "warm_up_epochs": 5, "epochs": 100,
                          "nll_every": 5, "test_samples": SAMPLES}}
    keras.utils.set_random_seed(0)
    model = zoo.get("hierarchical_vae", input_shape=(8, 8, 1), seed=0,
                    **{key: value for key, value in options.items()
                       if key not in ("model", "recipe")})
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    x = (real_images((8, 8, 1), count=8, seed=1) > 0.5).astype("float32")
    model.fit(x, epochs=1, batch_size=8, verbose=0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / f"{ROW}.keras")
    result = {
        "benchmark": f"published_table/{ROW}", "date": "2026-01-02T03:04:05",
        "row": ROW, "published_nll": 223.26, "options": options,
        "test_nll": 230.5, "test_nll_standard_error": 0.5,
        "k_difference": {"images": 1000, "nll": {"1000": 230.9,
                                                 "5000": 230.6}},
        "best_epoch": 97, "epochs_trained": 100, "train_seconds": 12345.6,
        "protocol": {**options["recipe"], "patience": 50, "batch_size": 100,
                     "max_epochs": 2000, "validation_size": 10000,
                     "protocol_test_samples": 5000},
        "command": command,
    }
    (folder / f"{ROW}.json").write_text(json.dumps(result))
    return model


def ship(regenerate, *options):
    regenerate.main(["--published-row", ROW, "--name", NAME, *options])


def per_image_scores(serving, x, num_samples, batch_size):
    """`(elbo, log_likelihood)` of every image of `x` through `serving`'s
    `score`, `batch_size` images a request."""
    scores = [serving.score(x[start:start + batch_size], num_samples)
              for start in range(0, len(x), batch_size)]
    return (np.concatenate([s["elbo"] for s in scores]),
            np.concatenate([s["log_likelihood"] for s in scores]))


@pytest.mark.slow
def test_shipped_row_reproduces_its_card_through_its_saved_model(
    script, monkeypatch, capsys
):
    model = finish_row(script.PUBLISHED_TABLE)
    row = json.loads((script.PUBLISHED_TABLE / f"{ROW}.json").read_text())
    ship(script)
    folder = script.HERE / NAME
    assert sorted(path.name for path in folder.iterdir()) == [
        "1", "model.keras", "model_card.json"]
    assert export.versions(folder) == [1]
    assert not (script.BACKUPS / NAME).exists()
    card = json.loads((folder / "model_card.json").read_text())

    # The request limit: the smallest budget that takes one image at the
    # row's K raised to SERVED_SAMPLES, as many images a request as it
    # allows.
    budget = card["max_request_bytes"]
    assert budget == SERVED_SAMPLES * export.request_size.sample_bytes(model)
    assert card["max_samples_per_request"] == SERVED_SAMPLES == (
        export.request_size.samples_within(model, budget))
    assert export.request_size.samples_within(model, budget - 1) < (
        SERVED_SAMPLES)
    assert card["test_nll_batch_size"] == SERVED_SAMPLES // SAMPLES == 4
    assert card["check_batch_size"] == SERVED_SAMPLES // 100 == 2
    serving = export.load_for_serving(folder / "1")
    x = zoo.datasets.fashion_mnist(binarize="static").split("test")[0]
    serving.score(x[:1], SERVED_SAMPLES)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="max_request_bytes"):
        serving.score(x[:1], SERVED_SAMPLES + 1)

    # The test NLL, computed again through the loaded SavedModel.
    elbo, log_likelihood = per_image_scores(serving, x, SAMPLES, 4)
    assert card["test_nll_samples"] == SAMPLES
    np.testing.assert_allclose(card["test_nll_through_score"],
                               -np.mean(log_likelihood), rtol=1e-6)
    np.testing.assert_allclose(
        card["test_nll_standard_error"],
        np.std(log_likelihood) / np.sqrt(TEST_IMAGES), rtol=1e-5)
    np.testing.assert_allclose(card["test_negative_elbo"], -np.mean(elbo),
                               rtol=1e-6)
    assert card["test_nll_through_score"] <= card["test_negative_elbo"]
    np.testing.assert_allclose(
        card["difference_from_published_best"],
        card["test_nll_through_score"] - 223.26, rtol=1e-9)
    # The check entries CI re-scores, and the K = 100 figure.
    elbo, log_likelihood = per_image_scores(serving, x[:CHECK_EXAMPLES], 100,
                                            2)
    assert card["check_examples"] == CHECK_EXAMPLES
    np.testing.assert_allclose(card["check_nll_k100"],
                               -np.mean(log_likelihood), rtol=1e-6)
    np.testing.assert_allclose(card["check_negative_elbo"], -np.mean(elbo),
                               rtol=1e-6)
    _, log_likelihood = per_image_scores(serving, x, 100, 2)
    np.testing.assert_allclose(card["test_nll_k100_first2000"],
                               -np.mean(log_likelihood), rtol=1e-6)

    # The bench's own numbers and recipe, copied.
    assert card["published_row"] == ROW
    assert card["bench_test_nll"] == row["test_nll"]
    assert card["bench_test_nll_standard_error"] == 0.5
    assert card["k_difference"] == row["k_difference"]
    assert card["recipe"] == row["protocol"]
    assert card["bench_command"] == row["command"]
    assert card["bench_date"] == row["date"]
    assert (card["epochs"], card["best_epoch"], card["train_seconds"]) == (
        100, 97, 12345.6)
    assert card["optimizer"] == (
        "adam, learning rate 0.002, cosine decay to 0 over 100 epochs")
    assert "50,000 training images" in card["data"]
    assert card["registry_name"] == "hierarchical_vae"
    assert card["options"]["likelihood"] == "pixelcnn"
    assert "recipe" not in card["options"]
    assert card["published_best"] == 223.26
    assert card["command"] == (f"python saved_models/regenerate.py "
                               f"--published-row {ROW} --name {NAME}")
    assert card["check_command"] == (
        f"python saved_models/regenerate.py --rescore-checks --models {NAME}")
    assert card["parameters"] == model.count_params()
    assert card["size_bytes"] == sum(
        path.stat().st_size for path in (folder / "1").rglob("*")
        if path.is_file())
    assert card["test_active_units_per_group"] == [
        list(pair) for pair in model.active_units(x)]

    # model.keras: the row's weights without its optimizer, encoding as
    # the SavedModel does.
    assert zoo.list_presets(script.HERE) == [NAME]
    assert script.published_presets() == [NAME]
    preset = zoo.from_preset(NAME, directory=script.HERE)
    for mine, theirs in zip(preset.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert (folder / "model.keras").stat().st_size < (
        script.PUBLISHED_TABLE / f"{ROW}.keras").stat().st_size
    np.testing.assert_allclose(preset.encode(x).mean(),
                               serving.encode(x)["z_mean"], rtol=1e-5,
                               atol=1e-6)

    # The card's check_command gives its check entries again; the modes
    # that train or export MODELS' models refuse the preset.
    checks = {key: card[key] for key in ("check_negative_elbo",
                                         "check_nll_k100")}
    script.main(["--rescore-checks", "--models", NAME])
    card = json.loads((folder / "model_card.json").read_text())
    for key, value in checks.items():
        np.testing.assert_allclose(card[key], value, rtol=1e-6)
    with pytest.raises(SystemExit) as info:
        script.main(["--reexport", "--models", NAME])
    assert info.value.code == 2
    assert "take --rescore-checks only" in capsys.readouterr().err

    # bench/final_nll.py cuts its batch to the shipped limit.
    from bench import final_nll

    monkeypatch.setattr(final_nll, "SAVED_MODELS", script.HERE)
    assert final_nll.score(NAME, 1, x, SERVED_SAMPLES, 100)[
        "batch_size"] == 1


def test_an_unfinished_row_is_refused_and_nothing_is_written(script):
    with pytest.raises(SystemExit, match=(
            r"Row 'tiny_row' has no tiny_row\.keras and no tiny_row\.json .*"
            r"has not finished.*python -m bench\.published_table --row "
            r"tiny_row")):
        ship(script)
    finish_row(script.PUBLISHED_TABLE)
    (script.PUBLISHED_TABLE / f"{ROW}.keras").unlink()
    with pytest.raises(SystemExit, match=r"no tiny_row\.keras in .*"
                       "KEEP_MODEL"):
        ship(script)
    assert list(script.HERE.iterdir()) == []


def test_bad_names_and_smoke_runs_are_refused(script, capsys):
    finish_row(script.PUBLISHED_TABLE, command=(
        f"python -m bench.published_table --row {ROW} --max-epochs 1 "
        "--smoke"))
    with pytest.raises(SystemExit, match="a smoke run's"):
        ship(script)
    for name, problem in (("conv_vae", "one of the models this script "
                           "trains"), ("../elsewhere", "a folder name")):
        with pytest.raises(SystemExit, match=problem):
            script.main(["--published-row", ROW, "--name", name])
    assert list(script.HERE.iterdir()) == []
    for argv, error in (
            (["--published-row", ROW], "--published-row needs --name"),
            (["--name", NAME], "--name and --overwrite go with"),
            (["--published-row", ROW, "--name", NAME, "--epochs", "3"],
             "ships a finished row as it is")):
        with pytest.raises(SystemExit) as info:
            script.main(argv)
        assert info.value.code == 2
        assert error in capsys.readouterr().err


@pytest.mark.slow
def test_an_existing_preset_is_replaced_only_when_asked_and_whole(
    script, monkeypatch
):
    """Nothing already written is lost: without --overwrite the folder
    is refused, and with it the old folder stays until the new one is
    complete (here the scoring fails after the export)."""
    finish_row(script.PUBLISHED_TABLE)
    old = script.HERE / NAME / "model_card.json"
    old.parent.mkdir()
    old.write_text('{"old": true}')
    with pytest.raises(SystemExit, match="exists; nothing was written. "
                       "Pass --overwrite"):
        ship(script)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(script, "score_per_image", killed)
        with pytest.raises(KeyboardInterrupt):
            ship(script, "--overwrite")
    assert json.loads(old.read_text()) == {"old": True}
    ship(script, "--overwrite")
    assert json.loads(old.read_text())["published_row"] == ROW

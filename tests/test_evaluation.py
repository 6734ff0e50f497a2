"""Evaluation of trained models: likelihood bounds, active units, and the
uses of a VAE (reduction vs PCA, denoising, pre-training, anomaly
detection, generation), each end to end on the 8x8 digits."""

import json
import math
import pathlib

import keras
import numpy as np
import pytest

import zoo
from zoo import datasets
from zoo.evaluation import anomaly
from zoo.evaluation import denoising
from zoo.evaluation import generation
from zoo.evaluation import likelihood
from zoo.evaluation import pretraining
from zoo.evaluation import reduction
from zoo.evaluation import training

REPOSITORY = pathlib.Path(__file__).parents[1]
LATENT_DIM = 4


@pytest.fixture(scope="module")
def data():
    return datasets.digits()


@pytest.fixture(scope="module")
def vae(data):
    """A small dense VAE trained for a few seconds on the digits."""
    return training.train_vae(data.x_train, model="dense_vae",
                              latent_dim=LATENT_DIM, hidden_units=(32,),
                              epochs=10, batch_size=64)


# Likelihood ---------------------------------------------------------------


def test_importance_weighted_bound_tightens_with_num_samples(vae, data):
    x = data.x_test[:100]
    nll = {
        num_samples: np.mean([
            likelihood.negative_log_likelihood(
                vae, x, num_samples=num_samples, seed=seed)
            for seed in range(0, 500, 100)
        ])
        for num_samples in (1, 10, 100)
    }
    assert nll[1] >= nll[10] - 0.05 >= nll[100] - 0.1, nll
    assert nll[1] - nll[100] > 0.1, nll


def test_one_sample_bound_equals_elbo_in_expectation(vae, data):
    x = data.x_test
    seeds = range(0, 4000, 200)
    elbo = np.array([likelihood.negative_elbo(vae, x, seed=seed)
                     for seed in seeds])
    bound = np.array([likelihood.negative_log_likelihood(
        vae, x, num_samples=1, seed=seed) for seed in seeds])
    standard_error = math.sqrt(
        (elbo.var(ddof=1) + bound.var(ddof=1)) / len(elbo))
    assert abs(elbo.mean() - bound.mean()) < 4 * standard_error + 0.01


def test_active_units_zero_for_collapsed_posterior(data):
    model = zoo.get("dense_vae", input_shape=data.image_shape,
                    latent_dim=LATENT_DIM, hidden_units=(16,))
    layer = model.encoder.get_layer("z_mean")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    assert likelihood.active_units(model, data.x_test) == 0


def test_active_units_all_for_identity_encoder():
    model = zoo.get("dense_vae", input_shape=(LATENT_DIM,),
                    latent_dim=LATENT_DIM, hidden_units=())
    model.encoder.get_layer("z_mean").set_weights(
        [np.eye(LATENT_DIM), np.zeros(LATENT_DIM)])
    x = np.random.default_rng(0).uniform(size=(500, LATENT_DIM))
    assert likelihood.active_units(model, x.astype("float32")) == LATENT_DIM


# Dimensionality reduction ------------------------------------------------


def test_compare_with_pca_scores_both_methods(vae, data):
    rows = reduction.compare_with_pca(
        [vae], data.x_train, data.y_train, data.x_test, data.y_test)
    assert [(row["method"], row["latent_dim"]) for row in rows] == [
        ("vae", LATENT_DIM), ("pca", LATENT_DIM)]
    for row in rows:
        assert set(row) == {"method", "latent_dim", "mse", "bce",
                            "logistic_accuracy", "knn_accuracy",
                            "encode_seconds"}
        assert 0 < row["mse"] < 0.25 and row["bce"] > 0
        # Ten classes: both codes must do far better than chance (0.1).
        assert 0.3 < row["logistic_accuracy"] <= 1
        assert 0.3 < row["knn_accuracy"] <= 1
        assert row["encode_seconds"] >= 0


def test_reconstruction_errors_of_known_images():
    x = np.zeros((2, 4))
    errors = reduction.reconstruction_errors(x, np.full((2, 4), 0.5))
    assert errors["mse"] == pytest.approx(0.25)
    assert errors["bce"] == pytest.approx(4 * math.log(2))


def test_compare_with_pca_checks_arguments(data):
    with pytest.raises(ValueError, match="models"):
        reduction.compare_with_pca([], data.x_train, data.y_train,
                                   data.x_test, data.y_test)


# Denoising ---------------------------------------------------------------


def test_psnr_and_ssim_of_known_images():
    x = np.zeros((2, 8, 8, 1), "float32")
    # MSE = 0.01 -> 10 log10(1 / 0.01) = 20 dB.
    np.testing.assert_allclose(denoising.psnr(x, x + 0.1), 20.0, rtol=1e-4)
    assert np.all(denoising.psnr(x, x) == denoising.MAX_PSNR)
    images = datasets.digits().x_test[:2]
    np.testing.assert_allclose(denoising.ssim(images, images), 1.0,
                               rtol=1e-5)


def test_evaluate_denoising_rows(vae, data):
    for kind in ("gaussian", "salt_and_pepper", "mask"):
        rows = denoising.evaluate_denoising({"clean": vae}, data.x_test,
                                            kind, 0.25)
        assert [row["output"] for row in rows] == ["noisy input", "clean"]
        for row in rows:
            assert set(row) == {"corruption", "amount", "output", "psnr",
                                "ssim"}
            assert row["corruption"] == kind and row["amount"] == 0.25
            assert 0 < row["psnr"] < denoising.MAX_PSNR
            assert -1 <= row["ssim"] <= 1
    with pytest.raises(ValueError, match="kind"):
        denoising.evaluate_denoising({}, data.x_test, "blur")


# Pre-training ------------------------------------------------------------


def test_encoder_classifier_modes(vae, data):
    x = data.x_test[:8]
    weights = [w.copy() for w in vae.encoder.get_weights()]
    frozen = pretraining.encoder_classifier(vae.encoder, 10, "frozen")
    assert len(frozen.trainable_weights) == 2  # the head's kernel and bias
    fine_tuned = pretraining.encoder_classifier(vae.encoder, 10)
    base = fine_tuned.layers[1]
    np.testing.assert_allclose(base(x), vae.encoder(x)[0], rtol=1e-5)
    training.train_classifier(fine_tuned, data.x_train[:64],
                              data.y_train[:64], epochs=1)
    for before, after in zip(weights, vae.encoder.get_weights()):
        np.testing.assert_array_equal(before, after)  # the VAE is untouched
    keras.utils.set_random_seed(1)
    scratch = pretraining.encoder_classifier(vae.encoder, 10, "scratch")
    assert not np.allclose(scratch.layers[1](x), vae.encoder(x)[0])
    with pytest.raises(ValueError, match="mode"):
        pretraining.encoder_classifier(vae.encoder, 10, "partly")
    with pytest.raises(ValueError, match="num_classes"):
        pretraining.encoder_classifier(vae.encoder, 1)


def test_label_efficiency_fields(vae, data):
    result = pretraining.label_efficiency(
        vae.encoder, data.x_train, data.y_train, data.x_test, data.y_test,
        labels_per_class=5, seeds=(0, 1), epochs=1)
    assert set(result) == set(pretraining.MODES)
    for stats in result.values():
        assert len(stats["accuracies"]) == 2
        assert 0 <= stats["mean"] <= 1 and stats["std"] >= 0
    with pytest.raises(ValueError, match="modes"):
        pretraining.label_efficiency(vae.encoder, data.x_train, data.y_train,
                                     data.x_test, data.y_test,
                                     modes=("linear",))


def test_labeled_subset_is_balanced():
    y = np.repeat(np.arange(3), 10)
    subset = training.labeled_subset(y, 4, seed=0)
    assert np.bincount(y[subset]).tolist() == [4, 4, 4]
    with pytest.raises(ValueError, match="per_class"):
        training.labeled_subset(y, 11)


# Anomaly detection -------------------------------------------------------


def test_auroc_of_perfect_and_reversed_scores():
    assert anomaly.auroc([0.1, 0.2, 0.3], [0.5, 0.9]) == 1.0
    assert anomaly.auroc([0.5, 0.9], [0.1, 0.2, 0.3]) == 0.0
    assert anomaly.auroc([1.0, 1.0], [1.0]) == 0.5


def test_anomaly_scores_and_evaluation(vae, data):
    x = data.x_test[:20]
    per_example = anomaly.anomaly_scores(vae, x)
    per_dimension = anomaly.anomaly_scores(vae, x, per_dimension=True)
    assert per_example.shape == (20,) and np.all(per_example > 0)
    np.testing.assert_allclose(per_dimension, per_example / 64, rtol=1e-6)
    nll = anomaly.anomaly_scores(vae, x, "negative_log_likelihood",
                                 num_samples=10)
    assert nll.shape == (20,)
    for score in anomaly.SCORES:
        result = anomaly.evaluate_anomaly(vae, data.x_test, data.y_test, 0,
                                          score, num_samples=10)
        assert set(result) == {"anomaly_class", "score", "auroc",
                               "num_normal", "num_anomalous",
                               "mean_score_normal", "mean_score_anomalous"}
        assert 0 <= result["auroc"] <= 1
        assert result["num_normal"] + result["num_anomalous"] == 297
    with pytest.raises(ValueError, match="score"):
        anomaly.anomaly_scores(vae, x, "reconstruction")
    with pytest.raises(ValueError, match="anomaly_class"):
        anomaly.without_class(data.x_test, data.y_test, 10)


# Generation --------------------------------------------------------------


def test_classifier_statistics_of_uniform_predictions(data):
    inputs = keras.Input(shape=data.image_shape)
    outputs = keras.layers.Dense(10, activation="softmax",
                                 kernel_initializer="zeros")(
        keras.layers.Flatten()(inputs))
    uniform = keras.Model(inputs, outputs)
    stats = generation.classifier_statistics(uniform, data.x_test)
    assert stats["max_confidence"] == pytest.approx(0.1)
    for key in ("entropy", "class_entropy", "max_class_entropy"):
        assert stats[key] == pytest.approx(math.log(10), rel=1e-5)


def test_cached_classifier_trains_once(vae, data, tmp_path):
    first, path = generation.cached_classifier(
        data.x_train, data.y_train, "digits", epochs=1, cache_dir=tmp_path)
    assert path.parent == tmp_path and path.exists()
    second, _ = generation.cached_classifier(
        data.x_train, data.y_train, "digits", epochs=1, cache_dir=tmp_path)
    np.testing.assert_allclose(second.predict(data.x_test, verbose=0),
                               first.predict(data.x_test, verbose=0),
                               rtol=1e-5)
    stats = generation.sample_statistics(vae, first, num_samples=50)
    assert 0.1 <= stats["max_confidence"] <= 1
    assert 0 <= stats["entropy"] <= stats["max_class_entropy"]


# Bench scripts -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("study", ["reduction", "denoising", "pretraining",
                                   "anomaly", "generation"])
def test_bench_smoke(study, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import common
    from bench import uses

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    result = json.loads(uses.run(study, "smoke", tmp_path / "cache")
                        .read_text())
    assert result["benchmark"] == f"{study}_smoke"
    assert result["machine"]["tensorflow"]
    assert result["data"] == "digits"
    if study == "pretraining":
        assert set(result["modes"]) == set(pretraining.MODES)
    else:
        assert result["rows"]
    if study == "generation":
        for files in result["figures"].values():
            for name in files:
                assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.slow
def test_generation_study_scores_a_shipped_preset_as_it_is(
        tmp_path, monkeypatch):
    """A preset named in the setting is loaded, not trained: its row is the
    saved model's own NLL on the test images, and it gets its figures."""
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import common
    from bench import uses

    shipped = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2,
                      hidden_units=(8,), seed=1)
    shipped.build((None, 8, 8, 1))
    (tmp_path / "presets" / "tiny").mkdir(parents=True)
    shipped.save(tmp_path / "presets" / "tiny" / "model.keras")
    (tmp_path / "presets" / "tiny" / "model_card.json").write_text("{}")
    monkeypatch.setenv("ZOO_PRESETS_DIR", str(tmp_path / "presets"))
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    setting = {**uses.SETTINGS["generation"]["smoke"], "vaes": {},
               "presets": ("tiny",)}
    monkeypatch.setitem(uses.SETTINGS["generation"], "smoke", setting)
    result = json.loads(uses.run("generation", "smoke", tmp_path / "cache")
                        .read_text())
    row = result["rows"][-1]
    assert row["images"] == "tiny (shipped) prior samples"
    x_test = zoo.datasets.digits(binarize="static").x_test
    expected = likelihood.evaluate_likelihood(
        shipped, x_test[:setting["num_test"]],
        num_samples=setting["num_samples"])
    assert row["nll"] == pytest.approx(expected["nll"], rel=1e-5)
    for name in result["figures"]["tiny"]:
        assert (tmp_path / name).stat().st_size > 1000


def test_binarization_entropy_is_the_sum_of_bernoulli_entropies():
    grey = np.array([[0.0, 1.0, 0.5, 0.5], [0.1, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        likelihood.binarization_entropy(grey),
        [2 * np.log(2.0), -(0.1 * np.log(0.1) + 0.9 * np.log(0.9))])

"""Disentanglement metrics on constructed codes, and the bench end to end."""

import json
import math
import pathlib

import numpy as np
import pytest

from zoo.datasets.sprites import GroundTruthDataset
from zoo.evaluation import disentanglement

REPOSITORY = pathlib.Path(__file__).parents[1]


class FactorsAsImages(GroundTruthDataset):
    """A dataset whose "image" of factors v is v itself, so that a
    representation function can be any map of the factors. Factors have at
    most 20 values, so MIG's 20 bins resolve each of them."""

    factor_names = ("a", "b", "c", "d", "e")
    factor_sizes = (3, 6, 10, 8, 8)

    def images_from_factors(self, factors):
        return self.check_factors(factors).astype(np.float32)


DATASET = FactorsAsImages()


def identity(factors):
    return factors


def permuted_rescaled(factors):
    return factors[:, [3, 0, 4, 1, 2]] * [0.5, -2.0, 3.0, 0.7, 10.0] + 1.0


NOISE = np.random.default_rng(0)


def noise(factors):
    """Codes independent of the factors."""
    return NOISE.normal(size=(len(factors), 5))


def two_mixed(factors):
    """Factors a and b rotated by 45 degrees into two code dimensions."""
    mixed = factors.copy()
    mixed[:, 0] = factors[:, 0] + factors[:, 1]
    mixed[:, 1] = factors[:, 0] - factors[:, 1]
    return mixed


def all_scores(representation_function):
    scores = {
        "beta_vae": disentanglement.beta_vae_score(
            representation_function, DATASET, num_train=300, num_eval=200,
            batch_size=16),
        "factor_vae": disentanglement.factor_vae_score(
            representation_function, DATASET, num_train=300, num_eval=200,
            batch_size=16, num_variance_estimate=1000),
        "mig": disentanglement.mutual_information_gap(
            representation_function, DATASET, num_samples=3000),
        "sap": disentanglement.sap_score(
            representation_function, DATASET, num_samples=3000),
    }
    dci = disentanglement.dci(representation_function, DATASET,
                              num_train=500, num_test=500, num_estimators=20)
    scores.update({f"dci_{key}": value for key, value in dci.items()})
    return scores


@pytest.mark.parametrize("representation_function",
                         [identity, permuted_rescaled])
def test_ground_truth_scores_near_maximum(representation_function):
    scores = all_scores(representation_function)
    assert min(scores.values()) > 0.95, scores


def test_noise_scores_near_minimum():
    scores = all_scores(noise)
    chance = 1 / len(DATASET.factor_sizes)
    for name in ("beta_vae", "factor_vae"):
        assert scores[name] < chance + 0.15, scores
    for name in ("mig", "sap", "dci_disentanglement", "dci_completeness"):
        assert scores[name] < 0.05, scores
    # The forests predict each factor no better than its largest class.
    assert scores["dci_informativeness"] < 0.4, scores


def test_mixing_two_factors_lowers_mig():
    clean = disentanglement.mutual_information_gap(
        identity, DATASET, num_samples=3000)
    mixed = disentanglement.mutual_information_gap(
        two_mixed, DATASET, num_samples=3000)
    assert mixed < clean - 0.2, (mixed, clean)
    # Factors c, d and e stay clean; a and b lose most of their gap.
    assert mixed > 0.5
    # MIG's matrix I(z_j; v_k) / H(v_k): one-hot for the clean code; the
    # mixed dimensions 0 and 1 carry equal shares of factors a and b.
    clean = disentanglement.normalized_mutual_information(
        identity, DATASET, num_samples=3000)
    np.testing.assert_allclose(clean, np.eye(5), atol=0.05)
    matrix = disentanglement.normalized_mutual_information(
        two_mixed, DATASET, num_samples=3000)
    assert (matrix[:2, :2] > 0.15).all(), matrix
    np.testing.assert_allclose(matrix[0, :2], matrix[1, :2], atol=0.03)
    np.testing.assert_allclose(matrix[2:, 2:], np.eye(3), atol=0.05)


def test_a_duplicated_factor_has_no_gap():
    """Factor a encoded twice: its MIG and SAP gaps vanish (1 of 5 factors),
    its DCI completeness halves while disentanglement stays perfect."""

    def duplicated(factors):
        return np.concatenate([factors, factors[:, :1]], axis=1)

    mig = disentanglement.mutual_information_gap(
        duplicated, DATASET, num_samples=3000)
    sap = disentanglement.sap_score(duplicated, DATASET, num_samples=3000)
    dci = disentanglement.dci(duplicated, DATASET, num_train=500,
                              num_test=500, num_estimators=20)
    assert mig == pytest.approx(0.8, abs=0.02)
    assert sap == pytest.approx(0.8, abs=0.02)
    assert dci["disentanglement"] > 0.95
    # C_a = 1 - H(1/2, 1/2) / log 6 = 0.61, so completeness ~ 0.92.
    assert dci["completeness"] == pytest.approx(0.92, abs=0.03)


def test_factor_vae_prunes_collapsed_dimensions():
    """A dimension whose variance is below `prune_threshold` (as a VAE's
    collapsed ones) takes no votes: with factor a encoded only at scale
    1e-3, a's votes are lost, 1 of 5 factors."""

    def collapsed_a(factors):
        return factors * [1e-3, 1.0, 1.0, 1.0, 1.0]

    sizes = {"num_train": 200, "num_eval": 200, "batch_size": 16,
             "num_variance_estimate": 500}
    assert disentanglement.factor_vae_score(
        collapsed_a, DATASET, **sizes) == pytest.approx(0.8, abs=0.1)
    assert disentanglement.factor_vae_score(
        collapsed_a, DATASET, prune_threshold=0.0, **sizes) > 0.95
    assert disentanglement.factor_vae_score(
        lambda factors: 1e-3 * factors, DATASET, **sizes) == 0.0


def test_same_seed_same_score():
    first = disentanglement.factor_vae_score(
        two_mixed, DATASET, num_train=50, num_eval=50, seed=3)
    second = disentanglement.factor_vae_score(
        two_mixed, DATASET, num_train=50, num_eval=50, seed=3)
    assert first == second


def test_invalid_arguments_are_named():
    with pytest.raises(ValueError, match="Received: num_samples=0"):
        disentanglement.sap_score(identity, DATASET, num_samples=0)
    with pytest.raises(ValueError, match="batch_size"):
        disentanglement.factor_vae_score(identity, DATASET, batch_size=1)
    with pytest.raises(ValueError, match="representation_function"):
        disentanglement.sap_score(lambda x: x[:, 0], DATASET, num_samples=10)
    with pytest.raises(ValueError, match=">= 2 dimensions"):
        disentanglement.mutual_information_gap(
            lambda x: x[:, :1], DATASET, num_samples=10)


@pytest.mark.slow
def test_bench_smoke_trains_scores_and_resumes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPOSITORY))
    from bench import common
    from bench import disentanglement as bench

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    result = json.loads(bench.run("smoke").read_text())
    assert result["benchmark"] == "disentanglement_smoke"
    assert set(result["models"]) == set(bench.SETTINGS["smoke"]["models"])
    assert {bench.MODELS[name][0] for name in result["models"]} == {
        kind for kind, _, _ in bench.MODELS.values()}
    assert set(result["best_by_mig"]) == {
        "untrained", "vae", "beta_vae", "capacity", "beta_tcvae",
        "factor_vae", "dip_vae"
    }
    metrics = {"beta_vae", "factor_vae", "mig", "sap", "dci_disentanglement",
               "dci_completeness", "dci_informativeness"}
    for name, model in result["models"].items():
        assert set(model["mean"]) == set(model["std"]) == metrics
        assert all(0.0 <= value <= 1.0 for value in model["mean"].values())
        (run_path,) = model["runs"]
        run = json.loads((tmp_path / run_path).read_text())
        assert (tmp_path / "disentanglement_smoke" / run["traversal"]
                ).stat().st_size > 1000
        assert len(run["kl_per_dimension"]) == 6
        assert np.shape(run["normalized_mutual_information"]) == (6, 5)
        if name != "untrained":
            assert len(run["history"]["reconstruction"]) == 2
            assert all(map(math.isfinite, run["history"]["loss"]))
    table = (tmp_path / "disentanglement_smoke.md").read_text()
    assert "| beta_tcvae_6 | 1 |" in table
    # Each model against the VAE: one seed, so no standard error.
    mig = result["versus_vae"]["beta_vae_8"]["mig"]
    assert mig["difference"] == pytest.approx(
        result["models"]["beta_vae_8"]["mean"]["mig"]
        - result["models"]["vae"]["mean"]["mig"])
    assert mig["standard_error"] is None
    assert "| minus the VAE |" in table
    assert (tmp_path / "disentanglement_smoke_curves.png").exists()

    # A rerun trains nothing: every run is read back.
    def no_training(*args):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(bench, "run_one", no_training)
    again = json.loads(bench.run("smoke").read_text())
    assert again["models"] == result["models"]
    # `--summarize`: the summary of every finished run, no training.
    bench.main(["--smoke", "--summarize"])
    summary = json.loads((tmp_path / "disentanglement_smoke.json").read_text())
    assert summary["models"] == result["models"]


def test_the_difference_from_the_vae_has_the_standard_error_of_two_means():
    from bench import disentanglement as bench

    models = {
        "vae": {"mean": {"mig": 0.02}, "sample_std": {"mig": 0.01},
                "seeds": [0, 1, 2]},
        "beta_vae_4": {"mean": {"mig": 0.05}, "sample_std": {"mig": 0.02},
                       "seeds": [0, 1, 2, 3]},
    }
    (comparison,) = bench.versus_vae(models).values()
    assert comparison["mig"]["difference"] == pytest.approx(0.03)
    assert comparison["mig"]["standard_error"] == pytest.approx(
        np.sqrt(0.01 ** 2 / 3 + 0.02 ** 2 / 4))

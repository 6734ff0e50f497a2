"""FID and precision/recall against closed forms and constructed answers,
and the shipped feature classifier against its card."""

import json
import warnings

import numpy as np
import pytest
import scipy.linalg

from zoo.evaluation import features
from zoo.evaluation import fid
from zoo.evaluation import precision_recall


def random_covariance(rng, size):
    factor = rng.normal(size=(size, size))
    return factor @ factor.T + 0.1 * np.eye(size)


def test_fid_of_diagonal_gaussians_is_the_closed_form():
    """For commuting (diagonal) covariances (S_1 S_2)^(1/2) is diagonal
    with sqrt(a_i b_i), so d^2 = ||mu_1 - mu_2||^2 + sum_i (sqrt(a_i) -
    sqrt(b_i))^2."""
    mean_1, mean_2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    variances_1, variances_2 = np.array([1.0, 4.0, 0.25]), np.array(
        [9.0, 1.0, 0.25])
    expected = np.sum((mean_1 - mean_2) ** 2) + np.sum(
        (np.sqrt(variances_1) - np.sqrt(variances_2)) ** 2)
    actual = fid.gaussian_frechet_distance(
        mean_1, np.diag(variances_1), mean_2, np.diag(variances_2))
    assert actual == pytest.approx(expected, rel=1e-10)
    assert expected == pytest.approx(1 + 6.25 + 4 + 1)


def test_fid_of_full_gaussians_matches_scipys_matrix_square_root():
    """tr (S_1 S_2)^(1/2) from scipy's `sqrtm` of the product (a route
    independent of the zoo's eigendecompositions), for well-conditioned
    covariances."""
    rng = np.random.default_rng(0)
    size = 6
    covariance_1 = random_covariance(rng, size)
    covariance_2 = random_covariance(rng, size)
    mean_1, mean_2 = rng.normal(size=size), rng.normal(size=size)
    cross = np.trace(scipy.linalg.sqrtm(covariance_1 @ covariance_2)).real
    expected = np.sum((mean_1 - mean_2) ** 2) + np.trace(
        covariance_1) + np.trace(covariance_2) - 2 * cross
    actual = fid.gaussian_frechet_distance(mean_1, covariance_1, mean_2,
                                           covariance_2)
    assert actual == pytest.approx(expected, rel=1e-8)
    assert fid.gaussian_frechet_distance(
        mean_1, covariance_1, mean_1, covariance_1) == pytest.approx(
        0.0, abs=1e-8)


def test_fid_of_singular_covariances_is_exact_and_quiet():
    """Dead feature units make a covariance singular (the zoo's classifier
    has 33 of 128 on the test images), where `sqrtm` of the product
    warned "might be inaccurate": rotated diagonal covariances with zero
    variances give the closed form sum_i (sqrt(a_i) - sqrt(b_i))^2, with
    no warning. A covariance that is not positive semi-definite is
    refused."""
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))
    variances_1 = np.array([1.0, 0.0, 4.0, 0.0])
    variances_2 = np.array([9.0, 1.0, 0.0, 0.0])
    covariance_1 = rotation @ np.diag(variances_1) @ rotation.T
    covariance_2 = rotation @ np.diag(variances_2) @ rotation.T
    expected = np.sum((np.sqrt(variances_1) - np.sqrt(variances_2)) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actual = fid.gaussian_frechet_distance(
            np.zeros(4), covariance_1, np.zeros(4), covariance_2)
    # A zero eigenvalue's round-off, ~1e-16, has a root of ~1e-8.
    assert actual == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(4 + 1 + 4)
    with pytest.raises(ValueError, match="covariance_2 is not positive "
                       "semi-definite"):
        fid.gaussian_frechet_distance(np.zeros(4), covariance_1,
                                      np.zeros(4), -covariance_2)


def test_fid_of_features_uses_their_mean_and_covariance():
    """Seeded draws of two known Gaussians: the FID of 20,000 features each
    is the closed form within 0.05 (the estimate's bias, about
    tr(S_1 + S_2) / N per dimension pair, and its spread are a few 1e-3
    here, 2 dimensions)."""
    rng = np.random.default_rng(0)
    first = rng.normal([0.0, 0.0], [1.0, 2.0], size=(20000, 2))
    second = rng.normal([1.0, 0.0], [1.0, 1.0], size=(20000, 2))
    assert fid.frechet_distance(first, second) == pytest.approx(
        1.0 + 1.0, abs=0.05)
    mean, covariance = fid.feature_statistics(first)
    np.testing.assert_allclose(covariance, np.cov(first.T))
    with pytest.raises(ValueError, match="array \\(N, D\\) with N >= 2"):
        fid.feature_statistics(first[:1])


def test_fid_of_features_with_nan_names_the_rows():
    """NaN features (from NaN samples) made scipy's `sqrtm` fail with
    "Internal error in scipy.linalg.sqrtm: -102", naming nothing."""
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(100, 4)), rng.normal(size=(100, 4))
    second[[3, 7], 1] = np.nan
    second[9, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity in 3 of 100 rows "
                       "\\(the first: row 3\\)"):
        fid.frechet_distance(first, second)


def test_precision_recall_of_constructed_sets():
    """Real points 0, 1, ..., 9 on a line: every k=1 radius is 1.
    Generated 0.5, 1.5 (inside the real balls) and 100, 101, 102 (far):
    precision 2/5. Generated radii (k=1) are all 1, so the real points
    within 1 of a generated one are 0, 1, 2: recall 3/10."""
    real = np.stack([np.arange(10.0), np.zeros(10)], axis=1)
    generated = np.array([[0.5, 0], [1.5, 0], [100, 0], [101, 0],
                          [102, 0]])
    result = precision_recall.precision_recall(real, generated, k=1)
    assert result == {"precision": pytest.approx(0.4),
                      "recall": pytest.approx(0.3)}
    same = precision_recall.precision_recall(real, real, k=3)
    assert same == {"precision": 1.0, "recall": 1.0}


def test_precision_recall_matches_a_brute_force_count():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 4))
    generated = rng.normal(0.7, 1.3, size=(200, 4))
    k = 3

    def brute(points, centres):
        inner = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
        radii = np.sort(inner, axis=1)[:, k]  # column 0: the point itself
        distances = np.linalg.norm(points[:, None] - centres[None], axis=-1)
        return np.mean(np.any(distances <= radii[None], axis=1))

    result = precision_recall.precision_recall(real, generated, k=k)
    assert result["precision"] == pytest.approx(brute(generated, real))
    assert result["recall"] == pytest.approx(brute(real, generated))
    assert 0.2 < result["precision"] < 0.95  # neither trivial answer


@pytest.mark.parametrize("options, message", [
    ({"k": 0}, "`k` must be a positive integer"),
    ({"k": 20}, "N > k = 20"),
])
def test_precision_recall_refuses_bad_options(options, message):
    points = np.zeros((10, 2))
    with pytest.raises(ValueError, match=message):
        precision_recall.precision_recall(points, points, **options)


def test_the_shipped_feature_classifier_matches_its_card():
    card = json.loads((features.CLASSIFIER_PATH.parent
                       / "model_card.json").read_text())
    for key in ("test_accuracy", "fid_test_vs_train", "command", "machine",
                "epochs", "seed", "feature_dim"):
        assert key in card
    assert card["test_accuracy"] >= 0.88
    assert card["size_bytes"] == features.CLASSIFIER_PATH.stat().st_size
    assert card["size_bytes"] < 5 * 2**20
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1))
    values = features.classifier_features(images)
    assert values.shape == (3, card["feature_dim"])
    assert np.all(values >= 0)  # ReLU units

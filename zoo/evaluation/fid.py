"""The Frechet distance between two sets of images' features (FID).

Mathematical details:

Fit a Gaussian to each set of features, N(mu_1, S_1) and N(mu_2, S_2)
(sample mean and covariance), and take the squared 2-Wasserstein distance
between them (Dowson & Landau 1982),

    d^2 = ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)),

(S_1 S_2)^(1/2) the principal square root. Its trace is computed as
tr((S_1^(1/2) S_2 S_1^(1/2))^(1/2)) (S_1 S_2 is similar to the symmetric
S_1^(1/2) S_2 S_1^(1/2), so they have the same eigenvalues), from
symmetric eigendecompositions (`numpy.linalg.eigh`), which stay exact
when a covariance is singular: the zoo's classifier features have 33 of
128 units that no test image activates, so S_1 always is, and
`scipy.linalg.sqrtm(S_1 @ S_2)` warned that its result "might be
inaccurate" (it agreed with this route to 1e-9 relative on four
one-class sets of Fashion-MNIST features). Lower is better; 0 for
identical statistics. Heusel et al. (2017) compute it on Inception v3
features and call it FID; the zoo computes it on the features
of its own Fashion-MNIST classifier (`zoo.evaluation.features`), so its
numbers compare zoo models with each other, not with published Inception
FIDs. The estimate is biased upwards for finite sets (Binkowski et al.
2018), so compare FIDs computed with the same numbers of images: the zoo
uses 10,000 samples against the 10,000 test images.

References:
    Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter, GANs Trained by a
    Two Time-Scale Update Rule Converge to a Local Nash Equilibrium, 2017.
    Dowson & Landau, The Frechet distance between multivariate normal
    distributions, J. Multivariate Analysis 1982.
"""

import numpy as np


def gaussian_frechet_distance(mean_1, covariance_1, mean_2, covariance_2):
    """d^2 between N(mean_1, covariance_1) and N(mean_2, covariance_2)
    (module docstring), a float.

    Raises:
        ValueError: when a covariance is not symmetric positive
            semi-definite (an eigenvalue below -1e-6 of its largest).
    """
    mean_1, mean_2 = np.atleast_1d(mean_1), np.atleast_1d(mean_2)
    eigenvalues_1, vectors_1 = _checked_eigh(np.atleast_2d(covariance_1), 1)
    root_1 = (vectors_1 * np.sqrt(np.clip(eigenvalues_1, 0.0, None))) @ (
        vectors_1.T)  # round-off negative eigenvalues count as 0
    covariance_2 = np.atleast_2d(covariance_2)
    _checked_eigh(covariance_2, 2)
    cross = root_1 @ covariance_2 @ root_1
    eigenvalues = np.linalg.eigvalsh((cross + cross.T) / 2.0)
    trace_root = np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None)))
    difference = mean_1 - mean_2
    return float(difference @ difference + np.trace(covariance_1)
                 + np.trace(covariance_2) - 2.0 * trace_root)


def _checked_eigh(covariance, which):
    """`numpy.linalg.eigh(covariance)`, after checking that `covariance`
    is symmetric, and that it is positive semi-definite up to round-off."""
    if not np.allclose(covariance, covariance.T, rtol=1e-6, atol=1e-9):
        raise ValueError(f"covariance_{which} is not symmetric.")
    eigenvalues, vectors = np.linalg.eigh(covariance)
    if eigenvalues.min() < -1e-6 * max(np.abs(eigenvalues).max(), 1e-12):
        raise ValueError(
            f"covariance_{which} is not positive semi-definite (its least "
            f"eigenvalue is {eigenvalues.min():.3g}); pass a covariance "
            "matrix, e.g. from `feature_statistics`.")
    return eigenvalues, vectors


def feature_statistics(features):
    """The sample mean `(D,)` and covariance `(D, D)` (N - 1 in the
    denominator) of `features` `(N, D)`."""
    features = np.asarray(features, "float64")
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            "`features` must be an array (N, D) with N >= 2. Received: "
            f"shape={features.shape}"
        )
    finite = np.all(np.isfinite(features), axis=1)
    if not np.all(finite):
        raise ValueError(
            f"`features` hold NaN or infinity in {np.sum(~finite)} of "
            f"{len(features)} rows (the first: row {np.argmin(finite)}): "
            "the images they were computed from are not finite, e.g. "
            "samples of a model whose weights became NaN. Check the "
            "images with `np.isfinite` before scoring them."
        )
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(features_1, features_2):
    """The FID of two sets of features `(N_1, D)` and `(N_2, D)`: d^2
    between their fitted Gaussians (module docstring), a float."""
    return gaussian_frechet_distance(*feature_statistics(features_1),
                                     *feature_statistics(features_2))

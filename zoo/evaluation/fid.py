"""The Frechet distance between two sets of images' features (FID).

Mathematical details:

Fit a Gaussian to each set of features, N(mu_1, S_1) and N(mu_2, S_2)
(sample mean and covariance), and take the squared 2-Wasserstein distance
between them (Dowson & Landau 1982),

    d^2 = ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)),

(S_1 S_2)^(1/2) the principal square root (`scipy.linalg.sqrtm`). Lower is
better; 0 for identical statistics. Heusel et al. (2017) compute it on
Inception v3 features and call it FID; the zoo computes it on the features
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
import scipy.linalg


def gaussian_frechet_distance(mean_1, covariance_1, mean_2, covariance_2):
    """d^2 between N(mean_1, covariance_1) and N(mean_2, covariance_2)
    (module docstring), a float.

    The square root's round-off imaginary part is dropped; a covariance
    product whose root is not real up to round-off (1e-3 relative) raises.
    """
    mean_1, mean_2 = np.atleast_1d(mean_1), np.atleast_1d(mean_2)
    covariance_1 = np.atleast_2d(covariance_1)
    covariance_2 = np.atleast_2d(covariance_2)
    root = scipy.linalg.sqrtm(covariance_1 @ covariance_2)
    if np.iscomplexobj(root):
        scale = max(np.abs(root).max(), 1e-12)
        if np.abs(root.imag).max() > 1e-3 * scale:
            raise ValueError(
                "The covariance product has no real square root; are both "
                "covariances positive semi-definite?"
            )
        root = root.real
    difference = mean_1 - mean_2
    return float(difference @ difference + np.trace(covariance_1)
                 + np.trace(covariance_2) - 2.0 * np.trace(root))


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

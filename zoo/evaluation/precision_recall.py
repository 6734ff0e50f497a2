"""Precision and recall of generated images, by k-nearest-neighbour
manifolds of their features (Kynkaenniemi et al. 2019).

Mathematical details:

Each set of features is given a manifold: the union of the balls around
its points whose radius is the distance to the point's k-th nearest
neighbour in the same set (itself excluded),

    M(X) = union_{x in X} B(x, ||x - NN_k(x, X)||).

Then, for real features R and generated features G,

    precision = (1/|G|) sum_{g in G} 1[g in M(R)]   (samples that look real)
    recall    = (1/|R|) sum_{r in R} 1[r in M(G)]   (real images covered)

each in [0, 1], higher better, with k = 3 as in the paper. Precision falls
when samples leave the data (blurred or broken images), recall when the
model misses part of the data (dropped modes). The features are the zoo's
classifier's (`zoo.evaluation.features`), not the VGG-16 features of the
paper, so the numbers compare zoo models with each other.

References:
    Kynkaanniemi, Karras, Laine, Lehtinen & Aila, Improved Precision and
    Recall Metric for Assessing Generative Models, NeurIPS 2019.
"""

import numpy as np
import sklearn.metrics
import sklearn.neighbors

from zoo import validation


def manifold_radii(features, k=3):
    """The distance of each row of `features` `(N, D)` to its k-th nearest
    other row, `(N,)`."""
    neighbours = sklearn.neighbors.NearestNeighbors(n_neighbors=k + 1)
    distances, _ = neighbours.fit(features).kneighbors(features)
    return distances[:, k]  # column 0 is the point itself


def fraction_inside(points, centres, radii, chunk_size=1000):
    """The fraction of `points` `(M, D)` within distance `radii[j]` of some
    `centres[j]` `(N, D)` (a ball's boundary counts as inside)."""
    inside = []
    for start in range(0, len(points), chunk_size):
        distances = sklearn.metrics.pairwise_distances(
            points[start:start + chunk_size], centres)
        inside.append(np.any(distances <= radii[None, :], axis=1))
    return float(np.mean(np.concatenate(inside)))


def precision_recall(real_features, generated_features, k=3):
    """Precision and recall (module docstring) of `generated_features`
    `(N_g, D)` against `real_features` `(N_r, D)`.

    Args:
        real_features, generated_features: float arrays, each with more
            than `k` rows.
        k: int > 0, the neighbour whose distance is a ball's radius
            (default 3, as Kynkaenniemi et al.).

    Returns:
        dict with "precision" and "recall", floats in [0, 1].
    """
    k = validation.check_positive_int(k, "k")
    real = np.asarray(real_features, "float64")
    generated = np.asarray(generated_features, "float64")
    for name, value in (("real_features", real),
                        ("generated_features", generated)):
        if value.ndim != 2 or len(value) <= k or (
                value.shape[1] != real.shape[-1]):
            raise ValueError(
                f"`{name}` must be an array (N, D) with N > k = {k} and the "
                f"D of `real_features`. Received: shape={value.shape}"
            )
    return {
        "precision": fraction_inside(generated, real,
                                     manifold_radii(real, k)),
        "recall": fraction_inside(real, generated,
                                  manifold_radii(generated, k)),
    }

"""Dimensionality reduction: a VAE's posterior means against PCA.

For each trained VAE, PCA (scikit-learn) with as many components as the
VAE's `latent_dim` is fitted on the same training images, and both codes
are scored on the test images with the same four measures:

- reconstruction error per test image, from the code alone: the VAE
  decodes z = mu(x) and returns E[x | z] (`model.predict`); PCA maps back
  with `inverse_transform`, clipped to [0, 1]:

      mse(x, x')  = (1/D) sum_d (x_d - x'_d)^2              (per pixel)
      bce(x, x')  = -sum_d [x_d log x'_d + (1 - x_d) log(1 - x'_d)]
                                                             (nats per image)

  with x' clipped to [1e-6, 1 - 1e-6] inside the logarithms;
- accuracy of a logistic-regression probe (on standardized codes) and of
  a k-nearest-neighbour classifier, both fitted on the training codes and
  scored on the test codes;
- the wall time to encode the test images (after one warm-up call).

PCA minimises squared error among linear codes, so it wins on `mse` at
larger sizes; the VAE's nonlinear decoder tends to win at small sizes.
"""

import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

EPSILON = 1e-6


def reconstruction_errors(x, reconstruction):
    """Mean squared error per pixel and binary cross-entropy per image.

    Args:
        x: images `(N, ...)` in [0, 1].
        reconstruction: array like `x`, values in [0, 1].

    Returns:
        dict with `mse` (mean over images of the per-pixel mean squared
        error) and `bce` (mean over images of the summed binary
        cross-entropy, nats per image).
    """
    x = np.asarray(x, "float64").reshape(len(x), -1)
    reconstruction = np.clip(
        np.asarray(reconstruction, "float64").reshape(len(x), -1),
        EPSILON, 1.0 - EPSILON,
    )
    bce = -np.sum(
        x * np.log(reconstruction) + (1 - x) * np.log(1 - reconstruction),
        axis=1,
    )
    return {
        "mse": float(np.mean((x - reconstruction) ** 2)),
        "bce": float(np.mean(bce)),
    }


def probe_accuracies(codes_train, y_train, codes_test, y_test,
                     num_neighbors=5):
    """Test accuracy of a logistic-regression probe and a k-NN classifier.

    Returns:
        dict with `logistic_accuracy` and `knn_accuracy`, in [0, 1].
    """
    logistic = make_pipeline(StandardScaler(),
                             LogisticRegression(max_iter=1000))
    knn = KNeighborsClassifier(n_neighbors=num_neighbors)
    return {
        "logistic_accuracy": float(
            logistic.fit(codes_train, y_train).score(codes_test, y_test)
        ),
        "knn_accuracy": float(
            knn.fit(codes_train, y_train).score(codes_test, y_test)
        ),
    }


def _timed(encode, x):
    """`encode(x)` and its wall time in seconds, after a warm-up call."""
    encode(x[:2])
    start = time.perf_counter()
    codes = encode(x)
    return codes, time.perf_counter() - start


def compare_with_pca(models, x_train, y_train, x_test, y_test,
                     num_neighbors=5, batch_size=500, seed=0):
    """Score each VAE's posterior means and PCA of the same size.

    Args:
        models: list of trained VAEs (any `latent_dim`s), e.g. one per size
            in (2, 4, 8, 16, 32).
        x_train: images `(N, H, W, C)` in [0, 1]: PCA is fitted on them, the
            probes on their codes.
        y_train: integer labels `(N,)`.
        x_test, y_test: the images and labels every measure is scored on.
        num_neighbors: int, k of the k-NN classifier (default 5).
        batch_size: int, the VAE's encoding batch size (default 500).
        seed: int, PCA's randomized solver seed (default 0).

    Returns:
        A list of dicts, one per (method, latent_dim), VAE rows first at
        each size, with keys `method` ("vae" or "pca"), `latent_dim`,
        `mse`, `bce`, `logistic_accuracy`, `knn_accuracy` and
        `encode_seconds` (for all of `x_test`).

    Raises:
        ValueError: if `models` is empty or `x_train` and `y_train` differ
            in length.

    Example:

    >>> data = zoo.datasets.digits()
    >>> vae = zoo.evaluation.training.train_vae(data.x_train, latent_dim=4)
    >>> rows = compare_with_pca([vae], data.x_train, data.y_train,
    ...                         data.x_test, data.y_test)
    >>> [row["method"] for row in rows]
    ['vae', 'pca']
    """
    if not models:
        raise ValueError(
            "`models` must hold at least one trained VAE. "
            f"Received: models={models!r}"
        )
    if len(x_train) != len(y_train):
        raise ValueError(
            "`x_train` and `y_train` must have the same length; received "
            f"{len(x_train)} and {len(y_train)}."
        )
    flat_train = np.reshape(x_train, (len(x_train), -1))
    flat_test = np.reshape(x_test, (len(x_test), -1))
    rows = []
    for model in models:

        def encode_vae(x, model=model):
            return model.encoder.predict(x, batch_size=batch_size,
                                         verbose=0)[0]

        codes_test, seconds = _timed(encode_vae, x_test)
        rows.append({
            "method": "vae",
            "latent_dim": model.latent_dim,
            **reconstruction_errors(
                x_test, model.predict(x_test, batch_size=batch_size,
                                      verbose=0)),
            **probe_accuracies(encode_vae(x_train), y_train, codes_test,
                               y_test, num_neighbors),
            "encode_seconds": seconds,
        })
        pca = PCA(n_components=model.latent_dim, random_state=seed)
        codes_train = pca.fit_transform(flat_train)
        codes_test, seconds = _timed(pca.transform, flat_test)
        rows.append({
            "method": "pca",
            "latent_dim": model.latent_dim,
            **reconstruction_errors(
                x_test, np.clip(pca.inverse_transform(codes_test), 0, 1)),
            **probe_accuracies(codes_train, y_train, codes_test, y_test,
                               num_neighbors),
            "encode_seconds": seconds,
        })
    return rows

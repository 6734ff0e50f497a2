"""Anomaly detection: score each example by how badly a VAE explains it.

A VAE trained on "normal" data gives each example x an anomaly score

    "negative_elbo":           s(x) = -ELBO(x)     (one posterior sample)
    "negative_log_likelihood": s(x) = -log p_K(x)  (importance-weighted
                                                    bound, K samples)

in nats per example, or per dimension (divided by H * W * C) with
`per_dimension=True`, which compares images of different sizes; the
ranking, and so the AUROC, of same-sized images is unchanged.

The AUROC is the probability that a random anomaly scores higher than a
random normal example (ties count one half):

    AUROC = P(s(x_anomalous) > s(x_normal))

1 is a perfect detector, 0.5 chance, below 0.5 a detector that prefers
the anomalies (a known failure of likelihood scores: simple images can be
more likely under a model that never saw them; Nalisnick et al., 2019).
"""

import math

import numpy as np
from sklearn import metrics

SCORES = ("negative_elbo", "negative_log_likelihood")


def anomaly_scores(model, x, score="negative_elbo", num_samples=100,
                   per_dimension=False, batch_size=100, seed=0):
    """Per-example anomaly scores: higher means more anomalous.

    Args:
        model: a trained VAE.
        x: images `(N, H, W, C)` within the likelihood's support.
        score: `"negative_elbo"` (default) or `"negative_log_likelihood"`.
        num_samples: int, K of the importance-weighted bound (default 100;
            unused for "negative_elbo").
        per_dimension: bool (default False); divide by H * W * C.
        batch_size: int (default 100), examples scored at a time.
        seed: int (default 0).

    Returns:
        A float numpy array `(N,)`, nats per example (or per dimension).

    Raises:
        ValueError: for an unknown `score`.
    """
    if score not in SCORES:
        raise ValueError(
            f"`score` must be one of {SCORES}. Received: score={score!r}"
        )
    values = []
    for index, start in enumerate(range(0, len(x), batch_size)):
        batch = x[start:start + batch_size]
        if score == "negative_elbo":
            bound = model.elbo(batch, seed=seed + index)
        else:
            bound = model.log_likelihood(batch, num_samples=num_samples,
                                         seed=seed + index)
        values.append(-np.asarray(bound))
    values = np.concatenate(values)
    if per_dimension:
        values = values / math.prod(model.image_shape)
    return values


def auroc(normal_scores, anomalous_scores):
    """Area under the ROC curve of scores that should be higher for the
    anomalies (scikit-learn's `roc_auc_score`, anomalies as positives)."""
    labels = np.concatenate([np.zeros(len(normal_scores)),
                             np.ones(len(anomalous_scores))])
    return float(metrics.roc_auc_score(
        labels, np.concatenate([normal_scores, anomalous_scores])
    ))


def without_class(x, y, anomaly_class):
    """Split `x` by label: `(x[y != anomaly_class], x[y == anomaly_class])`.

    Raises:
        ValueError: if no label equals `anomaly_class`.
    """
    y = np.ravel(y)
    is_anomaly = y == anomaly_class
    if not np.any(is_anomaly):
        raise ValueError(
            f"No example has label {anomaly_class!r}; choose one of "
            f"{sorted(np.unique(y).tolist())}. "
            f"Received: anomaly_class={anomaly_class!r}"
        )
    return x[~is_anomaly], x[is_anomaly]


def evaluate_anomaly(model, x_test, y_test, anomaly_class,
                     score="negative_elbo", **kwargs):
    """AUROC of a model trained without `anomaly_class` on test data where
    that class is the anomaly.

    Args:
        model: a VAE trained on data without `anomaly_class` (e.g. on
            `without_class(x_train, y_train, anomaly_class)[0]`).
        x_test, y_test: test images and labels, all classes.
        anomaly_class: the held-out label.
        score: as in `anomaly_scores`.
        **kwargs: other arguments of `anomaly_scores`.

    Returns:
        dict with `anomaly_class`, `score`, `auroc`, `num_normal`,
        `num_anomalous`, `mean_score_normal` and `mean_score_anomalous`.

    Example:

    >>> x_normal, _ = without_class(data.x_train, data.y_train, 0)
    >>> vae = zoo.evaluation.training.train_vae(x_normal)
    >>> evaluate_anomaly(vae, data.x_test, data.y_test, 0)["auroc"]
    """
    x_normal, x_anomalous = without_class(x_test, y_test, anomaly_class)
    normal = anomaly_scores(model, x_normal, score, **kwargs)
    anomalous = anomaly_scores(model, x_anomalous, score, **kwargs)
    return {
        "anomaly_class": int(anomaly_class),
        "score": score,
        "auroc": auroc(normal, anomalous),
        "num_normal": len(normal),
        "num_anomalous": len(anomalous),
        "mean_score_normal": float(np.mean(normal)),
        "mean_score_anomalous": float(np.mean(anomalous)),
    }

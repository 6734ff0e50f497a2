"""Disentanglement scores: does each code dimension capture one factor?

Every score compares a representation with the ground-truth factors of a
dataset that generates images from factors. It takes

    representation_function: numpy images (n, H, W, C) -> codes (n, d),
        e.g. `posterior_mean(model)`;
    dataset: an object with `factor_sizes`, `sample_factors(num_samples,
        seed)` (seed an int or a `numpy.random.Generator`) and
        `images_from_factors(factors)`, e.g.
        `zoo.datasets.sprites.Sprites`;

plus its sample counts and a `seed`; the same seed gives the same score.
Notation: z = r(x) the code of image x, z_j its j-th dimension (d of them),
v_k the k-th factor (K of them, v_k taking values 0..|v_k| - 1).

Example:

>>> import zoo
>>> from zoo.datasets.sprites import Sprites
>>> from zoo.evaluation import disentanglement
>>> sprites = Sprites(image_size=32)
>>> model = zoo.get("beta_vae", input_shape=(32, 32, 1), latent_dim=10)
>>> score = disentanglement.mutual_information_gap(
...     disentanglement.posterior_mean(model), sprites, num_samples=1000)
>>> 0.0 <= score <= 1.0
True

References:
    Locatello et al., Challenging Common Assumptions in the Unsupervised
    Learning of Disentangled Representations, ICML 2019 (the protocol).
"""

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from zoo.validation import check_number

# Images rendered and encoded per step, bounding memory at any sample count.
CHUNK_SIZE = 2048


def posterior_mean(model, batch_size=256):
    """The representation of a VAE: images -> z_mean of q(z|x), numpy."""

    def representation_function(images):
        z_mean, _ = model.encoder.predict(
            images, batch_size=batch_size, verbose=0
        )
        return np.asarray(z_mean)

    return representation_function


def beta_vae_score(representation_function, dataset, num_train=1000,
                   num_eval=500, batch_size=64, seed=0):
    """BetaVAE score: accuracy of a linear classifier that predicts which
    factor was held fixed from the mean code difference.

    Each training point picks a factor k uniformly, draws `batch_size` pairs
    of factor vectors (v^l, w^l) that agree on factor k only by construction
    (w^l_k = v^l_k, the rest drawn independently), and forms

        z_diff = (1/L) sum_l |r(x(v^l)) - r(x(w^l))|,   label k.

    A disentangled code has z_diff_j ~ 0 on the dimension that encodes k.

        score = accuracy of logistic regression (on standardised z_diff)
                on `num_eval` held-out points, in [0, 1]; chance is 1/K.

    disentanglement_lib (Locatello et al., 2019) uses 10,000 training and
    5,000 evaluation points of 64 pairs, and fits the regression on the
    raw z_diff.

    Args:
        representation_function, dataset: see the module docstring.
        num_train: int > 0, training points of the classifier.
        num_eval: int > 0, evaluation points.
        batch_size: int > 0, pairs L averaged into one point.
        seed: int, seeds the factors and the classifier.

    Returns:
        The evaluation accuracy, a float.

    References:
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
    """
    _check_count("num_train", num_train)
    _check_count("num_eval", num_eval)
    _check_count("batch_size", batch_size)
    rng = np.random.default_rng(seed)

    def points(num_points):
        fixed = rng.integers(len(dataset.factor_sizes), size=num_points)
        first = dataset.sample_factors(num_points * batch_size, rng)
        second = dataset.sample_factors(num_points * batch_size, rng)
        rows = np.arange(len(first))
        columns = np.repeat(fixed, batch_size)
        second[rows, columns] = first[rows, columns]
        difference = np.abs(
            _codes(representation_function, dataset, first)
            - _codes(representation_function, dataset, second)
        )
        return difference.reshape(num_points, batch_size, -1).mean(1), fixed

    train_x, train_y = points(num_train)
    eval_x, eval_y = points(num_eval)
    classifier = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    )
    classifier.fit(train_x, train_y)
    return float(classifier.score(eval_x, eval_y))


def factor_vae_score(representation_function, dataset, num_train=1000,
                     num_eval=500, batch_size=64, num_variance_estimate=5000,
                     prune_threshold=0.05, seed=0):
    """FactorVAE score: accuracy of a majority-vote classifier from the
    least-varying code dimension to the factor held fixed.

    Codes are first scaled by their standard deviation s_j over
    `num_variance_estimate` random images; dimensions with s_j^2 below
    `prune_threshold` are ignored (a VAE's posterior mean barely varies on
    a dimension collapsed to the prior N(0, 1)).
    Each vote picks a factor k, draws `batch_size` images with v_k fixed to
    one random value and the rest random, and takes

        j* = argmin_j Var_l(z_j^l / s_j),   vote (j*, k).

    Votes count into V[j, k]; the classifier maps dimension j to
    argmax_k V_train[j, k], and

        score = sum_j V_eval[j, argmax_k V_train[j, k]] / num_eval,

    in [0, 1]; chance is 1/K. disentanglement_lib (Locatello et al., 2019)
    uses 10,000 training and 5,000 evaluation votes of 64 images, 10,000
    images for the scales and the threshold 0.05.

    Args:
        representation_function, dataset: see the module docstring.
        num_train: int > 0, training votes.
        num_eval: int > 0, evaluation votes.
        batch_size: int > 1, images per vote.
        num_variance_estimate: int > 1, images for the scales s_j.
        prune_threshold: float >= 0, the variance below which a dimension
            counts as collapsed (default 0.05, as disentanglement_lib).
        seed: int, seeds the factors.

    Returns:
        The evaluation accuracy, a float (0.0 if every dimension collapsed).

    References:
        Kim & Mnih, Disentangling by Factorising, ICML 2018.
    """
    _check_count("num_train", num_train)
    _check_count("num_eval", num_eval)
    _check_count("batch_size", batch_size, minimum=2)
    _check_count("num_variance_estimate", num_variance_estimate, minimum=2)
    if not prune_threshold >= 0.0:
        raise ValueError(
            "`prune_threshold` must be a float >= 0. "
            f"Received: prune_threshold={prune_threshold!r}"
        )
    rng = np.random.default_rng(seed)
    scale = _codes(
        representation_function, dataset,
        dataset.sample_factors(num_variance_estimate, rng),
    ).std(axis=0)
    active = scale**2 > prune_threshold
    if not active.any():
        return 0.0
    num_factors = len(dataset.factor_sizes)

    def votes(num_votes):
        fixed = rng.integers(num_factors, size=num_votes)
        factors = dataset.sample_factors(num_votes * batch_size, rng)
        rows = np.arange(len(factors))
        columns = np.repeat(fixed, batch_size)
        factors[rows, columns] = factors[rows - rows % batch_size, columns]
        codes = _codes(representation_function, dataset, factors)[:, active]
        variance = (codes / scale[active]).reshape(
            num_votes, batch_size, -1
        ).var(axis=1)
        counts = np.zeros((active.sum(), num_factors), np.int64)
        np.add.at(counts, (variance.argmin(axis=1), fixed), 1)
        return counts

    train_votes = votes(num_train)
    eval_votes = votes(num_eval)
    predicted = train_votes.argmax(axis=1)
    correct = eval_votes[np.arange(len(predicted)), predicted].sum()
    return float(correct / num_eval)


def mutual_information_gap(representation_function, dataset,
                           num_samples=10000, num_bins=20, seed=0):
    """MIG: the normalised gap in mutual information between the two code
    dimensions most informative about each factor.

    With M[j, k] = I(z_j; v_k) / H(v_k) from `normalized_mutual_information`
    and j_1, j_2 the dimensions of the largest and second-largest M[j, k],

        MIG = (1/K) sum_k (M[j_1, k] - M[j_2, k]),

    in [0, 1]. A perfect code reaches 1 only if its bins can resolve every
    value of every factor (`num_bins` >= max |v_k|); Chen et al. estimate
    I from q(z|x) over the whole dataset instead of bins. The defaults
    (10,000 images, 20 equal-width bins) are disentanglement_lib's.

    Args:
        representation_function, dataset: see the module docstring.
        num_samples: int > 0.
        num_bins: int > 1, bins per code dimension.
        seed: int, seeds the factors.

    Returns:
        MIG, a float.

    Raises:
        ValueError: if the codes have fewer than 2 dimensions.

    References:
        Chen et al., Isolating Sources of Disentanglement in Variational
        Autoencoders, NeurIPS 2018.
    """
    information = normalized_mutual_information(
        representation_function, dataset, num_samples, num_bins, seed
    )
    if information.shape[0] < 2:
        raise ValueError(
            "MIG compares two code dimensions; `representation_function` "
            f"must return codes with >= 2 dimensions. Received: codes with "
            f"{information.shape[0]} dimension(s)"
        )
    top = np.sort(information, axis=0)[::-1]
    return float(np.mean(top[0] - top[1]))


def normalized_mutual_information(representation_function, dataset,
                                  num_samples=10000, num_bins=20, seed=0):
    """M[j, k] = I(z_j; v_k) / H(v_k), the share of factor k's entropy that
    code dimension j carries: MIG's matrix, a (d, K) numpy array in [0, 1].

    Each z_j is discretised into `num_bins` equal-width bins over its range;
    I(z_j; v_k) and H(v_k) are plug-in estimates on `num_samples` random
    images (`sklearn.metrics.mutual_info_score`). `M[j].argmax()` is the
    factor that dimension j captures best by MIG's own measure.

    Args:
        representation_function, dataset: see the module docstring.
        num_samples: int > 0.
        num_bins: int > 1, bins per code dimension.
        seed: int, seeds the factors; the same as MIG's gives MIG's matrix.

    Returns:
        M, a float (d, K) numpy array.
    """
    _check_count("num_samples", num_samples)
    _check_count("num_bins", num_bins, minimum=2)
    codes, factors = _sample(representation_function, dataset, num_samples,
                             np.random.default_rng(seed))
    information = _mutual_information(_discretize(codes, num_bins), factors)
    entropy = np.array([mutual_info_score(factor, factor)
                        for factor in factors.T])
    return information / entropy


def dci(representation_function, dataset, num_train=10000, num_test=5000,
        num_estimators=100, seed=0):
    """DCI: disentanglement, completeness and informativeness from the
    feature importances of a gradient-boosted predictor of each factor.

    One gradient-boosted tree classifier per factor predicts v_k from z
    (`sklearn.ensemble.GradientBoostingClassifier` with its defaults:
    depth-3 trees, learning rate 0.1, `num_estimators` boosting stages);
    R[j, k] >= 0 is its impurity-based importance of z_j for v_k
    (`feature_importances_`, each column sums to 1). With
    P[j, k] = R[j, k] / sum_k R[j, k] and Q[j, k] = R[j, k] / sum_j R[j, k],

        D_j = 1 - H_K(P[j, :]) = 1 + sum_k P[j, k] log_K P[j, k],
        disentanglement = sum_j rho_j D_j,   rho_j = sum_k R[j, k] / sum R,
        C_k = 1 - H_d(Q[:, k]),
        completeness = sum_k w_k C_k,   w_k = sum_j R[j, k] / sum R,
        informativeness = (1/K) sum_k test accuracy of the k-th classifier,

    each in [0, 1] (informativeness is 1 - the prediction error of the
    paper, as a classification accuracy; w_k = 1/K whenever every
    classifier splits at least once).

    The defaults are disentanglement_lib's (Locatello et al., 2019):
    10,000 training and 5,000 test images, scikit-learn's default
    gradient boosting, so scores compare with its tables.

    Args:
        representation_function, dataset: see the module docstring.
        num_train: int > 0, images to fit the classifiers.
        num_test: int > 0, images to score them.
        num_estimators: int > 0, boosting stages per classifier (default
            100, scikit-learn's and disentanglement_lib's).
        seed: int, seeds the factors and the classifiers.

    Returns:
        A dict with float `disentanglement`, `completeness` and
        `informativeness`.

    References:
        Eastwood & Williams, A Framework for the Quantitative Evaluation of
        Disentangled Representations, ICLR 2018.
        Locatello et al., ICML 2019 (the gradient-boosted importances and
        the sample sizes).
    """
    _check_count("num_train", num_train)
    _check_count("num_test", num_test)
    _check_count("num_estimators", num_estimators)
    rng = np.random.default_rng(seed)
    train_codes, train_factors = _sample(
        representation_function, dataset, num_train, rng
    )
    test_codes, test_factors = _sample(
        representation_function, dataset, num_test, rng
    )
    importance = np.zeros((train_codes.shape[1], train_factors.shape[1]))
    accuracy = []
    for k in range(train_factors.shape[1]):
        classifier = GradientBoostingClassifier(
            n_estimators=num_estimators, random_state=seed
        )
        classifier.fit(train_codes, train_factors[:, k])
        importance[:, k] = classifier.feature_importances_
        accuracy.append(classifier.score(test_codes, test_factors[:, k]))
    total = importance.sum()
    code_weight = importance.sum(axis=1) / total if total > 0 else None
    factor_weight = importance.sum(axis=0) / total if total > 0 else None
    disentanglement = 1.0 - _entropy(importance, axis=1)
    completeness = 1.0 - _entropy(importance, axis=0)
    return {
        "disentanglement": float(np.average(disentanglement,
                                            weights=code_weight)),
        "completeness": float(np.average(completeness,
                                         weights=factor_weight)),
        "informativeness": float(np.mean(accuracy)),
    }


def sap_score(representation_function, dataset, num_samples=5000, seed=0):
    """SAP: the mean gap between the two code dimensions that best predict
    each factor on their own.

    The score matrix holds the R^2 of a linear regression of v_k on z_j
    alone, the squared correlation S[j, k] = corr(z_j, v_k)^2 (0 where z_j
    is constant). Per factor the gap between the top two entries, averaged,

        SAP = (1/K) sum_k (S[j_1, k] - S[j_2, k]),

    is in [0, 1]. Every factor is treated as continuous (its class index as
    a value); Kumar et al. score categorical factors with a threshold
    classifier instead. This is disentanglement_lib's
    `continuous_factors=True` variant; its study (Locatello et al., 2019)
    used `continuous_factors=False`, a linear SVM per (dimension, factor)
    trained on 10,000 and scored on 5,000 images.

    Args:
        representation_function, dataset: see the module docstring.
        num_samples: int > 2.
        seed: int, seeds the factors.

    Returns:
        SAP, a float.

    References:
        Kumar, Sattigeri & Balakrishnan, Variational Inference of
        Disentangled Latent Concepts from Unlabeled Observations, ICLR 2018.
    """
    _check_count("num_samples", num_samples, minimum=3)
    codes, factors = _sample(representation_function, dataset, num_samples,
                             np.random.default_rng(seed))
    codes = _standardize(codes)
    factors = _standardize(factors.astype(np.float64))
    score = (codes.T @ factors / len(codes)) ** 2
    top = np.sort(score, axis=0)[::-1]
    return float(np.mean(top[0] - top[1]))


def _check_count(name, value, minimum=1):
    check_number(value, name, integer=True, minimum=minimum)


def _codes(representation_function, dataset, factors):
    """Codes of the images of `factors`, `CHUNK_SIZE` images at a time."""
    chunks = []
    for start in range(0, len(factors), CHUNK_SIZE):
        batch = factors[start:start + CHUNK_SIZE]
        codes = np.asarray(
            representation_function(dataset.images_from_factors(batch))
        )
        if codes.ndim != 2 or len(codes) != len(batch):
            raise ValueError(
                "`representation_function` must map n images to codes of "
                f"shape (n, d). Received: codes with shape {codes.shape} "
                f"for {len(batch)} images"
            )
        chunks.append(codes.astype(np.float64))
    return np.concatenate(chunks)


def _sample(representation_function, dataset, num_samples, rng):
    factors = dataset.sample_factors(num_samples, rng)
    return _codes(representation_function, dataset, factors), factors


def _discretize(codes, num_bins):
    """Bin index of every entry, equal-width bins over each column's range."""
    binned = np.zeros(codes.shape, np.int64)
    for j, column in enumerate(codes.T):
        edges = np.histogram_bin_edges(column, bins=num_bins)
        binned[:, j] = np.digitize(column, edges[1:-1])
    return binned


def _mutual_information(binned_codes, factors):
    """I(z_j; v_k) in nats, a (d, K) matrix."""
    return np.array([
        [mutual_info_score(factor, code) for factor in factors.T]
        for code in binned_codes.T
    ])


def _entropy(importance, axis):
    """H(p) / log(n) of the normalised importance along `axis`, with n its
    length: 0 for one-hot, 1 for uniform or an all-zero slice."""
    total = importance.sum(axis=axis, keepdims=True)
    uniform = np.full_like(importance, 1.0 / importance.shape[axis])
    probability = np.divide(importance, total, out=uniform, where=total > 0)
    terms = np.zeros_like(probability)
    np.multiply(probability, np.log(probability, where=probability > 0,
                                    out=np.zeros_like(probability)),
                out=terms)
    return -terms.sum(axis=axis) / np.log(importance.shape[axis])


def _standardize(columns):
    """Zero mean, unit variance per column; constant columns become 0."""
    centred = columns - columns.mean(axis=0)
    deviation = centred.std(axis=0)
    return np.divide(centred, deviation, out=np.zeros_like(centred),
                     where=deviation > 0)

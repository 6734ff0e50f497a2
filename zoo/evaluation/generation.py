"""Generation quality, cheap and honest: what a classifier trained on real
images makes of a VAE's samples. (Figures of samples and interpolations:
`zoo.plotting.image_grid` and `zoo.plotting.interpolation`.)

A small CNN p(y|x) trained on the real training images labels samples
x ~ p_model(x) (decoded prior draws, `model.sample`). For N samples:

    max_confidence   = (1/N) sum_n max_y p(y|x_n)
    entropy          = (1/N) sum_n H[p(y|x_n)],  H[p] = -sum_y p_y log p_y
    class_entropy    = H[(1/N) sum_n p(y|x_n)]

in nats. Samples that look like a class get high confidence and low
entropy; `class_entropy` near log(num_classes) means every class is
generated (no mode dropped). The same numbers on real test images are the
reference a generator aims for. These are rough proxies (cf. the Inception
score of Salimans et al., 2016); the test NLL of
`zoo.evaluation.likelihood` is the principled measure.
"""

import os
import pathlib

import keras
import numpy as np
from keras import layers

from zoo.evaluation import training


def small_cnn(input_shape, num_classes):
    """Conv(32) -> pool -> Conv(64) -> pool -> Dense(128) -> softmax.

    Pooling uses padding "same", so any image of at least 1x1 works.
    """
    inputs = keras.Input(shape=input_shape, name="x")
    features = inputs
    for width in (32, 64):
        features = layers.Conv2D(width, 3, padding="same",
                                 activation="relu")(features)
        features = layers.MaxPooling2D(padding="same")(features)
    features = layers.Flatten()(features)
    features = layers.Dense(128, activation="relu")(features)
    outputs = layers.Dense(num_classes, activation="softmax")(features)
    return keras.Model(inputs, outputs, name="small_cnn")


def cache_directory(cache_dir=None):
    """`cache_dir`, else `$ZOO_CACHE_DIR`, else `~/.cache/zoo`."""
    if cache_dir is None:
        cache_dir = os.environ.get(
            "ZOO_CACHE_DIR", pathlib.Path.home() / ".cache" / "zoo"
        )
    return pathlib.Path(cache_dir)


def cached_classifier(x, y, name, epochs=3, batch_size=128, seed=0,
                      cache_dir=None):
    """A `small_cnn` trained on real images, its weights cached on disk.

    The weights file is named after `name` and every training setting
    (image shape, classes, examples, epochs, seed), so a change of setting
    trains a new classifier instead of loading a stale one.

    Args:
        x: real images `(N, H, W, C)` in [0, 1].
        y: their integer labels `(N,)`.
        name: str, the data's name, e.g. "fashion_mnist".
        epochs, batch_size, seed: the training (defaults 3, 128, 0).
        cache_dir: folder of the weights (default: see `cache_directory`).

    Returns:
        `(classifier, path)`: the trained Keras model and its weights file.
    """
    num_classes = int(np.max(y)) + 1
    shape = "x".join(str(size) for size in x.shape[1:])
    path = cache_directory(cache_dir) / (
        f"{name}_cnn_{shape}_{num_classes}classes_{len(x)}examples_"
        f"{epochs}epochs_seed{seed}.weights.h5"
    )
    keras.utils.set_random_seed(seed)
    classifier = small_cnn(x.shape[1:], num_classes)
    if path.exists():
        classifier.load_weights(path)
        return classifier, path
    training.train_classifier(classifier, x, y, epochs=epochs,
                              batch_size=batch_size, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    classifier.save_weights(path)
    return classifier, path


def classifier_statistics(classifier, images, batch_size=500):
    """Mean max-confidence, mean entropy and class entropy (nats) of the
    classifier's predictions on `images`; see the module docstring.

    Returns:
        dict with `max_confidence`, `entropy`, `class_entropy` and
        `max_class_entropy` (log num_classes).
    """
    probabilities = np.asarray(
        classifier.predict(images, batch_size=batch_size, verbose=0),
        "float64",
    )
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))
    marginal = probabilities.mean(axis=0)
    return {
        "max_confidence": float(np.mean(probabilities.max(axis=1))),
        "entropy": float(np.mean(-np.sum(probabilities * logs, axis=1))),
        "class_entropy": float(
            -np.sum(marginal * np.log(np.clip(marginal, 1e-12, 1.0)))
        ),
        "max_class_entropy": float(np.log(probabilities.shape[1])),
    }


def sample_statistics(model, classifier, num_samples=1000, seed=0):
    """`classifier_statistics` of `num_samples` prior samples of `model`."""
    return classifier_statistics(classifier,
                                 np.asarray(model.sample(num_samples, seed)))

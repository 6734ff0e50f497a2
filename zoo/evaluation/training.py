"""Training helpers shared by the evaluation studies and their benchmarks:
a VAE from the registry, a classifier, a class-balanced labelled subset."""

import keras
import numpy as np

from zoo.models import registry


def train_vae(x, y=None, model="conv_vae", latent_dim=16, epochs=5,
              batch_size=128, learning_rate=None, seed=0, **options):
    """Build the registered `model`, train it with Adam and return it.

    `train_vae(x)` trains a VAE on `x`; `train_vae(x_noisy, x_clean)` trains
    a denoising VAE (the target is `y`).

    Args:
        x: float32 images `(N, H, W, C)` in [0, 1].
        y: optional targets like `x` (denoising), default None.
        model: str, a name from `zoo.list_models()` (default "conv_vae").
        latent_dim: int > 0 (default 16).
        epochs: int > 0 (default 5).
        batch_size: int > 0 (default 128).
        learning_rate: float, Adam's step size (None: the zoo's default,
            `zoo.models.autoencoder.DEFAULT_LEARNING_RATE`, what `compile()`
            gives).
        seed: int (default 0), seeds the weights, shuffling and sampling.
        **options: other options of the model, e.g. `hidden_units=(64,)`.

    Returns:
        The trained model.

    Example:

    >>> data = zoo.datasets.digits()
    >>> vae = train_vae(data.x_train, latent_dim=4, epochs=1)
    """
    keras.utils.set_random_seed(seed)
    vae = registry.get(model, input_shape=tuple(x.shape[1:]),
                       latent_dim=latent_dim, seed=seed, **options)
    vae.compile(optimizer=None if learning_rate is None else (
        keras.optimizers.Adam(learning_rate)))
    vae.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return vae


def train_classifier(classifier, x, y, epochs=10, batch_size=32,
                     learning_rate=1e-3, seed=0):
    """Train a softmax `classifier` on integer labels `y` with Adam and
    sparse categorical cross-entropy; return it."""
    keras.utils.set_random_seed(seed)
    classifier.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return classifier


def accuracy(classifier, x, y, batch_size=500):
    """Fraction of `x` whose most probable class under `classifier` is `y`."""
    probabilities = classifier.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(probabilities, axis=-1) == np.ravel(y)))


def labeled_subset(y, per_class, seed=0):
    """Indices of `per_class` random examples of each class of `y`.

    Raises:
        ValueError: if a class has fewer than `per_class` examples.
    """
    rng = np.random.default_rng(seed)
    y = np.ravel(y)
    indices = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < per_class:
            raise ValueError(
                f"Class {label} has {len(members)} examples, fewer than "
                f"`per_class`; lower it. Received: per_class={per_class}"
            )
        indices.append(rng.choice(members, per_class, replace=False))
    return rng.permutation(np.concatenate(indices))

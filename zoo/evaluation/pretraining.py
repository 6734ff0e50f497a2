"""Pre-training: reuse a VAE's encoder as the base of a classifier.

A VAE learns its encoder from unlabelled images; with few labels, a
classifier built on that encoder can beat the same network trained from
scratch. `encoder_classifier` builds the classifier

    x -> encoder -> z_mean = mu(x) -> Dense(num_classes, softmax) -> p(y|x)

on a copy of `model.encoder`, in one of three modes:

- "fine_tuned": pre-trained weights, all of them trained on the labels;
- "frozen": pre-trained weights kept fixed, only the head trained (a
  linear probe of the posterior means);
- "scratch": the same network freshly initialised, all of it trained.

`label_efficiency` measures the three on `labels_per_class` labelled
examples per class, over several seeds (each seed draws its own labelled
subset, shared by the three modes), as mean +- std test accuracy.
"""

import keras
import numpy as np
from keras import layers

from zoo.evaluation import training
from zoo.networks import check_widths
from zoo.validation import check_number

MODES = ("fine_tuned", "frozen", "scratch")


def encoder_classifier(encoder, num_classes, mode="fine_tuned",
                       name="encoder_classifier", hidden_units=(),
                       dropout=0.0):
    """A softmax classifier on a copy of a VAE encoder's `z_mean`.

    The encoder is cloned, so training the classifier never changes the
    VAE. "fine_tuned" and "frozen" copy its weights; "scratch" keeps the
    clone's fresh initialisation (seed it with `keras.utils.set_random_seed`).

    Args:
        encoder: a VAE's `model.encoder`, a Keras model x -> [z_mean,
            z_stddev].
        num_classes: int >= 2.
        mode: `"fine_tuned"` (default), `"frozen"` or `"scratch"`.
        name: str, the classifier's name.
        hidden_units: tuple of ints (default `()`, a linear head): the
            widths of the head's `Dense(relu)` layers on z_mean.
        dropout: float in [0, 1) (default 0.0), the rate of the `Dropout`
            before each of the head's layers: the classifier's
            regularisation, to tune on a validation split.

    Returns:
        An uncompiled functional `keras.Model`, images -> class
        probabilities `(batch, num_classes)`.

    Raises:
        ValueError: for an unknown `mode` or `num_classes` < 2.

    Example:

    >>> classifier = encoder_classifier(vae.encoder, 10, mode="frozen")
    >>> classifier.compile("adam", "sparse_categorical_crossentropy")
    >>> classifier.fit(x_labelled, y_labelled, epochs=20)
    """
    if mode not in MODES:
        raise ValueError(
            f"`mode` must be one of {MODES}. Received: mode={mode!r}"
        )
    check_number(num_classes, "num_classes", integer=True, minimum=2)
    check_number(dropout, "dropout", minimum=0, maximum=1, below=True)
    hidden_units = check_widths(hidden_units, "hidden_units")
    clone = keras.models.clone_model(encoder)
    if mode != "scratch":
        clone.set_weights(encoder.get_weights())
    # Keep only the path to z_mean, so no layer is left without gradients.
    base = keras.Model(clone.input, clone.outputs[0], name="encoder_mean")
    base.trainable = mode != "frozen"
    inputs = keras.Input(shape=encoder.input_shape[1:], name="x")
    features = base(inputs)
    for index, units in enumerate(hidden_units):
        if dropout:
            features = layers.Dropout(dropout, name=f"dropout_{index}")(
                features)
        features = layers.Dense(units, activation="relu",
                                name=f"head_{index}")(features)
    if dropout:
        features = layers.Dropout(dropout, name="dropout")(features)
    outputs = layers.Dense(num_classes, activation="softmax",
                           name="classes")(features)
    return keras.Model(inputs, outputs, name=name)


def label_efficiency(encoder, x_train, y_train, x_test, y_test,
                     labels_per_class=100, seeds=(0, 1, 2),
                     modes=MODES, epochs=30, batch_size=32,
                     learning_rate=1e-3):
    """Test accuracy of each mode trained on few labels, over seeds.

    Args:
        encoder: a trained VAE's `model.encoder`.
        x_train, y_train: the labelled pool; each seed draws
            `labels_per_class` examples of each class from it.
        x_test, y_test: the test images and integer labels.
        labels_per_class: int > 0 (default 100).
        seeds: ints (default (0, 1, 2)), one run per seed and mode.
        modes: names from `MODES` (default all three).
        epochs, batch_size, learning_rate: the classifier's Adam training,
            the same for every mode (defaults 30, 32, 1e-3).

    Returns:
        dict, mode -> {"accuracies": one per seed, "mean", "std"}.

    Raises:
        ValueError: if a class has fewer than `labels_per_class` examples,
            or for an unknown mode.

    Example:

    >>> result = label_efficiency(vae.encoder, data.x_train, data.y_train,
    ...                           data.x_test, data.y_test)
    >>> result["fine_tuned"]["mean"] - result["scratch"]["mean"]
    """
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise ValueError(
            f"`modes` must be names from {MODES}. Received: modes={modes!r}"
        )
    num_classes = int(np.max(y_train)) + 1
    result = {}
    for mode in modes:
        accuracies = []
        for seed in seeds:
            subset = training.labeled_subset(y_train, labels_per_class, seed)
            keras.utils.set_random_seed(seed)
            classifier = training.train_classifier(
                encoder_classifier(encoder, num_classes, mode),
                x_train[subset], y_train[subset], epochs=epochs,
                batch_size=batch_size, learning_rate=learning_rate,
                seed=seed,
            )
            accuracies.append(training.accuracy(classifier, x_test, y_test))
        result[mode] = {
            "accuracies": accuracies,
            "mean": float(np.mean(accuracies)),
            "std": float(np.std(accuracies)),
        }
    return result

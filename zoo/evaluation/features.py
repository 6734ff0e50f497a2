"""The features generation metrics compare: a Fashion-MNIST classifier's.

FID and precision/recall (`zoo.evaluation.fid`,
`zoo.evaluation.precision_recall`) compare sets of images through the
features of a network trained to recognise them; the field uses Inception
v3's pool features on ImageNet-like images. There are no Inception weights
offline, and Inception knows nothing of 28x28 grey clothes, so the zoo
trains its own classifier on the 60,000 Fashion-MNIST training images
(`python -m bench.feature_classifier`) and ships it as
`saved_models/feature_classifier/classifier.keras` with its card
(`model_card.json`: test accuracy, command, machine). Its features are
the 128 ReLU units before the softmax layer.

FIDs on these features compare zoo models with each other; they are NOT
Inception FIDs and are not comparable with the FIDs papers report.
"""

import pathlib

import keras
import numpy as np
from keras import layers

#: The shipped classifier.
CLASSIFIER_PATH = (pathlib.Path(__file__).resolve().parents[2]
                   / "saved_models" / "feature_classifier"
                   / "classifier.keras")

#: The name of the layer whose outputs are the features.
FEATURE_LAYER = "features"


def feature_classifier(input_shape=(28, 28, 1), num_classes=10,
                       feature_units=128):
    """The classifier's architecture: two 3x3 ReLU convolutions (32 then
    64 filters) each followed by a 2x2 max-pool, a dense ReLU layer of
    `feature_units` named "features", dropout 0.3, softmax.

    Returns:
        An uncompiled functional `keras.Model` (images in [0, 1] ->
        class probabilities).
    """
    inputs = keras.Input(shape=input_shape, name="x")
    hidden = inputs
    for width in (32, 64):
        hidden = layers.Conv2D(width, 3, padding="same",
                               activation="relu")(hidden)
        hidden = layers.MaxPooling2D(padding="same")(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = layers.Dense(feature_units, activation="relu",
                          name=FEATURE_LAYER)(hidden)
    hidden = layers.Dropout(0.3)(hidden)
    outputs = layers.Dense(num_classes, activation="softmax")(hidden)
    return keras.Model(inputs, outputs, name="feature_classifier")


def load_feature_classifier(path=None):
    """The shipped classifier (`CLASSIFIER_PATH`), or the one at `path`,
    loaded with safe mode on.

    Raises:
        FileNotFoundError: if the file is missing, with the command that
            trains it.
    """
    path = pathlib.Path(CLASSIFIER_PATH if path is None else path)
    if not path.exists():
        raise FileNotFoundError(
            f"No feature classifier at {path}; train it with "
            "`python -m bench.feature_classifier`."
        )
    return keras.models.load_model(path, safe_mode=True)


def classifier_features(images, classifier=None, batch_size=500):
    """The classifier's features of `images` `(N, 28, 28, 1)` in [0, 1],
    a float64 array `(N, 128)`.

    Args:
        images: the images, e.g. a model's samples or the test set.
        classifier: a model made by `feature_classifier` (default: the
            shipped one, `load_feature_classifier()`).
        batch_size: images per forward pass.
    """
    if classifier is None:
        classifier = load_feature_classifier()
    extractor = keras.Model(classifier.inputs,
                            classifier.get_layer(FEATURE_LAYER).output)
    images = np.asarray(images, "float32")
    return np.asarray(
        extractor.predict(images, batch_size=batch_size, verbose=0),
        "float64")

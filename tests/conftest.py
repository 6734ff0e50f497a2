"""Shared test helpers: small real images, at any shape, with no download,
and saved_models/regenerate.py as a module."""

import importlib.util
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

# Grappler, TensorFlow's graph optimizer, rewrites every function graph
# the first time it runs. The tests run tiny models for a few steps each,
# so its rewrites never pay back: without it the traced steps compute the
# same (up to float rounding) and a build-trace-fit-evaluate of four
# presets took 14.4 s against 15.9 s (medians of 5 alternated processes,
# /tmp script, this 2-core VM). It must be set before TensorFlow's
# context starts. Subprocesses (the CLI's, the workers', the notebook
# kernels) and the benches keep Grappler, as users do.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})

import zoo
from zoo.models import registry


def real_images(shape, count=64, seed=0):
    """`count` scikit-learn digits resized to `shape` (H, W, C), in [0, 1]."""
    digits = load_digits().images.astype("float32") / 16.0
    order = np.random.default_rng(seed).permutation(len(digits))[:count]
    images = tf.image.resize(digits[order, :, :, None], shape[:2]).numpy()
    images = np.clip(np.repeat(images, shape[2], axis=-1), 0.0, 1.0)
    return images.astype("float32")


@pytest.fixture
def images():
    """A function: `images(shape, count=64, seed=0)` -> real digit images."""
    return real_images


def model_inputs(model, x):
    """What `model` takes for the batch `x` (images, or latents to decode):
    `x`, or `[x, labels]` for a conditional model, the labels cycling
    through its classes."""
    if model.condition_spec() is None:
        return x
    labels = np.arange(len(x)) % model.num_classes
    if tf.is_tensor(x):  # Keras calls take all tensors or none
        labels = tf.constant(labels, "int32")
    return [x, labels]


def model_dataset(model, x, y=None, batch_size=32):
    """A batched `tf.data.Dataset` of `model_inputs(model, x)` (as the
    `{"x", "labels"}` dict a conditional model reads), paired with `y` when
    given."""
    inputs = model_inputs(model, x)
    if isinstance(inputs, list):
        inputs = {"x": inputs[0], "labels": inputs[1]}
    elements = inputs if y is None else (inputs, y)
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size)


def architecture(name):
    """What a preset builds: its model class and its options but the
    objective, unless the objective adds a part (the semi-supervised
    objective's classifier). Presets that differ only by a training loss
    share the data path, the encoder, the bound and the serving graph."""
    options = {
        option: value for option, value in registry.MODELS[name].items()
        if option != "objective" or value == "semi_supervised"
    }
    return registry.model_class(name), sorted(options.items())


def one_preset_per_architecture(names=None):
    """The plainest preset (fewest options) of each `architecture` among
    `names` (default: every preset), in that order."""
    names = zoo.list_models() if names is None else names
    chosen, seen = [], []
    for name in sorted(names, key=lambda name: len(registry.MODELS[name])):
        built = architecture(name)
        if built not in seen:
            seen.append(built)
            chosen.append(name)
    return chosen


def regenerate_script():
    """saved_models/regenerate.py as a module (it is a script, not in a
    package)."""
    spec = importlib.util.spec_from_file_location(
        "regenerate", pathlib.Path(__file__).parent.parent / "saved_models"
        / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

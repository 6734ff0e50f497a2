"""Shared test data: small real images, at any shape, with no download."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits


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

"""zoo: variational autoencoders for Keras 3 and TensorFlow Probability."""

from zoo.version import __version__

from zoo import callbacks
from zoo import datasets
from zoo import evaluation
from zoo import export
from zoo import plotting
from zoo import networks
from zoo import objectives
from zoo.models import VAE
from zoo.models.registry import get
from zoo.models.registry import list_models

__all__ = [
    "VAE", "__version__", "callbacks", "datasets", "evaluation", "export",
    "get", "list_models", "networks", "objectives", "plotting",
]

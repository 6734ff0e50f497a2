"""zoo: variational autoencoders for Keras 3 and TensorFlow Probability."""

import sys


from zoo.version import __version__

# First, before TensorFlow loads: importing zoo.quiet hides TensorFlow's
# C++ logs when this process is the `zoo` command (see zoo/quiet.py).
from zoo import quiet  # noqa: F401  (imported for its effect)
from zoo import datasets
from zoo import training
from zoo import evaluation
from zoo import export
from zoo import plotting
from zoo import networks
from zoo import objectives
from zoo.models import HierarchicalVAE
from zoo.models import VAE
from zoo.models import VQVAE
from zoo.models.registry import get
from zoo.models.registry import list_models
from zoo.presets import from_preset
from zoo.presets import list_presets
from zoo.presets import preset_card
from zoo.training import callbacks
from zoo.training import distribute

# Release 0.2's public module paths, `zoo.callbacks`, `zoo.distribute` and
# `zoo.convert`, name the modules in their new packages, for `import` too.
sys.modules["zoo.callbacks"] = callbacks
sys.modules["zoo.distribute"] = distribute
sys.modules["zoo.convert"] = convert = export.convert

__all__ = [
    "HierarchicalVAE", "VAE", "VQVAE", "__version__", "callbacks", "datasets", "distribute",
    "evaluation", "export",
    "from_preset", "get", "list_models", "list_presets", "networks",
    "objectives", "plotting", "preset_card", "training",
]

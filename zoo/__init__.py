"""zoo: variational autoencoders for Keras 3 and TensorFlow Probability."""

__version__ = "0.1.0"

# First, before TensorFlow loads: importing zoo.quiet hides TensorFlow's
# C++ logs when this process is the `zoo` command (see zoo/quiet.py).
from zoo import quiet  # noqa: I001
from zoo import callbacks
from zoo import datasets
from zoo import evaluation
from zoo import export
from zoo import plotting
from zoo.models import VAE
from zoo.models import BetaTCVAE
from zoo.models import BetaVAE
from zoo.models import ConditionalVAE
from zoo.models import ConvVAE
from zoo.models import DenseVAE
from zoo.models import IWAE
from zoo.models.registry import get
from zoo.models.registry import list_models
from zoo.presets import from_preset
from zoo.presets import list_presets
from zoo.presets import preset_card

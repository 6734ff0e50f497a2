"""The zoo's models: the `VAE` base class and its variants."""

from zoo.models.base import VAE
from zoo.models.beta import BetaVAE
from zoo.models.conditional import ConditionalVAE
from zoo.models.conv import ConvVAE
from zoo.models.dense import DenseVAE
from zoo.models.iwae import IWAE
from zoo.models.tcvae import BetaTCVAE

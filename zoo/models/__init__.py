"""The zoo's models, `VAE` and `VQVAE`, and the registry of their
presets."""

from zoo.models.base import VAE
from zoo.models.core import Autoencoder
from zoo.models.vq_vae import VQVAE

__all__ = ["Autoencoder", "VAE", "VQVAE"]

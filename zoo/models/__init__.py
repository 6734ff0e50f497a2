"""The zoo's models, `VAE`, `VQVAE` and `HierarchicalVAE`, and the
registry of their presets."""

from zoo.models.vae import VAE
from zoo.models.autoencoder import Autoencoder
from zoo.models.hierarchical_vae import HierarchicalVAE
from zoo.models.vq_vae import VQVAE

__all__ = ["Autoencoder", "HierarchicalVAE", "VAE", "VQVAE"]

"""The zoo's model, `VAE`, and the registry of its presets."""

from zoo.models.base import VAE

__all__ = ["VAE"]

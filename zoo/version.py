"""The zoo's version, written into every saved model's config."""

__version__ = "0.2.0.dev0"

"""Latents: what z is and how q(z|x) is built from the encoder's output.

    gaussian.py  a diagonal Gaussian q(z|x) (`zoo.VAE`)
    codebook.py  a vector-quantised codebook (`zoo.VQVAE`)
"""

# %% [markdown]
# # VQ-VAE: discrete codes, a PixelCNN prior, samples and serving
#
# **Author:** zoo authors<br>
# **Date created:** 2026/12/01<br>
# **Last modified:** 2026/12/01<br>
# **Description:** Train a `vq_vae` on Fashion-MNIST with plain `fit`, look
# at its codes and how much of the codebook it uses, fit the PixelCNN prior
# over the codes, draw seeded samples, score images by the likelihood bound
# and export it for TF Serving.

# %% [markdown]
# ## Introduction
#
# A VQ-VAE (van den Oord et al., 2017) replaces the Gaussian latent of a
# VAE by a grid of discrete codes. The encoder maps an image to a grid of
# vectors z_e; each is replaced by the nearest of K learned codebook
# vectors, z_q; the decoder maps z_q back to p(x | z_q). Training
# minimises
#
#     -log p(x | z_q) + beta * ||z_e - sg(z_q)||^2
#
# (sg: stop-gradient; the codebook itself follows moving averages of the
# encoder outputs assigned to each code). Generation needs a prior over
# the code grids: a gated PixelCNN, trained afterwards on the codes of the
# training images. With that prior the model has a likelihood bound,
#
#     log p(x) >= log p(x | z_q) + log p_prior(z_q),
#
# comparable with the ELBO of the zoo's other models.

# %% [markdown]
# ## Setup

# %%
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np

import zoo
from zoo import export

SMALL = os.environ.get("ZOO_NOTEBOOK_BUDGET") == "small"
NUM_TRAIN = 1000 if SMALL else 60000
EPOCHS = 1 if SMALL else 5
PRIOR_EPOCHS = 1 if SMALL else 5
keras.utils.set_random_seed(0)

data = zoo.datasets.fashion_mnist(binarize="static")
x_train = data.x_train[:NUM_TRAIN]
x_test = data.x_test[:500]
print(x_train.shape)

# %% [markdown]
# ## Train the autoencoder with `fit`
#
# `latent_dim` is the size of a code vector and `num_embeddings` the
# number of codes. The history reports the codebook's use: its
# perplexity exp(H(p)) (K when every code is used equally often) and the
# fraction of codes used on a batch.

# %%
model = zoo.get("vq_vae", input_shape=x_train.shape[1:], latent_dim=16,
                num_embeddings=64, seed=0)
model.compile()
history = model.fit(x_train, epochs=EPOCHS, batch_size=128, verbose=2)
print({key: round(values[-1], 3) for key, values in history.history.items()})

# %% [markdown]
# ## Look at the codes
#
# `encode` gives the code indices (a 7 x 7 grid per image) and their
# vectors; `decode` takes indices back to p(x | z_q).

# %%
codes = model.encode(x_test[:8])
print(codes.indices.shape, codes.vectors.shape)
print(codes.indices[0].numpy())

all_codes = model.encode_in_batches(x_test)
counts = np.bincount(all_codes.numpy().ravel(),
                     minlength=model.num_embeddings)
print("perplexity", float(zoo.latents.codebook.perplexity(
    all_codes, model.num_embeddings)),
      "codes used", float(zoo.latents.codebook.usage(all_codes,
                                               model.num_embeddings)))
plt.bar(np.arange(model.num_embeddings), counts)
plt.xlabel("code")
plt.ylabel("uses on 500 test images")
plt.show()

reconstructions = model.decode(codes.indices).mean()
zoo.plotting.image_grid(np.concatenate([x_test[:8], reconstructions]),
                        title="test images (top) and reconstructions")
plt.show()

# %% [markdown]
# ## Fit the PixelCNN prior and sample
#
# `fit_prior(x)` encodes `x` and trains `model.prior_network`, a Keras
# model, with plain `fit` on the codes (the same as
# `model.prior_network.fit(codes, codes)` after `compile()`). `sample`
# then draws code grids one position at a time and decodes them; the same
# seed gives the same images.

# %%
prior_history = model.fit_prior(x_train, epochs=PRIOR_EPOCHS, verbose=2)
samples = model.sample(16, seed=0)
assert np.array_equal(samples, model.sample(16, seed=0))
zoo.plotting.image_grid(samples, title="samples from the PixelCNN prior")
plt.show()

# %% [markdown]
# ## Score images by the bound
#
# `elbo(x)` (and `log_likelihood(x)`, the same number) is
# log p(x|z_q) + log p_prior(z_q) in nats: the encoder is deterministic,
# so the posterior has no entropy term and no samples are needed.

# %%
bound = model.elbo(x_test[:200]).numpy()
print("mean -bound (nats):", -bound.mean())

# %% [markdown]
# ## Export for TF Serving
#
# The SavedModel has the signatures `encode` (indices), `decode` (from
# indices), `reconstruct`, `sample` (num_samples, seed) and `score`.

# %%
path = export.export_for_serving(model, tempfile.mkdtemp() + "/vq_vae")
served = export.load_for_serving(path)
print(sorted(served.signatures))
scores = served.score(x_test[:4])
print(scores["log_likelihood"], model.elbo(x_test[:4]).numpy())
images = served.sample(num_samples=4, seed=(1, 0))["images"]
print(images.shape)

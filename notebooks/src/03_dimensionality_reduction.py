# %% [markdown]
# # Dimensionality reduction: VAE codes against PCA
#
# **Author:** zoo authors<br>
# **Date created:** 2026/11/25<br>
# **Last modified:** 2026/11/25<br>
# **Description:** Compress Fashion-MNIST to 16 numbers per image with a
# VAE and with scikit-learn's PCA, and compare reconstruction error and how
# well a linear classifier reads the labels from the codes.

# %% [markdown]
# ## Introduction
#
# PCA is the best *linear* 16-dimensional summary of the data in squared
# error. A VAE's encoder is non-linear, but it is trained for likelihood,
# not squared error, and its codes are pulled towards the prior. Two
# questions decide which code is better for a job:
#
# 1. How well does the code reconstruct the image (mean squared error)?
# 2. How much of the label does it keep? We measure it with a probe: a
#    logistic regression trained on the codes of labelled images.

# %% [markdown]
# ## Setup

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import zoo

SMALL = os.environ.get("ZOO_NOTEBOOK_BUDGET") == "small"
NUM_TRAIN = 2000 if SMALL else 30000
EPOCHS = 1 if SMALL else 15
LATENT_DIM = 16
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Load the data

# %%
data = zoo.datasets.fashion_mnist()
x_train, y_train = data.x_train[:NUM_TRAIN], data.y_train[:NUM_TRAIN]
x_test, y_test = data.x_test[:2000], data.y_test[:2000]
flat_train = x_train.reshape(len(x_train), -1)
flat_test = x_test.reshape(len(x_test), -1)

# %% [markdown]
# ## Fit both reducers
#
# PCA is one call. The VAE is a dense model with a continuous Bernoulli
# likelihood (grey pixels in [0, 1]); its code is the posterior mean.

# %%
pca = PCA(n_components=LATENT_DIM).fit(flat_train)

model = zoo.get(
    "dense_vae", input_shape=(28, 28, 1), latent_dim=LATENT_DIM,
    likelihood="continuous_bernoulli",
)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
model.fit(x_train, epochs=EPOCHS, batch_size=128, verbose=0)


def vae_codes(x):
    z_mean, _ = model.encoder.predict(x, batch_size=500, verbose=0)
    return z_mean

# %% [markdown]
# ## Reconstruction error
#
# PCA reconstructs with its inverse transform; the VAE decodes the
# posterior mean (`predict()`).

# %%
pca_reconstruction = pca.inverse_transform(pca.transform(flat_test))
vae_reconstruction = model.predict(x_test, verbose=0).reshape(len(x_test), -1)
for name, reconstruction in [("PCA", pca_reconstruction),
                             ("VAE", vae_reconstruction)]:
    mse = np.mean((reconstruction - flat_test) ** 2)
    print(f"{name}: mean squared error per pixel {mse:.4f}")

zoo.plotting.image_grid(
    np.concatenate([
        x_test[:8],
        np.clip(pca_reconstruction[:8], 0, 1).reshape(-1, 28, 28, 1),
        vae_reconstruction[:8].reshape(-1, 28, 28, 1),
    ]),
    columns=8, title="test images, PCA (middle), VAE (bottom)",
)
plt.show()

# %% [markdown]
# ## A linear probe on the codes
#
# The probe sees only the 16 numbers of each image and 5,000 labels (fewer
# in the small budget). The better it does on the test set, the more
# linearly the code separates the classes.

# %%
num_probe = min(5000, len(x_train))


def probe_accuracy(codes_train, codes_test):
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(codes_train[:num_probe], y_train[:num_probe])
    return probe.score(codes_test, y_test)


for name, codes_train, codes_test in [
    ("PCA", pca.transform(flat_train), pca.transform(flat_test)),
    ("VAE", vae_codes(x_train), vae_codes(x_test)),
]:
    print(f"{name}: probe accuracy {probe_accuracy(codes_train, codes_test):.3f}")

# %% [markdown]
# ## Look at the codes
#
# The posterior means of the test set, projected on their first two
# principal components and coloured by class.

# %%
zoo.plotting.latent_scatter(model, x_test, y_test)
plt.show()

# %% [markdown]
# ## What we learned
#
# On squared error PCA is hard to beat: it minimises exactly that, while
# the VAE spends part of its code on a distribution that samples well. The
# probe tells how linearly each code separates the classes. The VAE's
# advantage is elsewhere: its code comes with a decoder that generates new
# images and a likelihood that scores them (see `01_quickstart` and
# `06_serving`).

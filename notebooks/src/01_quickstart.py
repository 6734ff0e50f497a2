# %% [markdown]
# # Quickstart: train, sample, save and load a VAE
#
# **Author:** zoo authors<br>
# **Date created:** 2026/11/25<br>
# **Last modified:** 2026/11/25<br>
# **Description:** Train a convolutional VAE on Fashion-MNIST with `fit()`,
# draw new images from it, and save and reload it as a `.keras` file.

# %% [markdown]
# ## Introduction
#
# A variational autoencoder (VAE) learns two networks at once: an encoder
# that maps an image x to a distribution q(z|x) over a small latent code z,
# and a decoder that maps a code back to a distribution p(x|z) over images.
# Training maximises the evidence lower bound,
#
#     ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)),
#
# where the prior p(z) is a standard normal. Because codes are pulled
# towards the prior, decoding prior samples gives new images.
#
# Every model in `zoo` is a plain `keras.Model` that owns this loss, so the
# whole workflow is `compile()`, `fit()`, `save()`.

# %% [markdown]
# ## Setup
#
# The tutorials read one switch, the environment variable
# `ZOO_NOTEBOOK_BUDGET`: `small` (what CI uses) trains on a few thousand
# images for one epoch, anything else runs the full tutorial in a few
# minutes on a laptop CPU.

# %%
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np

import zoo

SMALL = os.environ.get("ZOO_NOTEBOOK_BUDGET") == "small"
NUM_TRAIN = 2000 if SMALL else 20000
EPOCHS = 1 if SMALL else 5
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Load the data
#
# `zoo.datasets.fashion_mnist()` finds Fashion-MNIST on disk (or downloads
# it) and returns float32 images in [0, 1] with shape `(N, 28, 28, 1)`.
# Static binarization turns every pixel into 0 or 1 once, the standard
# protocol for a Bernoulli likelihood.

# %%
data = zoo.datasets.fashion_mnist(binarize="static")
x_train = data.x_train[:NUM_TRAIN]
x_test = data.x_test[:1000]
print(data)
zoo.plotting.image_grid(x_train[:16], title="training images")
plt.show()

# %% [markdown]
# ## Build and train the model
#
# `zoo.get()` builds any model of the zoo by name. `compile()` takes no loss:
# the model adds its negative ELBO itself, and `fit()` reports its two terms,
# `reconstruction` (-log p(x|z)) and `kl`, in nats per image.

# %%
model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=16)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
history = model.fit(
    x_train, epochs=EPOCHS, batch_size=128,
    validation_data=(x_test,), verbose=2,
)
zoo.plotting.training_curves(history)
plt.show()

# %% [markdown]
# ## Look at what it learned
#
# Reconstructions show how much of an image survives the trip through a
# 16-number code; prior samples show what the decoder makes of codes it has
# never seen.

# %%
zoo.plotting.reconstructions(model, x_test[:10])
plt.show()

# %%
zoo.plotting.image_grid(model.sample(36, seed=0), title="prior samples")
plt.show()

# %% [markdown]
# The encoder and decoder return `tensorflow_probability` distributions, so
# the test-set bound is one line. `log_likelihood` gives the tighter
# importance-weighted bound with K samples per image.

# %%
elbo = float(np.mean(model.elbo(x_test)))
log_likelihood = float(np.mean(model.log_likelihood(x_test[:100],
                                                    num_samples=100)))
print(f"test ELBO: {elbo:.1f} nats, IW bound (K=100): {log_likelihood:.1f} nats")

# %% [markdown]
# ## Save and load
#
# A zoo model is an ordinary Keras model: `save()` writes one `.keras` file
# and `keras.models.load_model()` gives back the same encoder and decoder,
# with no `custom_objects` (the classes are registered under "zoo").

# %%
path = os.path.join(tempfile.mkdtemp(), "conv_vae.keras")
model.save(path)
restored = keras.models.load_model(path)
same = np.allclose(model.encode(x_test[:8]).mean(),
                   restored.encode(x_test[:8]).mean())
print(f"saved to {path}; same codes after loading: {same}")

# %% [markdown]
# ## Next steps
#
# - `02_denoising`: the same model trained on noisy inputs.
# - `03_dimensionality_reduction`: the codes against PCA.
# - From the command line, `zoo train conv_vae --output runs/conv_vae` does
#   all of the above and writes the figures to the run folder.

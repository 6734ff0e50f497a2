# %% [markdown]
# # Denoising images with a VAE
#
# **Author:** zoo authors<br>
# **Date created:** 2026/11/25<br>
# **Last modified:** 2026/11/25<br>
# **Description:** Train a VAE to map corrupted images to clean ones with
# `fit(x_noisy, x_clean)`, and measure how much it removes.

# %% [markdown]
# ## Introduction
#
# A denoising VAE sees a corrupted image at the input and is scored on the
# clean one: the ELBO's reconstruction term becomes log p(x_clean | z) with
# z ~ q(z | x_noisy). The encoder learns to ignore what the corruption
# adds, because the decoder is never asked to reproduce it.
#
# In `zoo` this is the ordinary Keras call with a target,
# `model.fit(x_noisy, x_clean)`.

# %% [markdown]
# ## Setup

# %%
import os

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
# ## Corrupt the data
#
# `zoo.datasets.corrupt()` returns seeded `(x_noisy, x_clean)` pairs. We
# use two corruptions a denoiser must undo in different ways: Gaussian
# noise on every pixel, and salt-and-pepper noise on a fifth of them. The
# clean targets stay grey, so the likelihood is the continuous Bernoulli,
# a proper density on [0, 1].

# %%
data = zoo.datasets.fashion_mnist()
x_train, x_test = data.x_train[:NUM_TRAIN], data.x_test[:1000]
gaussian_train, clean_train = zoo.datasets.corrupt(
    x_train, "gaussian", amount=0.3, seed=0
)
salted_train, _ = zoo.datasets.corrupt(
    x_train, "salt_and_pepper", amount=0.2, seed=1
)
x_noisy = np.concatenate([gaussian_train, salted_train])
x_clean = np.concatenate([clean_train, clean_train])

gaussian_test, clean_test = zoo.datasets.corrupt(
    x_test, "gaussian", amount=0.3, seed=2
)
salted_test, _ = zoo.datasets.corrupt(
    x_test, "salt_and_pepper", amount=0.2, seed=3
)
zoo.plotting.image_grid(
    np.concatenate([clean_test[:8], gaussian_test[:8], salted_test[:8]]),
    columns=8, title="clean, Gaussian noise, salt and pepper",
)
plt.show()

# %% [markdown]
# ## Train the denoiser
#
# The only change from a plain VAE is the second argument of `fit()`. The
# validation data is a pair too, so `val_loss` scores denoising.

# %%
model = zoo.get(
    "conv_vae", input_shape=(28, 28, 1), latent_dim=16,
    likelihood="continuous_bernoulli",
)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
history = model.fit(
    x_noisy, x_clean, epochs=EPOCHS, batch_size=128,
    validation_data=(gaussian_test, clean_test), verbose=2,
)

# %% [markdown]
# ## Look at the results
#
# `predict()` returns reconstructions in data space: here, the denoised
# images. Each block shows the noisy input (top) and the model's output
# (bottom).

# %%
for name, noisy in [("Gaussian", gaussian_test), ("salt and pepper",
                                                 salted_test)]:
    zoo.plotting.image_grid(
        np.concatenate([noisy[:8], model.predict(noisy[:8], verbose=0)]),
        columns=8, title=f"{name}: noisy (top), denoised (bottom)",
    )
    plt.show()

# %% [markdown]
# ## Measure it
#
# The peak signal-to-noise ratio, PSNR = 10 log10(1 / MSE) in decibels,
# compares an image with the clean one: higher is closer. A denoiser is
# useful when its output beats the noisy input.

# %%
def psnr(x, reference):
    """Mean PSNR in dB of images in [0, 1] against `reference`."""
    mse = np.mean((x - reference) ** 2, axis=(1, 2, 3))
    return float(np.mean(10 * np.log10(1.0 / mse)))


for name, noisy in [("Gaussian", gaussian_test), ("salt and pepper",
                                                 salted_test)]:
    denoised = model.predict(noisy, verbose=0)
    print(f"{name:>16}: noisy {psnr(noisy, clean_test):5.1f} dB -> "
          f"denoised {psnr(denoised, clean_test):5.1f} dB")

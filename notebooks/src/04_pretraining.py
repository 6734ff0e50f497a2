# %% [markdown]
# # Pre-training a classifier's encoder with a VAE
#
# **Author:** zoo authors<br>
# **Date created:** 2026/11/25<br>
# **Last modified:** 2026/11/25<br>
# **Description:** Train a VAE on unlabelled images, then put its encoder
# inside a Keras classifier that sees only a few labels: frozen, fine-tuned,
# and from scratch.

# %% [markdown]
# ## Introduction
#
# Labels are often scarce while images are plentiful. A VAE learns from
# the images alone, and its encoder, `model.encoder`, is an ordinary Keras
# model: `(z_mean, z_stddev) = encoder(x)`. We can use it as the first
# layers of a classifier and train only a small head on the few labels
# (frozen), train everything (fine-tuned), or compare with the same
# network started from random weights (from scratch).

# %% [markdown]
# ## Setup

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import zoo

SMALL = os.environ.get("ZOO_NOTEBOOK_BUDGET") == "small"
NUM_UNLABELLED = 2000 if SMALL else 30000
VAE_EPOCHS = 1 if SMALL else 10
LABELS_PER_CLASS = 10
CLASSIFIER_EPOCHS = 5 if SMALL else 200
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Pre-train on unlabelled images

# %%
data = zoo.datasets.fashion_mnist()
x_unlabelled = data.x_train[:NUM_UNLABELLED]
x_test, y_test = data.x_test[:2000], data.y_test[:2000]

vae = zoo.get(
    "dense_vae", input_shape=(28, 28, 1), latent_dim=16,
    likelihood="continuous_bernoulli",
)
vae.compile(optimizer=keras.optimizers.Adam(1e-3))
vae.fit(x_unlabelled, epochs=VAE_EPOCHS, batch_size=128, verbose=0)

# %% [markdown]
# ## A few labels
#
# We keep `LABELS_PER_CLASS` labelled images of each class, taken from the
# part of the training set the VAE did not see.

# %%
rng = np.random.default_rng(0)
pool = np.arange(NUM_UNLABELLED, len(data.x_train))
labelled = np.concatenate([
    rng.choice(pool[data.y_train[pool] == label], LABELS_PER_CLASS,
               replace=False)
    for label in range(10)
])
x_few, y_few = data.x_train[labelled], data.y_train[labelled]
print(f"{len(x_few)} labelled images")

# %% [markdown]
# ## Three classifiers, one architecture
#
# The classifier is the encoder followed by a softmax layer on the
# posterior mean. `keras.models.clone_model` copies the encoder's
# architecture with fresh weights, for the from-scratch baseline. (Keras
# warns that the `z_stddev` head gets no gradient: the classifier uses only
# `z_mean`.)

# %%
def classifier(encoder, trainable):
    encoder.trainable = trainable
    inputs = keras.Input((28, 28, 1))
    z_mean, _ = encoder(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(z_mean)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy", metrics=["accuracy"],
    )
    return model


def pretrained_encoder():
    encoder = keras.models.clone_model(vae.encoder)
    encoder.set_weights(vae.encoder.get_weights())
    return encoder


classifiers = {
    "frozen": classifier(pretrained_encoder(), trainable=False),
    "fine-tuned": classifier(pretrained_encoder(), trainable=True),
    "from scratch": classifier(keras.models.clone_model(vae.encoder),
                               trainable=True),
}
for name, model in classifiers.items():
    model.fit(x_few, y_few, epochs=CLASSIFIER_EPOCHS, batch_size=32,
              verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name:>12}: test accuracy {accuracy:.3f}")

# %% [markdown]
# The from-scratch classifier must learn its features from 100 images; the
# pre-trained ones start from features learned on the unlabelled images.
# Fine-tuning adapts those features to the labels, at the risk of
# over-fitting so few of them; freezing keeps them as the VAE learned them,
# which helps only as far as the VAE's code separates the classes linearly
# (see `03_dimensionality_reduction`).

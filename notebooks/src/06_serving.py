# %% [markdown]
# # Serving a VAE with TensorFlow Serving
#
# **Author:** zoo authors<br>
# **Date created:** 2026/11/25<br>
# **Last modified:** 2026/11/25<br>
# **Description:** Export a trained VAE as a versioned SavedModel, inspect
# its signatures as `saved_model_cli` and TF Serving see them, and query it
# like a client.

# %% [markdown]
# ## Introduction
#
# TF Serving loads SavedModels from a folder of integer versions,
# `MODEL/1/`, `MODEL/2/`, ..., and answers requests on named signatures.
# `zoo.export.export_for_serving()` writes the next version atomically, with
# one signature per use of a VAE: `reconstruct` (also `serving_default`),
# `encode`, `decode`, `sample` and `score`. The server needs neither Keras
# nor the zoo: everything is in the graph.

# %% [markdown]
# ## Setup

# %%
import json
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import zoo
from zoo.export import export_for_serving
from zoo.export import load_for_serving

tf.get_logger().setLevel("ERROR")  # the TF1 loader's notes stay out
SMALL = os.environ.get("ZOO_NOTEBOOK_BUDGET") == "small"
NUM_TRAIN = 2000 if SMALL else 20000
EPOCHS = 1 if SMALL else 5
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Train a model to serve

# %%
data = zoo.datasets.fashion_mnist(binarize="static")
model = zoo.get("dense_vae", input_shape=(28, 28, 1), latent_dim=16)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
model.fit(data.x_train[:NUM_TRAIN], epochs=EPOCHS, batch_size=128, verbose=2)

# %% [markdown]
# ## Export
#
# Each call writes the next version; a version appears whole or not at all,
# so a running server never sees half of one.

# %%
base_dir = os.path.join(tempfile.mkdtemp(), "dense_vae")
path = export_for_serving(model, base_dir)
export_for_serving(model, base_dir)
print(sorted(os.listdir(base_dir)))
print(sorted(os.listdir(path)))

# %% [markdown]
# ## Inspect the signatures
#
# TF Serving reads a SavedModel with the TF1 loader, under the `serve` tag.
# Listing its signature definitions shows what `saved_model_cli show --dir
# PATH --all` prints: every signature with the names, dtypes and shapes of
# its inputs and outputs (-1 is the batch dimension).

# %%
with tf.compat.v1.Session(graph=tf.Graph()) as session:
    meta_graph = tf.compat.v1.saved_model.loader.load(
        session, ["serve"], path
    )


def describe(tensors):
    return ", ".join(
        f"{key}: {tf.dtypes.as_dtype(info.dtype).name}"
        f"{[dim.size for dim in info.tensor_shape.dim]}"
        for key, info in sorted(tensors.items())
    )


for name, signature in sorted(meta_graph.signature_def.items()):
    if name.startswith("__"):  # TensorFlow's own initializer
        continue
    print(f"{name}\n  inputs:  {describe(signature.inputs)}\n"
          f"  outputs: {describe(signature.outputs)}")

# %% [markdown]
# ## Query it like a client
#
# A client of TF Serving's REST API posts JSON to
# `/v1/models/dense_vae:predict`, naming the signature and its inputs. We
# build the same request body, then answer it with the exported signature
# in this process (`load_for_serving` loads the SavedModel with
# `tf.saved_model.load`; no Keras model is involved).

# %%
request = json.dumps({
    "signature_name": "sample",
    "inputs": {"num_samples": 8, "seed": [1, 2]},
})
print("POST /v1/models/dense_vae:predict", request)

served = load_for_serving(path)
body = json.loads(request)
response = served.run(body["signature_name"], **body["inputs"])
print({name: value.shape for name, value in response.items()})
zoo.plotting.image_grid(response["images"], columns=8,
                        title="8 samples from the served model")
plt.show()

# %% [markdown]
# The `score` signature gives each image its ELBO and importance-weighted
# log-likelihood: low values flag unusual inputs. Here a test image scores
# far higher than the same image turned upside down and inverted.

# %%
x = data.x_test[:4]
strange = 1.0 - x[:, ::-1]
scores = served.score(np.concatenate([x, strange]), num_samples=50)
for kind, values in [("test images", scores["log_likelihood"][:4]),
                     ("flipped and inverted", scores["log_likelihood"][4:])]:
    print(f"{kind:>21}: log-likelihood {np.round(values, 1)} nats")

# %% [markdown]
# The served model gives the same answers as the Keras model it came from.

# %%
same = np.allclose(served.reconstruct(x)["reconstruction"],
                   model.reconstruct(x), atol=1e-5)
print(f"served reconstructions match the Keras model: {same}")

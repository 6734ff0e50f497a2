"""Load an exported version back in-process: one method a signature.
"""

import glob
import os

import numpy as np
import tensorflow as tf


def load_for_serving(path):
    """Load an exported version for in-process use, one method a signature.

    Args:
        path: str or path, a version directory written by
            `export_for_serving`, e.g. `"saved_models/conv_vae/1"`.

    Returns:
        A `ServingModel`, whose methods `reconstruct`, `encode`, `decode`,
        `sample` and `score` take numpy arrays and return dicts of numpy
        arrays named as in `SIGNATURES`.

    Example:

    >>> import zoo
    >>> from zoo.export import export_for_serving, load_for_serving
    >>> model = zoo.get("dense_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> served = load_for_serving(
    ...     export_for_serving(model, "/tmp/zoo_example/dense_vae"))
    >>> served.sample(num_samples=4, seed=(1, 2))["images"].shape
    (4, 28, 28, 1)
    """
    return ServingModel(path)


class ServingModel:
    """An exported zoo model loaded with `tf.saved_model.load`.

    Each method runs the signature of the same name, as TF Serving would,
    without the Keras model or the zoo's classes. Outputs are dicts of numpy
    arrays.

    Every method takes `labels=` (int class ids) for a conditional model;
    its `sample` takes `labels` instead of `num_samples`.

    Args:
        path: str or path, a version directory written by
            `export_for_serving`.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            self.saved_model = tf.saved_model.load(self.path)
        except Exception as error:  # TF raises many types for a bad file
            reason = " ".join(str(error).split())[:300]
            raise ValueError(
                f"Cannot load the SavedModel at {self.path!r}: "
                f"{_damaged_files(self.path)} is missing, truncated or "
                f"damaged ({type(error).__name__}: {reason}). Export it "
                "again."
            ) from None
        self.signatures = dict(self.saved_model.signatures)

    def reconstruct(self, x, labels=None):
        """`{"reconstruction"}`: the likelihood mean at z = z_mean(x)."""
        return self.run("reconstruct", x=x, labels=labels)

    def encode(self, x, seed=(0, 0), labels=None):
        """`{"z_mean", "z_stddev", "z"}`, with z drawn from q(z|x) with the
        stateless int32 pair `seed`."""
        return self.run("encode", x=x, seed=seed, labels=labels)

    def decode(self, z, labels=None):
        """`{"reconstruction", "parameters"}` for latents `z`."""
        return self.run("decode", z=z, labels=labels)

    def sample(self, num_samples=None, seed=(0, 0), labels=None):
        """`{"images"}`: `num_samples` new examples (one per label for a
        conditional model); same seed, same images."""
        return self.run(
            "sample", num_samples=num_samples, seed=seed, labels=labels
        )

    def classify(self, x):
        """`{"probabilities"}`: q(y|x) of a semi-supervised model."""
        return self.run("classify", x=x)

    def score(self, x, num_samples=None, labels=None):
        """`{"elbo", "log_likelihood"}` per example, in nats; the
        importance-weighted `log_likelihood` uses `num_samples` samples
        (default 100). A codebook model's `score` takes no `num_samples`:
        its bound needs no samples."""
        specs = self.signatures["score"].structured_input_signature[1]
        if num_samples is None and "num_samples" in specs:
            num_samples = 100
        return self.run("score", x=x, num_samples=num_samples, labels=labels)

    def run(self, signature, **inputs):
        """Run the signature named `signature` on numpy `inputs`; inputs
        given as None are left out."""
        if signature not in self.signatures:
            raise ValueError(
                f"`signature` must be one of {sorted(self.signatures)}. "
                f"Received: signature={signature!r}"
            )
        function = self.signatures[signature]
        specs = function.structured_input_signature[1]
        inputs = {
            name: value for name, value in inputs.items() if value is not None
        }
        if set(inputs) != set(specs):
            raise ValueError(
                f"The {signature!r} signature takes {sorted(specs)}; "
                f"received {sorted(inputs)}."
            )
        tensors = {
            name: _to_tensor(value, specs[name].dtype, name)
            for name, value in inputs.items()
        }
        outputs = function(**tensors)
        return {name: value.numpy() for name, value in outputs.items()}


def _to_tensor(value, dtype, name):
    """`value` as a tensor of `dtype`; integers outside an integer dtype's
    range are refused (TensorFlow would wrap 2**32 + 3 around to 3)."""
    if dtype.is_integer:
        array = np.asarray(value)
        if array.dtype == object or array.dtype.kind in "iu":
            if array.size and (
                np.min(array) < dtype.min or np.max(array) > dtype.max
            ):
                raise ValueError(
                    f"`{name}` must be {dtype.name} values, in [{dtype.min}, "
                    f"{dtype.max}]. Received: {name}={value!r}"
                )
    return tf.convert_to_tensor(value, dtype)


def _damaged_files(path):
    """Which file of the version directory `path` fails to read: the graph,
    the variables' index, or their data shards."""
    from tensorflow.core.protobuf import saved_model_pb2

    graph = os.path.join(path, "saved_model.pb")
    try:
        with open(graph, "rb") as file:
            saved_model_pb2.SavedModel().ParseFromString(file.read())
    except Exception:  # missing, or any parse error
        return graph
    prefix = os.path.join(path, "variables", "variables")
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception:
        return prefix + ".index"
    try:
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception:
        return " or ".join(sorted(glob.glob(prefix + ".data-*"))) or (
            prefix + ".data-*"
        )
    return f"one of the files under {path}"

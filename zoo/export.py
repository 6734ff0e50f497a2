"""Export a zoo model for TensorFlow Serving, and load it back in-process.

`export_for_serving(model, "saved_models/conv_vae")` writes the next version
of the model, `saved_models/conv_vae/<version>/`, in the layout TF Serving
watches (`saved_model.pb` and `variables/`), with one signature per use:

    signature         inputs                               outputs
    serving_default   x (float32, [batch, *input_shape])   reconstruction
    reconstruct       x                                    reconstruction
    encode            x, seed (int32, [2])                 z_mean, z_stddev, z
    decode            z (float32, [batch, latent_dim])     reconstruction,
                                                           parameters
    sample            num_samples (int32, []),             images
                      seed (int32, [2])
    score             x, num_samples (int32, [])           elbo, log_likelihood

A conditional model (`num_classes=`) takes one more input in every
signature, `labels` (int32, [batch]): the class ids of the examples, of the
latents (`decode`) or of the images to generate (`sample`, whose
`num_samples` is then the number of labels, so it takes `labels` and `seed`).

The batch dimension is dynamic. `reconstruction` and `images` are means of
the likelihood p(x|z) in data space; `parameters` are the decoder's outputs
(logits for Bernoulli likelihoods). Random outputs take a stateless `seed`
pair, so a request with the same seed always gets the same answer; `score`
uses the fixed seed (0, 0), like `VAE.elbo` and `VAE.log_likelihood` by
default, so an example always gets the same anomaly score.

A version directory appears whole or not at all: it is written into a
temporary directory beside it, `.tmp-<version>-...`, which TF Serving ignores
because its name is not an integer, and then renamed in one step.
"""

import os
import re
import secrets
import shutil
import socket

import keras
import tensorflow as tf

from zoo.models.base import VAE

#: The exported signatures of an unconditional model: name -> (input names,
#: output names). `signatures(model)` gives any model's.
SIGNATURES = {
    "serving_default": (("x",), ("reconstruction",)),
    "reconstruct": (("x",), ("reconstruction",)),
    "encode": (("x", "seed"), ("z_mean", "z_stddev", "z")),
    "decode": (("z",), ("reconstruction", "parameters")),
    "sample": (("num_samples", "seed"), ("images",)),
    "score": (("x", "num_samples"), ("elbo", "log_likelihood")),
}


def signatures(model):
    """The signatures `export_for_serving` writes for `model`: name ->
    (input names, output names); conditional models take `labels` too."""
    if model.condition_spec() is None:
        return dict(SIGNATURES)
    name = model.condition_spec().name
    result = {
        signature: (inputs + (name,), outputs)
        for signature, (inputs, outputs) in SIGNATURES.items()
    }
    result["sample"] = ((name, "seed"), SIGNATURES["sample"][1])
    return result


#: The stateless seed `score` uses, the default of `VAE.elbo` and
#: `VAE.log_likelihood`.
SCORE_SEED = (0, 0)

_TEMPORARY = re.compile(r"^\.tmp-\d+-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]+$")


def export_for_serving(model, base_dir, version=None, overwrite=False):
    """Write `model` as version `version` of a TF Serving model.

    The SavedModel goes to `base_dir/<version>/`, built through
    `keras.export.ExportArchive` with the signatures listed in this module's
    docstring (`SIGNATURES`). It is written into a temporary directory in
    `base_dir` and renamed into place, so a failure or a kill mid-export
    leaves the earlier versions untouched and no partial version visible.
    Temporary directories left by killed exports on this machine are removed.
    With `overwrite=True` the old version is moved aside, then the new one
    renamed in: between those two renames the version is briefly absent.

    Args:
        model: a zoo model, any of `zoo.list_models()` (a `zoo.models.VAE`),
            trained or not.
        base_dir: str or path, the model's directory, e.g.
            `"saved_models/conv_vae"`; created if missing.
        version: positive int, or None (default) for one more than the
            highest existing version (1 for the first).
        overwrite: bool, whether to replace an existing `version`
            (default False).

    Returns:
        The path of the version directory written, a str.

    Raises:
        TypeError: if `base_dir` is not a path.
        ValueError: if `model` is not a zoo model, `version` is not a
            positive int, `base_dir` cannot be created, or `version` exists
            and `overwrite` is False.

    Example:

    >>> import os, zoo
    >>> from zoo.export import export_for_serving
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> path = export_for_serving(model, "/tmp/zoo_example/conv_vae")
    >>> sorted(os.listdir(path))
    ['assets', 'fingerprint.pb', 'saved_model.pb', 'variables']
    """
    if not isinstance(model, VAE):
        raise ValueError(
            "`model` must be a zoo model, e.g. zoo.get('conv_vae', ...). "
            f"Received: model={model!r}"
        )
    if not isinstance(base_dir, (str, os.PathLike)):
        raise TypeError(
            "`base_dir` must be a folder path, e.g. 'saved_models/conv_vae'. "
            f"Received: base_dir={base_dir!r}"
        )
    base_dir = os.fspath(base_dir)
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int)
        or version <= 0
    ):
        raise ValueError(
            "`version` must be a positive int or None (next version). "
            f"Received: version={version!r}"
        )
    try:
        os.makedirs(base_dir, exist_ok=True)
    except OSError as error:
        raise ValueError(
            "`base_dir` must be a folder that can be created and written "
            f"({error.strerror}). Received: base_dir={base_dir!r}"
        ) from None
    _remove_abandoned_exports(base_dir)
    if version is None:
        version = max(versions(base_dir), default=0) + 1
    path = os.path.join(base_dir, str(version))
    if os.path.exists(path) and not overwrite:
        raise ValueError(
            f"Version {version} already exists at {path!r}. Pass "
            "overwrite=True to replace it, or version=None to write the next "
            "version."
        )
    temporary = _make_temporary(base_dir, version)
    try:
        _export_archive(model).write_out(temporary, verbose=False)
        _move_into_place(temporary, path, base_dir, version)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return path


def versions(base_dir):
    """The versions exported in `base_dir`, sorted: its integer-named
    subdirectories, as TF Serving sees them."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(
        int(name) for name in os.listdir(base_dir)
        if name.isdigit() and os.path.isdir(os.path.join(base_dir, name))
    )


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
        self.saved_model = tf.saved_model.load(self.path)
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

    def score(self, x, num_samples=100, labels=None):
        """`{"elbo", "log_likelihood"}` per example, in nats; the
        importance-weighted `log_likelihood` uses `num_samples` samples."""
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
            name: tf.convert_to_tensor(value, specs[name].dtype)
            for name, value in inputs.items()
        }
        outputs = function(**tensors)
        return {name: value.numpy() for name, value in outputs.items()}


# Signatures ------------------------------------------------------------------


def _export_archive(model):
    """An `ExportArchive` holding the serving signatures of `model`."""
    images = tf.TensorSpec((None, *model.image_shape), tf.float32, name="x")
    latents = tf.TensorSpec((None, model.latent_dim), tf.float32, name="z")
    seed = tf.TensorSpec((2,), tf.int32, name="seed")
    num_samples = tf.TensorSpec((), tf.int32, name="num_samples")
    # Conditional models take their condition as a last input everywhere.
    condition = [] if model.condition_spec() is None else [
        model.condition_spec()
    ]

    def reconstruct(x, labels=None):
        return {"reconstruction": model.reconstruct(
            x if labels is None else [x, labels])}

    def encode(x, seed, labels=None):
        z_mean, z_stddev = model.posterior_parameters(x, labels)
        z = model.posterior(z_mean, z_stddev).sample(seed=seed)
        return {"z_mean": z_mean, "z_stddev": z_stddev, "z": z}

    def decode(z, labels=None):
        parameters = model.likelihood_parameters(z, labels)
        reconstruction = model.likelihood_distribution(parameters).mean()
        return {"reconstruction": reconstruction, "parameters": parameters}

    def sample(num_samples, seed):
        with tf.control_dependencies([_assert_positive(num_samples)]):
            return {"images": model.compute_samples(num_samples, seed)}

    def sample_labels(labels, seed):
        return {"images": model.compute_samples(tf.size(labels), seed, labels)}

    def score(x, num_samples, labels=None):
        seed = tf.constant(SCORE_SEED, tf.int32)
        with tf.control_dependencies([_assert_positive(num_samples)]):
            log_likelihood = model.compute_log_likelihood(
                x, num_samples, seed, labels
            )
        return {
            "elbo": model.compute_elbo(x, seed, labels),
            "log_likelihood": log_likelihood,
        }

    archive = keras.export.ExportArchive()
    # The first endpoint is also exported as "serving_default".
    archive.add_endpoint("reconstruct", reconstruct, [images, *condition])
    archive.add_endpoint("encode", encode, [images, seed, *condition])
    archive.add_endpoint("decode", decode, [latents, *condition])
    if condition:
        archive.add_endpoint("sample", sample_labels, [*condition, seed])
    else:
        archive.add_endpoint("sample", sample, [num_samples, seed])
    archive.add_endpoint("score", score, [images, num_samples, *condition])
    return archive


def _assert_positive(num_samples):
    return tf.debugging.assert_positive(
        num_samples,
        message="`num_samples` must be a positive int32 scalar, e.g. 16.",
    )


# Versions --------------------------------------------------------------------


def _make_temporary(base_dir, version):
    """Create `base_dir/.tmp-<version>-<host>-<pid>-<random>`: not an
    integer, so never a version; host and pid tell whether its export died."""
    name = (
        f".tmp-{version}-{socket.gethostname()}-{os.getpid()}-"
        f"{secrets.token_hex(4)}"
    )
    path = os.path.join(base_dir, name)
    os.mkdir(path)
    return path


def _move_into_place(temporary, path, base_dir, version):
    """Rename the finished `temporary` export to `path`; an existing `path`
    (overwrite=True) is first moved aside, and restored if the rename fails."""
    if not os.path.exists(path):
        try:
            os.rename(temporary, path)
        except OSError:
            raise ValueError(
                f"Version {version} appeared at {path!r} during the export "
                "(another export?). Export again to write the next version."
            ) from None
        return
    old = _make_temporary(base_dir, version)
    os.rename(path, os.path.join(old, "old"))
    try:
        os.rename(temporary, path)
    except OSError:
        os.rename(os.path.join(old, "old"), path)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _remove_abandoned_exports(base_dir):
    """Remove temporary directories of exports killed on this machine."""
    host = socket.gethostname()
    for name in os.listdir(base_dir):
        match = _TEMPORARY.match(name)
        if match and match["host"] == host and not _alive(int(match["pid"])):
            shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    return True

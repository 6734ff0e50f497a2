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
    encode_mean       x                                    z_mean, z_stddev
    sample_from_noise eps (float32, [batch, latent_dim])   images
                      (+ u, float32 [batch], for a learned
                      prior)
    score_from_noise  x, eps (float32, [K, batch,          elbo, log_likelihood
                      latent_dim])

A hierarchical model (`zoo.HierarchicalVAE`) has the same signatures:
`encode` and `decode` are about its top group z_0 (`decode` puts every
lower group at its prior's mean), `sample` and `score` draw every group,
`score`'s log_likelihood is the importance-weighted bound over all groups
jointly, and the noise `eps` of the deterministic signatures has
`model.noise_dim` numbers per sample, one for each dimension of every
group (`HierarchicalVAE.split_noise`).

A model with a codebook latent (`zoo.VQVAE`, `vq_vae`) has the five
signatures of `CODEBOOK_SIGNATURES` instead:

    signature         inputs                               outputs
    serving_default   x                                    reconstruction
    reconstruct       x                                    reconstruction
    encode            x                                    indices (int32,
                                                           [batch, h, w]),
                                                           vectors
    decode            indices (int32, [batch, h, w])       reconstruction,
                                                           parameters
    sample            num_samples (int32, []),             images
                      seed (int32, [2])
    score             x                                    elbo, log_likelihood

where `score`'s two outputs are both the bound log p(x|z_q) + log p(z_q)
(`VQVAE.elbo`), and `sample` draws the codes from the PixelCNN prior.

The last three of `SIGNATURES` take their noise as inputs (`zoo.deterministic` says what
`eps` and `u` are), so they have no random ops: they are the ones that
convert to ONNX and LiteRT (`zoo.convert`).

A conditional model (`num_classes=`) takes one more input in every
signature, `labels` (int32, [batch]): the class ids of the examples, of the
latents (`decode`) or of the images to generate (`sample`, whose
`num_samples` is then the number of labels, so it takes `labels` and `seed`).
A semi-supervised model (`objective="semi_supervised"`) has one more
signature, `classify`: `x` -> `probabilities` (float32, [batch,
num_classes]), its classifier's q(y|x), which takes no labels.

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

import contextlib
import fcntl
import glob
import os
import re
import secrets
import shutil
import socket

import keras
import numpy as np
import tensorflow as tf

from zoo import atomic
from zoo import deterministic
from zoo.models.core import Autoencoder

#: The exported signatures of an unconditional model: name -> (input names,
#: output names). `signatures(model)` gives any model's.
SIGNATURES = {
    "serving_default": (("x",), ("reconstruction",)),
    "reconstruct": (("x",), ("reconstruction",)),
    "encode": (("x", "seed"), ("z_mean", "z_stddev", "z")),
    "decode": (("z",), ("reconstruction", "parameters")),
    "sample": (("num_samples", "seed"), ("images",)),
    "score": (("x", "num_samples"), ("elbo", "log_likelihood")),
    "encode_mean": (("x",), ("z_mean", "z_stddev")),
    "sample_from_noise": (("eps",), ("images",)),
    "score_from_noise": (("x", "eps"), ("elbo", "log_likelihood")),
}


#: The exported signatures of a model with a codebook latent (`zoo.VQVAE`).
CODEBOOK_SIGNATURES = {
    "serving_default": (("x",), ("reconstruction",)),
    "reconstruct": (("x",), ("reconstruction",)),
    "encode": (("x",), ("indices", "vectors")),
    "decode": (("indices",), ("reconstruction", "parameters")),
    "sample": (("num_samples", "seed"), ("images",)),
    "score": (("x",), ("elbo", "log_likelihood")),
}


#: The signature of a model with a classifier (`objective=
#: "semi_supervised"`): images -> q(y|x).
CLASSIFY = (("x",), ("probabilities",))


def signatures(model):
    """The signatures `export_for_serving` writes for `model`: name ->
    (input names, output names); conditional models take `labels` too."""
    if model.latent_structure == "codebook":
        return dict(CODEBOOK_SIGNATURES)
    result = dict(SIGNATURES)
    if deterministic.has_learned_prior(model):
        result["sample_from_noise"] = (("eps", "u"), ("images",))
    if model.condition_spec() is None:
        return result
    name = model.condition_spec().name
    result = {
        signature: (inputs + (name,), outputs)
        for signature, (inputs, outputs) in result.items()
    }
    result["sample"] = ((name, "seed"), SIGNATURES["sample"][1])
    if model.classifier is not None:
        result["classify"] = CLASSIFY
    return result


#: The default limit on the samples one request may draw: `sample`'s
#: `num_samples` and `score`'s `num_samples` times its batch. 2**20 28x28
#: images are about 3 GB of float32.
MAX_SAMPLES = 2**20

#: TF Serving's versions are int64.
MAX_VERSION = 2**63 - 1

#: The stateless seed `score` uses, the default of `VAE.elbo` and
#: `VAE.log_likelihood`.
SCORE_SEED = (0, 0)

_VERSION = re.compile(r"^[0-9]+$")
_TEMPORARY = re.compile(r"^\.tmp-\d+-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]+$")


def export_for_serving(model, base_dir, version=None, overwrite=False,
                       max_samples=MAX_SAMPLES, allow_new_signature=False):
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
        model: a zoo model, any of `zoo.list_models()` (a `zoo.VAE` or a
            `zoo.VQVAE`), trained or not.
        base_dir: str or path, the model's directory, e.g.
            `"saved_models/conv_vae"`; created if missing.
        version: positive int, or None (default) for one more than the
            highest existing version (1 for the first).
        overwrite: bool, whether to replace an existing `version`
            (default False). Only a version directory (one holding a
            `saved_model.pb`) is ever replaced; any other entry of that
            name is refused.
        max_samples: int > 0 (default `MAX_SAMPLES`, 2**20), the most
            samples one request may draw (`num_samples`, times the batch
            for `score`); above it the signature fails with
            INVALID_ARGUMENT before allocating anything.
        allow_new_signature: bool (default False); unless True, a version
            whose signatures' inputs (names, dtypes, shapes) differ from the
            latest version's is refused, since TF Serving would serve it to
            clients of the old inputs.

    Returns:
        The path of the version directory written, a str.

    Raises:
        TypeError: if `base_dir` is not a path.
        ValueError: if `model` is not a zoo model, `version` is not a
            positive int up to 2**63 - 1, `base_dir` cannot be created or
            written, `version` exists and `overwrite` is False, or the
            inputs differ from the latest version's.

    Concurrent exports to one `base_dir` each get their own version: the
    version is chosen and the directory renamed into place under an
    exclusive `fcntl` lock on `base_dir`.

    Example:

    >>> import os, zoo
    >>> from zoo.export import export_for_serving
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> path = export_for_serving(model, "/tmp/zoo_example/conv_vae")
    >>> sorted(os.listdir(path))
    ['assets', 'fingerprint.pb', 'saved_model.pb', 'variables']
    """
    if not isinstance(model, Autoencoder):
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
        or not 0 < version <= MAX_VERSION
    ):
        raise ValueError(
            "`version` must be a positive int up to 2**63 - 1 (TF Serving's "
            "int64) or None (next version). "
            f"Received: version={version!r}"
        )
    if isinstance(max_samples, bool) or not isinstance(
        max_samples, int
    ) or not 0 < max_samples < 2**31:
        raise ValueError(
            "`max_samples` must be a positive int32, e.g. 2**20. "
            f"Received: max_samples={max_samples!r}"
        )
    try:
        os.makedirs(base_dir, exist_ok=True)
        _remove_abandoned_exports(base_dir)
        with _locked(base_dir):
            planned = _choose_version(base_dir, version, overwrite)
        temporary = _make_temporary(base_dir, planned)
    except OSError as error:
        raise ValueError(
            "`base_dir` must be a folder that can be created and written "
            f"({error.strerror or error}). Received: base_dir={base_dir!r}"
        ) from None
    try:
        _export_archive(model, max_samples).write_out(temporary, verbose=False)
        with _locked(base_dir):
            version = _choose_version(base_dir, version, overwrite)
            _check_same_inputs(base_dir, temporary, allow_new_signature)
            path = os.path.join(base_dir, str(version))
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
        if _VERSION.fullmatch(name) and os.path.isdir(os.path.join(base_dir, name))
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


# Signatures ------------------------------------------------------------------


def _export_archive(model, max_samples=MAX_SAMPLES):
    """An `ExportArchive` holding the serving signatures of `model`, which
    check their inputs (module docstring) before computing anything."""
    if model.latent_structure == "codebook":
        return _codebook_archive(model, max_samples)
    images = tf.TensorSpec((None, *model.image_shape), tf.float32, name="x")
    latents = tf.TensorSpec((None, model.latent_dim), tf.float32, name="z")
    seed = tf.TensorSpec((2,), tf.int32, name="seed")
    num_samples = tf.TensorSpec((), tf.int32, name="num_samples")
    # Conditional models take their condition as a last input everywhere.
    condition = [] if model.condition_spec() is None else [
        model.condition_spec()
    ]
    likelihood = model.likelihood_family

    def reconstruct(x, labels=None):
        x = _checked(_assert_finite(x, "x"), x)
        return {"reconstruction": model.reconstruct(
            x if labels is None else [x, labels])}

    def encode(x, seed, labels=None):
        x = _checked(_assert_finite(x, "x"), x)
        z_mean, z_stddev = model.posterior_parameters(x, labels)
        z = model.posterior(z_mean, z_stddev).sample(seed=seed)
        return {"z_mean": z_mean, "z_stddev": z_stddev, "z": z}

    def decode(z, labels=None):
        z = _checked(_assert_finite(z, "z"), z)
        parameters = model.likelihood_parameters(z, labels)
        reconstruction = model.likelihood_distribution(parameters).mean()
        return {"reconstruction": reconstruction, "parameters": parameters}

    def sample_labels(labels, seed):
        count = _checked(
            _assert_samples(tf.size(labels), 1, max_samples), tf.size(labels)
        )
        return {"images": model.compute_samples(count, seed, labels)}

    def score(x, num_samples, labels=None):
        seed = tf.constant(SCORE_SEED, tf.int32)
        x, num_samples = _checked(
            _assert_scorable(x, likelihood)
            + _assert_samples(num_samples, tf.shape(x)[0], max_samples),
            (x, num_samples),
        )
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
        archive.add_endpoint("sample", _sampler(model, max_samples),
                             [num_samples, seed])
    archive.add_endpoint("score", score, [images, num_samples, *condition])
    if model.classifier is not None:
        def classify(x):
            x = _checked(_assert_finite(x, "x"), x)
            return {"probabilities": model.class_probabilities(x)}

        archive.add_endpoint("classify", classify, [images])
    _add_deterministic_endpoints(archive, model, images, condition,
                                 max_samples)
    return archive


def _codebook_archive(model, max_samples):
    """The `CODEBOOK_SIGNATURES` of a `zoo.VQVAE`, checking their inputs
    like the others (finite images, in the likelihood's support for
    `score`; indices in [0, K); at most `max_samples` samples)."""
    images = tf.TensorSpec((None, *model.image_shape), tf.float32, name="x")
    indices = tf.TensorSpec((None, *model.grid_shape), tf.int32,
                            name="indices")
    seed = tf.TensorSpec((2,), tf.int32, name="seed")
    num_samples = tf.TensorSpec((), tf.int32, name="num_samples")
    likelihood = model.likelihood_family

    def reconstruct(x):
        x = _checked(_assert_finite(x, "x"), x)
        return {"reconstruction": model.reconstruct(x)}

    def encode(x):
        x = _checked(_assert_finite(x, "x"), x)
        codes = model.compute_codes(x)
        return {"indices": codes, "vectors": model.quantizer.lookup(codes)}

    def decode(indices):
        message = (
            f"`indices` must be code indices in [0, {model.num_embeddings}),"
            " e.g. the output of the encode signature."
        )
        indices = _checked([
            tf.debugging.assert_non_negative(indices, message=message),
            tf.debugging.assert_less(
                indices, tf.constant(model.num_embeddings, tf.int32),
                message=message,
            ),
        ], indices)
        parameters = model.decoder(model.quantizer.lookup(indices))
        reconstruction = model.likelihood_distribution(parameters).mean()
        return {"reconstruction": reconstruction, "parameters": parameters}

    def score(x):
        x = _checked(_assert_scorable(x, likelihood), x)
        bound = model.compute_elbo(x)
        return {"elbo": bound, "log_likelihood": bound}

    archive = keras.export.ExportArchive()
    # The first endpoint is also exported as "serving_default".
    archive.add_endpoint("reconstruct", reconstruct, [images])
    archive.add_endpoint("encode", encode, [images])
    archive.add_endpoint("decode", decode, [indices])
    archive.add_endpoint("sample", _sampler(model, max_samples),
                         [num_samples, seed])
    archive.add_endpoint("score", score, [images])
    return archive


def _sampler(model, max_samples):
    """The `sample` endpoint of an unconditional model: `num_samples`
    (1 to `max_samples`) images drawn with `seed`."""
    def sample(num_samples, seed):
        num_samples = _checked(
            _assert_samples(num_samples, 1, max_samples), num_samples
        )
        return {"images": model.compute_samples(num_samples, seed)}

    return sample


def _assert_scorable(x, likelihood):
    """The checks of `score`'s images: finite, in the likelihood's
    support."""
    return _assert_finite(x, "x") + likelihood.assert_support(
        x, "x", "rescale the images (e.g. divide uint8 pixels by 255)."
    )


def _checked(checks, values):
    """`values`, computed only once the assertion ops `checks` passed."""
    with tf.control_dependencies(checks):
        return tf.nest.map_structure(tf.identity, values)


def _add_deterministic_endpoints(archive, model, images, condition,
                                 max_samples):
    """`encode_mean`, `sample_from_noise` and `score_from_noise`: the
    noise as inputs (see `zoo.deterministic`), checked like the others
    (finite inputs, `x` in the likelihood's support for scoring, at most
    `max_samples` rows of noise times the batch)."""
    eps = tf.TensorSpec((None, model.noise_dim), tf.float32, name="eps")
    eps_k = tf.TensorSpec((None, None, model.noise_dim), tf.float32,
                          name="eps")
    uniform = tf.TensorSpec((None,), tf.float32, name="u")

    likelihood = model.likelihood_family

    def encode_mean(x, labels=None):
        x = _checked(_assert_finite(x, "x"), x)
        return deterministic.encode_mean(model, x, labels)

    def sample_from_noise(eps, labels=None):
        eps = _checked(_assert_finite(eps, "eps"), eps)
        return deterministic.sample_from_noise(model, eps, labels=labels)

    def sample_from_mixture_noise(eps, u, labels=None):
        eps, u = _checked(
            _assert_finite(eps, "eps") + _assert_finite(u, "u"), (eps, u)
        )
        return deterministic.sample_from_noise(model, eps, u, labels)

    def score_from_noise(x, eps, labels=None):
        x, eps = _checked(
            _assert_scorable(x, likelihood)
            + _assert_finite(eps, "eps")
            + _assert_samples(tf.shape(eps)[0], tf.shape(x)[0], max_samples),
            (x, eps),
        )
        return deterministic.score_from_noise(model, x, eps, labels)

    archive.add_endpoint("encode_mean", encode_mean, [images, *condition])
    if deterministic.has_learned_prior(model):
        archive.add_endpoint("sample_from_noise", sample_from_mixture_noise,
                             [eps, uniform, *condition])
    else:
        archive.add_endpoint("sample_from_noise", sample_from_noise,
                             [eps, *condition])
    archive.add_endpoint("score_from_noise", score_from_noise,
                         [images, eps_k, *condition])


def _assert_finite(tensor, name):
    return [tf.debugging.assert_all_finite(
        tensor, f"`{name}` holds NaN or infinite values; remove or impute "
        "them before the request.",
    )]


def _assert_samples(num_samples, batch, max_samples):
    """0 < num_samples and num_samples * batch <= max_samples (int64, so
    the product cannot overflow)."""
    requested = tf.cast(num_samples, tf.int64) * tf.maximum(
        tf.cast(batch, tf.int64), 1
    )
    return [
        tf.debugging.assert_positive(
            num_samples,
            message="`num_samples` must be a positive int32 scalar, e.g. 16.",
        ),
        tf.debugging.assert_less_equal(
            requested, tf.constant(max_samples, tf.int64),
            message=f"A request may draw at most {max_samples} samples "
            "(num_samples, times the batch for score), the limit set at "
            "export (export_for_serving(max_samples=...)); send smaller "
            "requests.",
        ),
    ]


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


@contextlib.contextmanager
def _locked(base_dir):
    """Hold an exclusive `fcntl` lock on the folder `base_dir` (no lock file:
    TF Serving sees nothing new). Released on exit, or when the process
    dies."""
    descriptor = os.open(base_dir, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _choose_version(base_dir, version, overwrite):
    """The version to write, checked; call it holding `_locked(base_dir)`.

    For None: one more than the highest version, skipping names taken by
    entries that are not versions (a plain file named `3`). A given
    `version` must be free, or an exported version when `overwrite`.
    """
    if version is None:
        version = max(versions(base_dir), default=0) + 1
        while os.path.lexists(os.path.join(base_dir, str(version))):
            version += 1
        if version > MAX_VERSION:
            raise ValueError(
                f"The next version of {base_dir!r} would be {version}, above "
                "TF Serving's int64 range; export to a new base_dir."
            )
        return version
    path = os.path.join(base_dir, str(version))
    if not os.path.lexists(path):
        return version
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ValueError(
            f"{path!r} exists and is not an exported version (no "
            "saved_model.pb); it is never replaced. Move it away, or choose "
            "another version."
        )
    if not overwrite:
        raise ValueError(
            f"Version {version} already exists at {path!r}. Pass "
            "overwrite=True to replace it, or version=None to write the next "
            "version."
        )
    return version


def _input_specs(path):
    """{signature: "name:dtype[shape], ..."} read from the SavedModel
    proto at `path` (a version directory)."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as file:
        proto.ParseFromString(file.read())
    specs = {}
    for name, signature in proto.meta_graphs[0].signature_def.items():
        if name.startswith("__"):  # e.g. __saved_model_init_op
            continue
        specs[name] = ", ".join(
            f"{key}:{tf.dtypes.as_dtype(info.dtype).name}"
            f"{[dim.size for dim in info.tensor_shape.dim]}"
            for key, info in sorted(signature.inputs.items())
        )
    return specs


def _check_same_inputs(base_dir, temporary, allow_new_signature):
    """Refuse a new version whose signature inputs differ from the latest
    exported version's (the highest holding a saved_model.pb), unless
    `allow_new_signature`."""
    latest = max((
        version for version in versions(base_dir)
        if os.path.isfile(os.path.join(base_dir, str(version), "saved_model.pb"))
    ), default=None)
    if allow_new_signature or latest is None:
        return
    latest_path = os.path.join(base_dir, str(latest))
    try:
        old = _input_specs(latest_path)
    except Exception as error:  # any damage: the proto does not parse
        raise ValueError(
            f"Cannot read the signatures of the latest version {latest_path!r} "
            f"({error}) to compare inputs; pass allow_new_signature=True to "
            "export anyway."
        ) from None
    new = _input_specs(temporary)
    changed = [
        f"{name}: {old.get(name)} -> {new.get(name)}"
        for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)
    ]
    if changed:
        raise ValueError(
            f"The new version's signature inputs differ from version "
            f"{latest}'s ({'; '.join(changed)}): TF Serving would serve it to "
            "clients of the old inputs. Export to another base_dir, or pass "
            "allow_new_signature=True."
        )


def _move_into_place(temporary, path, base_dir, version):
    """Rename the finished `temporary` export to `path`, holding
    `_locked(base_dir)` after `_choose_version`; an existing version
    (overwrite=True) is first moved aside, and restored if the rename
    fails."""
    if not os.path.lexists(path):
        os.rename(temporary, path)
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
        if match and match["host"] == host and not atomic.process_alive(
            int(match["pid"])
        ):
            shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)


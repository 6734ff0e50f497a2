"""Export for TF Serving (`zoo.export`), checked for one registry entry of
each serving architecture (presets that differ only by a training
objective export the same graph).

Each model is exported once (module-scoped fixture) and read back the ways a
deployment reads it: the TF1 loader TF Serving uses, `saved_model_cli`, and a
`PredictRequest` as a client builds it. Every output is compared with the
Keras model's own methods.
"""

import hashlib
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2

import zoo
from conftest import model_inputs
from conftest import one_preset_per_architecture
from conftest import real_images
from zoo import export
from zoo.export import export_for_serving
from zoo.export import load_for_serving
from zoo.models import registry

# The models with a Gaussian latent and the hierarchical one share
# `export.SIGNATURES`, checked here; a codebook latent (`vq_vae`) has
# `export.CODEBOOK_SIGNATURES`, checked the same ways (TF1 loader,
# saved_model_cli, the model's own outputs) in tests/test_vq_vae.py. The
# other latents' signatures (their parameters' names, no `score` without a
# bound) are checked by the covering suite's export and
# tests/test_latents.py.


#: One preset of each architecture with the Gaussian signatures: presets
#: that differ only by a training objective export the same graph (the
#: covering suite exports each objective in combinations).
MODELS = one_preset_per_architecture([
    name for name in zoo.list_models()
    if registry.model_class(name).has_gaussian_posterior
    and registry.preset_latent(name) in ("gaussian", None)])
SHAPE = (28, 28, 1)
LATENT_DIM = 2
BATCH = 3
NUM_SAMPLES = 5
SEED = (7, 0)
TOLERANCE = dict(rtol=1e-5, atol=1e-5)


class Exported:
    """A tiny model, its exported version directory, and test inputs.

    A conditional model's inputs carry labels: `labels` for the batch,
    `sample_labels` for the NUM_SAMPLES images `sample` generates.
    """

    def __init__(self, name, base_dir):
        self.name = name
        self.model = zoo.get(
            name, input_shape=SHAPE, latent_dim=LATENT_DIM, seed=0
        )
        self.path = export_for_serving(self.model, base_dir)
        self.signatures = export.signatures(self.model)
        self.conditional = self.model.condition_spec() is not None
        self.x = real_images(SHAPE, count=BATCH)
        self.z = np.random.default_rng(0).normal(
            size=(BATCH, LATENT_DIM)
        ).astype("float32")
        # The noise of the deterministic signatures: the draws the random
        # ones make with SEED, so both give the same outputs.
        # (A hierarchical model's noise covers every group: noise_dim.)
        self.eps = tf.random.stateless_normal(
            (NUM_SAMPLES, self.model.noise_dim), SEED).numpy()
        self.eps_k = tf.random.stateless_normal(
            (NUM_SAMPLES, BATCH, self.model.noise_dim),
            export.SCORE_SEED).numpy()
        self.u = np.linspace(0.0, 0.999, NUM_SAMPLES).astype("float32")
        self.labels = self.sample_labels = None
        if self.conditional:
            self.labels = model_inputs(self.model, self.x)[1].astype("int32")
            self.sample_labels = np.arange(NUM_SAMPLES, dtype="int32") % 3

    def inputs(self, signature):
        """Numpy inputs for `signature`, with the dtypes it declares."""
        values = {
            "x": self.x,
            "z": self.z,
            "seed": np.array(SEED, "int32"),
            "num_samples": np.array(NUM_SAMPLES, "int32"),
            "labels": (
                self.sample_labels
                if signature in ("sample", "sample_from_noise")
                else self.labels
            ),
            "eps": self.eps_k if signature == "score_from_noise" else self.eps,
            "u": self.u,
        }
        return {name: values[name] for name in self.signatures[signature][0]}

    def labelled(self, count=None):
        """`ServingModel` keyword arguments: `labels=` for a conditional
        model (the first `count` of them), none otherwise."""
        return {"labels": self.labels[:count]} if self.conditional else {}

    def expected(self, signature):
        """The Keras model's own outputs for `inputs(signature)`."""
        model = self.model
        x, z = model_inputs(model, self.x), model_inputs(model, self.z)
        if signature in ("serving_default", "reconstruct"):
            return {"reconstruction": model.reconstruct(x)}
        if signature == "classify":
            return {"probabilities": model.predict(self.x, verbose=0)}
        if signature == "encode":
            z_mean, z_stddev = model.encoder(x)
            sample = model.encode(x).sample(seed=tf.constant(SEED))
            return {"z_mean": z_mean, "z_stddev": z_stddev, "z": sample}
        if signature == "decode":
            return {
                "reconstruction": model.decode(z).mean(),
                "parameters": model.decoder(z),
            }
        if signature == "sample":
            return {"images": model.sample(
                NUM_SAMPLES, seed=SEED[0],
                **({"labels": self.sample_labels} if self.conditional else {}),
            )}
        if signature == "encode_mean":
            z_mean, z_stddev = model.encoder(x)
            return {"z_mean": z_mean, "z_stddev": z_stddev}
        if signature == "sample_from_noise":
            return {"images": self.samples_from_noise()}
        if signature == "score_from_noise":
            x_tensor = x if not self.conditional else [
                tf.constant(x[0]), tf.constant(x[1], "int32")]
            images, labels = model.split_inputs(x_tensor)
            seed = tf.constant(export.SCORE_SEED, tf.int32)
            return {
                "elbo": model.compute_elbo(images, seed, labels),
                "log_likelihood": model.compute_log_likelihood(
                    images, NUM_SAMPLES, seed, labels),
            }
        return {
            "elbo": model.elbo(x, seed=export.SCORE_SEED[0]),
            "log_likelihood": model.log_likelihood(
                x, num_samples=NUM_SAMPLES, chunk_size=NUM_SAMPLES,
                seed=export.SCORE_SEED[0],
            ),
        }

    def samples_from_noise(self):
        """`sample_from_noise`'s images computed in numpy: z = eps, or
        for a learned prior z = mu_k + sigma_k * eps with k the number of
        cumulative mixture weights <= u. A hierarchical model's noise is
        what its `sample` draws with SEED, so its images are `sample`'s."""
        model = self.model
        if isinstance(model, zoo.HierarchicalVAE):
            return model.sample(NUM_SAMPLES, seed=SEED[0])
        z = self.eps
        if model.prior_layer is not None:
            prior = model.prior()
            weights = tf.nn.softmax(prior.mixture_distribution.logits).numpy()
            component = np.searchsorted(np.cumsum(weights)[:-1], self.u,
                                        side="right")
            gaussians = prior.components_distribution.distribution
            z = (np.asarray(gaussians.loc)[component]
                 + np.asarray(gaussians.scale)[component] * self.eps)
        if self.conditional:
            return model.decode([z, self.sample_labels]).mean()
        return model.decode(z).mean()

    def shapes(self):
        """The documented shape of every input and output, -1 for batch."""
        return {
            "x": (-1, *SHAPE),
            "z": (-1, LATENT_DIM),
            "seed": (2,),
            "num_samples": (),
            "labels": (-1,),
            "reconstruction": (-1, *SHAPE),
            "z_mean": (-1, LATENT_DIM),
            "z_stddev": (-1, LATENT_DIM),
            "parameters": (-1, *self.model.parameter_shape),
            "images": (-1, *SHAPE),
            "elbo": (-1,),
            "log_likelihood": (-1,),
            "probabilities": (-1, self.model.num_classes or 0),
            "eps": (-1, self.model.noise_dim),
            ("score_from_noise", "eps"): (-1, -1, self.model.noise_dim),
            "u": (-1,),
        }


@pytest.fixture(scope="module", params=MODELS)
def exported(request, tmp_path_factory):
    return Exported(request.param, tmp_path_factory.mktemp(request.param))


class TF1Loaded:
    """An export loaded as TF Serving loads it: the TF1 loader in a Session,
    tensors found through the MetaGraphDef's signature_def."""

    def __init__(self, path):
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.graph.as_default():
            meta_graph = tf.compat.v1.saved_model.loader.load(
                self.session, ["serve"], path
            )
        self.signature_defs = meta_graph.signature_def

    def run(self, signature, inputs):
        signature_def = self.signature_defs[signature]
        assert set(signature_def.inputs) == set(inputs)
        feed = {
            signature_def.inputs[name].name: value
            for name, value in inputs.items()
        }
        fetches = {
            name: info.name for name, info in signature_def.outputs.items()
        }
        return self.session.run(fetches, feed)


def assert_served_scores_are_the_models(scores, model, x, num_samples):
    """The `score` signature's outputs equal the model's `elbo` and
    `log_likelihood` (K = `num_samples` in one chunk) at the export's
    fixed seed."""
    seed = export.SCORE_SEED[0]
    np.testing.assert_allclose(scores["elbo"], model.elbo(x, seed=seed),
                               rtol=1e-5)
    np.testing.assert_allclose(
        scores["log_likelihood"],
        model.log_likelihood(x, num_samples=num_samples,
                             chunk_size=num_samples, seed=seed),
        rtol=1e-5)


@pytest.fixture(scope="module")
def served(exported):
    return load_for_serving(exported.path)


@pytest.fixture(scope="module")
def tf1_loaded(exported):
    loaded = TF1Loaded(exported.path)
    yield loaded
    loaded.session.close()


def assert_outputs_close(actual, expected):
    assert set(actual) == set(expected)
    for name in expected:
        np.testing.assert_allclose(
            actual[name], np.asarray(expected[name]), **TOLERANCE,
            err_msg=f"output {name!r}",
        )


# The TF1 loader TF Serving uses --------------------------------------------


@pytest.mark.parametrize("signature", list(export.SIGNATURES))
def test_tf1_loader_runs_every_signature_like_the_model(
    exported, tf1_loaded, signature
):
    actual = tf1_loaded.run(signature, exported.inputs(signature))
    assert_outputs_close(actual, exported.expected(signature))


def test_exported_signatures_are_exactly_the_documented_ones(
    exported, tf1_loaded
):
    served = {
        name: (set(signature.inputs), set(signature.outputs))
        for name, signature in tf1_loaded.signature_defs.items()
        if not name.startswith("__")
    }
    documented = {
        name: (set(inputs), set(outputs))
        for name, (inputs, outputs) in exported.signatures.items()
    }
    assert served == documented
    has_classifier = exported.model.classifier is not None
    assert set(documented) == set(export.SIGNATURES) | (
        {"classify"} if has_classifier else set())


def test_tf1_loader_runs_classify_for_a_model_with_a_classifier(
    exported, tf1_loaded, served
):
    """A semi-supervised model adds `classify`: x -> q(y|x) (no labels);
    the others do not have it."""
    if exported.model.classifier is None:
        assert "classify" not in tf1_loaded.signature_defs
        return
    actual = tf1_loaded.run("classify", exported.inputs("classify"))
    assert_outputs_close(actual, exported.expected("classify"))
    assert actual["probabilities"].shape == (BATCH, exported.model.num_classes)
    np.testing.assert_allclose(actual["probabilities"].sum(-1), 1.0,
                               rtol=1e-5)
    np.testing.assert_allclose(served.classify(exported.x)["probabilities"],
                               actual["probabilities"], **TOLERANCE)


def test_batch_dimension_is_dynamic(exported, tf1_loaded):
    for batch in (1, 4):
        x = real_images(SHAPE, count=batch, seed=batch)
        labels = np.zeros(batch, "int32")
        feed = {"x": x, "labels": labels} if exported.conditional else {"x": x}
        reconstruction = tf1_loaded.run("serving_default", feed)
        assert reconstruction["reconstruction"].shape == (batch, *SHAPE)
        count = (
            {"labels": labels} if exported.conditional
            else {"num_samples": np.int32(batch)}
        )
        images = tf1_loaded.run("sample", {**count, "seed": np.int32([1, 2])})
        assert images["images"].shape == (batch, *SHAPE)


def test_random_outputs_are_deterministic_for_a_seed(exported, served):
    x, labelled = exported.x, exported.labelled()
    first = served.encode(x, seed=(3, 4), **labelled)["z"]
    np.testing.assert_array_equal(
        first, served.encode(x, (3, 4), **labelled)["z"])
    assert not np.allclose(first, served.encode(x, (5, 4), **labelled)["z"])
    count = exported.labelled(2) if exported.conditional else {
        "num_samples": 2}
    first = served.sample(seed=(3, 4), **count)["images"]
    np.testing.assert_array_equal(
        first, served.sample(seed=(3, 4), **count)["images"])
    assert not np.allclose(first, served.sample(seed=(5, 4), **count)["images"])
    score = served.score(x, num_samples=4, **labelled)
    np.testing.assert_array_equal(
        score["log_likelihood"], served.score(x, 4, **labelled)["log_likelihood"]
    )


def test_load_for_serving_matches_the_model(exported, served):
    x, z, labelled = exported.x, exported.z, exported.labelled()
    count = (
        {"labels": exported.sample_labels} if exported.conditional
        else {"num_samples": NUM_SAMPLES}
    )
    outputs = {
        "reconstruct": served.reconstruct(x, **labelled),
        "encode": served.encode(x, seed=SEED, **labelled),
        "decode": served.decode(z, **labelled),
        "sample": served.sample(seed=SEED, **count),
        "score": served.score(x, num_samples=NUM_SAMPLES, **labelled),
    }
    for signature, actual in outputs.items():
        assert_outputs_close(actual, exported.expected(signature))


@pytest.mark.parametrize(
    "options",
    [
        {"likelihood": "continuous_bernoulli"},
        {"likelihood": "gaussian"},
        {"likelihood": "gaussian", "likelihood_scale": 0.1},
    ],
    ids=str,
)
def test_every_likelihood_exports(options, tmp_path):
    model = zoo.get(
        MODELS[0], input_shape=(8, 8, 1), latent_dim=2, seed=0, **options
    )
    served = load_for_serving(export_for_serving(model, tmp_path))
    x = real_images((8, 8, 1), count=BATCH)
    z_mean, _ = model.encoder(x)
    decoded = served.decode(z_mean)
    assert decoded["parameters"].shape == (BATCH, *model.parameter_shape)
    assert_outputs_close(
        decoded,
        {"reconstruction": model.reconstruct(x),
         "parameters": model.decoder(z_mean)},
    )
    assert_outputs_close(
        served.score(x, num_samples=NUM_SAMPLES),
        {"elbo": model.elbo(x),
         "log_likelihood": model.log_likelihood(
             x, num_samples=NUM_SAMPLES, chunk_size=NUM_SAMPLES)},
    )


def test_score_rejects_a_non_positive_num_samples(exported, served):
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_samples"):
        served.score(exported.x, num_samples=0, **exported.labelled())


# saved_model_cli -----------------------------------------------------------


def saved_model_cli(*arguments):
    result = subprocess.run(
        ["saved_model_cli", *arguments], capture_output=True, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def parse_show_all(text):
    """`saved_model_cli show --all` -> {signature: {tensor: (dtype, shape)}},
    dtype and shape as printed, e.g. ("DT_FLOAT", "(-1, 28, 28, 1)")."""
    signatures, current, tensor = {}, None, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("signature_def['"):
            current = signatures.setdefault(line.split("'")[1], {})
        elif line.startswith(("inputs['", "outputs['")) and current is not None:
            tensor = line.split("'")[1]
        elif line.startswith("dtype:") and tensor is not None:
            current[tensor] = line.split()[1]
        elif line.startswith("shape:") and tensor is not None:
            current[tensor] = (current[tensor], line.split(":", 1)[1].strip())
            tensor = None
        elif line.startswith("Concrete Functions"):
            break
    return signatures


def _shape_text(shape):
    """A shape as saved_model_cli prints it: "(-1, 28, 28, 1)"."""
    return f"({', '.join(map(str, shape))})"


def signature_table(path):
    """The SavedModel's signatures as `saved_model_cli show --all` reads
    them, from the MetaGraphDef in `saved_model.pb`:
    {signature: {tensor: (dtype, shape)}}, e.g. ("DT_FLOAT", "(-1, 2)")."""
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString((pathlib.Path(path) / "saved_model.pb")
                                .read_bytes())
    (meta_graph,) = saved_model.meta_graphs
    return {
        name: {
            tensor: (types_pb2.DataType.Name(info.dtype), _shape_text(
                [dim.size for dim in info.tensor_shape.dim]))
            for tensors in (signature.inputs, signature.outputs)
            for tensor, info in tensors.items()
        }
        for name, signature in meta_graph.signature_def.items()
        if not name.startswith("__")
    }


def test_every_model_saves_the_documented_signatures(exported):
    """Every signature's inputs and outputs, with their dtypes and shapes,
    in the MetaGraphDef that TF Serving and `saved_model_cli` read."""
    shapes = exported.shapes()
    dtypes = {"seed": "DT_INT32", "num_samples": "DT_INT32",
              "labels": "DT_INT32"}
    assert signature_table(exported.path) == {
        signature: {
            name: (
                dtypes.get(name, "DT_FLOAT"),
                _shape_text(shapes.get((signature, name), shapes[name])),
            )
            for name in inputs + outputs
        }
        for signature, (inputs, outputs) in exported.signatures.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("exported", ["conditional_vae"], indirect=True)
def test_saved_model_cli_shows_the_saved_signatures(exported):
    """`saved_model_cli show --all` prints the MetaGraphDef's table (for
    the preset with the most inputs: the CLI reads every export's
    `saved_model.pb` the same way, so one subprocess checks its reading)."""
    shown = parse_show_all(
        saved_model_cli("show", "--all", "--dir", exported.path)
    )
    assert {name: tensors for name, tensors in shown.items()
            if not name.startswith("__")} == signature_table(exported.path)


@pytest.mark.slow
@pytest.mark.parametrize("exported", ["conditional_vae"], indirect=True)
def test_saved_model_cli_runs_encode(exported, tmp_path):
    """`saved_model_cli run` feeds `encode` from a .npy file and
    expressions, labels included: the CLI's feeding, the same for every
    model (each model's signatures run through the TF1 loader above, and
    every model's MetaGraphDef lists them)."""
    x = real_images(SHAPE, count=2, seed=1)
    np.save(tmp_path / "x.npy", x)
    outputs = tmp_path / "outputs"
    expressions = "seed=[7, 0];labels=[1, 2]"
    saved_model_cli(
        "run", "--dir", exported.path, "--tag_set", "serve",
        "--signature_def", "encode", "--outdir", str(outputs),
        "--inputs", f"x={tmp_path / 'x.npy'}", "--input_exprs", expressions,
    )
    x = [x, np.array([1, 2], "int32")]
    z_mean, z_stddev = exported.model.encoder(x)
    z = exported.model.encode(x).sample(seed=tf.constant([7, 0]))
    expected = {"z_mean": z_mean, "z_stddev": z_stddev, "z": z}
    for name in expected:
        np.testing.assert_allclose(
            np.load(outputs / f"{name}.npy"), expected[name], **TOLERANCE
        )


# The client path: a PredictRequest -----------------------------------------


@pytest.mark.parametrize("signature", list(export.SIGNATURES))
def test_predict_request_round_trips_to_the_signature_inputs(
    exported, tf1_loaded, signature
):
    predict_pb2 = pytest.importorskip(
        "tensorflow_serving.apis.predict_pb2",
        reason="the client check needs tensorflow-serving-api: "
        "pip install -e .[serving]",
    )
    inputs = exported.inputs(signature)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = exported.name
    request.model_spec.signature_name = signature
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    wire = request.SerializeToString()
    received = predict_pb2.PredictRequest.FromString(wire)

    signature_def = tf1_loaded.signature_defs[
        received.model_spec.signature_name
    ]
    assert set(received.inputs) == set(signature_def.inputs)
    arrays = {}
    for name, proto in received.inputs.items():
        assert proto.dtype == signature_def.inputs[name].dtype, name
        arrays[name] = tf.make_ndarray(proto)
        np.testing.assert_array_equal(arrays[name], inputs[name])
    served = tf1_loaded.run(signature, arrays)
    assert_outputs_close(served, exported.expected(signature))


# Versions and atomicity ----------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    return zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2, seed=0)


def tree_digest(path):
    """A hash of every file name and content under `path`."""
    digest = hashlib.sha256()
    for root, directories, files in sorted(os.walk(path)):
        directories.sort()
        for name in sorted(files):
            relative = os.path.relpath(os.path.join(root, name), path)
            digest.update(relative.encode())
            with open(os.path.join(root, name), "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()


def test_exports_number_versions_one_two(small_model, tmp_path):
    first = export_for_serving(small_model, tmp_path)
    second = export_for_serving(small_model, tmp_path)
    assert (first, second) == (str(tmp_path / "1"), str(tmp_path / "2"))
    assert export.versions(tmp_path) == [1, 2]
    assert sorted(os.listdir(tmp_path)) == ["1", "2"]
    assert export_for_serving(small_model, tmp_path, version=10).endswith("10")
    assert export_for_serving(small_model, tmp_path).endswith("11")


def test_existing_version_is_replaced_only_with_overwrite(
    small_model, tmp_path
):
    path = export_for_serving(small_model, tmp_path, version=1)
    with pytest.raises(ValueError, match="overwrite=True"):
        export_for_serving(small_model, tmp_path, version=1)
    marker = os.path.join(path, "marker")
    open(marker, "w").close()
    replaced = export_for_serving(
        small_model, tmp_path, version=1, overwrite=True
    )
    assert replaced == path
    assert not os.path.exists(marker)
    assert sorted(os.listdir(tmp_path)) == ["1"]
    load_for_serving(path).reconstruct(np.zeros((1, 8, 8, 1)))


def test_version_directory_has_the_usual_permissions(small_model, tmp_path):
    path = export_for_serving(small_model, tmp_path)
    (tmp_path / "plain").mkdir()
    assert os.stat(path).st_mode == os.stat(tmp_path / "plain").st_mode


def test_a_model_that_is_not_from_the_zoo_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="`model` must be a zoo model"):
        export_for_serving(model, tmp_path)


def test_unknown_signature_is_named(served):
    with pytest.raises(ValueError, match="`signature` must be one of"):
        served.run("predict", x=np.zeros((1, *SHAPE)))


@pytest.mark.parametrize("version", [0, -1, 1.0, "2", True, 2**63, 10**400])
def test_invalid_version_is_refused(small_model, tmp_path, version):
    with pytest.raises(ValueError, match="`version` must be a positive int"):
        export_for_serving(small_model, tmp_path, version=version)


def test_failed_export_leaves_earlier_versions_and_nothing_new(
    small_model, tmp_path, monkeypatch
):
    export_for_serving(small_model, tmp_path)
    before = tree_digest(tmp_path)

    def write_half_then_fail(self, filepath, **kwargs):
        with open(os.path.join(filepath, "saved_model.pb"), "wb") as file:
            file.write(b"partial")
        raise RuntimeError("disk full")

    archive_class = type(keras.export.ExportArchive())
    monkeypatch.setattr(archive_class, "write_out", write_half_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export_for_serving(small_model, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["1"]
    assert tree_digest(tmp_path) == before


def test_temporary_directories_are_not_versions(small_model, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    abandoned = tmp_path / f".tmp-7-{host}-{dead.pid}-0bad1dea"
    running = tmp_path / f".tmp-8-{host}-{os.getpid()}-0bad1dea"
    for directory in (abandoned, running):
        directory.mkdir()
        (directory / "saved_model.pb").write_bytes(b"partial")
    assert export.versions(tmp_path) == []
    assert export_for_serving(small_model, tmp_path).endswith(os.sep + "1")
    assert not abandoned.exists()
    assert running.exists()


@pytest.mark.slow
def test_killed_export_leaves_no_version(small_model, tmp_path):
    export_for_serving(small_model, tmp_path)
    before = tree_digest(tmp_path / "1")
    script = textwrap.dedent(f"""
        import os, signal
        import keras, zoo
        from zoo.export import export_for_serving

        archive_class = type(keras.export.ExportArchive())
        write_out = archive_class.write_out

        def write_then_die(self, filepath, **kwargs):
            write_out(self, filepath, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        archive_class.write_out = write_then_die
        model = zoo.get({MODELS[0]!r}, input_shape=(8, 8, 1), latent_dim=2)
        export_for_serving(model, {str(tmp_path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert export.versions(tmp_path) == [1]
    assert any(name.startswith(".tmp-2-") for name in os.listdir(tmp_path))
    assert tree_digest(tmp_path / "1") == before
    served = load_for_serving(tmp_path / "1")  # still loadable and serving
    assert served.sample(num_samples=2)["images"].shape == (2, 8, 8, 1)
    assert export_for_serving(small_model, tmp_path).endswith(os.sep + "2")
    assert sorted(os.listdir(tmp_path)) == ["1", "2"]


# Validated inputs and bounded requests ---------------------------------------


@pytest.fixture(scope="module")
def small_served(small_model, tmp_path_factory):
    """`small_model` exported with the defaults."""
    return load_for_serving(
        export_for_serving(small_model, tmp_path_factory.mktemp("small"))
    )


def small_images(value=0.5, count=4):
    return np.full((count, 8, 8, 1), value, "float32")


@pytest.mark.parametrize(
    "signature, inputs, message",
    [
        ("score", dict(x=small_images(-0.5), num_samples=2), "[0.0, 1.0]"),
        ("score", dict(x=small_images(255.0), num_samples=2), "[0.0, 1.0]"),
        ("score", dict(x=small_images(np.nan), num_samples=2), "NaN"),
        ("reconstruct", dict(x=small_images(np.nan)), "NaN"),
        ("encode", dict(x=small_images(np.inf), seed=(0, 0)), "NaN"),
        ("decode", dict(z=np.full((2, 2), np.nan, "float32")), "NaN"),
        ("encode_mean", dict(x=small_images(np.nan)), "NaN"),
        ("sample_from_noise", dict(eps=np.full((2, 2), np.inf, "float32")),
         "NaN"),
        ("score_from_noise", dict(x=small_images(255.0),
                                  eps=np.zeros((2, 4, 2), "float32")),
         "[0.0, 1.0]"),
    ],
    ids=["score [-1, 1] scale", "score 0..255", "score NaN",
         "reconstruct NaN", "encode inf", "decode NaN", "encode_mean NaN",
         "sample_from_noise inf", "score_from_noise 0..255"],
)
def test_signatures_refuse_what_the_keras_api_refuses(
    small_model, small_served, signature, inputs, message
):
    """Values outside the likelihood's support or non-finite values: the
    Keras API raises, and so does the signature; no number comes back."""
    keras_call = {
        "score": lambda: small_model.elbo(inputs["x"]),
        "reconstruct": lambda: small_model.predict(inputs["x"], verbose=0),
        "encode": lambda: small_model.encode(inputs["x"]),
        "decode": lambda: small_model.decode(inputs["z"]),
        "encode_mean": lambda: small_model.encode(inputs["x"]),
        "sample_from_noise": lambda: small_model.decode(inputs["eps"]),
        "score_from_noise": lambda: small_model.elbo(inputs["x"]),
    }[signature]
    with pytest.raises(ValueError):
        keras_call()
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
        message
    )):
        small_served.run(signature, **inputs)


def test_request_size_is_bounded_by_the_export_limit(small_model, tmp_path):
    """max_samples=64 at export: `sample` of 65, and `score` of 4 images
    x 17 samples, fail before allocating; 4 x 16 works. The default limit
    refuses a billion samples."""
    small_served = load_for_serving(
        export_for_serving(small_model, tmp_path, max_samples=64)
    )
    limit = "at most 64 samples"
    with pytest.raises(tf.errors.InvalidArgumentError, match=limit):
        small_served.sample(num_samples=65)
    with pytest.raises(tf.errors.InvalidArgumentError, match=limit):
        small_served.score(small_images(), num_samples=17)
    with pytest.raises(tf.errors.InvalidArgumentError, match=limit):
        small_served.score(small_images(count=1), num_samples=2**31 - 1)
    scores = small_served.score(small_images(), num_samples=16)
    assert np.all(scores["log_likelihood"] < 0)
    assert small_served.sample(num_samples=64)["images"].shape[0] == 64
    default = load_for_serving(export_for_serving(small_model, tmp_path))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at most"):
        default.sample(num_samples=10**9)


@pytest.mark.parametrize(
    "call",
    [
        lambda served: served.sample(num_samples=2**32 + 3),
        lambda served: served.sample(num_samples=2**31),
        lambda served: served.score(small_images(), num_samples=2**32 + 1),
        lambda served: served.sample(num_samples=2, seed=(2**31, 0)),
    ],
    ids=["sample 2**32 + 3", "sample 2**31", "score 2**32 + 1",
         "seed 2**31"],
)
def test_serving_model_refuses_ints_outside_int32(small_served, call):
    with pytest.raises(ValueError, match=r"must be int32 values"):
        call(small_served)


def test_truncated_variables_file_is_named(small_model, tmp_path):
    path = export_for_serving(small_model, tmp_path)
    data = tmp_path / "1" / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:data.stat().st_size // 2])
    with pytest.raises(ValueError, match=re.escape(str(data))):
        load_for_serving(path)


def test_new_version_with_other_inputs_is_refused(small_model, tmp_path):
    export_for_serving(small_model, tmp_path)
    other = zoo.get(MODELS[0], input_shape=(4, 4, 1), latent_dim=2, seed=0)
    with pytest.raises(ValueError, match="allow_new_signature=True") as info:
        export_for_serving(other, tmp_path)
    assert "[-1, 8, 8, 1] -> " in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["1"]
    path = export_for_serving(other, tmp_path, allow_new_signature=True)
    assert path == str(tmp_path / "2")


def test_entries_that_are_not_versions_are_never_replaced(
    small_model, tmp_path
):
    export_for_serving(small_model, tmp_path)
    (tmp_path / "2").write_text("a user's file")
    (tmp_path / "3").mkdir()  # an empty folder: no saved_model.pb
    for version in (2, 3):
        with pytest.raises(ValueError, match="is not an exported version"):
            export_for_serving(small_model, tmp_path, version=version,
                               overwrite=True)
    assert export_for_serving(small_model, tmp_path).endswith(os.sep + "4")
    assert (tmp_path / "2").read_text() == "a user's file"
    assert os.listdir(tmp_path / "3") == []


CONCURRENT_EXPORT = textwrap.dedent("""
    import json, os, sys, time
    import keras, numpy as np, zoo
    from zoo.export import export_for_serving

    base_dir, barrier, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    archive_class = type(keras.export.ExportArchive())
    write_out = archive_class.write_out

    def write_then_wait(self, filepath, **kwargs):
        # Every process has written its export before any moves it in.
        write_out(self, filepath, **kwargs)
        open(os.path.join(barrier, str(seed)), "w").close()
        while len(os.listdir(barrier)) < 3:
            time.sleep(0.05)

    archive_class.write_out = write_then_wait
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2,
                    hidden_units=(8,), seed=seed)
    z = np.linspace(-1, 1, 4, dtype="float32").reshape(2, 2)
    path = export_for_serving(model, base_dir)
    print(json.dumps({"path": path,
                      "decoded": np.asarray(model.decode(z).mean()).tolist()}))
""")


@pytest.mark.slow
def test_concurrent_exports_each_get_their_own_version(tmp_path):
    """Three processes export different weights to one base_dir at once:
    three versions, each holding the weights of the process that reported
    it; none replaced another."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    base_dir = tmp_path / "served"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_EXPORT, str(base_dir),
             str(barrier), str(seed)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for seed in range(3)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    paths = sorted(result["path"] for result in results)
    assert paths == [str(base_dir / version) for version in "123"]
    z = np.linspace(-1, 1, 4, dtype="float32").reshape(2, 2)
    for result in results:
        served = load_for_serving(result["path"])
        np.testing.assert_allclose(
            served.decode(z)["reconstruction"], result["decoded"],
            rtol=1e-6, atol=1e-6,
        )

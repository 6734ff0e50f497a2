"""ONNX and LiteRT exports (`zoo.export.convert`, `zoo export --format`): every
converted signature runs in onnxruntime / LiteRT's interpreter with the
Keras model's outputs (within 1e-5), and the random ones are skipped with
their reason."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.cli import commands as cli
from zoo.export import convert
from zoo import export

onnxruntime = pytest.importorskip(
    "onnxruntime", reason="needs the export extra: pip install -e .[export]")
litert = pytest.importorskip(
    "ai_edge_litert.interpreter",
    reason="needs the export extra: pip install -e .[export]")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = dict(rtol=1e-5, atol=1e-5)
CONVERTED = {"reconstruct", "decode", "encode_mean", "sample_from_noise",
             "score_from_noise"}
RANDOM = {"encode", "sample", "score"}
BATCH = 3
K = 4
SEED = (5, 0)


def run_onnx(directory, signature, inputs):
    session = onnxruntime.InferenceSession(
        str(directory / f"{signature}.onnx"),
        providers=["CPUExecutionProvider"],
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs)))


def run_litert(directory, signature, inputs):
    interpreter = litert.Interpreter(
        model_path=str(directory / f"{signature}.tflite"))
    return interpreter.get_signature_runner(signature)(**inputs)


RUNNERS = {"onnx": run_onnx, "litert": run_litert}


def signature_inputs(model, shape, signature):
    """Numpy inputs of `signature` for `model`, images of `shape`."""
    rng = np.random.default_rng(1)
    values = {
        "x": (rng.uniform(size=(BATCH, *shape)) > 0.5).astype("float32"),
        "z": rng.normal(size=(BATCH, model.latent_dim)).astype("float32"),
        "eps": tf.random.stateless_normal(
            (K, BATCH, model.latent_dim) if signature == "score_from_noise"
            else (BATCH, model.latent_dim), SEED).numpy(),
        "u": np.array([0.05, 0.5, 0.97], "float32"),
        "labels": np.array([0, 2, 1], "int32"),
    }
    names = export.signatures(model)[signature][0]
    return {name: values[name] for name in names}


def expected(model, signature, inputs):
    """The Keras model's own outputs for `inputs`."""
    labels = inputs.get("labels")

    def with_labels(value):
        return value if labels is None else [value, labels]

    if signature == "reconstruct":
        return {"reconstruction": model.reconstruct(with_labels(inputs["x"]))}
    if signature == "decode":
        z = with_labels(inputs["z"])
        return {"reconstruction": model.decode(z).mean(),
                "parameters": model.decoder(z)}
    if signature == "encode_mean":
        z_mean, z_stddev = model.encoder(with_labels(inputs["x"]))
        return {"z_mean": z_mean, "z_stddev": z_stddev}
    if signature == "sample_from_noise":
        z = inputs["eps"]
        if model.prior_layer is not None:  # z = mu_k + sigma_k * eps
            prior = model.prior()
            weights = tf.nn.softmax(prior.mixture_distribution.logits)
            k = np.searchsorted(np.cumsum(weights)[:-1], inputs["u"],
                                side="right")
            gaussians = prior.components_distribution.distribution
            z = (np.asarray(gaussians.loc)[k]
                 + np.asarray(gaussians.scale)[k] * z)
        return {"images": model.decode(with_labels(z)).mean()}
    # score_from_noise: eps are the draws the random `score` makes with SEED.
    x = tf.constant(inputs["x"])
    condition = None if labels is None else tf.constant(labels)
    seed = tf.constant(SEED, tf.int32)
    return {
        "elbo": model.compute_elbo(x, seed, condition),
        "log_likelihood": model.compute_log_likelihood(x, K, seed, condition),
    }


def assert_matches_keras(model, shape, directory, format):
    for signature in CONVERTED:
        inputs = signature_inputs(model, shape, signature)
        actual = RUNNERS[format](directory, signature, inputs)
        wanted = expected(model, signature, inputs)
        assert set(actual) == set(wanted), signature
        for name in wanted:
            np.testing.assert_allclose(
                actual[name], np.asarray(wanted[name]), **TOLERANCE,
                err_msg=f"{format} {signature} {name}",
            )


@pytest.mark.slow
@pytest.mark.parametrize("name, format", [
    ("mixture_prior_vae", "onnx"),
    ("conditional_vae", "litert"),
])
def test_conversion_matches_the_keras_model(tmp_path, name, format):
    shape = (8, 8, 1)
    options = {"num_classes": 3} if name == "conditional_vae" else {}
    model = zoo.get(name, input_shape=shape, latent_dim=2, seed=0,
                    hidden_units=(8,), filters=(4, 8), **options)
    report = convert.convert(model, tmp_path / format, format)
    assert set(report["converted"]) == CONVERTED
    assert set(report["skipped"]) == RANDOM
    for reason in report["skipped"].values():
        assert "stateless random ops" in reason
    assert json.loads((tmp_path / format / "signatures.json").read_text()) \
        == report
    assert_matches_keras(model, shape, tmp_path / format, format)


@pytest.mark.slow
def test_zoo_export_onnx_matches_the_keras_model(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(24, 8, 8)) > 0.5).astype("uint8") * 255
    np.save(tmp_path / "x.npy", x)
    run = tmp_path / "run"
    assert cli.main(["train", "conv_vae", "--data", str(tmp_path / "x.npy"),
                     "--option", "filters=4,8", "--option", "hidden_units=8,",
                     "--latent-dim", "2", "--epochs", "1",
                     "--output", str(run)]) == 0
    capsys.readouterr()
    model = keras.models.load_model(run / "model.keras")
    environment = {**os.environ, "PYTHONPATH": ROOT}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    # ONNX as a user types it (a quiet subprocess). `zoo export --format`
    # hands its format to `convert.convert`, which the test above runs for
    # LiteRT (and ONNX) on two other models.
    result = subprocess.run(
        [sys.executable, "-m", "zoo", "export", str(run), "--format",
         "onnx", "--to", str(tmp_path / "onnx")],
        capture_output=True, text=True, env=environment, timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # quiet: no logs at all
    assert "skipped encode: " in result.stdout
    assert_matches_keras(model, (8, 8, 1), tmp_path / "onnx", "onnx")


def test_an_earlier_conversion_is_kept_without_overwrite(tmp_path):
    (tmp_path / "decode.onnx").write_bytes(b"earlier")
    model = zoo.get("dense_vae", input_shape=(4, 4, 1), latent_dim=2)
    with pytest.raises(ValueError, match="already holds a conversion"):
        convert.to_onnx(model, tmp_path)
    assert (tmp_path / "decode.onnx").read_bytes() == b"earlier"


def test_unknown_format_and_version_with_onnx(tmp_path, capsys):
    with pytest.raises(ValueError, match="`format` must be one of"):
        convert.convert(None, tmp_path, "coreml")
    with pytest.raises(SystemExit):
        cli.main(["export", str(tmp_path), "--to", str(tmp_path / "o"),
                  "--format", "onnx", "--version", "2"])
    assert "--version numbers SavedModel versions" in capsys.readouterr().err


def test_missing_package_says_how_to_install(monkeypatch, tmp_path):
    import importlib

    real = importlib.import_module

    def without_tf2onnx(name, *args):
        if name == "tf2onnx":
            raise ImportError("No module named 'tf2onnx'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_tf2onnx)
    with pytest.raises(ImportError, match=r"pip install -e \.\[export\]"):
        convert.to_onnx(zoo.get("dense_vae", input_shape=(4, 4, 1),
                                latent_dim=2), tmp_path)


@pytest.mark.slow
def test_the_classify_signature_converts_and_matches(tmp_path):
    """A semi-supervised model's `classify` (no random ops) converts to
    ONNX and gives the Keras classifier's q(y|x)."""
    shape = (8, 8, 1)
    model = zoo.get("semi_supervised_vae", input_shape=shape, latent_dim=2,
                    seed=0, hidden_units=(8,), num_classes=3)
    report = convert.to_onnx(model, tmp_path / "onnx")
    assert report["converted"]["classify"]["outputs"] == ["probabilities"]
    x = signature_inputs(model, shape, "reconstruct")["x"]
    actual = run_onnx(tmp_path / "onnx", "classify", {"x": x})
    np.testing.assert_allclose(
        actual["probabilities"], model.class_probabilities(x), **TOLERANCE)


def test_a_pixelcnn_model_converts_its_exact_signatures(tmp_path):
    # likelihood="pixelcnn" draws pixels in reconstruct, decode and
    # sample_from_noise; score_from_noise (exact log p(x|z)) and
    # encode_mean convert and match the Keras model.
    shape = (6, 6, 1)
    model = zoo.get("conv_vae", input_shape=shape, latent_dim=2, seed=0,
                    filters=(4,), likelihood="pixelcnn")
    context = model.pixel_context
    context.set_weights([np.full(w.shape, 0.05, "float32")
                         for w in context.get_weights()])  # not the zeros
    report = convert.to_onnx(model, tmp_path / "onnx")
    assert set(report["converted"]) == {"encode_mean", "score_from_noise"}
    for name in convert.PIXEL_DRAWING:
        assert "draws pixels one at a time" in report["skipped"][name]
    for signature in report["converted"]:
        inputs = signature_inputs(model, shape, signature)
        actual = run_onnx(tmp_path / "onnx", signature, inputs)
        for name, value in expected(model, signature, inputs).items():
            np.testing.assert_allclose(actual[name], np.asarray(value),
                                       **TOLERANCE, err_msg=signature)

"""The bad-input catalogue: every public entry point, every kind of bad input.

Each case in `CASES` names an entry point, a bad input, the error expected
and an excerpt of its message, and is run by `test_bad_input_is_refused`,
which also checks that nothing changed: the model's weights and optimizer
state, and the files under the test's folder. `EXTERNAL` lists the cases
tested in other files, `FAULTS` the injected faults (tests/test_reliability.py
and tests/test_export.py).

`docs/bad_input.md` is generated from these lists: after changing them, run
`python tests/test_bad_input.py` to rewrite it; `test_doc_is_current` fails
until then. Hypothesis fuzzes model options and input shapes at the end:
every failure must be a `ValueError`/`TypeError` raised by the zoo's own
checks, never an error from deep inside TensorFlow.
"""

import collections
import pathlib
import re
import traceback

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import zoo
from zoo.cli import commands as cli
from zoo import datasets
from zoo.export import export_for_serving

SHAPE = (8, 8, 1)
LATENT_DIM = 2
ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "bad_input.md"
ZOO_DIR = str(ROOT / "zoo")

Case = collections.namedtuple("Case", "entry bad error message call")


def images(value=0.5, shape=(4, *SHAPE), dtype="float32"):
    return np.full(shape, value, dtype)


def build(name="dense_vae", **options):
    return zoo.get(
        name, **{"input_shape": SHAPE, "latent_dim": LATENT_DIM, **options}
    )


def stream(x):
    return tf.data.Dataset.from_tensor_slices(x).batch(2)


def zoo_cli(*argv):
    return lambda model, path: cli.main([
        str(path / arg[len("PATH/"):]) if arg.startswith("PATH/") else arg
        for arg in argv
    ])


def get_case(bad, message, error=ValueError, name="dense_vae", **options):
    return Case(f"zoo.get({name!r})", bad, error, message,
                lambda model, path: build(name, **options))


def method_case(method, bad, message, *args, error=ValueError, **kwargs):
    return Case(f"model.{method}", bad, error, message,
                lambda model, path: getattr(model, method)(*args, **kwargs))


def loader_case(loader, bad, message, *args, **kwargs):
    return Case(f"zoo.datasets.{loader}", bad, ValueError, message,
                lambda model, path: getattr(datasets, loader)(*args, **kwargs))


def image_folder(path):
    return str(path / "images")


_DATA = []


def data_path(name, write):
    """`DATA/name`, written once by `write(path)`: the data of a CLI case,
    in a folder of its own (the test checks that nothing is written under
    its `folder`), removed at exit."""
    if not _DATA:
        import atexit
        import shutil
        import tempfile

        _DATA.append(pathlib.Path(tempfile.mkdtemp(prefix="zoo-bad-data-")))
        atexit.register(shutil.rmtree, _DATA[0], True)
    path = _DATA[0] / name
    if not path.exists():
        write(path)
    return str(path)


def array_file(name, x):
    return lambda: data_path(name, lambda path: np.save(path, x))


def png_folder(name, layout):
    """A folder of 8x8 grey PNGs: `layout` maps a relative path to "png"
    (an image), "fake" (text named .png), "truncated" (half a PNG) or
    "wide" (a 1x5000 image)."""
    def write(path):
        from PIL import Image

        for relative, kind in layout.items():
            file = path / relative
            file.parent.mkdir(parents=True, exist_ok=True)
            if kind == "dir":
                file.mkdir()
                continue
            Image.new("L", (5000, 1) if kind == "wide" else (8, 8),
                      128).save(file)
            if kind == "fake":
                file.write_text("not an image")
            elif kind == "truncated":
                data = file.read_bytes()
                file.write_bytes(data[:len(data) // 2])
    return lambda: data_path(name, write)


def zoo_train_data(data, *argv, labels=None):
    """`zoo train ... --data DATA [--labels LABELS]` with the data written
    on first use."""
    def call(model, path):
        extra = ["--labels", labels()] if labels else []
        return cli.main(["train", *argv, "--data", data(), *extra,
                         "--epochs", "1", "--output", str(path / "run")])
    return call


def semi_supervised_fit(labels):
    def call(model, path):
        semi = build("semi_supervised_vae", hidden_units=(8,),
                     num_classes=3)
        semi.compile()
        return semi.fit([images(), np.asarray(labels)], epochs=1, verbose=0)
    return call


FLAT_IMAGES = {f"{index:02d}.png": "png" for index in range(20)}


ARRAY_BAD_INPUTS = [
    ("rank 3 (no channel axis)", np.zeros((4, 8, 8), "float32"), "rank 4"),
    ("one example, no batch axis", np.zeros(SHAPE, "float32"), "x[None]"),
    ("wrong height and width", images(shape=(4, 9, 9, 1)), "Resize"),
    ("3 channels for a 1-channel model", images(shape=(4, 8, 8, 3)),
     "has 3 channels"),
    ("strings", np.full((4, *SHAPE), "a"), "must be numeric"),
    ("complex numbers", images(dtype="complex64"), "must be numeric"),
    ("None", None, "must be numeric"),
    ("ragged nested lists", [[0.5, 0.5], [0.5]], "could not be converted"),
    ("NaN", images(np.nan), "NaN or infinite"),
    ("+inf", images(np.inf), "NaN or infinite"),
    ("empty batch", images(shape=(0, *SHAPE)), "empty"),
]
SUPPORT_BAD_INPUTS = [
    ("uint8-scale values 0..255", images(255.0), "[0.0, 1.0]"),
    ("negative values", images(-0.5), "[0.0, 1.0]"),
]

CASES = [
    # zoo.get ---------------------------------------------------------------
    Case("zoo.get", "unknown model name", ValueError, "Available models",
         lambda model, path: zoo.get("no_such_vae", input_shape=SHAPE,
                                     latent_dim=LATENT_DIM)),
    Case("zoo.get", "model name not a string", ValueError, "Unknown model",
         lambda model, path: zoo.get(["dense_vae"], input_shape=SHAPE,
                                     latent_dim=LATENT_DIM)),
    Case("zoo.get", "missing latent_dim", ValueError, "needs ['latent_dim']",
         lambda model, path: zoo.get("dense_vae", input_shape=SHAPE)),
    get_case("unknown option", "Valid options", no_such_option=1),
    get_case("latent_dim=0", "latent_dim", latent_dim=0),
    get_case("latent_dim=-3", "latent_dim", latent_dim=-3),
    get_case("latent_dim=2.5", "latent_dim", latent_dim=2.5),
    get_case("latent_dim=10**8", "`latent_dim` must be at most",
             latent_dim=10**8),
    get_case("input_shape with a 0", "input_shape", input_shape=(0, 8, 1)),
    get_case("input_shape of rank 4", "input_shape",
             input_shape=(8, 8, 1, 1)),
    get_case("input_shape a string", "input_shape", input_shape="8x8"),
    get_case("unknown likelihood", "likelihood", likelihood="poisson"),
    get_case("negative likelihood_scale", "likelihood_scale",
             likelihood="gaussian", likelihood_scale=-0.5),
    get_case("likelihood_scale without gaussian", "only applies",
             likelihood_scale=0.1),
    get_case("pixelcnn likelihood on flat vectors", "raster order",
             likelihood="pixelcnn", input_shape=(16,)),
    get_case("pixelcnn_blocks without pixelcnn",
             "likelihood='bernoulli' has none", pixelcnn_blocks=1),
    get_case("pixelcnn_blocks=-1", "`pixelcnn_blocks` must be an integer",
             likelihood="pixelcnn", pixelcnn_blocks=-1),
    get_case("pixelcnn_blocks=1.5", "`pixelcnn_blocks` must be an integer",
             likelihood="pixelcnn", pixelcnn_blocks=1.5),
    get_case("pixelcnn_blocks=10**6", "`pixelcnn_blocks` must be an "
             "integer in [0, 64]", likelihood="pixelcnn",
             pixelcnn_blocks=10**6),
    get_case("beta=-1", "beta", beta=-1.0),
    get_case("beta=NaN", "beta", beta=float("nan")),
    get_case("beta=inf", "beta", beta=float("inf")),
    get_case("seed a string", "seed", seed="0"),
    get_case("hidden_units with a 0", "hidden_units", hidden_units=(0,)),
    get_case("hidden_units a string", "hidden_units", hidden_units="ab"),
    get_case("flat input_shape", "needs images", name="conv_vae",
             input_shape=(64,)),
    get_case("no filters", "filters", name="conv_vae", filters=()),
    get_case("unknown output_layer", "must be one of", name="conv_vae",
             output_layer="dense"),
    get_case("output_layer for mlp", "output_layer", output_layer="conv"),
    get_case("capacity=-1", "capacity", name="beta_vae", capacity=-1.0),
    get_case("capacity=inf", "capacity", name="beta_vae",
             capacity=float("inf")),
    get_case("gamma=0", "gamma", name="beta_vae", capacity=0.0, gamma=0.0),
    get_case("gamma without capacity", "pass `capacity` too",
             name="beta_vae", gamma=10.0),
    get_case("beta with capacity", "pass one of them", name="beta_vae",
             beta=4.0, capacity=0.0),
    get_case("tc_weight=-1", "tc_weight", name="beta_tcvae", tc_weight=-1.0),
    get_case("mi_weight=NaN", "mi_weight", name="beta_tcvae",
             mi_weight=float("nan")),
    get_case("unknown latent", "`latent` must be one of", latent="sphere"),
    get_case("von Mises-Fisher at latent_dim=2", "latent_dim=3",
             name="svae"),
    get_case("latent_dim not a multiple of num_categories",
             "multiple of num_categories", name="categorical_vae",
             latent_dim=4, num_categories=3),
    get_case("joint latent with no continuous dimension",
             "continuous dimension", name="joint_vae", num_categories=2),
    get_case("temperature=0", "temperature", name="categorical_vae",
             temperature=0.0),
    get_case("flow_steps=0", "flow_steps", name="vae_iaf", flow_steps=0),
    get_case("unknown RAE penalty", "penalty", name="rae_l2", penalty="l1"),
    get_case("penalty_weight without a penalty", "penalty_weight",
             name="autoencoder", penalty_weight=1.0),
    get_case("IWAE with a deterministic latent", "no KL",
             name="autoencoder", objective="iwae"),
    get_case("mixture prior on the sphere", "sphere", name="svae",
             latent_dim=3, prior="mixture"),
    get_case("IWAE with relaxed categories", "relaxed",
             name="categorical_vae", objective="iwae"),
    # compile / fit / evaluate / predict --------------------------------------
    method_case("compile", "a loss", "owns its loss", loss="mse"),
    Case("model.log_likelihood", "a deterministic latent (no bound)",
         ValueError, "has none", lambda model, path: build(
             "autoencoder").log_likelihood(images())),
    method_case("fit", "sample_weight", "not supported", images(),
                sample_weight=np.ones(4)),
    method_case("fit", "class_weight", "not supported", images(),
                class_weight={0: 2.0}),
    method_case("evaluate", "sample_weight", "not supported", images(),
                sample_weight=np.ones(4)),
    *[method_case("fit", bad, message, x) for bad, x, message in
      ARRAY_BAD_INPUTS + SUPPORT_BAD_INPUTS],
    method_case("fit", "y with fewer examples than x", "same number",
                images(), images(shape=(2, *SHAPE))),
    method_case("fit", "y of the wrong shape", "`y` must have shape",
                images(), images(shape=(4, 9, 9, 1))),
    method_case("fit", "validation_data of the wrong shape", "Resize",
                images(), validation_data=(images(shape=(4, 9, 9, 1)),)),
    method_case("fit", "validation_data with NaN", "NaN",
                images(), validation_data=(images(np.nan),)),
    method_case("fit", "validation_data a bare array", "validation_data",
                images(), validation_data=images()),
    method_case("fit", "batch_size=0", "batch_size", images(), batch_size=0),
    method_case("fit", "batch_size=-1", "batch_size", images(),
                batch_size=-1),
    method_case("fit", "epochs=0", "epochs", images(), epochs=0),
    method_case("fit", "validation_split=1.5", "validation_split", images(),
                validation_split=1.5),
    method_case("fit", "dataset of unbatched images", "dataset.batch(n)",
                tf.data.Dataset.from_tensor_slices(images())),
    method_case("fit", "empty dataset", "empty dataset",
                stream(images(shape=(0, *SHAPE)))),
    method_case("sample", "num_samples=10**9", "must be at most", 10**9),
    method_case("log_likelihood", "num_samples=10**9", "must be at most",
                images(), num_samples=10**9),
    method_case("log_likelihood", "chunk_size * batch above the limit",
                "`chunk_size * batch` must be at most", images(),
                chunk_size=2**19),
    method_case("fit", "dataset of the wrong image shape", "dataset.batch",
                stream(images(shape=(4, 9, 9, 1)))),
    method_case("fit", "dataset of dicts", "(x, y) tuples",
                tf.data.Dataset.from_tensor_slices({"x": images()}).batch(2)),
    method_case("fit", "dataset of strings", "dataset yields",
                tf.data.Dataset.from_tensor_slices(["a", "b"]).batch(2)),
    method_case("fit", "dataset whose first batch holds NaN", "NaN",
                stream(images(np.nan)), error=tf.errors.InvalidArgumentError),
    method_case("fit", "dataset with values outside [0, 1]", "Rescale",
                stream(images(2.0)), error=tf.errors.InvalidArgumentError),
    method_case("fit", "Python generator whose batch holds NaN", "NaN",
                ((batch,) for batch in [images(np.nan)]),
                error=tf.errors.InvalidArgumentError),
    method_case("evaluate", "dataset whose first batch holds NaN", "NaN",
                stream(images(np.nan)), error=tf.errors.InvalidArgumentError),
    method_case("train_on_batch", "a batch holding NaN", "NaN",
                images(np.nan), error=tf.errors.InvalidArgumentError),
    method_case("evaluate", "wrong height and width", "Resize",
                images(shape=(4, 9, 9, 1))),
    method_case("evaluate", "NaN", "NaN", images(np.nan)),
    method_case("evaluate", "values outside [0, 1]", "[0.0, 1.0]",
                images(3.0)),
    method_case("evaluate", "batch_size=0", "batch_size", images(),
                batch_size=0),
    method_case("predict", "3 channels", "channels",
                images(shape=(4, 8, 8, 3))),
    method_case("predict", "NaN", "NaN", images(np.nan)),
    method_case("predict", "batch_size=-1", "batch_size", images(),
                batch_size=-1),
    # inference API ---------------------------------------------------------
    *[method_case("encode", bad, message, x) for bad, x, message in
      ARRAY_BAD_INPUTS],
    method_case("decode", "z with the wrong latent_dim", "(batch, 2)",
                np.zeros((3, 5), "float32")),
    method_case("decode", "z of rank 1", "(batch, 2)",
                np.zeros(2, "float32")),
    method_case("decode", "z with NaN", "NaN", np.full((3, 2), np.nan)),
    method_case("decode", "z with inf", "NaN or infinite",
                np.full((3, 2), np.inf)),
    method_case("decode", "empty z", "empty", np.zeros((0, 2), "float32")),
    method_case("decode", "z of strings", "must be numeric", [["a", "b"]]),
    method_case("decode", "z None", "must be numeric", None),
    method_case("sample", "num_samples=0", "num_samples", 0),
    method_case("sample", "num_samples=-1", "num_samples", -1),
    method_case("sample", "num_samples=2.5", "num_samples", 2.5),
    method_case("sample", "seed a string", "seed", 4, seed="a"),
    method_case("sample", "seed beyond int32", "int32", 4, seed=2**40),
    method_case("sample", "seed=True", "seed", 4, seed=True),
    *[method_case("elbo", bad, message, x) for bad, x, message in
      ARRAY_BAD_INPUTS[2:] + SUPPORT_BAD_INPUTS],
    method_case("elbo", "seed a float", "seed", images(), seed=0.5),
    method_case("log_likelihood", "num_samples=0", "num_samples", images(),
                num_samples=0),
    method_case("log_likelihood", "chunk_size=-1", "chunk_size", images(),
                chunk_size=-1),
    method_case("log_likelihood", "values outside [0, 1]", "[0.0, 1.0]",
                images(2.0)),
    method_case("log_likelihood", "wrong rank", "rank 4",
                np.zeros((4, 64), "float32")),
    method_case("fit_sampler", "unknown sampler", "`sampler` must be one of",
                images(), sampler="pixelcnn"),
    method_case("fit_sampler", "an option the sampler does not take",
                "takes the options", images(), sampler="gmm", epochs=3),
    method_case("fit_sampler", "more components than images",
                "at most the number of codes", images(), num_components=5),
    method_case("fit_sampler", "values outside [0, 1]", "[0.0, 1.0]",
                images(2.0)),
    Case("model.fit_sampler", "a conditional model", ValueError,
         "conditional model",
         lambda model, path: build(num_classes=2, hidden_units=(8,))
         .fit_sampler(images())),
    # datasets --------------------------------------------------------------
    loader_case("from_arrays", "NaN", "NaN", np.full((3, 8, 8), np.nan)),
    loader_case("from_arrays", "int64 pixels", "uint8",
                np.zeros((3, 8, 8), "int64")),
    loader_case("from_arrays", "complex pixels", "uint8",
                np.zeros((3, 8, 8), "complex64")),
    loader_case("from_arrays", "None", "x_train", None),
    loader_case("from_arrays", "rank 2", "(N, H, W)", np.zeros((3, 8))),
    loader_case("from_arrays", "empty", "empty", np.zeros((0, 8, 8))),
    loader_case("from_arrays", "floats in 0..255", "[0, 1]",
                np.full((3, 8, 8), 255.0)),
    loader_case("from_arrays", "unknown binarize", "binarize",
                np.zeros((3, 8, 8)), binarize="yes"),
    loader_case("from_arrays", "validation_size = N", "validation_size",
                np.zeros((3, 8, 8)), validation_size=3),
    loader_case("from_arrays", "validation_size=-1", "validation_size",
                np.zeros((3, 8, 8)), validation_size=-1),
    loader_case("from_arrays", "fewer labels than images", "y_train",
                np.zeros((3, 8, 8)), np.zeros(2)),
    loader_case("from_arrays", "string labels", "y_train",
                np.zeros((3, 8, 8)), np.array(["a", "b", "c"])),
    loader_case("from_arrays", "x_test of another size", "x_test",
                np.zeros((3, 8, 8)), x_test=np.zeros((3, 9, 9))),
    loader_case("from_arrays", "y_test without x_test", "needs `x_test`",
                np.zeros((3, 8, 8)), y_test=np.zeros(3)),
    loader_case("from_arrays", "seed a string", "seed",
                np.zeros((3, 8, 8)), seed="a"),
    loader_case("digits", "unknown binarize", "binarize", binarize="x"),
    loader_case("digits", "validation_size > N", "validation_size",
                validation_size=5000),
    Case("ImageDataset.as_dataset", "batch_size=0", ValueError,
         "batch_size", lambda model, path: datasets.from_arrays(
             np.zeros((3, 8, 8))).as_dataset(batch_size=0)),
    Case("ImageDataset.as_dataset", "unknown split", ValueError, "split",
         lambda model, path: datasets.from_arrays(
             np.zeros((3, 8, 8))).as_dataset("valid")),
    Case("ImageDataset.as_dataset", "a split the dataset lacks", ValueError,
         "no test split", lambda model, path: datasets.from_arrays(
             np.zeros((3, 8, 8))).as_dataset("test")),
    Case("ImageDataset.as_dataset", "with_labels without labels",
         ValueError, "no labels", lambda model, path: datasets.from_arrays(
             np.zeros((3, 8, 8))).as_dataset(with_labels=True)),
    Case("zoo.datasets.from_directory", "missing folder", ValueError,
         "existing folder", lambda model, path: datasets.from_directory(
             path / "no_such_folder")),
    Case("zoo.datasets.from_directory", "folder without images", ValueError,
         "No images found", lambda model, path: datasets.from_directory(
             path / "empty")),
    Case("zoo.datasets.from_directory", "image_size=(0, 3)", ValueError,
         "image_size", lambda model, path: datasets.from_directory(
             path / "empty", image_size=(0, 3))),
    Case("zoo.datasets.from_directory", "unknown color_mode", ValueError,
         "color_mode", lambda model, path: datasets.from_directory(
             path / "empty", color_mode="cmyk")),
    loader_case("corrupt", "unknown kind", "kind", images(), "blur"),
    loader_case("corrupt", "negative amount", "amount", images(),
                "gaussian", -1.0),
    loader_case("corrupt", "fraction above 1", "amount", images(),
                "salt_and_pepper", 2.0),
    Case("zoo.datasets.read_stream", "missing folder", ValueError,
         "write_stream", lambda model, path: datasets.read_stream(
             path / "no_such_stream")),
    # export ----------------------------------------------------------------
    Case("export_for_serving", "a model not from the zoo", ValueError,
         "must be a zoo model", lambda model, path: export_for_serving(
             keras.Sequential([keras.Input((2,))]), path / "export")),
    Case("export_for_serving", "version=0", ValueError, "version",
         lambda model, path: export_for_serving(model, path / "export",
                                                version=0)),
    Case("export_for_serving", "version a string", ValueError, "version",
         lambda model, path: export_for_serving(model, path / "export",
                                                version="2")),
    Case("export_for_serving", "version=2**63 (beyond int64)", ValueError,
         "up to 2**63 - 1", lambda model, path: export_for_serving(
             model, path / "export", version=2**63)),
    Case("export_for_serving", "version=10**400", ValueError,
         "up to 2**63 - 1", lambda model, path: export_for_serving(
             model, path / "export", version=10**400)),
    Case("export_for_serving", "max_samples=0", ValueError, "max_samples",
         lambda model, path: export_for_serving(
             model, path / "export", max_samples=0)),
    Case("export_for_serving", "base_dir None", TypeError, "base_dir",
         lambda model, path: export_for_serving(model, None)),
    Case("export_for_serving", "base_dir is a file", ValueError,
         "base_dir", lambda model, path: export_for_serving(
             model, path / "file")),
    Case("export_for_serving", "base_dir inside a file (unwritable)",
         ValueError, "base_dir", lambda model, path: export_for_serving(
             model, path / "file" / "export")),
    # callbacks -------------------------------------------------------------
    Case("zoo.training.callbacks.BetaWarmUp", "steps=-1", ValueError, "steps",
         lambda model, path: zoo.training.callbacks.BetaWarmUp(steps=-1)),
    Case("zoo.training.callbacks.CapacitySchedule", "steps=1.5", ValueError, "steps",
         lambda model, path: zoo.training.callbacks.CapacitySchedule(1.5, end=25.0)),
    # CLI -------------------------------------------------------------------
    Case("zoo", "no command", SystemExit, "required", zoo_cli()),
    Case("zoo", "unknown command", SystemExit, "invalid choice",
         zoo_cli("fly")),
    Case("zoo train", "unknown model", SystemExit, "Available models",
         zoo_cli("train", "no_such_vae", "--dataset", "digits",
                 "--output", "PATH/run")),
    Case("zoo train", "--epochs 0", SystemExit, "--epochs",
         zoo_cli("train", "dense_vae", "--epochs", "0")),
    Case("zoo train", "--epochs abc", SystemExit, "--epochs",
         zoo_cli("train", "dense_vae", "--epochs", "abc")),
    Case("zoo train", "--latent-dim -2", SystemExit, "--latent-dim",
         zoo_cli("train", "dense_vae", "--latent-dim", "-2")),
    Case("zoo train", "--batch-size 0", SystemExit, "--batch-size",
         zoo_cli("train", "dense_vae", "--batch-size", "0")),
    Case("zoo train", "--learning-rate -1", SystemExit, "--learning-rate",
         zoo_cli("train", "dense_vae", "--learning-rate", "-1")),
    Case("zoo train", "--learning-rate nan", SystemExit, "--learning-rate",
         zoo_cli("train", "dense_vae", "--learning-rate", "nan")),
    Case("zoo train", "unknown --dataset", SystemExit, "--dataset",
         zoo_cli("train", "dense_vae", "--dataset", "cifar")),
    Case("zoo train", "unknown --likelihood", SystemExit, "--likelihood",
         zoo_cli("train", "dense_vae", "--likelihood", "poisson")),
    Case("zoo train", "--beta -1", SystemExit, "beta",
         zoo_cli("train", "dense_vae", "--dataset", "digits", "--beta", "-1",
                 "--output", "PATH/run")),
    Case("zoo train", "--output inside a file (unwritable)", SystemExit,
         "--output", zoo_cli("train", "dense_vae", "--dataset", "digits",
                             "--output", "PATH/file/run")),
    Case("zoo train", "--option with an unknown key", SystemExit,
         "Valid options: [", zoo_cli("train", "conv_vae", "--dataset",
                                     "digits", "--option", "no_such=1",
                                     "--output", "PATH/run")),
    Case("zoo train", "--option without =", SystemExit,
         "--option must be KEY=VALUE",
         zoo_cli("train", "conv_vae", "--dataset", "digits", "--option",
                 "filters", "--output", "PATH/run")),
    Case("zoo train", "--data that does not exist", SystemExit,
         "--data must be a folder of images",
         zoo_cli("train", "conv_vae", "--data", "PATH/missing.npy",
                 "--output", "PATH/run")),
    Case("zoo train", "--image-size with a built-in dataset", SystemExit,
         "--image-size applies to --data",
         zoo_cli("train", "conv_vae", "--dataset", "digits", "--image-size",
                 "8,8", "--output", "PATH/run")),
    Case("zoo train", "--export-to inside a file (unwritable)", SystemExit,
         "--export-to", zoo_cli("train", "dense_vae", "--dataset", "digits",
                                "--output", "PATH/run", "--export-to",
                                "PATH/file/served")),
    Case("zoo train", "--latent-dim 10000000", SystemExit,
         "--latent-dim: must be a positive integer up to 65536",
         zoo_cli("train", "dense_vae", "--latent-dim", "10000000")),
    Case("zoo train", "no model and no --resume", SystemExit,
         "name the model", zoo_cli("train")),
    Case("zoo train", "--resume of a folder without a run", SystemExit,
         "holds no run to resume", zoo_cli("train", "--resume", "PATH/empty")),
    Case("zoo train", "--resume and another --output", SystemExit,
         "name two folders", zoo_cli("train", "--resume", "PATH/empty",
                                     "--output", "PATH/run")),
    Case("zoo sample", "--n 1000000000", SystemExit,
         "--n: must be a positive integer up to 1048576",
         zoo_cli("sample", "PATH/empty", "--n", "1000000000")),
    Case("zoo evaluate", "a folder that is not a run", SystemExit,
         "not a run folder", zoo_cli("evaluate", "PATH/empty")),
    Case("zoo sample", "a folder that is not a run", SystemExit,
         "not a run folder", zoo_cli("sample", "PATH/empty")),
    Case("zoo sample", "--n 0", SystemExit, "--n",
         zoo_cli("sample", "PATH/empty", "--n", "0")),
    Case("zoo export", "no --to", SystemExit, "--to",
         zoo_cli("export", "PATH/empty")),
    Case("zoo export", "--version 0", SystemExit, "--version",
         zoo_cli("export", "PATH/empty", "--to", "PATH/x", "--version", "0")),
    # CLI, round two (#39): refused before any training or file written.
    Case("zoo train", "--seed -1", SystemExit,
         "--seed: must be an integer in [0, 4294967295]",
         zoo_cli("train", "dense_vae", "--dataset", "digits", "--seed", "-1",
                 "--output", "PATH/run")),
    Case("zoo train", "--option beta=nan", SystemExit,
         "--option beta must be a finite number",
         zoo_cli("train", "dense_vae", "--dataset", "digits", "--option",
                 "beta=nan", "--output", "PATH/run")),
    Case("zoo train", "--option beta=inf", SystemExit,
         "--option beta must be a finite number",
         zoo_cli("train", "dense_vae", "--dataset", "digits", "--option",
                 "beta=inf", "--output", "PATH/run")),
    Case("zoo train", "--learning-rate inf", SystemExit,
         "--learning-rate: must be a positive finite number",
         zoo_cli("train", "dense_vae", "--dataset", "digits",
                 "--learning-rate", "inf", "--output", "PATH/run")),
    Case("zoo train", "--image-size 20000,20000", SystemExit,
         "--image-size: must be HEIGHT,WIDTH, two positive ints up to 4096",
         zoo_cli("train", "conv_vae", "--data", "PATH/images",
                 "--image-size", "20000,20000", "--output", "PATH/run")),
    Case("zoo train", "--data: an image 5000 pixels wide", SystemExit,
         "above the zoo's 4096 pixels a side; pass --image-size",
         zoo_train_data(png_folder("wide", {"a.png": "wide", "b.png": "png"}),
                        "dense_vae")),
    Case("zoo.datasets.from_directory", "image_size=(20000, 20000)",
         ValueError, "two positive ints up to 4096",
         lambda model, path: datasets.from_directory(
             image_folder(path), image_size=(20000, 20000))),
    Case("zoo train", "--data: 2-channel images", SystemExit,
         "with C = 1, 3 or 4 channels",
         zoo_train_data(array_file("two_channels.npy",
                                   np.zeros((20, 8, 8, 2), "uint8")),
                        "dense_vae")),
    Case("zoo train", "--data: channels-first images (N, 1, H, W)",
         SystemExit, "numpy.moveaxis(x, 1, -1)",
         zoo_train_data(array_file("channels_first.npy",
                                   np.zeros((20, 1, 8, 8), "uint8")),
                        "dense_vae")),
    Case("zoo train", "--data: images beside class subfolders", SystemExit,
         "beside the subfolder(s) ['thumbs']",
         zoo_train_data(png_folder("mixed", {
             **FLAT_IMAGES, "thumbs/0.png": "png", "thumbs/1.png": "png"}),
             "dense_vae")),
    Case("zoo train", "--data: an empty class subfolder", SystemExit,
         "holds no images",
         zoo_train_data(png_folder("empty_class", {
             "a/0.png": "png", "a/1.png": "png", "b": "dir"}),
             "conditional_vae")),
    Case("zoo train", "--data: a text file named .png (the first image)",
         SystemExit, "fake-first/00.png",
         zoo_train_data(png_folder("fake-first", {
             **FLAT_IMAGES, "00.png": "fake"}), "dense_vae")),
    Case("zoo train", "--data: a truncated PNG", SystemExit,
         "truncated/07.png",
         zoo_train_data(png_folder("truncated", {
             **FLAT_IMAGES, "07.png": "truncated"}), "dense_vae")),
    Case("zoo train", "--labels: a label of 10**6", SystemExit,
         "above the zoo's limit of 10,000",
         zoo_train_data(array_file("x20.npy", np.zeros((20, 8, 8), "uint8")),
                        "conditional_vae",
                        labels=array_file("huge_label.npy", np.array(
                            [0] * 19 + [10**6])))),
    Case("zoo train", "--labels: a label of -3", SystemExit,
         "image 4 has the label -3",
         zoo_train_data(array_file("x20.npy", np.zeros((20, 8, 8), "uint8")),
                        "conditional_vae",
                        labels=array_file("negative_label.npy", np.array(
                            [0, 1, 0, 1, -3] + [0] * 15)))),
    Case("zoo train", "--labels: -1 for a model that is not "
         "semi-supervised", SystemExit, "only a semi-supervised model",
         zoo_train_data(array_file("x20.npy", np.zeros((20, 8, 8), "uint8")),
                        "conditional_vae",
                        labels=array_file("partial_labels.npy", np.array(
                            [0, 1, -1, -1] * 5)))),
    Case("zoo train", "--labels: every label -1 (semi-supervised)",
         SystemExit, "at least 2 must be labelled",
         zoo_train_data(array_file("x20.npy", np.zeros((20, 8, 8), "uint8")),
                        "semi_supervised_vae",
                        labels=array_file("no_labels.npy",
                                          np.full(20, -1)))),
    Case("zoo train", "--labels above --option num_classes", SystemExit,
         "num_classes must be at least 3",
         zoo_train_data(array_file("x20.npy", np.zeros((20, 8, 8), "uint8")),
                        "conditional_vae", "--option", "num_classes=2",
                        labels=array_file("three_classes.npy",
                                          np.arange(20) % 3))),
    Case("semi-supervised model .fit", "every label -1 (no labelled "
         "example)", ValueError, "marks every example unlabelled",
         semi_supervised_fit([-1, -1, -1, -1])),
    Case("zoo.datasets.from_directory", "a truncated PNG", ValueError,
         "truncated/07.png", lambda model, path: datasets.from_directory(
             png_folder("truncated", {**FLAT_IMAGES, "07.png": "truncated"})(),
             image_size=(8, 8))),
    Case("zoo.datasets.from_directory", "images beside class subfolders",
         ValueError, "beside the subfolder(s) ['thumbs']",
         lambda model, path: datasets.from_directory(png_folder("mixed", {
             **FLAT_IMAGES, "thumbs/0.png": "png", "thumbs/1.png": "png"})(),
             image_size=(8, 8))),
    Case("zoo.from_preset", "learning_rate=inf", ValueError,
         "positive finite number", lambda model, path: zoo.from_preset(
             "conv_vae", learning_rate=float("inf"))),
]

# Bad inputs whose test lives beside the feature: (entry, bad, error,
# message excerpt, test id).
EXTERNAL = [
    ("zoo.get('vq_vae', ...)", "codebook_update, decay, commitment_weight, "
     "restart_threshold, dead_code_restarts, num_embeddings, prior_blocks "
     "out of range; restart_threshold with dead_code_restarts=False; "
     "hidden_units with a convolutional network; an objective "
     "or num_classes", "ValueError", "names the option",
     "tests/test_vq_vae.py::test_invalid_options_name_the_option"),
    ("zoo.get('hierarchical_vae', ...)", "input_shape not (H, W, C) "
     "(network='conv'); an unknown network; cells or residual given "
     "with network='gated_mlp'; "
     "width, scales, group_channels not positive; groups_per_scale, cells "
     "not ints in range; residual not a bool; free_bits negative or NaN; "
     "kl_balance not a bool; group_sizes (the model passes its own); "
     "options of other models (filters)", "ValueError", "names the option",
     "tests/test_hierarchical_vae.py::test_invalid_options_name_the_option"),
    ("zoo.get (every model: VAE presets, hierarchical_vae, vq_vae)",
     "pixelcnn_blocks negative, a float, a bool, a str or above 64; given "
     "with a likelihood other than 'pixelcnn' (0 too)", "ValueError",
     "names the option", "tests/test_autoregressive.py::"
     "test_bad_pixelcnn_blocks_are_refused_naming_the_option"),
    ("zoo.objectives.ELBO", "kl_balance not a bool; kl_balance=True "
     "without group_sizes or with sizes not positive ints; group_sizes "
     "without kl_balance=True", "ValueError", "names the option",
     "tests/test_objectives.py::"
     "test_kl_balancing_refuses_bad_options_naming_them"),
    ("ELBO.latent_loss (kl_balance=True)", "not one group size per latent "
     "group", "ValueError", "N group sizes but the model has M latent "
     "groups",
     "tests/test_objectives.py::"
     "test_kl_balancing_refuses_group_sizes_of_another_model"),
    ("HierarchicalVAE.sample", "temperature 0, negative or not a number",
     "ValueError", "`temperature` must be",
     "tests/test_hierarchical_vae.py::test_sample_refuses_a_bad_temperature"),
    ("zoo.latents.codebook.VectorQuantizer", "epsilon with codebook_update='loss';"
     " restart_threshold with dead_code_restarts=False", "ValueError",
     "smooths the counts of the moving-average codebook / turns restarts off",
     "tests/test_vq_vae.py::"
     "test_quantizer_refuses_epsilon_without_the_moving_average_codebook"),
    ("VQVAE.decode", "indices out of [0, K), not integers, or not of the "
     "code grid's shape", "ValueError", "must hold integer code indices in "
     "[0, K) / must be code indices of shape",
     "tests/test_vq_vae.py::test_decode_refuses_bad_indices"),
    ("VQVAE.fit_prior", "validation_data (images where codes are needed)",
     "ValueError", "pass validation images as validation_x=",
     "tests/test_vq_vae.py::"
     "test_fit_prior_takes_validation_images_not_validation_data"),
    ("serving signature decode (vq_vae)", "indices outside [0, K)",
     "InvalidArgumentError", "`indices` must be code indices in [0, K)",
     "tests/test_vq_vae.py::"
     "test_tf1_loader_runs_every_codebook_signature_like_the_model"),
    ("zoo.datasets.fashion_mnist", "no data anywhere, offline",
     "FileNotFoundError", "Tried: ... Get the data one of these ways",
     "tests/test_datasets.py::test_missing_data_lists_every_place_and_way"),
    ("zoo.datasets.fashion_mnist", "data_dir that does not exist",
     "FileNotFoundError", "names the folder and the four idx files",
     "tests/test_datasets.py::"
     "test_explicit_data_dir_that_does_not_exist_is_an_error"),
    ("zoo.datasets.fashion_mnist", "data_dir missing one idx file",
     "FileNotFoundError", "missing t10k-labels",
     "tests/test_datasets.py::test_partial_directory_names_the_missing_files"),
    ("zoo.datasets.fashion_mnist", "damaged idx file (truncated, not gzip, "
     "wrong magic)", "ValueError", "names the file; get it again",
     "tests/test_datasets.py::test_damaged_idx_file_names_the_file"),
    ("zoo.datasets.fashion_mnist", "images and labels of different lengths",
     "ValueError", "12 images but ... 11 labels",
     "tests/test_datasets.py::test_images_and_labels_of_different_lengths"),
    ("export_for_serving", "existing version without overwrite",
     "ValueError", "already exists",
     "tests/test_export.py::"
     "test_existing_version_is_replaced_only_with_overwrite"),
    ("ServingModel.run", "unknown signature", "ValueError",
     "`signature` must be one of",
     "tests/test_export.py::test_unknown_signature_is_named"),
    ("serving signature score", "num_samples <= 0", "InvalidArgumentError",
     "`num_samples` must be a positive",
     "tests/test_export.py::test_score_rejects_a_non_positive_num_samples"),
    ("serving signatures score, reconstruct, encode, decode", "x outside "
     "the likelihood's support ([-1, 1], 0..255), NaN or inf x or z",
     "InvalidArgumentError", "[0.0, 1.0] / NaN",
     "tests/test_export.py::test_signatures_refuse_what_the_keras_api_refuses"),
    ("serving signatures sample, score", "num_samples (times the batch) "
     "above the export's max_samples", "InvalidArgumentError",
     "at most 64 samples",
     "tests/test_export.py::test_request_size_is_bounded_by_the_export_limit"),
    ("ServingModel.sample, score", "ints outside int32 (2**32 + 3, 2**31)",
     "ValueError", "must be int32 values",
     "tests/test_export.py::test_serving_model_refuses_ints_outside_int32"),
    ("load_for_serving", "half-truncated variables file", "ValueError",
     "names variables.data-00000-of-00001",
     "tests/test_export.py::test_truncated_variables_file_is_named"),
    ("export_for_serving", "next version with other input shapes",
     "ValueError", "allow_new_signature=True",
     "tests/test_export.py::test_new_version_with_other_inputs_is_refused"),
    ("export_for_serving", "overwrite=True over a plain file or empty "
     "folder named like a version", "ValueError", "is not an exported version",
     "tests/test_export.py::"
     "test_entries_that_are_not_versions_are_never_replaced"),
    ("zoo train", "--output holding another run", "SystemExit",
     "holds another run (--epochs 1 -> 2)",
     "tests/test_reliability.py::test_a_run_folder_holds_one_run"),
    ("zoo train", "--output in use by another process", "SystemExit",
     "in use by another `zoo train`",
     "tests/test_reliability.py::test_two_processes_cannot_share_a_run_folder"),
    ("keras.models.load_model", ".keras config with latent_dim 10**8",
     "ValueError", "`latent_dim` must be at most",
     "tests/test_reliability.py::"
     "test_keras_file_with_an_absurd_latent_dim_is_refused"),
    ("zoo export, evaluate, sample", "truncated model.keras", "SystemExit",
     "model.keras is damaged",
     "tests/test_reliability.py::test_damaged_model_file_is_named"),
    ("zoo.datasets.read_stream", "labels.npy of another length", "ValueError",
     "6 images but 5 labels", "tests/test_streaming.py::"
     "test_images_and_labels_of_different_lengths_are_refused"),
    ("zoo.datasets.read_stream", "with_labels after write_stream(d, x) "
     "over write_stream(d, x, y)", "ValueError", "labels.npy does not exist",
     "tests/test_streaming.py::"
     "test_rewrite_without_labels_removes_the_old_labels"),
    ("conditional model (num_classes=...).fit (and every method taking inputs)", "images without "
     "labels", "ValueError", "takes [x, labels]",
     "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[no labels]"),
    ("conditional model (num_classes=...).fit", "fewer labels than images", "ValueError",
     "one int class id per example", "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[too few]"),
    ("conditional model (num_classes=...).fit", "label id >= num_classes", "ValueError",
     "class ids in [0, 10)", "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[out of range]"),
    ("conditional model (num_classes=...).fit", "non-integer labels", "ValueError",
     "int class ids", "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[not integers]"),
    ("conditional model (num_classes=...).fit", "one-hot labels", "ValueError", "(not one-hot)",
     "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[one-hot]"),
    ("conditional model (num_classes=...).fit", "dict without 'labels'", "ValueError",
     "a dict with keys ['label', 'x']", "tests/test_conditional.py::test_bad_labels_raise_before_any_weight_changes[wrong key]"),
    ("conditional model (num_classes=...).fit", "streamed batch with labels >= num_classes",
     "InvalidArgumentError", "labels outside [0, 10)",
     "tests/test_conditional.py::"
     "test_streamed_labels_out_of_range_stop_training"),
    ("conditional model (num_classes=...).sample", "labels of the wrong length or range",
     "ValueError", "shape (3,)",
     "tests/test_conditional.py::"
     "test_sample_takes_one_label_or_one_per_sample"),
    ("zoo.get('conditional_vae')", "num_classes 0, label_embedding_dim -1, "
     "prior='vamp'", "ValueError", "pseudo-inputs have no labels",
     "tests/test_conditional.py::test_invalid_conditional_options"),
    ("zoo train", "conditional_vae", "SystemExit",
     "trains unconditional models",
     "tests/test_cli.py::test_bad_arguments_exit_with_one_line"),
    ("semi-supervised model (objective='semi_supervised').fit",
     "label -2 (below -1, the unlabelled mark)", "ValueError",
     "or -1 for an unlabelled example",
     "tests/test_semi_supervised.py::"
     "test_bad_labels_are_refused_with_the_fix[label -2]"),
    ("semi-supervised model .encode, .elbo", "label -1 (unlabelled) outside "
     "training", "ValueError", "-1 (unlabelled) is only for the training data",
     "tests/test_semi_supervised.py::"
     "test_bad_labels_are_refused_with_the_fix[encode unlabelled]"),
    ("semi-supervised model .predict", "[x, labels] instead of x",
     "ValueError", "pass x, not [x, labels]", "tests/test_semi_supervised.py::"
     "test_predict_and_classify_give_the_classifiers_probabilities"),
    ("semi-supervised model .fit", "streamed batch with a label below -1",
     "InvalidArgumentError", "other than -1 (unlabelled)",
     "tests/test_semi_supervised.py::"
     "test_a_streamed_label_below_minus_one_stops_training"),
    ("zoo.VAE(objective='semi_supervised')", "no num_classes; alpha -1",
     "ValueError", "pass num_classes", "tests/test_semi_supervised.py::"
     "test_options_that_do_not_fit_are_refused"),
    ("conditional model (num_classes=...).fit, .classify", "label -1 or "
     "classify without a classifier", "ValueError",
     "objective='semi_supervised'", "tests/test_semi_supervised.py::"
     "test_options_that_do_not_fit_are_refused"),
]

EXTERNAL += [
    ("zoo train --output", "a folder with logs/ and samples.png but no "
     "run.json (with or without --overwrite)", "SystemExit",
     "not a run folder", "tests/test_cli.py::"
     "test_overwrite_keeps_files_no_run_wrote"),
    ("zoo train (--resume)", "data changed since the run started (same or "
     "another image shape)", "SystemExit", "changed since it started",
     "tests/test_cli_data.py::test_resume_on_changed_data_is_refused"),
    ("zoo train --data FOLDER", "60 images beside thumbs/ with 3",
     "ValueError", "beside the subfolder(s)", "tests/test_cli_data.py::"
     "test_images_beside_subfolders_are_refused"),
    ("zoo export", "--version N that exists", "SystemExit",
     "pass --overwrite to replace it", "tests/test_cli.py::"
     "test_export_to_an_existing_version_names_the_flag"),
    ("zoo.preset_card", "a model_card.json that is not JSON", "ValueError",
     "is damaged (not a JSON object", "tests/test_presets.py::"
     "test_preset_card_that_is_not_json_names_the_file"),
    ("zoo.from_preset", "a 0-byte model.keras", "ValueError",
     "it is empty, 0 bytes", "tests/test_presets.py::"
     "test_empty_preset_file_is_reported_empty"),
    ("zoo.from_preset(directory=...)", "a model.keras that is not a zoo "
     "model (keras.Sequential)", "ValueError", "not a zoo model",
     "tests/test_presets.py::test_preset_that_is_not_a_zoo_model_is_refused"),
    ("model.encode / predict / reconstruct / classify", "images scaled "
     "0..255, or negative, for a Bernoulli-type likelihood", "ValueError",
     "divide uint8 images by 255", "tests/test_serving_checks.py::"
     "test_keras_api_refuses_images_outside_the_support"),
    ("exported encode, encode_mean, reconstruct, serving_default, classify "
     "(and the codebook's encode, reconstruct)", "images scaled 0..255, or "
     "negative", "InvalidArgumentError", "divide uint8 pixels by 255",
     "tests/test_serving_checks.py::"
     "test_exported_signatures_refuse_images_outside_the_support"),
    ("exported score, encode, reconstruct, decode, sample of a "
     "conditional model", "labels -1, num_classes or 1000",
     "InvalidArgumentError", "class ids in [0, C)",
     "tests/test_serving_checks.py::"
     "test_exported_signatures_refuse_labels_outside_the_classes"),
    ("exported sample_from_noise, score_from_noise", "eps of 1e30 (NaN "
     "images and log-likelihoods before); u outside [0, 1]",
     "InvalidArgumentError", "standard normal draws, |eps| <= 100",
     "tests/test_serving_checks.py::"
     "test_exported_noise_signatures_refuse_noise_that_is_not_standard_"
     "normal"),
    ("every exported signature", "an empty batch (the Keras API refuses "
     "it; the signatures answered with empty outputs)",
     "InvalidArgumentError", "with every size at least 1 (no empty batch)",
     "tests/test_serving_checks.py::"
     "test_exported_signatures_refuse_an_empty_batch"),
    ("exported decode of a VQ-VAE", "indices of another grid (a oneDNN "
     "error before)", "InvalidArgumentError",
     "`indices` must have shape (N, 4, 4)", "tests/test_serving_checks.py::"
     "test_exported_codebook_decode_refuses_a_wrong_grid"),
    ("exported score_from_noise", "eps of another batch than x",
     "InvalidArgumentError", "with batch the number of images in `x`",
     "tests/test_serving_checks.py::"
     "test_exported_score_from_noise_refuses_noise_of_another_batch"),
    ("exported score, sample, score_from_noise", "num_samples whose decoder "
     "activations exceed max_request_bytes (hierarchical_vae: 20,000 "
     "samples took 6.7 GB)", "InvalidArgumentError",
     "at most N samples ... max_request_bytes",
     "tests/test_serving_checks.py::"
     "test_exported_requests_are_bounded_by_the_memory_of_their_samples"),
    ("the shipped SavedModels (the version served)", "0..255 or NaN "
     "images, an empty batch, num_samples = 10**9 (release 0.1's exports "
     "answered)", "InvalidArgumentError", "as the Keras API",
     "tests/test_pretrained.py::"
     "test_served_version_refuses_what_the_keras_api_refuses"),
]

# Inputs that were not refused but answered wrongly or lost data, and now
# behave (issue 39): (input, what happened before, what happens now,
# test id).
BEHAVIOURS = [
    ("zoo train --data FOLDER of class subfolders", "the held-out split "
     "was the last 10 % read, i.e. the last class, never trained on",
     "a seeded random sample stratified by class",
     "tests/test_cli_data.py::"
     "test_held_out_split_of_class_folders_holds_every_class"),
    ("zoo.datasets.from_directory(validation_size=)", "the last images "
     "read (the last class) held out", "a seeded sample stratified by "
     "class", "tests/test_datasets.py::"
     "test_from_directory_validation_split_holds_every_class"),
    ("a run of the old held-out split, resumed", "resumed, training on "
     "images it was scored on", "refused: another held-out split; "
     "--overwrite starts over", "tests/test_cli_data.py::"
     "test_run_of_the_old_held_out_split_is_not_resumed_on_the_new"),
    ("a folder with an empty .ipynb_checkpoints/ or a hidden class "
     "folder", "the folder was \"empty\"; the hidden folder became class "
     "0, every class name off by one", "hidden files and folders are "
     "skipped", "tests/test_cli_data.py::test_hidden_entries_are_skipped"),
    ("zoo train --resume of a run without a data fingerprint, on images "
     "of another shape", "its backup called damaged and set aside; the "
     "checkpoints trained over without --overwrite", "one line: the "
     "folder holds another model's weights; checkpoints and backup kept",
     "tests/test_cli_data.py::"
     "test_backup_of_another_shape_is_not_set_aside"),
    ("zoo train semi_supervised_vae on partly labelled data (-1)",
     "trained an epoch, then exited on its own held-out split's -1 labels",
     "trains; the held-out split is drawn from the labelled images",
     "tests/test_cli_data.py::"
     "test_semi_supervised_training_on_partly_labelled_data"),
    ("zoo train --resume naming the same data by a relative path",
     "reported as a conflict with the run's data", "resumes",
     "tests/test_cli_data.py::"
     "test_resume_with_the_same_data_by_a_relative_path"),
    ("zoo.datasets.from_directory on a folder too big for memory", "read "
     "until memory ran out", "refused before reading when its float32 "
     "pixels exceed 8 GiB", "tests/test_cli.py::"
     "test_images_read_from_a_folder_are_bounded_by_their_memory"),
    ("zoo with the user's own TF_CPP_MIN_LOG_LEVEL", "absl start-up "
     "lines still printed", "hidden", "tests/test_cli.py::"
     "test_start_up_logs_hidden_with_a_log_level_of_ones_own"),
    ("zoo --help, or an argument error", "imported TensorFlow first "
     "(5-17 s)", "answers before TensorFlow loads", "tests/test_cli.py::"
     "test_help_and_argument_errors_do_not_import_tensorflow"),
]

# Injected faults: (fault, what must happen, test id).
FAULTS = [
    ("NaN in a decoder weight mid-training",
     "fit raises FloatingPointError naming `reconstruction`",
     "tests/test_reliability.py::test_non_finite_loss_stops_training"),
    ("huge (finite) encoder scale: KL overflows to inf",
     "fit raises FloatingPointError naming `kl`",
     "tests/test_reliability.py::test_non_finite_loss_stops_training"),
    ("infinite learning rate: finite loss, non-finite update",
     "fit raises FloatingPointError naming the gradients",
     "tests/test_reliability.py::test_non_finite_update_names_the_gradients"),
    ("`zoo train` diverging (learning rate 1e9)",
     "exit status 2, message names the term, no model.keras written",
     "tests/test_reliability.py::test_zoo_train_stops_on_non_finite_loss"),
    ("learning rate 1e-2, float32 and mixed_bfloat16, 5 epochs",
     "no NaN, no stop",
     "tests/test_reliability.py::test_no_nan_at_learning_rate_1e_2"),
    ("kill -9 of `zoo train` mid-epoch, then the same command",
     "resumes after the last completed epoch; result as uninterrupted",
     "tests/test_reliability.py::test_killed_training_resumes"),
    ("kill -9 mid-export",
     "no partial version; version 1 unchanged and loadable",
     "tests/test_export.py::test_killed_export_leaves_no_version"),
    ("damaged backup (truncated weights, empty metadata)",
     "one line naming it; set aside as backup.corrupt-<time>; training "
     "starts over",
     "tests/test_reliability.py::"
     "test_damaged_backup_is_set_aside_and_training_starts_over"),
    ("kill -9 while the backup, a checkpoint, then model.keras are written",
     "no truncated file; each `zoo train --resume` goes on from the last "
     "good state; the backup outlives the final save",
     "tests/test_reliability.py::"
     "test_kills_while_writing_leave_the_old_file_or_none"),
    ("disk full while a file of the zoo is replaced",
     "OSError naming the file; its old content intact; no temporary left",
     "tests/test_reliability.py::"
     "test_failed_write_names_the_path_and_keeps_the_old_file"),
    ("kill -9 while write_stream writes images.npy",
     "old images whole, old labels removed, no truncated file",
     "tests/test_streaming.py::test_killed_write_leaves_no_truncated_file"),
    ("three processes exporting to one base_dir at once",
     "three versions, each holding its process's weights",
     "tests/test_export.py::"
     "test_concurrent_exports_each_get_their_own_version"),
    ("export failing half-way (disk full)",
     "no new version, earlier ones byte-identical",
     "tests/test_export.py::"
     "test_failed_export_leaves_earlier_versions_and_nothing_new"),
    (".keras file whose config carries a Lambda layer",
     "load_model (safe_mode) refuses it; so does `zoo evaluate`",
     "tests/test_reliability.py::test_keras_file_with_a_lambda_is_refused"),
    ("pickle / safe_mode=False anywhere in zoo/",
     "none", "tests/test_reliability.py::test_the_zoo_never_unpickles"),
    ("two seeded runs with op determinism",
     "identical weights",
     "tests/test_reliability.py::test_deterministic_runs_are_identical"),
]


def case_id(case):
    return f"{case.entry}: {case.bad}"


# The catalogue ---------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    model = build(hidden_units=(8,))
    model.compile()
    model.optimizer.build(model.trainable_variables)
    return model


@pytest.fixture
def folder(tmp_path):
    """A test folder with a regular file (`file`) and an empty folder."""
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "empty").mkdir()
    return tmp_path


def state(model, folder, streamed=False):
    """Everything a refused call must leave unchanged. A streamed batch is
    checked inside the training step, which may advance the optimizer's
    step counter (not the weights) before it fails."""
    variables = model.weights + [
        variable for variable in model.optimizer.variables
        if not (streamed and variable is model.optimizer.iterations)
    ]
    files = sorted(str(path) for path in folder.rglob("*"))
    return [np.array(variable) for variable in variables], files


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_refused(case, model, folder, capsys):
    streamed = case.error is tf.errors.InvalidArgumentError
    weights, files = state(model, folder, streamed)
    with pytest.raises(case.error) as info:
        case.call(model, folder)
    if case.error is SystemExit:
        assert info.value.code not in (0, None)
        message = capsys.readouterr().err
    else:
        message = str(info.value)
    assert case.message in message
    new_weights, new_files = state(model, folder, streamed)
    assert new_files == files
    assert len(new_weights) == len(weights)
    for old, new in zip(weights, new_weights):
        np.testing.assert_array_equal(old, new)


def test_case_ids_are_unique():
    ids = [case_id(case) for case in CASES]
    assert len(ids) == len(set(ids))


# The catalogue's table ------------------------------------------------------


def doc_text():
    """docs/bad_input.md, generated from CASES, EXTERNAL and FAULTS."""
    def row(*cells):
        return "| " + " | ".join(
            str(cell).replace("|", "\\|") for cell in cells
        ) + " |"

    lines = [
        "# Bad input and faults: the catalogue",
        "",
        "Generated from `tests/test_bad_input.py` (run `python "
        "tests/test_bad_input.py` after changing it; `test_doc_is_current` "
        "checks this file). Every row is a test. Each bad input is refused "
        "with the error shown, whose message names the argument and the "
        "fix, before any state changes: the tests check that the model's "
        "weights and optimizer state and the files in the output folder "
        "are unchanged. A streamed input (`tf.data`, a generator) is "
        "checked batch by batch inside the training or test step, so a "
        "bad batch stops it with a `tf.errors.InvalidArgumentError` "
        "naming the problem; the weights "
        "are unchanged, but the optimizer's step counter may have advanced "
        "by one.",
        "",
        f"{len(CASES) + len(EXTERNAL)} bad inputs, {len(FAULTS)} injected "
        "faults. Besides these rows, hypothesis fuzzes model options and "
        "input shapes (`test_fuzz_*`): every failure is a `ValueError` or "
        "`TypeError` raised by the zoo's checks.",
        "",
        "## Bad inputs",
        "",
        row("entry point", "bad input", "error", "message contains", "test"),
        row("---", "---", "---", "---", "---"),
    ]
    lines += [
        row(case.entry, case.bad, case.error.__name__, f"`{case.message}`",
            f"`test_bad_input_is_refused[{case_id(case)}]`")
        for case in CASES
    ]
    lines += [
        row(entry, bad, error, f"`{message}`", f"`{test}`")
        for entry, bad, error, message, test in EXTERNAL
    ]
    lines += [
        "",
        "## Wrong answers and lost data, now mended",
        "",
        "Inputs the zoo accepted and answered wrongly, or that cost the "
        "user's files; each now behaves as the last column but one says.",
        "",
        row("input", "before", "now", "test"),
        row("---", "---", "---", "---"),
    ]
    lines += [row(entry, before, now, f"`{test}`")
              for entry, before, now, test in BEHAVIOURS]
    lines += [
        "",
        "## Injected faults",
        "",
        row("fault", "outcome", "test"),
        row("---", "---", "---"),
    ]
    lines += [row(fault, outcome, f"`{test}`")
              for fault, outcome, test in FAULTS]
    return "\n".join(lines) + "\n"


def test_doc_is_current():
    assert DOC.read_text() == doc_text(), (
        "docs/bad_input.md is out of date: run python tests/test_bad_input.py"
    )


@pytest.mark.parametrize(
    "test_id", sorted({row[-1] for row in EXTERNAL + BEHAVIOURS + FAULTS})
)
def test_every_row_names_an_existing_test(test_id):
    path, name = test_id.split("::")
    name = name.split("[")[0]  # a parametrized case names its test
    assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M)


# Fuzzing -------------------------------------------------------------------


def assert_clear_error(error):
    """A ValueError/TypeError with a message, raised by the zoo's code."""
    assert isinstance(error, (ValueError, TypeError)), repr(error)
    assert str(error)
    frame = traceback.extract_tb(error.__traceback__)[-1]
    assert frame.filename.startswith(ZOO_DIR), (
        f"raised outside the zoo, at {frame.filename}:{frame.lineno}: "
        f"{error!r}"
    )


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(zoo.list_models()),
    input_shape=st.one_of(
        st.lists(st.integers(-1, 12), max_size=4).map(tuple),
        st.sampled_from([None, "28x28", (8.0, 8, 1)]),
    ),
    latent_dim=st.one_of(
        st.integers(-2, 4), st.floats(), st.sampled_from([None, "2"])
    ),
    likelihood=st.sampled_from(
        ["bernoulli", "continuous_bernoulli", "gaussian", "poisson", None]
    ),
    beta=st.one_of(st.floats(), st.integers(-2, 4)),
)
# Found by this test: a beta above float32's largest became inf in Keras.
@example(name="beta_tcvae", input_shape=(8, 8, 1), latent_dim=2,
         likelihood="bernoulli", beta=3.4028235677973366e38)
def test_fuzz_model_options(name, input_shape, latent_dim, likelihood, beta):
    try:
        model = zoo.get(name, input_shape=input_shape, latent_dim=latent_dim,
                        likelihood=likelihood, beta=beta)
    except Exception as error:  # noqa: BLE001 - the check is the point
        assert_clear_error(error)
        return
    assert model.sample(2, seed=0).shape == (2, *input_shape)


FUZZ_METHODS = ["fit", "evaluate", "predict", "encode", "elbo",
                "log_likelihood"]


@pytest.fixture(scope="module")
def fuzz_model():
    model = build(hidden_units=(8,))
    model.compile()
    return model


@settings(max_examples=30, deadline=None)
@given(
    method=st.sampled_from(FUZZ_METHODS),
    shape=st.one_of(
        st.lists(st.integers(0, 9), max_size=5).map(tuple),
        st.integers(0, 3).map(lambda batch: (batch, *SHAPE)),
    ),
    dtype=st.sampled_from(
        ["float32", "float64", "uint8", "int32", "bool", "complex64", "<U1"]
    ),
    value=st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, np.nan, np.inf]),
)
def test_fuzz_input_shapes(fuzz_model, method, shape, dtype, value):
    with np.errstate(invalid="ignore"):
        x = np.full(shape, value).astype(dtype)
    weights = [np.array(weight) for weight in fuzz_model.weights]
    arguments = {"fit": {"epochs": 1, "verbose": 0},
                 "evaluate": {"verbose": 0}, "predict": {"verbose": 0},
                 "log_likelihood": {"num_samples": 2}}.get(method, {})
    try:
        getattr(fuzz_model, method)(x, **arguments)
    except Exception as error:  # noqa: BLE001 - the check is the point
        assert_clear_error(error)
        for old, new in zip(weights, fuzz_model.weights):
            np.testing.assert_array_equal(old, np.array(new))


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), max_size=3).map(tuple),
    value=st.sampled_from([0.0, -3.0, 1e30, np.nan, -np.inf]),
)
def test_fuzz_latents(fuzz_model, shape, value):
    try:
        fuzz_model.decode(np.full(shape, value, "float32")).mean()
    except Exception as error:  # noqa: BLE001 - the check is the point
        assert_clear_error(error)


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc_text())
    print(f"wrote {DOC}")

"""The `zoo` command: train, evaluate, sample from and export VAEs.

    zoo list
    zoo train conv_vae --dataset fashion_mnist --epochs 5 --output runs/conv_vae
    zoo train conv_vae --data my_images/ --option filters=16,32 --epochs 5
    zoo evaluate runs/conv_vae
    zoo sample runs/conv_vae --n 64 --seed 0 --out grid.png
    zoo export runs/conv_vae --to saved_models/conv_vae

A run folder holds `run.json` (the arguments), `model.keras`, one
checkpoint per epoch under `checkpoints/`, `history.json`, `metrics.json`,
TensorBoard logs under `logs/` (scalars, and reconstructions and samples as
images), and the figures `samples.png`, `reconstructions.png`, `curves.png`,
`latent.png`, `traversals.png`, `interpolation.png` and, for 2-D latents,
`manifold.png`. One run per folder, locked, written atomically; continue an
interrupted run with `zoo train --resume RUN` (zoo/training/runs.py).

`--data PATH` trains on your own images (a folder of image files, a
`.npy`/`.npz` array, or a `write_stream` folder; see zoo/cli/data.py), and
`--option KEY=VALUE` sets any model option (`zoo.get` checks it).

The command is quiet: TensorFlow's log lines are hidden unless `--verbose`
or `ZOO_VERBOSE=1` asks for them (zoo/quiet.py). Training shows a progress
bar per step on a terminal and one line per epoch otherwise.

Every command has `--help`; a bad argument exits with status 2 and one line
saying what is wrong.
"""

import argparse
import json
import pathlib
import sys

# Nothing here imports TensorFlow: `zoo --help` and a bad argument answer
# at once; `main` loads TensorFlow (quietly) and the zoo once the
# arguments are parsed.
from zoo.cli import data as cli_data
from zoo.numbers import MAX_IMAGE_SIDE
from zoo.numbers import MAX_LATENT_DIM
from zoo.numbers import MAX_SAMPLES
from zoo.numbers import check_number
from zoo.numbers import describe_number

DATASETS = cli_data.BUILT_IN

#: `zoo.models.autoencoder.DEFAULT_LEARNING_RATE`, the models' compile()
#: default, written out so that parsing the arguments does not load
#: TensorFlow (tests/test_cli.py checks they match).
DEFAULT_LEARNING_RATE = 2e-3

#: `zoo train --seed`: an int in [0, MAX_SEED], numpy's seed range
#: (`keras.utils.set_random_seed`).
MAX_SEED = 2**32 - 1

#: The figures drawn without a condition; a conditional model's run skips
#: them (saying so) and draws samples.png one row per class.
UNCONDITIONAL_FIGURES = ("reconstructions.png", "latent.png",
                         "traversals.png", "interpolation.png",
                         "manifold.png")


def _load_model(run):
    """The model of the run folder `run`; needs only its model.keras."""
    import keras

    from zoo.training import runs

    run = pathlib.Path(run)
    if not (run / "model.keras").exists():
        raise ValueError(
            f"{run} is not a run folder (no model.keras); make one with "
            "`zoo train MODEL --output RUN`."
        )
    damage = runs.keras_file_damage(run / "model.keras")
    if damage:
        raise ValueError(
            f"{run / 'model.keras'} is damaged ({damage}); train the run "
            "again (`zoo train --resume` if it has a backup/)."
        )
    return keras.models.load_model(run / "model.keras")


def train(args):
    import keras

    from zoo.training import distribute
    from zoo.training import runs

    args = _train_settings(args)
    _check_trainable_here(args.model)
    strategy = distribute.strategy_from_name(args.strategy)
    run_folder = pathlib.Path(args.output or f"runs/{args.model}")
    # With several workers only the chief writes the run folder.
    output = pathlib.Path(distribute.chief_path(run_folder))
    keras.utils.set_random_seed(args.seed)
    settings = _settings(args)
    data = cli_data.load(settings)
    settings["binarize"] = data.binarize  # the one applied, if defaulted
    options = _model_options(args, data)
    settings["model_options"] = _json_ready(options)
    with strategy.scope():
        model = _build_model(args.model, data, options)
        _check_has_bound(model)
        conditional = model.condition_spec() is not None
        if conditional:
            model.build([(None, *data.image_shape), (None,)])
        else:
            model.build((None, *data.image_shape))  # BackupAndRestore needs it
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    # Checked before any step is run; nothing is written until then.
    if args.export_to:
        runs.check_writable(args.export_to, "--export-to")
    settings["data_description"] = data.description
    settings["test_split"] = data.test_split
    settings["data_fingerprint"] = data.fingerprint
    run = runs.open_run(output, settings, overwrite=args.overwrite)
    try:
        _train_into(run, model, data, args, run_folder)
    finally:
        run.close()


def _train_into(run, model, data, args, run_folder):
    """Train `model` on `data` as `args` say into the taken run folder."""
    import keras

    import zoo
    from zoo.training import atomic
    from zoo.training import distribute
    from zoo.training import runs
    from zoo.evaluation import likelihood

    output = run.path
    conditional = model.condition_spec() is not None
    x_test, y_test = data.x_test, data.y_test
    history = runs.HistoryFile(output / "history.json")
    callbacks = [
        # History and checkpoint before the backup: a backup of epoch N
        # implies both hold epoch N (a resume trims or rewrites the rest).
        history,
        runs.EpochCheckpoint(output / "checkpoints"),
        # The run folder's backup, shared by every worker (only the chief
        # writes it), so a restarted job resumes from one epoch everywhere.
        # It outlives fit: run.finish() deletes it once all is written.
        distribute.BackupAndRestore(run_folder / "backup",
                                    delete_checkpoint=False),
        zoo.training.callbacks.StopOnNonFinite(),
        keras.callbacks.TensorBoard(output / "logs"),
    ]
    if not conditional:  # its images are drawn without labels
        callbacks.append(zoo.training.callbacks.TensorBoardImages(
            output / "logs", x_test[:8]))
    model.fit(
        data.train_dataset(args.batch_size, args.seed, conditional),
        epochs=args.epochs,
        validation_data=data.test_dataset(conditional),
        callbacks=callbacks,
        verbose=_fit_verbosity(),
    )
    atomic.save_model(model, output / "model.keras")
    metrics = {
        "test_negative_elbo": likelihood.negative_elbo(
            model, x_test, labels=y_test if conditional else None
        ),
        "test_split": data.test_split,
    }
    atomic.write_json(output / "metrics.json", metrics)
    _write_figures(model, history.history, data, output, args.seed)
    if args.export_to:
        from zoo import export

        path = export.export_for_serving(model, args.export_to)
    run.finish()
    print(f"test -ELBO: {metrics['test_negative_elbo']:.2f} nats per image")
    print(f"run written to {output}/ (samples.png, model.keras, logs/, "
          "checkpoints/)")
    if args.export_to:
        print(f"SavedModel exported to {path}")


def _settings(args):
    """The run's settings for run.json: every argument, as JSON values."""
    settings = {key: value for key, value in vars(args).items()
                if key != "handler"}
    settings["option"] = list(args.option or [])
    if args.data is not None:
        # --data replaces --dataset; absolute paths, so `zoo evaluate`
        # reads the same files from any folder.
        settings["dataset"] = None
        settings["data"] = str(pathlib.Path(args.data).expanduser().resolve())
    if args.labels is not None:
        settings["labels"] = str(
            pathlib.Path(args.labels).expanduser().resolve())
    return _json_ready(settings)


def _json_ready(value):
    """Tuples as lists, so the settings read back as they were written."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_ready(item) for item in value]
    return value


def _model_options(args, data):
    """The options `zoo.get` builds the model with: the dedicated flags,
    then every `--option KEY=VALUE` (a key given twice is an error)."""
    options = {"latent_dim": args.latent_dim or 16, "seed": args.seed}
    if args.beta is not None:
        options["beta"] = args.beta
    if args.likelihood is not None:
        options["likelihood"] = args.likelihood
    flags = {"latent_dim": "--latent-dim", "beta": "--beta",
             "likelihood": "--likelihood"}
    given = set()
    for text in args.option or []:
        key, value = cli_data.parse_option(text)
        if key == "input_shape":
            raise ValueError(
                "input_shape comes from the data; drop --option "
                f"input_shape (use --image-size/--channels for a folder). "
                f"Received: --option {text}"
            )
        if key == "seed":
            raise ValueError(
                "The seed is set by --seed (it also seeds the data order); "
                f"drop --option seed. Received: --option {text}"
            )
        if key in given:
            raise ValueError(
                f"--option {key} is given twice; keep one. "
                f"Received: --option {text}"
            )
        explicit = key == "latent_dim" and args.latent_dim is not None or (
            key in ("beta", "likelihood") and getattr(args, key) is not None
        )
        if explicit:
            raise ValueError(
                f"{key} is set by both {flags[key]} and --option {key}; "
                "keep one."
            )
        given.add(key)
        options[key] = value
    return _with_dataset_size(args.model, data,
                              _with_num_classes(args.model, data, options))


def _with_dataset_size(name, data, options):
    """An objective that estimates over the whole dataset (beta-TC's
    `dataset_size`, N in its minibatch-weighted sampling) gets the number
    of training images unless `--option dataset_size=` says."""
    from zoo.models import registry

    if "dataset_size" in options or name not in registry.MODELS or (
            "dataset_size" not in registry.options(
                name, options.get("objective"))):
        return options
    return {**options, "dataset_size": data.num_train}


def _check_trainable_here(name):
    """`zoo train` scores and plots a Gaussian latent (ELBO, importance-
    weighted NLL, latent figures; for a hierarchy, of its top group z_0);
    a codebook model is trained from Python for now."""
    from zoo.models import registry

    if name in registry.MODELS and not registry.model_class(
            name).has_gaussian_posterior:
        raise ValueError(
            f"`zoo train {name}` is not supported yet: its run folder's "
            "scores and figures assume a Gaussian latent. Train it from "
            "Python (zoo.get(name, ...).fit(x), then fit_prior(x)); see "
            "notebooks/08_vq_vae.ipynb."
        )


def _check_has_bound(model):
    """`zoo train` scores a run by its test -ELBO: a deterministic latent
    (a plain or regularised autoencoder) has none, and is refused before
    anything is written."""
    latent = getattr(model, "latent", None)
    if latent is not None and not latent.has_bound:
        raise ValueError(
            "`zoo train` scores a run by its test -ELBO, and "
            f"latent={latent.registry_name!r} has no bound; train it from "
            "Python (zoo.get(name, ...).fit(x)) for now."
        )


def _with_num_classes(name, data, options):
    """A conditional preset (one that fixes `num_classes`) gets the data's
    number of classes unless `--option num_classes=` says; data without
    labels is an error for it, and so are labels the model cannot take
    (-1, unlabelled, but for a semi-supervised model; an id at or above
    `--option num_classes`), before anything is built."""
    from zoo.models import registry

    preset = registry.MODELS.get(name, {})
    semi_supervised = options.get(
        "objective", preset.get("objective")) == "semi_supervised"
    if data.unlabelled and not semi_supervised:
        raise ValueError(
            f"The labels mark {data.unlabelled} training image(s) "
            "unlabelled (-1), which only a semi-supervised model takes "
            "(zoo train semi_supervised_vae, or --option "
            "objective=semi_supervised); give them class ids or drop them. "
            f"Received: model={name}"
        )
    given = options.get("num_classes")
    if isinstance(given, int) and data.num_classes is not None and (
        data.num_classes > given > 0
    ):
        raise ValueError(
            f"The labels go up to {data.num_classes - 1}, so --option "
            f"num_classes must be at least {data.num_classes}; raise it or "
            "drop it (the data's number of classes is the default). "
            f"Received: --option num_classes={given}"
        )
    if preset.get("num_classes") is None or "num_classes" in options:
        return options
    if data.num_classes is None:
        raise ValueError(
            f"{name!r} is conditioned on labels, and this data has none: "
            "pass --labels LABELS.npy (one int per image), or --data a "
            "folder with one subfolder of images per class."
        )
    return {**options, "num_classes": data.num_classes}


def _build_model(name, data, options):
    """`zoo.get(name, ...)` for the data, a wrong-typed option reported as
    a ValueError."""
    import zoo

    try:
        return zoo.get(name, input_shape=data.image_shape, **options)
    except TypeError as error:
        raise ValueError(
            f"A model option has the wrong type ({error}); see the model's "
            "docstring. Received: " + ", ".join(
                f"{key}={value!r}" for key, value in options.items())
        ) from None


def _fit_verbosity():
    """Keras's fit verbosity: a progress bar per step on a terminal, one
    line per epoch otherwise (a log file, CI)."""
    return 1 if sys.stdout.isatty() else 2


def _train_settings(args):
    """`args` completed from the run folder's run.json for `--resume RUN`
    (explicit options must match it); a model name is needed otherwise."""
    from zoo.training import runs

    if args.resume is None:
        if args.model is None:
            raise ValueError(
                "name the model to train (see `zoo list`), or continue a run "
                "with `zoo train --resume RUN`."
            )
        return args
    if args.output is not None and (
        pathlib.Path(args.output).expanduser().resolve()
        != pathlib.Path(args.resume).expanduser().resolve()
    ):
        raise ValueError(
            f"--resume {args.resume} and --output {args.output} name two "
            "folders; --resume RUN alone continues RUN."
        )
    # Compared as run.json holds them: paths absolute (the same file
    # given by a relative path is no conflict), tuples as lists.
    defaults = _settings(build_parser().parse_args(["train", "MODEL"]))
    defaults["model"] = None
    settings = runs.resume_settings(args.resume, _settings(args), defaults)
    settings["output"] = args.resume
    settings["handler"] = args.handler
    return argparse.Namespace(**settings)


def _write_figures(model, history, data, output, seed):
    """The run folder's figures, from the trained model and the test set.

    A conditional model draws samples.png with one row per class and
    curves.png; the other figures encode or decode without labels, so they
    are skipped, and a line says so."""
    from zoo import plotting

    x_test, y_test = data.x_test, data.y_test
    plotting.training_curves(history, output / "curves.png")
    if model.condition_spec() is not None:
        columns = 8
        labels = [label for label in range(model.num_classes)
                  for _ in range(columns)]
        plotting.image_grid(
            model.sample(len(labels), seed=seed, labels=labels),
            output / "samples.png", columns=columns,
            title="samples, one row per class",
            row_labels=data.class_names,
        )
        print("skipped " + ", ".join(UNCONDITIONAL_FIGURES) + " and the "
              "TensorBoard images: they are drawn for unconditional models; "
              "a conditional model's samples.png has one row per class")
        return
    plotting.image_grid(model.sample(64, seed=seed), output / "samples.png",
                        title="samples from the prior")
    plotting.reconstructions(model, x_test[:10], output / "reconstructions.png")
    plotting.latent_scatter(model, x_test, y_test, output / "latent.png",
                            class_names=data.class_names)
    plotting.latent_traversals(model, x_test[0], output / "traversals.png")
    pairs = min(4, len(x_test) // 2)
    if pairs:
        plotting.interpolation(
            model, x_test[:pairs], x_test[pairs:2 * pairs],
            output / "interpolation.png",
        )
    else:
        print("skipped interpolation.png: it needs 2 test images; the test "
              f"split has {len(x_test)}")
    if model.latent_dim == 2:
        plotting.latent_manifold(model, output / "manifold.png")


def evaluate(args):
    from zoo.training import runs
    from zoo.evaluation import likelihood

    model = _load_model(args.run)
    run = runs.read_settings(args.run)
    if run is None:
        raise ValueError(
            f"{args.run} has no run.json, so its data is unknown; "
            "evaluate the model from Python (zoo.evaluation.likelihood)."
        )
    data = cli_data.load(run)
    if run.get("data_fingerprint") and (
        data.fingerprint != run["data_fingerprint"]
    ):
        raise ValueError(
            f"The data of {args.run}, {run.get('data')}, changed since the "
            "run was trained (data_fingerprint "
            f"{run['data_fingerprint']} -> {data.fingerprint}), so its "
            "test split is not the one it was scored on. Restore the data, "
            "or train a run on the new data. Received: run=" + str(args.run)
        )
    x_test = data.x_test[: args.limit]
    if model.condition_spec() is None:
        results = likelihood.evaluate_likelihood(
            model, x_test, num_samples=args.num_samples
        )
    else:
        labels = data.y_test[: args.limit]
        nll = likelihood.negative_log_likelihood(
            model, x_test, num_samples=args.num_samples, labels=labels
        )
        results = {
            "negative_elbo": likelihood.negative_elbo(model, x_test,
                                                      labels=labels),
            "nll": nll,
            "bits_per_dim": likelihood.bits_per_dim(nll, model.image_shape),
            "num_samples": args.num_samples,
            "num_examples": len(x_test),
        }
    results["test_split"] = data.test_split
    print(json.dumps(results, indent=2))


def sample(args):
    from zoo import plotting

    model = _load_model(args.run)
    plotting.image_grid(model.sample(args.n, seed=args.seed), args.out)
    print(f"{args.n} samples written to {args.out}")


def export_run(args):
    from zoo import export

    if args.format != "savedmodel" and args.version is not None:
        raise ValueError(
            f"--version numbers SavedModel versions; a {args.format} export "
            "is one folder of files. Drop --version, or pass --format "
            "savedmodel."
        )
    version = args.version and pathlib.Path(args.to) / str(args.version)
    if version and (version / "saved_model.pb").exists() and (
        not args.overwrite
    ):
        raise ValueError(
            f"Version {args.version} already exists at {version}; pass "
            "--overwrite to replace it, or drop --version to write the next "
            f"version. Received: --version {args.version}"
        )
    model = _load_model(args.run)
    if args.format == "savedmodel":
        path = export.export_for_serving(
            model, args.to, version=args.version, overwrite=args.overwrite
        )
        print(f"SavedModel exported to {path}")
        return
    from zoo.export import convert

    report = convert.convert(model, args.to, args.format,
                             overwrite=args.overwrite)
    print(f"{args.format} files written to {args.to}/: "
          + ", ".join(info["file"] for info in report["converted"].values()))
    for name, reason in report["skipped"].items():
        print(f"skipped {name}: {reason}")
    print(f"inputs and outputs of each: {args.to}/signatures.json")


def list_models(args):
    import zoo

    for name in zoo.list_models():
        print(name)


def _number(integer=True, example=None, **bounds):
    """An argparse type: the text as an int (or a float) checked by
    `zoo.numbers.check_number` with `bounds`, the one rule of the library's
    own arguments; the message says what is expected in the same words."""

    def parse(text):
        try:
            value = (int if integer else float)(text)
            return check_number(value, "value", integer=integer, **bounds)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {describe_number(integer, **bounds)}, e.g. "
                f"{example}. Received: {text!r}"
            ) from None

    return parse


def _image_size(text):
    parse = _number(example=28, minimum=1, maximum=MAX_IMAGE_SIDE)
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise argparse.ArgumentTypeError("")
        return tuple(parse(part) for part in parts)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            "must be HEIGHT,WIDTH, two positive ints up to "
            f"{MAX_IMAGE_SIDE}, e.g. 28,28. Received: {text!r}"
        ) from None


_positive_int = _number(example=5, minimum=1)
_positive_float = _number(integer=False, example="1e-3", minimum=0.0,
                          above=True)
_seed = _number(example=0, minimum=0, maximum=MAX_SEED)


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line, with a pointer to
    `--help` instead of the usage text."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} "
                     "--help`)\n")


def build_parser():
    parser = _Parser(
        prog="zoo", description="Variational autoencoders for Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="list the models").set_defaults(
        handler=list_models
    )

    command = commands.add_parser("train", help="train a model into a run folder")
    command.add_argument("model", nargs="?",
                         help="a name from `zoo list` (not with --resume)")
    command.add_argument("--dataset", choices=DATASETS, default="fashion_mnist",
                         help="a built-in dataset (default: %(default)s; "
                         "--data replaces it)")
    command.add_argument(
        "--data", metavar="PATH",
        help="your own data: a folder of images (one subfolder per class "
        "gives labels), a .npy/.npz array, or a write_stream folder "
        "(streamed from disk)",
    )
    command.add_argument(
        "--image-size", type=_image_size, metavar="H,W",
        help="with --data FOLDER: resize every image to H,W (default: the "
        "first image's size)",
    )
    command.add_argument(
        "--channels", type=int, choices=(1, 3, 4),
        help="with --data FOLDER: 1 grey, 3 RGB, 4 RGBA (default: the "
        "first image's)",
    )
    command.add_argument(
        "--labels", metavar="FILE.npy",
        help="int labels, one per image of --data (a conditional model "
        "needs labels; others colour the latent plot with them)",
    )
    command.add_argument(
        "--option", action="append", metavar="KEY=VALUE",
        help="a model option, repeatable: e.g. --option filters=16,32 "
        "--option prior=mixture (values: int, float, None, tuple A,B, str); "
        "`zoo.get` checks it and lists the valid ones",
    )
    command.add_argument(
        "--binarize", choices=("none", "static", "dynamic"),
        help="pixel binarization (default: static, the benchmark protocol; "
        "dynamic for a write_stream folder)",
    )
    command.add_argument("--latent-dim",
                         type=_number(example=16, minimum=1,
                                      maximum=MAX_LATENT_DIM),
                         help="latent dimensions (default: 16)")
    command.add_argument("--epochs", type=_positive_int, default=5,
                         help="training epochs (default: %(default)s)")
    command.add_argument("--batch-size", type=_positive_int, default=128,
                         help="images per step (default: %(default)s)")
    command.add_argument("--learning-rate", type=_positive_float,
                         default=DEFAULT_LEARNING_RATE,
                         help="Adam's learning rate (default: %(default)s, "
                         "as the models' compile())")
    command.add_argument("--beta", type=float, default=None,
                         help="weight on the KL term (default: the model's)")
    command.add_argument(
        "--likelihood",
        choices=("bernoulli", "continuous_bernoulli", "gaussian", "pixelcnn"),
        help="p(x|z) (default: the model's, bernoulli)",
    )
    command.add_argument("--seed", type=_seed, default=0,
                         help="seeds data order and weights (default: 0)")
    command.add_argument("--output", help="run folder (default runs/MODEL)")
    command.add_argument(
        "--resume", metavar="RUN",
        help="continue the interrupted run in RUN with its run.json settings",
    )
    command.add_argument(
        "--overwrite", action="store_true",
        help="replace the run already in --output (its files are removed)",
    )
    command.add_argument(
        "--export-to", help="also export a SavedModel version under this folder"
    )
    command.add_argument("--verbose", action="store_true",
                         help="show TensorFlow's log lines (also "
                         "ZOO_VERBOSE=1); training shows a progress bar on "
                         "a terminal, one line per epoch otherwise")
    command.add_argument(
        "--strategy", choices=("default", "mirrored", "multi_worker"),
        default="default",
        help="tf.distribute strategy: mirrored = every local GPU, "
        "multi_worker = the cluster in TF_CONFIG (docs/distributed.md)",
    )
    command.set_defaults(handler=train)

    command = commands.add_parser("evaluate", help="-ELBO, NLL, active units")
    command.add_argument("run", help="a run folder written by `zoo train`")
    command.add_argument("--num-samples", type=_positive_int, default=100,
                         help="importance samples K of the NLL bound "
                         "(default: 100)")
    command.add_argument("--limit", type=_positive_int, default=2000,
                         help="score the first N test images (default 2000)")
    command.set_defaults(handler=evaluate)

    command = commands.add_parser("sample", help="a PNG grid of prior samples")
    command.add_argument("run", help="a run folder written by `zoo train`")
    command.add_argument("--n",
                         type=_number(example=64, minimum=1,
                                      maximum=MAX_SAMPLES), default=64,
                         help="number of samples (default: 64)")
    command.add_argument("--seed", type=int, default=0,
                         help="same seed, same samples (default: 0)")
    command.add_argument("--out", default="samples.png",
                         help="the PNG to write (default: samples.png)")
    command.set_defaults(handler=sample)

    command = commands.add_parser(
        "export", help="export a TF Serving SavedModel, ONNX or LiteRT files"
    )
    command.add_argument("run", help="a run folder written by `zoo train`")
    command.add_argument("--to", required=True,
                         help="the model's folder, e.g. saved_models/NAME")
    command.add_argument(
        "--format", choices=("savedmodel", "onnx", "litert"),
        default="savedmodel",
        help="savedmodel (default; TF Serving's versioned layout), onnx or "
        "litert (one file per signature that converts; needs "
        "pip install -e .[export])",
    )
    command.add_argument("--version", type=_positive_int,
                         help="SavedModel version number (default: the "
                         "next one)")
    command.add_argument("--overwrite", action="store_true",
                         help="replace an existing --version, or an earlier "
                         "onnx/litert export in --to")
    command.set_defaults(handler=export_run)
    return parser


def main(argv=None):
    """Entry point of the `zoo` console script and `python -m zoo`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from zoo import quiet

    verbose = getattr(args, "verbose", False)
    quiet.load_tensorflow(verbose)
    import zoo

    zoo.load()  # the zoo's packages and public names, as `import zoo` has
    quiet.hide_python_logs(verbose)
    try:
        args.handler(args)
    except (ValueError, OSError, FloatingPointError, ImportError) as error:
        reason = " ".join(str(error).split())  # one line
        parser.exit(2, f"zoo {args.command}: error: {reason}\n")
    return 0

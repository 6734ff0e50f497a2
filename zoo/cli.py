"""The `zoo` command: train, evaluate, sample from and export VAEs.

    zoo list
    zoo train conv_vae --dataset fashion_mnist --epochs 5 --output runs/conv_vae
    zoo evaluate runs/conv_vae
    zoo sample runs/conv_vae --n 64 --seed 0 --out grid.png
    zoo export runs/conv_vae --to saved_models/conv_vae

A run folder holds `run.json` (the arguments), `model.keras`, one
checkpoint per epoch under `checkpoints/`, `history.json`, `metrics.json`,
TensorBoard logs under `logs/` (scalars, and reconstructions and samples as
images), and the figures `samples.png`, `reconstructions.png`, `curves.png`,
`latent.png`, `traversals.png`, `interpolation.png` and, for 2-D latents,
`manifold.png`. One run per folder, locked, written atomically; continue an
interrupted run with `zoo train --resume RUN` (zoo/runs.py).

Every command has `--help`; a bad argument exits with status 2 and one line
saying what is wrong.
"""

import argparse
import json
import pathlib
import sys

DATASETS = ("fashion_mnist", "mnist", "digits")


def _load_data(name, binarize, seed):
    from zoo import datasets

    if name == "digits":
        return datasets.digits(binarize=binarize, seed=seed)
    return getattr(datasets, name)(binarize=binarize, seed=seed)


def _load_model(run):
    """The model of the run folder `run`; needs only its model.keras."""
    import keras

    from zoo import runs

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

    import zoo
    from zoo import distribute
    from zoo import runs

    args = _train_settings(args)
    strategy = distribute.strategy_from_name(args.strategy)
    run_folder = pathlib.Path(args.output or f"runs/{args.model}")
    # With several workers only the chief writes the run folder.
    output = pathlib.Path(distribute.chief_path(run_folder))
    options = {"latent_dim": args.latent_dim, "seed": args.seed}
    if args.beta is not None:
        options["beta"] = args.beta
    if args.likelihood is not None:
        options["likelihood"] = args.likelihood
    keras.utils.set_random_seed(args.seed)
    data = _load_data(args.dataset, args.binarize, args.seed)
    with strategy.scope():
        model = zoo.get(args.model, input_shape=data.image_shape, **options)
        if model.condition_spec() is not None:
            raise ValueError(
                f"`zoo train` trains unconditional models; {args.model!r} "
                "needs labels as inputs. Train it from Python: "
                "model.fit([x, labels]) (see the README's Models section)."
            )
        model.build((None, *data.image_shape))  # BackupAndRestore needs it
        model.compile(optimizer=keras.optimizers.Adam(args.learning_rate))
    # Checked before any step is run; nothing is written until then.
    if args.export_to:
        runs.check_writable(args.export_to, "--export-to")
    settings = {key: value for key, value in vars(args).items()
                if key != "handler"}
    run = runs.open_run(output, settings, overwrite=args.overwrite)
    try:
        _train_into(run, model, data, args, run_folder)
    finally:
        run.close()


def _train_into(run, model, data, args, run_folder):
    """Train `model` on `data` as `args` say into the taken run folder."""
    import keras

    import zoo
    from zoo import atomic
    from zoo import distribute
    from zoo import runs
    from zoo.evaluation import likelihood

    output = run.path
    x_test, y_test = data.split("test")
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
        zoo.callbacks.StopOnNonFinite(),
        keras.callbacks.TensorBoard(output / "logs"),
        zoo.callbacks.TensorBoardImages(output / "logs", x_test[:8]),
    ]
    model.fit(
        data.as_dataset("train", batch_size=args.batch_size, seed=args.seed),
        epochs=args.epochs,
        validation_data=data.as_dataset("test", batch_size=500, shuffle=False),
        callbacks=callbacks,
        verbose=args.verbose,
    )
    atomic.save_model(model, output / "model.keras")
    metrics = {"test_negative_elbo": likelihood.negative_elbo(model, x_test)}
    atomic.write_json(output / "metrics.json", metrics)
    _write_figures(model, history.history, x_test, y_test, output, args.seed)
    if args.export_to:
        from zoo import export

        path = export.export_for_serving(model, args.export_to)
    run.finish()
    print(f"test -ELBO: {metrics['test_negative_elbo']:.2f} nats per image")
    print(f"run written to {output}/ (samples.png, model.keras, logs/, "
          "checkpoints/)")
    if args.export_to:
        print(f"SavedModel exported to {path}")


def _train_settings(args):
    """`args` completed from the run folder's run.json for `--resume RUN`
    (explicit options must match it); a model name is needed otherwise."""
    from zoo import runs

    if args.resume is None:
        if args.model is None:
            raise ValueError(
                "name the model to train (see `zoo list`), or continue a run "
                "with `zoo train --resume RUN`."
            )
        return args
    if args.output is not None and args.output != args.resume:
        raise ValueError(
            f"--resume {args.resume} and --output {args.output} name two "
            "folders; --resume RUN alone continues RUN."
        )
    defaults = vars(build_parser().parse_args(["train", "MODEL"]))
    defaults["model"] = None
    settings = runs.resume_settings(args.resume, vars(args), defaults)
    settings["output"] = args.resume
    return argparse.Namespace(**settings)


def _write_figures(model, history, x_test, y_test, output, seed):
    """The run folder's figures, from the trained model and the test set."""
    from zoo import plotting

    plotting.image_grid(model.sample(64, seed=seed), output / "samples.png")
    plotting.reconstructions(model, x_test[:10], output / "reconstructions.png")
    plotting.training_curves(history, output / "curves.png")
    plotting.latent_scatter(model, x_test, y_test, output / "latent.png")
    plotting.latent_traversals(model, x_test[0], output / "traversals.png")
    plotting.interpolation(
        model, x_test[:4], x_test[4:8], output / "interpolation.png"
    )
    if model.latent_dim == 2:
        plotting.latent_manifold(model, output / "manifold.png")


def evaluate(args):
    from zoo.evaluation import likelihood

    from zoo import runs

    model = _load_model(args.run)
    run = runs.read_settings(args.run)
    if run is None:
        raise ValueError(
            f"{args.run} has no run.json, so its dataset is unknown; "
            "evaluate the model from Python (zoo.evaluation.likelihood)."
        )
    data = _load_data(run["dataset"], run["binarize"], run["seed"])
    x_test, _ = data.split("test")
    results = likelihood.evaluate_likelihood(
        model, x_test[: args.limit], num_samples=args.num_samples
    )
    print(json.dumps(results, indent=2))


def sample(args):
    from zoo import plotting

    model = _load_model(args.run)
    plotting.image_grid(model.sample(args.n, seed=args.seed), args.out)
    print(f"{args.n} samples written to {args.out}")


def export_run(args):
    from zoo import export

    model = _load_model(args.run)
    path = export.export_for_serving(
        model, args.to, version=args.version, overwrite=args.overwrite
    )
    print(f"SavedModel exported to {path}")


def list_models(args):
    import zoo

    for name in zoo.list_models():
        print(name)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, e.g. 5. Received: {text!r}"
        )
    return value


def _at_most(limit_name):
    """An argparse type: a positive int up to `zoo.validation.<limit_name>`,
    so an absurd size is refused before anything is allocated."""

    def parse(text):
        from zoo import validation

        value = _positive_int(text)
        limit = getattr(validation, limit_name)
        if value > limit:
            raise argparse.ArgumentTypeError(
                f"must be at most {limit:,}, the zoo's limit. Received: "
                f"{text!r}"
            )
        return value

    return parse


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number, e.g. 1e-3. Received: {text!r}"
        )
    return value


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
                         help="training data (default: %(default)s)")
    command.add_argument(
        "--binarize", choices=("none", "static", "dynamic"), default="static",
        help="pixel binarization (default: static, the benchmark protocol)",
    )
    command.add_argument("--latent-dim", type=_at_most("MAX_LATENT_DIM"),
                         default=16,
                         help="latent dimensions (default: %(default)s)")
    command.add_argument("--epochs", type=_positive_int, default=5,
                         help="training epochs (default: %(default)s)")
    command.add_argument("--batch-size", type=_positive_int, default=128,
                         help="images per step (default: %(default)s)")
    command.add_argument("--learning-rate", type=_positive_float, default=1e-3,
                         help="Adam's learning rate (default: %(default)s)")
    command.add_argument("--beta", type=float, default=None,
                         help="weight on KL (default: the model's)")
    command.add_argument(
        "--likelihood", choices=("bernoulli", "continuous_bernoulli", "gaussian"),
        help="p(x|z) (default: the model's, bernoulli)",
    )
    command.add_argument("--seed", type=int, default=0,
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
    command.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2,
                         help="Keras fit verbosity (default: 2, one line "
                         "per epoch)")
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
    command.add_argument("--n", type=_at_most("MAX_SAMPLES"), default=64,
                         help="number of samples (default: 64)")
    command.add_argument("--seed", type=int, default=0,
                         help="same seed, same samples (default: 0)")
    command.add_argument("--out", default="samples.png",
                         help="the PNG to write (default: samples.png)")
    command.set_defaults(handler=sample)

    command = commands.add_parser("export", help="export a TF Serving SavedModel")
    command.add_argument("run", help="a run folder written by `zoo train`")
    command.add_argument("--to", required=True,
                         help="the model's folder, e.g. saved_models/NAME")
    command.add_argument("--version", type=_positive_int,
                         help="version number (default: the next one)")
    command.add_argument("--overwrite", action="store_true",
                         help="replace an existing --version")
    command.set_defaults(handler=export_run)
    return parser


def main(argv=None):
    """Entry point of the `zoo` console script and `python -m zoo`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, OSError, FloatingPointError) as error:
        reason = " ".join(str(error).split())  # one line
        parser.exit(2, f"zoo {args.command}: error: {reason}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

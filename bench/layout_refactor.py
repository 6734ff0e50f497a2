"""Did the layout refactor change the numbers or the speed?

The layout issue moved every module into a package per axis, made the
objectives one-way (the model hands them the pieces of the bound) and gave
the base class what the models shared. This script builds each model from
the code before it (commit `OLD_COMMIT`, extracted by `git archive` into a
temporary package `zoo_before_layout`,
`bench.refactor_speed.import_old_zoo`) and
from this tree's, in ONE process, and checks:

1. Equality: with the same global seed both get the same initial weights,
   the same first training-step loss on the same batch, and, after one
   epoch on the same Fashion-MNIST images in the same order, the same
   validation loss (to float32 round-off).
2. Speed: training steps timed alternately, old then new, `--repeats`
   times (`--steps` steps each, after a warm-up compiling both), so the
   machine's noise hits both alike; the medians and their ratio.

    python -m bench.layout_refactor        # results/layout_refactor.json
    python -m bench.layout_refactor --smoke

Models: `conv_vae`, `iwae` and `hierarchical_vae` at latent 16, batch 128,
Adam 1e-3. Needs git and the repository's history (commit `OLD_COMMIT`).
"""

import argparse
import tempfile

import numpy as np

from bench import common
from bench.refactor_speed import import_old_zoo
from bench.refactor_speed import timed_steps

#: The last commit before the layout refactor.
OLD_COMMIT = "ba3d020"

MODELS = ("conv_vae", "iwae", "hierarchical_vae")


def build(get, name, seed, smoke):
    import keras

    keras.utils.set_random_seed(seed)
    options = {"width": 8} if smoke and name == "hierarchical_vae" else {}
    model = get(name, input_shape=(28, 28, 1), latent_dim=16, seed=0,
                **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def compare(name, old_get, new_get, train, validation, args):
    """The equality checks and the alternated timing of one model."""
    import tensorflow as tf

    old = build(old_get, name, 0, args.smoke)
    new = build(new_get, name, 0, args.smoke)
    old_weights, new_weights = old.get_weights(), new.get_weights()
    same_weights = len(old_weights) == len(new_weights) and all(
        a.shape == b.shape and np.array_equal(a, b)
        for a, b in zip(old_weights, new_weights))
    first = train[:128]
    losses = {}
    for key, model in (("old", old), ("new", new)):
        model.seed_generator.state.assign([0, 0])
        losses[key] = float(model.train_on_batch(
            first, return_dict=True)["loss"])
    validation_losses = {}
    for key, model in (("old", old), ("new", new)):
        model.seed_generator.state.assign([0, 0])
        model.fit(tf.data.Dataset.from_tensor_slices(train).batch(128),
                  epochs=1, verbose=0)
        model.seed_generator.state.assign([0, 0])
        validation_losses[key] = float(model.evaluate(
            validation, batch_size=500, verbose=0, return_dict=True)["loss"])
    batches = [train[start:start + 128]
               for start in range(0, len(train) - 127, 128)][:10]
    for model in (old, new):  # warm up: trace and compile
        timed_steps(model, batches, 3)
    seconds = {"old": [], "new": []}
    for _ in range(args.repeats):
        seconds["old"].append(timed_steps(old, batches, args.steps))
        seconds["new"].append(timed_steps(new, batches, args.steps))
    median = {key: float(np.median(value)) for key, value in seconds.items()}
    tolerance = 1e-5 * max(1.0, abs(losses["old"]))
    return {
        "initial_weights_equal": bool(same_weights),
        "first_step_loss": {
            **losses, "equal_to_round_off": abs(
                losses["old"] - losses["new"]) <= tolerance},
        "validation_loss_after_one_epoch": {
            **validation_losses, "equal_to_round_off": abs(
                validation_losses["old"] - validation_losses["new"])
            <= 1e-4 * max(1.0, abs(validation_losses["old"]))},
        "seconds_per_step": seconds,
        "median_seconds_per_step": median,
        "new_over_old": median["new"] / median["old"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=6000)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--smoke", action="store_true",
                        help="tiny data and steps, for the tests")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.repeats, args.train_size = 2, 1, 256

    import zoo

    data = zoo.datasets.fashion_mnist(binarize="static")
    train = np.asarray(data.x_train[:args.train_size], "float32")
    validation = np.asarray(data.x_test[:2000 if not args.smoke else 256],
                            "float32")
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        # Its own package name: bench.refactor_speed imports 0.1's as
        # zoo_old, maybe in this process.
        old_registry = import_old_zoo(folder, OLD_COMMIT,
                                      name="zoo_before_layout")
        for name in args.models:
            rows[name] = compare(name, old_registry.get, zoo.get, train,
                                 validation, args)
            print(name, rows[name]["first_step_loss"],
                  rows[name]["validation_loss_after_one_epoch"],
                  rows[name]["new_over_old"])
    result = {
        "setting": f"latent 16, batch 128, Adam 1e-3, {args.train_size} "
                   "statically binarized Fashion-MNIST training images, "
                   f"validation on the first {len(validation)} test images",
        "old": f"commit {OLD_COMMIT} (before the layout refactor)",
        "new": "this tree",
        "steps_per_repeat": args.steps,
        "repeats": args.repeats,
        "models": rows,
    }
    common.write_result(
        "layout_refactor_smoke" if args.smoke else "layout_refactor", result)


if __name__ == "__main__":
    main()

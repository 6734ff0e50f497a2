"""Does the composable refactor cost speed or change the numbers?

Release 0.1's default `conv_vae` (Fashion-MNIST's shape 28x28x1, latent
16, batch 128, as `bench.headline`; `hidden_units=(256,)` and
`output_layer="conv"`, the conv network's defaults until the speed study) is built from release 0.1's code (commit
8b36ebc, extracted by `git archive` into a temporary package `zoo_old`)
and from this tree's, in ONE process:

1. Equality: with the same global seed both get the same initial weights,
   and the same first training step loss on the same batch.
2. Speed: train steps timed alternately, old then new, `--repeats` times
   (`--steps` steps each, after a warm-up compiling both), so machine noise
   hits both alike; the medians and their ratio are reported.

    python -m bench.refactor_speed            # writes results/refactor_speed.json

Needs git and the repository's history (commit 8b36ebc).
"""

import argparse
import importlib
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench import common

OLD_COMMIT = "8b36ebc"
ROOT = pathlib.Path(__file__).resolve().parents[1]


def import_old_zoo(folder, commit=OLD_COMMIT, name="zoo_old"):
    """The `zoo` package of `commit`, importable as `name` (its own
    imports and registered Keras names renamed); returns its
    `models.registry`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "zoo"],
        check=True, capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive,
                   check=True)
    package = pathlib.Path(folder) / name
    (pathlib.Path(folder) / "zoo").rename(package)
    (package / "__init__.py").write_text(
        f'"""zoo at {commit}, for comparison."""\n')
    for path in package.rglob("*.py"):
        text = path.read_text()
        text = text.replace("from zoo.", f"from {name}.").replace(
            "from zoo import", f"from {name} import").replace(
            'package="zoo', f'package="{name}').replace(
            'startswith("zoo.")', f'startswith("{name}.")')
        path.write_text(text)
    sys.path.insert(0, str(folder))
    import keras

    registered = dict(keras.saving.get_custom_objects())
    registry = importlib.import_module(f"{name}.models.registry")
    # The old package registers release 0.1's class names ("zoo>ConvVAE")
    # by a form the renaming above does not reach; it must not replace
    # this zoo's in Keras's global registry (files of that release would
    # then load as the old classes).
    keras.saving.get_custom_objects().update(registered)
    return registry


def build(get, seed, **options):
    import keras

    keras.utils.set_random_seed(seed)
    model = get("conv_vae", input_shape=(28, 28, 1), latent_dim=16, seed=0,
                **options)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def timed_steps(model, batches, steps):
    start = time.perf_counter()
    for step in range(steps):
        model.train_on_batch(batches[step % len(batches)])
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import zoo

    with tempfile.TemporaryDirectory() as folder:
        old_registry = import_old_zoo(folder)
        rng = np.random.default_rng(0)
        batches = [(rng.uniform(size=(128, 28, 28, 1)) < 0.3).astype(
            "float32") for _ in range(10)]

        # 0.1's conv default had one dense layer of 256 units and a
        # full-resolution Conv2D output
        old = build(old_registry.get, 0)
        new = build(zoo.get, 0, hidden_units=(256,), output_layer="conv")
        old_weights, new_weights = old.get_weights(), new.get_weights()
        same_weights = len(old_weights) == len(new_weights) and all(
            a.shape == b.shape and np.array_equal(a, b)
            for a, b in zip(old_weights, new_weights)
        )
        old_loss = float(old.train_on_batch(batches[0], return_dict=True)["loss"])
        new_loss = float(new.train_on_batch(batches[0], return_dict=True)["loss"])

        for model in (old, new):  # warm up: trace and compile
            timed_steps(model, batches, 5)
        seconds = {"old": [], "new": []}
        for _ in range(args.repeats):
            seconds["old"].append(timed_steps(old, batches, args.steps))
            seconds["new"].append(timed_steps(new, batches, args.steps))

    median = {key: float(np.median(value)) for key, value in seconds.items()}
    result = {
        "model": "conv_vae, input 28x28x1, latent 16, batch 128, Adam 1e-3",
        "old": f"zoo 0.1 classes (commit {OLD_COMMIT})",
        "new": "zoo.VAE with options (this tree)",
        "initial_weights_equal": bool(same_weights),
        "first_step_loss": {"old": old_loss, "new": new_loss,
                            "equal": old_loss == new_loss},
        "steps_per_repeat": args.steps,
        "repeats": args.repeats,
        "seconds_per_step": seconds,
        "median_seconds_per_step": median,
        "new_over_old": median["new"] / median["old"],
    }
    common.write_result("refactor_speed", result)
    print(result)


if __name__ == "__main__":
    main()

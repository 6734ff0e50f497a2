"""One process of the distributed tests in `tests/test_distribute.py`.

Run as a script, one process per worker (the test sets `TF_CONFIG`):

    python tests/distributed_worker.py step --strategy mirrored --output DIR
    python tests/distributed_worker.py epochs --strategy multi_worker ...

Tasks:
    step: for every registered model with a Gaussian latent (or those
        named by `--models a,b`), one SGD step on a batch of 16 digits
        with the posterior noise set to zero (see the test for why); saves
        the loss and the weight update to `DIR/step.npz`, and the metrics
        of a dense VAE's epoch on 17 examples, which leaves a replica empty.
    epochs: a few epochs of a small dense VAE on the digits with Adam and
        the model's own noise; saves the test -ELBO and the training time
        to `DIR/epochs.json`, and the model to `DIR/model.keras`.
    backup: the `epochs` training with `zoo.training.distribute.BackupAndRestore`;
        with `--kill-at-epoch E`, worker 1 kills itself with SIGKILL in the
        middle of epoch E (after its second step).

Only the chief writes to `DIR`; other workers write to a temporary folder
(`zoo.training.distribute.chief_path`). With `--reference REF`, the chief
then runs the same task on one device (the default strategy) and writes
it to `REF`: the test's reference, without a process of its own.
"""

import argparse
import json
import os
import signal
import sys
import time
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

STEP_BATCH = 16
EPOCHS = 4
EPOCH_BATCH = 64


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task", choices=("step", "epochs", "backup"))
    parser.add_argument(
        "--strategy", choices=("default", "mirrored", "multi_worker"),
        required=True,
    )
    parser.add_argument("--output", required=True)
    parser.add_argument("--backup-dir")
    parser.add_argument("--kill-at-epoch", type=int)
    parser.add_argument("--models", help="comma-separated presets (step)")
    parser.add_argument(
        "--reference", help="then run the same task on one device (the "
        "default strategy) in this process and write it to this folder; "
        "the chief only")
    return parser.parse_args(argv)


def zero_noise(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Stands in for `keras.random.normal`: the posterior sample z = mean."""
    return tf.zeros(shape, dtype=dtype or "float32")


def one_step(strategy, output, models=None):
    import numpy as np
    from sklearn.datasets import load_digits

    import zoo
    from zoo.models import registry

    images = load_digits().images[: STEP_BATCH + 1, :, :, None] / 16.0
    x = images.astype("float32")
    results = {}
    # The Gaussian latents (noise patched to zero below) and the classes.
    names = models.split(",") if models else [
        name for name in zoo.list_models()
        if registry.preset_latent(name) in ("gaussian", None)]
    for name in names:
        networks = {"hidden_units": (8,)}
        if registry.MODELS[name].get("network") != "mlp":
            networks["filters"] = (4,)
        if registry.model_class(name) is zoo.VQVAE:
            networks.pop("hidden_units")  # a convolutional grid only
        if registry.model_class(name) is zoo.HierarchicalVAE:
            networks = {"width": 4}  # its own networks' option
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = zoo.get(
                name, input_shape=(8, 8, 1), latent_dim=2, seed=1, **networks
            )
            model.compile(optimizer=keras.optimizers.SGD(0.1))
        # By variable: an objective may make weights in its first step
        # (FactorVAE's discriminator), which have no update to compare.
        before = {id(weight): keras.ops.convert_to_numpy(weight)
                  for weight in model.weights}
        inputs = x[:STEP_BATCH]
        if model.condition_spec() is not None:
            inputs = [inputs, np.arange(STEP_BATCH) % model.num_classes]
        with mock.patch("keras.random.normal", zero_noise):
            history = model.fit(
                inputs, batch_size=STEP_BATCH, shuffle=False, verbose=0,
            )
        results[f"{name}/loss"] = np.array(history.history["loss"][0])
        for index, weight in enumerate(model.weights):
            if id(weight) in before:
                results[f"{name}/update_{index}"] = (
                    keras.ops.convert_to_numpy(weight) - before[id(weight)])
        if name == "dense_vae":
            # 17 examples in batches of 16: on 2 replicas, the second
            # batch leaves one replica empty.
            history = model.fit(
                x, batch_size=STEP_BATCH, shuffle=False, verbose=0
            )
            results["partial_batch/metrics"] = np.array(
                [values[0] for values in history.history.values()]
            )
    np.savez(os.path.join(output, "step.npz"), **results)


class KillWorker(keras.callbacks.Callback):
    """SIGKILLs this process after its second step of epoch `epoch`."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch
        self.current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current_epoch == self.epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


def epochs(strategy, output, backup_dir=None, kill_at_epoch=None):
    import zoo
    from zoo.training import distribute
    from zoo.evaluation import likelihood

    data = zoo.datasets.digits(seed=0)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = zoo.get(
            "dense_vae", input_shape=(8, 8, 1), latent_dim=4,
            hidden_units=(64,), seed=1,
        )
        model.compile(optimizer=keras.optimizers.Adam(3e-3))
    callbacks = []
    if backup_dir is not None:
        callbacks.append(distribute.BackupAndRestore(backup_dir))
    task_type, task_index = distribute.task()
    if kill_at_epoch is not None and task_index == 1:
        callbacks.append(KillWorker(kill_at_epoch))
    start = time.perf_counter()
    history = model.fit(
        data.as_dataset("train", batch_size=EPOCH_BATCH, seed=0),
        epochs=EPOCHS, callbacks=callbacks, verbose=0,
    )
    seconds = time.perf_counter() - start
    x_test, _ = data.split("test")
    results = {
        "test_negative_elbo": likelihood.negative_elbo(model, x_test),
        "fit_seconds": seconds,
        "epochs_run": len(history.history["loss"]),
        "history": history.history,
        "task": [task_type, task_index],
    }
    with open(os.path.join(output, "epochs.json"), "w") as file:
        json.dump(results, file)
    model.save(os.path.join(output, "model.keras"))


def main(argv=None):
    args = parse_args(argv)
    if args.strategy == "mirrored":
        # Two logical CPU devices, set before TensorFlow initialises them.
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
    from zoo.training import distribute

    strategy = distribute.strategy_from_name(args.strategy)
    if args.strategy == "mirrored":
        assert strategy.num_replicas_in_sync == 2
    output = distribute.chief_path(args.output)
    os.makedirs(output, exist_ok=True)
    if args.task == "step":
        one_step(strategy, output, args.models)
    else:
        epochs(strategy, output, args.backup_dir, args.kill_at_epoch)
    if args.reference and distribute.is_chief():
        # The one-device reference in the same process: one start-up of
        # TensorFlow fewer. Models built outside any strategy's scope take
        # the default strategy, one device (/cpu:0).
        os.makedirs(args.reference, exist_ok=True)
        one_device = tf.distribute.get_strategy()
        if args.task == "step":
            one_step(one_device, args.reference, args.models)
        else:
            epochs(one_device, args.reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())

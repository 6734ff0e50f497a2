"""Training on several devices or machines with TensorFlow's `tf.distribute`.

The zoo adds nothing to TensorFlow's engine: a strategy by name, who the
chief is, where a worker may write, and Keras's `BackupAndRestore` made safe
for several workers. Build and compile the model inside `strategy.scope()`
and call `fit` as usual:

    strategy = distribute.strategy_from_name("multi_worker")
    with strategy.scope():
        model = zoo.get("dense_vae", input_shape=(28, 28, 1), latent_dim=16)
        model.compile()
    model.fit(
        dataset,  # batches of the GLOBAL batch size, split across replicas
        epochs=10,
        callbacks=[distribute.BackupAndRestore("/shared/backup")],
    )
    model.save(distribute.chief_path("runs/dense_vae") + "/model.keras")

Each replica's loss is its batch mean divided by the number of replicas, and
the optimizer sums gradients over replicas, so a step on R replicas with R
equal slices of a batch makes the same update as one device on the whole
batch. Multi-worker jobs read their cluster from the `TF_CONFIG` environment
variable (see `docs/distributed.md`).
"""

import atexit
import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")


def strategy_from_name(name):
    """A `tf.distribute.Strategy` from its name.

    Create it first thing in the program: `MultiWorkerMirroredStrategy`
    must exist before TensorFlow runs any op.

    Args:
        name: `"default"` (the current strategy: one device, or the one
            whose scope is active), `"mirrored"` (every local GPU, or the
            CPU) or `"multi_worker"` (every worker listed in `TF_CONFIG`).

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: for any other name.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(
        f"`name` must be one of {STRATEGIES}. Received: name={name!r}"
    )


def task(tf_config=None):
    """This process's `(task_type, task_index)` in the cluster.

    Args:
        tf_config: the cluster as a dict, or None (default) to read the
            `TF_CONFIG` environment variable.

    Returns:
        `(type, index)`, e.g. `("worker", 1)`; `(None, 0)` without a cluster.
    """
    if tf_config is None:
        tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task_ = tf_config.get("task") or {}
    return task_.get("type"), int(task_.get("index", 0))


def is_chief(tf_config=None):
    """True for the process that writes checkpoints, logs and exports.

    That is the `"chief"` (or legacy `"master"`) task; in a cluster without
    one, worker 0; and any process without a cluster (`TF_CONFIG` unset),
    as TensorFlow defines it.

    Args:
        tf_config: the cluster as a dict, or None (default) to read the
            `TF_CONFIG` environment variable.
    """
    if tf_config is None:
        tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task_type, task_index = task(tf_config)
    if task_type in (None, "chief", "master"):
        return True
    cluster = tf_config.get("cluster") or {}
    return task_type == "worker" and task_index == 0 and "chief" not in cluster


def chief_path(path):
    """Where this process writes what belongs at `path`.

    Every worker runs the same program, saving included (TensorFlow's
    advice: a save may involve collective ops), but only the chief's files
    should land at `path`. The chief gets `path`; any other worker a fresh
    temporary folder, removed when the process exits.

    Args:
        path: str or path-like, the folder the job writes to.

    Returns:
        A str path to a folder (created for other workers).
    """
    if is_chief():
        return os.fspath(path)
    folder = tempfile.mkdtemp(prefix="zoo_worker_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` for jobs with several workers.

    Keras's callback saves the weights, optimizer state and epoch to
    `backup_dir` at the end of each epoch and, when `fit` starts again after
    an interruption, restores them and goes on from the next epoch. With
    several workers every one of them would write the same files. Here only
    the chief writes and deletes them, and every worker restores from them,
    so `backup_dir` must be storage all workers see (a shared disk, a
    `gs://` bucket). When a worker dies, a `MultiWorkerMirroredStrategy` job
    stops; start every worker again with the same command and `fit` resumes
    at the last finished epoch. On one machine it is Keras's callback.

    Args:
        backup_dir: str, a folder all workers can read; kept for this job.
        **kwargs: Keras's options (`save_freq`, `double_checkpoint`,
            `delete_checkpoint`).

    Example:

    >>> callback = BackupAndRestore("/shared/backup/dense_vae")
    >>> # model.fit(dataset, epochs=10, callbacks=[callback])
    """

    def on_epoch_end(self, epoch, logs=None):
        if is_chief():
            super().on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if is_chief():
            super().on_train_batch_end(batch, logs)

    def on_train_end(self, logs=None):
        if is_chief():
            super().on_train_end(logs)


class DistributeMixin:
    """Two workarounds that make Keras 3's `fit` and `evaluate` work for a
    zoo model under `MultiWorkerMirroredStrategy`; a no-op elsewhere.

    Mixed into `zoo.models.VAE`. The private Keras API they need
    (`Model._maybe_symbolic_build`, `_distribute_strategy` and
    `StrategyExtended._in_multi_worker_mode`) is used here and nowhere
    else in the zoo.
    """

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras's metrics, as shape `(1,)` tensors across several workers.

        Under `MultiWorkerMirroredStrategy` Keras 3's `fit` and `evaluate`
        average each step's logs over axis 0, which fails for scalars
        ("Invalid reduction dimension 0", tensorflow/tensorflow#72388);
        the average of `(1,)` tensors is the scalar the logs should hold.
        """
        logs = super().compute_metrics(x, y, y_pred, sample_weight)
        strategy = tf.distribute.get_strategy()
        if isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ) and strategy.extended._in_multi_worker_mode():
            logs = {
                name: keras.ops.reshape(value, (1,))
                for name, value in logs.items()
            }
        return logs

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras's pre-`fit` build, working with nested inputs everywhere.

        Under `MultiWorkerMirroredStrategy` Keras 3 averages the first
        distributed batch with one `strategy.reduce` call, which fails for a
        nested batch (`[x, labels]`, `(x, y)`): "Attempt to convert a value
        (PerReplica ...)" (keras-team/keras, the TensorFlow trainer's
        `_maybe_symbolic_build`). The batch is reduced one tensor at a time
        here.
        """
        strategy = self._distribute_strategy
        if iterator is not None and strategy is not None:
            for _, _, steps in iterator:
                batch = next(steps)
                break
            data_batch = tf.nest.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None)
                if isinstance(value, tf.distribute.DistributedValues)
                else value,
                batch,
            )
        super()._maybe_symbolic_build(data_batch=data_batch)

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
import hashlib
import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from zoo.training import atomic
from zoo.training import runs

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
    """`keras.callbacks.BackupAndRestore`, crash-safe and for several workers.

    Keras's callback saves the weights, optimizer state and epoch to
    `backup_dir` at the end of each epoch and, when `fit` starts again after
    an interruption, restores them and goes on from the next epoch.

    Crash safety: both files, `latest.weights.h5` and
    `training_metadata.json`, are written atomically (`zoo.training.atomic`), weights
    first; the metadata records the weights file's SHA-256. On restore a
    backup whose metadata is unreadable, or whose weights are missing, fail
    the checksum (a kill between the two renames) or fail to load, is
    reported in one line naming the file and set aside as
    `<backup_dir>.corrupt-<UTC time>`, and training starts over from epoch
    1; nobody has to delete it by hand. A backup written by Keras's own
    callback (no checksum) is set aside the same way. A `gs://`-style
    `backup_dir` keeps Keras's own writes (each object appears whole), without
    the checksum.

    Several workers: only the chief writes and deletes the files, and every
    worker restores from them, so `backup_dir` must be storage all workers
    see (a shared disk). When a worker dies, a `MultiWorkerMirroredStrategy`
    job stops; start every worker again with the same command and `fit`
    resumes at the last finished epoch. A damaged backup stops a non-chief
    worker with a `ValueError`; the chief sets it aside.

    Args:
        backup_dir: str, a folder all workers can read; kept for this job.
        **kwargs: Keras's options (`save_freq`, `delete_checkpoint`;
            `double_checkpoint` is refused: the atomic writes replace it).

    Example:

    >>> callback = BackupAndRestore("/shared/backup/dense_vae")
    >>> # model.fit(dataset, epochs=10, callbacks=[callback])
    """

    def __init__(self, backup_dir, **kwargs):
        if kwargs.get("double_checkpoint"):
            raise ValueError(
                "`double_checkpoint` is not needed: the backup is written "
                "atomically. Remove the argument."
            )
        super().__init__(backup_dir, **kwargs)

    def on_epoch_end(self, epoch, logs=None):
        if is_chief():
            super().on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if is_chief():
            super().on_train_batch_end(batch, logs)

    def on_train_end(self, logs=None):
        if is_chief():
            super().on_train_end(logs)

    def _remote(self):
        """True for a `gs://`-style URL: objects there appear whole when
        written, so Keras's own writes are kept (without a checksum)."""
        return "://" in str(self.backup_dir)

    def _save_model(self):
        if self._remote():
            return super()._save_model()
        os.makedirs(self.backup_dir, exist_ok=True)
        atomic.save_weights(self.model, self._weights_path)
        atomic.write_json(self._training_metadata_path, {
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "sha256": _sha256(self._weights_path),
        })

    def _load_model(self):
        if not self.model.built and os.path.exists(
                self._training_metadata_path):
            # Not a damaged backup: refuse, and leave the backup as it is.
            raise ValueError(
                f"The model must be built before `fit` to restore the "
                f"backup in {self.backup_dir}; call "
                f"`model.build((None, *model.image_shape))` first. The "
                f"backup is left as it is."
            )
        if self._remote():
            return super()._load_model()
        if not os.path.exists(self._training_metadata_path):
            if os.path.exists(self._weights_path):
                self._damaged(self._weights_path, "weights without "
                              "training_metadata.json")
            return
        damage = self._damage()
        if damage is None:
            try:
                super()._load_model()
                return
            except (OSError, ValueError, KeyError) as error:
                # Whole (its checksum matches) but not this model's: a run
                # of other data or settings. Not damaged: setting it aside
                # would start over and replace the run's checkpoints.
                reason = " ".join(str(error).split())
                raise ValueError(
                    f"The backup in {self.backup_dir} is whole but holds "
                    f"another model's weights ({reason[:300]}): the run was "
                    "started with other data or settings. It is left as it "
                    "is; restore the data the run was trained on to resume "
                    "it, or pass --overwrite to start it again."
                ) from None
        self._damaged(*damage)

    def _damage(self):
        """(file, reason) if the backup is damaged, else None."""
        path = self._training_metadata_path
        try:
            with open(path) as file:
                metadata = json.load(file)
        except (OSError, ValueError) as error:
            return path, f"unreadable: {error}"
        if not isinstance(metadata, dict) or not isinstance(
            metadata.get("epoch"), int
        ) or "sha256" not in metadata:
            return path, "no epoch or checksum (an older or foreign backup)"
        if not os.path.exists(self._weights_path):
            return self._weights_path, "missing"
        if _sha256(self._weights_path) != metadata["sha256"]:
            return self._weights_path, "checksum mismatch"
        return None

    def _damaged(self, path, reason):
        if not is_chief():
            raise ValueError(
                f"The backup file {path} is damaged ({reason}); the chief "
                "sets it aside when it restarts. Restart every worker."
            )
        runs.set_aside(self.backup_dir, f"{path}: {reason}",
                       "Training starts over from epoch 1.")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DistributeMixin:
    """Two workarounds that make Keras 3's `fit` and `evaluate` work for a
    zoo model under `MultiWorkerMirroredStrategy`; a no-op elsewhere.

    Mixed into `zoo.models.autoencoder.Autoencoder`, the base of every zoo
    model. The private Keras API they need
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

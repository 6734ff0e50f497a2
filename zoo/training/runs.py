"""Run folders: one folder holds one run, written by one process at a time.

A run folder (`zoo train MODEL --output RUN`) holds `run.json` (the run's
settings), `model.keras`, `history.json`, `metrics.json`, the figures,
`checkpoints/epoch_NNN.keras`, `backup/` (Keras's `BackupAndRestore`, for
resuming) and `logs/` (TensorBoard). What is guaranteed:

- Every file is written whole or not at all (`zoo.training.atomic`): a crash leaves
  the previous good file or none.
- One process at a time: `open_run` takes an exclusive `fcntl` lock on
  `RUN/.lock`, held until the process ends or `RunFolder.close()`; a second
  process gets a one-line `ValueError`.
- One run per folder: training into a folder whose `run.json` holds other
  settings is refused (continue it with `--resume`, replace it with
  `--overwrite`, or choose another `--output`); the same settings continue
  an interrupted run from its backup; a finished run is not retrained
  unless `--overwrite` is given, which first removes every entry the old
  run owned (`OWNED`, and the set-aside `*.corrupt-*` files), nothing else.
  A folder without `run.json` is no run's: files there named like a run's
  (`logs/`, `samples.png`) are the user's, and `--overwrite` refuses to
  remove them.
- A run is never resumed on other data: `run.json` records the data's
  fingerprint (`data_fingerprint`, zoo/cli/data.py), and a folder whose
  run was trained on data that changed since is refused, with or without
  `--resume`, until `--overwrite` (or another `--output`).
- A damaged checkpoint or backup is reported in one line naming the file,
  and renamed to `<name>.corrupt-<UTC time>` so the run goes on from the
  last good state or starts over; nobody deletes files by hand.
- The backup is deleted only by `RunFolder.finish()`, after `model.keras`,
  the metrics and the figures are written; a finished run is one with a
  `model.keras` and no `backup/`.
"""

import fcntl
import json
import os
import pathlib
import sys
import tempfile
import time
import zipfile

import keras

from zoo.training import atomic

RUN_FILE = "run.json"
LOCK_FILE = ".lock"
#: The entries of a run folder that belong to its run.
OWNED = (
    RUN_FILE, "model.keras", "history.json", "metrics.json", "checkpoints",
    "backup", "logs", "samples.png", "reconstructions.png", "curves.png",
    "latent.png", "traversals.png", "interpolation.png", "manifold.png",
)
#: Settings that do not change what a run computes, so they may differ
#: between the runs of one folder.
IGNORED_SETTINGS = ("output", "resume", "overwrite", "verbose", "export_to")
#: Settings that runs of earlier releases did not record: compared only
#: when the run folder's run.json has them.
RECORDED_SINCE_0_3 = ("data_fingerprint",)


def report(message):
    """Tell the user about something the zoo handled, on one stderr line."""
    print(f"zoo: {' '.join(str(message).split())}", file=sys.stderr,
          flush=True)


def check_writable(folder, argument):
    """Create `folder` if needed and check a file can be written in it.

    Raises:
        ValueError: naming `argument` (e.g. `"--output"`) and the folder,
            if it cannot be created or written (permission, read-only or
            full disk), so a long training never starts for nothing.
    """
    folder = pathlib.Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=atomic.PREFIX) as file:
            file.write(b"\0" * 4096)
            file.flush()
            os.fsync(file.fileno())
    except OSError as error:
        raise ValueError(
            f"{argument} {folder} is not a writable folder "
            f"({error.strerror or error}); choose another {argument} or fix "
            "its permissions or free space."
        ) from None
    return folder


def read_settings(folder):
    """The settings in `folder/run.json`, or None if there is none.

    Raises:
        ValueError: naming the file if it is not a JSON object.
    """
    path = pathlib.Path(folder) / RUN_FILE
    if not path.exists():
        return None
    try:
        settings = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        settings = error
    if not isinstance(settings, dict):
        raise ValueError(
            f"{path} is unreadable ({settings}); pass --overwrite to replace "
            "the run, or choose another --output."
        )
    return settings


def differences(old, new):
    """The settings (but `IGNORED_SETTINGS`) that differ, as
    `["--name old -> new", ...]`."""
    keys = sorted((set(old) | set(new)) - set(IGNORED_SETTINGS)
                  - {key for key in RECORDED_SINCE_0_3 if key not in old})
    return [
        f"--{key.replace('_', '-')} {old.get(key)} -> {new.get(key)}"
        for key in keys if old.get(key) != new.get(key)
    ]


def resume_settings(folder, given, defaults):
    """The settings to continue the run in `folder` (`zoo train --resume`).

    Args:
        folder: the run folder.
        given: the command line's settings, a dict.
        defaults: the settings the command line would have without options;
            a `given` value other than its default was passed explicitly
            and must match the run's.

    Raises:
        ValueError: if `folder` holds no run, or an explicit setting
            differs from the run's.
    """
    settings = read_settings(folder)
    if settings is None:
        raise ValueError(
            f"{folder} holds no run to resume (no {RUN_FILE}); start one with "
            f"`zoo train MODEL --output {folder}`."
        )
    explicit = {
        key: value for key, value in given.items()
        if key not in IGNORED_SETTINGS and value != defaults.get(key)
    }
    conflicts = differences(
        {key: settings.get(key) for key in explicit}, explicit
    )
    if conflicts:
        raise ValueError(
            f"--resume {folder}: the run was started with other settings "
            f"({', '.join(conflicts)}); drop them to resume it, or pass "
            "--overwrite to start it again with the new ones."
        )
    return {**given, **{key: value for key, value in settings.items()
                        if key not in IGNORED_SETTINGS}}


class RunFolder:
    """A run folder taken by this process (see the module docstring); get
    one from `open_run`."""

    def __init__(self, path, lock):
        self.path = pathlib.Path(path)
        self._lock = lock

    def finish(self):
        """Delete the backup: call it after every result is written."""
        atomic.remove_tree(self.path / "backup")

    def close(self):
        """Release the lock (also released when the process ends)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def open_run(folder, settings, overwrite=False):
    """Take `folder` for the run `settings` and write its `run.json`.

    Returns:
        A locked `RunFolder`.

    Raises:
        ValueError: one line each: the folder cannot be written; another
            process holds it; it holds another run (other settings, an
            unreadable `run.json`, or run files without one) or a finished
            run, and `overwrite` is False.
    """
    folder = check_writable(folder, "--output")
    lock = _lock(folder)
    try:
        for place in (folder, folder / "checkpoints", folder / "backup"):
            atomic.remove_temporaries(place)
        if overwrite:
            _check_run_folder(folder)
            _clear(folder)
        else:
            _check_same_run(folder, settings)
        set_aside_damaged_checkpoints(folder / "checkpoints")
        atomic.write_json(folder / RUN_FILE, settings)
    except BaseException:
        os.close(lock)
        raise
    return RunFolder(folder, lock)


def set_aside(path, reason, outcome=""):
    """Rename the damaged `path` to `<path>.corrupt-<UTC time>` and report
    it, the `reason` and the `outcome` in one line; returns the new path."""
    path = pathlib.Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():  # never replace an earlier one
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    os.replace(path, aside)
    report(f"{path} is damaged ({reason}); set aside as {aside.name}. "
           f"{outcome}")
    return aside


def set_aside_damaged_checkpoints(folder):
    """Set aside every `.keras` file in `folder` that is not a complete
    Keras archive (zip CRCs checked)."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.keras")):
        reason = keras_file_damage(path)
        if reason:
            set_aside(path, reason, "Its epoch is saved again when reached.")


def keras_file_damage(path):
    """Why the `.keras` file at `path` is damaged, or None if its zip
    archive is complete, every member's CRC matches and it holds a
    `config.json`."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                return f"member {bad} fails its CRC check"
            if "config.json" not in archive.namelist():
                return "no config.json"
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        return f"not a complete .keras archive: {error}"
    return None


class EpochCheckpoint(keras.callbacks.Callback):
    """Save the model to `folder/epoch_NNN.keras` at the end of every epoch,
    atomically (Keras's `ModelCheckpoint` rewrites the file in place)."""

    def __init__(self, folder):
        super().__init__()
        self.folder = pathlib.Path(folder)

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic.save_model(self.model, self.folder / f"epoch_{epoch + 1:03d}.keras")


class HistoryFile(keras.callbacks.Callback):
    """`history.json`, rewritten atomically after every epoch.

    A resumed run keeps the epochs before the one it starts at, so the file
    always holds one entry per finished epoch of the whole run; `history`
    is that dict (metric -> list of per-epoch values).
    """

    def __init__(self, path):
        super().__init__()
        self.path = pathlib.Path(path)
        self.history = self._read()

    def _read(self):
        if not self.path.exists():
            return {}
        try:
            history = json.loads(self.path.read_text())
        except (OSError, ValueError) as error:
            history = error
        if not isinstance(history, dict) or not all(
            isinstance(values, list) for values in history.values()
        ):
            set_aside(self.path, f"not a history: {history}",
                      "The history restarts at the resumed epoch.")
            return {}
        return history

    def on_train_begin(self, logs=None):
        self._started = False

    def on_epoch_begin(self, epoch, logs=None):
        if not self._started:  # keep the epochs before the first one run
            self._started = True
            self.history = {
                name: values[:epoch] for name, values in self.history.items()
            }

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        atomic.write_json(self.path, self.history)


def _lock(folder):
    descriptor = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise ValueError(
            f"{folder} is in use by another `zoo train` (it holds "
            f"{folder / LOCK_FILE}); wait for it to end or choose another "
            "--output."
        ) from None
    return descriptor


def _check_run_folder(folder):
    """Refuse a folder holding files named like a run's without a
    `run.json`: they are not known to be a run's, so nothing removes or
    replaces them."""
    if (folder / RUN_FILE).exists():
        return
    found = sorted(name for name in OWNED if (folder / name).exists())
    if found:
        raise ValueError(
            f"--output {folder} holds {', '.join(found)} but no {RUN_FILE}, "
            "so it is not a run folder and these may be your files; the zoo "
            "never replaces or deletes them (not even with --overwrite). "
            "Move them away, or choose another --output."
        )


def _check_same_run(folder, settings):
    old = read_settings(folder)
    if old is None:
        _check_run_folder(folder)
        return
    if "data_fingerprint" in old and old.get("data_fingerprint") != (
        settings.get("data_fingerprint")
    ):
        raise ValueError(
            f"--output {folder} holds a run trained on other data: "
            f"{settings.get('data') or settings.get('dataset')} changed "
            "since it started (data_fingerprint "
            f"{old.get('data_fingerprint')} -> "
            f"{settings.get('data_fingerprint')}), so it cannot be resumed "
            "on it. Restore the original data to resume, pass --overwrite "
            "to train again on the new data, or choose another --output."
        )
    changed = differences(old, settings)
    if changed and all(change.startswith("--test-split ")
                       for change in changed):
        raise ValueError(
            f"--output {folder} holds a run scored on another held-out "
            "split (release 0.2 held out the last images of a folder or "
            "array; the zoo now holds out a stratified random sample), so "
            "it cannot be continued on the same images. Pass --overwrite "
            "to train it again, or choose another --output. Received: "
            + ", ".join(changed)
        )
    if changed:
        raise ValueError(
            f"--output {folder} holds another run ({', '.join(changed)}); "
            f"use `zoo train --resume {folder}` to continue it, --overwrite "
            "to replace it, or another --output."
        )
    if (folder / "model.keras").exists() and not (folder / "backup").exists():
        raise ValueError(
            f"--output {folder} holds this run, finished; use --overwrite "
            "to train it again, or another --output."
        )


def _clear(folder):
    """Remove what belonged to the old run: `OWNED` and set-aside files."""
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name in OWNED or any(
            name.startswith(f"{owned}.corrupt-") for owned in OWNED
        ):
            atomic.remove_tree(entry)
    for place in ("checkpoints", "backup"):
        atomic.remove_temporaries(folder / place)

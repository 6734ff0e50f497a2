"""Write files whole or not at all.

Every file the zoo writes goes through `replacing(path)`: the content is
written to a temporary name in the same folder
(`.tmp-<name>-<host>-<pid>-<random>`, hidden, never a name the zoo reads),
flushed to disk with `fsync`, and
renamed onto `path` with `os.replace`, which is atomic on POSIX file
systems. A crash or a kill at any moment leaves either the previous good
file or none at `path`, never a truncated one; at worst a stray temporary
file, which `remove_temporaries` (for a folder only this process writes)
or `remove_abandoned` (the files of dead processes on this machine)
clears.

Test hook: with the environment variable `ZOO_TEST_KILL_WRITING` set to a
file name (e.g. `model.keras`), the process truncates the temporary file of
that name to half its size and kills itself with SIGKILL just before the
rename, as a power cut in the middle of the write would.
"""

import contextlib
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket

KILL_HOOK = "ZOO_TEST_KILL_WRITING"
PREFIX = ".tmp-"
_TEMPORARY = re.compile(r"^\.tmp-.+-(?P<pid>\d+)-[0-9a-f]{8}(\.[\w.]+)?$")


def temporary_name(path, suffix=""):
    """A fresh hidden temporary path beside `path` (same folder, so the
    rename stays on one file system), ending in `suffix` (some writers,
    such as Keras's `save`, require a file extension)."""
    path = pathlib.Path(path)
    return path.with_name(
        f"{PREFIX}{path.name}-{socket.gethostname()}-{os.getpid()}-"
        f"{secrets.token_hex(4)}{suffix}"
    )


@contextlib.contextmanager
def replacing(path, suffix=""):
    """Context manager: yields a temporary path to write; on a normal exit
    the file is fsynced and renamed onto `path`, on an exception it is
    removed and `path` is left as it was.

    Raises:
        OSError: from the file system (permission, disk full), of the same
            type and naming `path`, after removing the temporary file.
    """
    path = pathlib.Path(path)
    temporary = temporary_name(path, suffix)
    try:
        yield temporary
        _kill_if_asked(temporary, path)
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.lexists(temporary):
            remove_tree(temporary)
        if isinstance(error, OSError) and error.errno is not None:
            # e.g. "[Errno 28] No space left on device: 'run/model.keras'"
            raise type(error)(error.errno, error.strerror, str(path)) from None
        raise
    _fsync_folder(path.parent)


def write_bytes(path, data):
    """Write `data` to `path` atomically."""
    with replacing(path) as temporary:
        with open(temporary, "wb") as file:
            file.write(data)


def write_text(path, text):
    """Write the str `text` (UTF-8) to `path` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, value):
    """Write `value` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(value, indent=2) + "\n")


def save_model(model, path):
    """`model.save(path)` (a `.keras` file), atomically."""
    with replacing(path, suffix=".keras") as temporary:
        model.save(temporary)


def save_weights(model, path):
    """`model.save_weights(path)` (a `.weights.h5` file), atomically."""
    with replacing(path, suffix=".weights.h5") as temporary:
        model.save_weights(temporary)


def save_figure(figure, path, **kwargs):
    """`figure.savefig(path, **kwargs)` atomically, in the format of
    `path`'s extension."""
    suffix = pathlib.Path(path).suffix
    with replacing(path, suffix=suffix) as temporary:
        figure.savefig(temporary, format=suffix.lstrip(".") or None, **kwargs)


def remove_temporaries(folder):
    """Remove the temporary files and folders of writes killed in `folder`
    (top level only). Call it only while no other process writes there
    (e.g. holding the run folder's lock)."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(PREFIX):
            remove_tree(entry)


def remove_abandoned(folder):
    """Remove the temporary files in `folder` (top level) of writes by
    processes of this machine that have died; safe while others write."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return
    host = f"-{socket.gethostname()}-"
    for entry in folder.iterdir():
        match = _TEMPORARY.match(entry.name)
        if (
            match and host in entry.name
            and entry.name.rindex(host) + len(host) == match.start("pid")
            and not process_alive(int(match["pid"]))
        ):
            remove_tree(entry)


def process_alive(pid):
    """Whether the process `pid` (of this machine) is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    return True


def _kill_if_asked(temporary, path):
    if os.environ.get(KILL_HOOK) == path.name and temporary.is_file():
        size = temporary.stat().st_size
        with open(temporary, "r+b") as file:
            file.truncate(size // 2)
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path):
    if path.is_dir():
        return
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder):
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (e.g. some network file systems)
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # fsync on a folder is advisory: the rename already happened
    finally:
        os.close(descriptor)


def remove_tree(path):
    """Remove the file or folder `path` if it exists (errors propagate)."""
    path = pathlib.Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)

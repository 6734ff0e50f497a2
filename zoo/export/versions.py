"""Version directories: how `export_for_serving` claims the next version
of a model, writes it beside the others and renames it into place.

A version directory appears whole or not at all: it is written into a
temporary directory beside it, `.tmp-<version>-...`, which TF Serving ignores
because its name is not an integer, and then renamed in one step, under an
exclusive `fcntl` lock on the model's folder.
"""

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import socket

import tensorflow as tf

from zoo.training import atomic


#: TF Serving's versions are int64.
MAX_VERSION = 2**63 - 1


_VERSION = re.compile(r"^[0-9]+$")


_TEMPORARY = re.compile(r"^\.tmp-\d+-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]+$")


def versions(base_dir):
    """The versions exported in `base_dir`, sorted: its integer-named
    subdirectories, as TF Serving sees them."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(
        int(name) for name in os.listdir(base_dir)
        if _VERSION.fullmatch(name) and os.path.isdir(os.path.join(base_dir, name))
    )


def make_temporary(base_dir, version):
    """Create `base_dir/.tmp-<version>-<host>-<pid>-<random>`: not an
    integer, so never a version; host and pid tell whether its export died."""
    name = (
        f".tmp-{version}-{socket.gethostname()}-{os.getpid()}-"
        f"{secrets.token_hex(4)}"
    )
    path = os.path.join(base_dir, name)
    os.mkdir(path)
    return path


@contextlib.contextmanager
def locked(base_dir):
    """Hold an exclusive `fcntl` lock on the folder `base_dir` (no lock file:
    TF Serving sees nothing new). Released on exit, or when the process
    dies."""
    descriptor = os.open(base_dir, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def choose_version(base_dir, version, overwrite):
    """The version to write, checked; call it holding `locked(base_dir)`.

    For None: one more than the highest version, skipping names taken by
    entries that are not versions (a plain file named `3`). A given
    `version` must be free, or an exported version when `overwrite`.
    """
    if version is None:
        version = max(versions(base_dir), default=0) + 1
        while os.path.lexists(os.path.join(base_dir, str(version))):
            version += 1
        if version > MAX_VERSION:
            raise ValueError(
                f"The next version of {base_dir!r} would be {version}, above "
                "TF Serving's int64 range; export to a new base_dir."
            )
        return version
    path = os.path.join(base_dir, str(version))
    if not os.path.lexists(path):
        return version
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ValueError(
            f"{path!r} exists and is not an exported version (no "
            "saved_model.pb); it is never replaced. Move it away, or choose "
            "another version."
        )
    if not overwrite:
        raise ValueError(
            f"Version {version} already exists at {path!r}. Pass "
            "overwrite=True to replace it, or version=None to write the next "
            "version."
        )
    return version


def _input_specs(path):
    """{signature: "name:dtype[shape], ..."} read from the SavedModel
    proto at `path` (a version directory)."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as file:
        proto.ParseFromString(file.read())
    specs = {}
    for name, signature in proto.meta_graphs[0].signature_def.items():
        if name.startswith("__"):  # e.g. __saved_model_init_op
            continue
        specs[name] = ", ".join(
            f"{key}:{tf.dtypes.as_dtype(info.dtype).name}"
            f"{[dim.size for dim in info.tensor_shape.dim]}"
            for key, info in sorted(signature.inputs.items())
        )
    return specs


def check_same_inputs(base_dir, temporary, allow_new_signature):
    """Refuse a new version whose signature inputs differ from the latest
    exported version's (the highest holding a saved_model.pb), unless
    `allow_new_signature`."""
    latest = max((
        version for version in versions(base_dir)
        if os.path.isfile(os.path.join(base_dir, str(version), "saved_model.pb"))
    ), default=None)
    if allow_new_signature or latest is None:
        return
    latest_path = os.path.join(base_dir, str(latest))
    try:
        old = _input_specs(latest_path)
    except Exception as error:  # any damage: the proto does not parse
        raise ValueError(
            f"Cannot read the signatures of the latest version {latest_path!r} "
            f"({error}) to compare inputs; pass allow_new_signature=True to "
            "export anyway."
        ) from None
    new = _input_specs(temporary)
    changed = [
        f"{name}: {old.get(name)} -> {new.get(name)}"
        for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)
    ]
    if changed:
        raise ValueError(
            f"The new version's signature inputs differ from version "
            f"{latest}'s ({'; '.join(changed)}): TF Serving would serve it to "
            "clients of the old inputs. Export to another base_dir, or pass "
            "allow_new_signature=True."
        )


def move_into_place(temporary, path, base_dir, version):
    """Rename the finished `temporary` export to `path`, holding
    `locked(base_dir)` after `choose_version`; an existing version
    (overwrite=True) is first moved aside, and restored if the rename
    fails."""
    if not os.path.lexists(path):
        os.rename(temporary, path)
        return
    old = make_temporary(base_dir, version)
    os.rename(path, os.path.join(old, "old"))
    try:
        os.rename(temporary, path)
    except OSError:
        os.rename(os.path.join(old, "old"), path)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def remove_abandoned_exports(base_dir):
    """Remove temporary directories of exports killed on this machine."""
    host = socket.gethostname()
    for name in os.listdir(base_dir):
        match = _TEMPORARY.match(name)
        if match and match["host"] == host and not atomic.process_alive(
            int(match["pid"])
        ):
            shutil.rmtree(os.path.join(base_dir, name), ignore_errors=True)

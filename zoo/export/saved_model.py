"""`export_for_serving`: write a zoo model as the next version of a TF
Serving model (the signatures are in `zoo.export.signatures`, the version
directories in `zoo.export.versions`).
"""

import os
import shutil

from zoo.export.request_size import MAX_REQUEST_BYTES
from zoo.export.request_size import samples_within
from zoo.export.signatures import MAX_SAMPLES
from zoo.export.signatures import export_archive
from zoo.export.versions import MAX_VERSION
from zoo.export.versions import check_same_inputs
from zoo.export.versions import choose_version
from zoo.export.versions import locked
from zoo.export.versions import make_temporary
from zoo.export.versions import move_into_place
from zoo.export.versions import remove_abandoned_exports
from zoo.models.autoencoder import Autoencoder
from zoo.validation import check_number


def export_for_serving(model, base_dir, version=None, overwrite=False,
                       max_samples=MAX_SAMPLES,
                       max_request_bytes=MAX_REQUEST_BYTES,
                       allow_new_signature=False):
    """Write `model` as version `version` of a TF Serving model.

    The SavedModel goes to `base_dir/<version>/`, built through
    `keras.export.ExportArchive` with the signatures listed in this module's
    docstring (`SIGNATURES`). It is written into a temporary directory in
    `base_dir` and renamed into place, so a failure or a kill mid-export
    leaves the earlier versions untouched and no partial version visible.
    Temporary directories left by killed exports on this machine are removed.
    With `overwrite=True` the old version is moved aside, then the new one
    renamed in: between those two renames the version is briefly absent.

    Args:
        model: a zoo model, any of `zoo.list_models()` (a `zoo.VAE`, a
            `zoo.VQVAE` or a `zoo.HierarchicalVAE`), trained or not.
        base_dir: str or path, the model's directory, e.g.
            `"saved_models/conv_vae"`; created if missing.
        version: positive int, or None (default) for one more than the
            highest existing version (1 for the first).
        overwrite: bool, whether to replace an existing `version`
            (default False). Only a version directory (one holding a
            `saved_model.pb`) is ever replaced; any other entry of that
            name is refused.
        max_samples: int > 0 (default `MAX_SAMPLES`, 2**20), the most
            samples one request may draw (`num_samples`, times the batch
            for `score`), whatever their memory.
        max_request_bytes: int > 0 (default `MAX_REQUEST_BYTES`, 2 GiB),
            the decoder activations one request may need: the signatures
            take at most `max_request_bytes // sample_bytes` samples a
            request (`zoo.export.request_size`: 4,188 for the shipped
            `conv_vae`, 1,111 for `hierarchical_vae`), and at most
            `max_samples`. Above the limit a signature fails with
            INVALID_ARGUMENT before allocating anything.
        allow_new_signature: bool (default False); unless True, a version
            whose signatures' inputs (names, dtypes, shapes) differ from the
            latest version's is refused, since TF Serving would serve it to
            clients of the old inputs.

    Returns:
        The path of the version directory written, a str.

    Raises:
        TypeError: if `base_dir` is not a path.
        ValueError: if `model` is not a zoo model, `version` is not a
            positive int up to 2**63 - 1, `base_dir` cannot be created or
            written, `version` exists and `overwrite` is False, or the
            inputs differ from the latest version's.

    Concurrent exports to one `base_dir` each get their own version: the
    version is chosen and the directory renamed into place under an
    exclusive `fcntl` lock on `base_dir`.

    Example:

    >>> import os, zoo
    >>> from zoo.export import export_for_serving
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> path = export_for_serving(model, "/tmp/zoo_example/conv_vae")
    >>> sorted(os.listdir(path))
    ['assets', 'fingerprint.pb', 'saved_model.pb', 'variables']
    """
    if not isinstance(model, Autoencoder):
        raise ValueError(
            "`model` must be a zoo model, e.g. zoo.get('conv_vae', ...). "
            f"Received: model={model!r}"
        )
    if not isinstance(base_dir, (str, os.PathLike)):
        raise TypeError(
            "`base_dir` must be a folder path, e.g. 'saved_models/conv_vae'. "
            f"Received: base_dir={base_dir!r}"
        )
    base_dir = os.fspath(base_dir)
    if version is not None:
        check_number(version, "version", integer=True, minimum=1,
                     maximum=MAX_VERSION,
                     fix="TF Serving's versions are int64, up to 2**63 - 1; "
                     "None writes the next version.")
    check_number(max_samples, "max_samples", integer=True, minimum=1,
                 maximum=2**31 - 1, fix="An int32, e.g. 2**20.")
    check_number(max_request_bytes, "max_request_bytes", integer=True,
                 minimum=1, fix="E.g. 2**30 for 1 GiB.")
    try:
        os.makedirs(base_dir, exist_ok=True)
        remove_abandoned_exports(base_dir)
        with locked(base_dir):
            planned = choose_version(base_dir, version, overwrite)
        temporary = make_temporary(base_dir, planned)
    except OSError as error:
        raise ValueError(
            "`base_dir` must be a folder that can be created and written "
            f"({error.strerror or error}). Received: base_dir={base_dir!r}"
        ) from None
    try:
        limit = samples_within(model, max_request_bytes, max_samples)
        export_archive(model, limit).write_out(temporary, verbose=False)
        with locked(base_dir):
            version = choose_version(base_dir, version, overwrite)
            check_same_inputs(base_dir, temporary, allow_new_signature)
            path = os.path.join(base_dir, str(version))
            move_into_place(temporary, path, base_dir, version)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return path

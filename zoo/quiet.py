"""Quiet by default: hide TensorFlow's log noise from the `zoo` command.

TensorFlow prints log lines from C++ when it is imported and when it runs
(the oneDNN notice, "failed call to cuInit" on a machine without a GPU,
"Unable to register cuDNN factory", CPU instruction notes) and from Python
(absl and `tf.get_logger()` warnings, Keras `UserWarning`s). None of them
is a failure, and on a terminal they bury the command's own output.

The C++ level is read once, when TensorFlow loads, so it must be set
before `import tensorflow`; and the lines TensorFlow 2.21 prints while it
loads go through absl before its logging is initialised ("All log
messages before absl::InitializeLog() is called are written to STDERR"),
which no level hides. So the command does not import TensorFlow until
its arguments are parsed (`zoo --help` and a bad argument answer at once:
`zoo/__init__.py` loads the zoo's packages lazily in the command), then
calls `load_tensorflow()`, which sets `TF_CPP_MIN_LOG_LEVEL=3` unless you
set a level yourself (yours is kept) and imports TensorFlow with the
process's standard error (file descriptor 2) sent to a temporary file,
only when

- this process is the `zoo` command (the `zoo` console script or
  `python -m zoo`); importing zoo from Python changes nothing;
- TensorFlow is not imported yet;
- neither `ZOO_VERBOSE=1`, `--verbose` nor `TF_CPP_MIN_LOG_LEVEL=0` (every
  log) asks for the logs.

If that import fails, what it printed is written to standard error before
the exception propagates, so a broken install is never silent.

`hide_python_logs()`, called by the command after TensorFlow is imported,
quiets absl, TensorFlow's Python logger and the Python warnings of
TensorFlow, TFP and Keras under the same conditions. Errors are not
hidden: the command reports them on one line with the fix.
"""

import contextlib
import logging
import os
import sys
import tempfile
import warnings

#: Set to 1 to see TensorFlow's logs from the `zoo` command.
VERBOSE_VARIABLE = "ZOO_VERBOSE"


def is_zoo_command(argv=None, orig_argv=None):
    """Whether this process is the `zoo` command: the console script
    (`argv[0]` is named `zoo`) or `python -m zoo`."""
    argv = sys.argv if argv is None else argv
    orig_argv = getattr(sys, "orig_argv", []) if orig_argv is None else (
        orig_argv
    )
    script = os.path.basename(argv[0]) if argv else ""
    if script in ("zoo", "zoo.exe"):
        return True
    return any(
        orig_argv[index:index + 2] == ["-m", "zoo"]
        for index in range(len(orig_argv))
    )


def logs_requested(argv=None):
    """Whether `ZOO_VERBOSE=1` or a `--verbose` argument asks for the logs."""
    argv = sys.argv if argv is None else argv
    value = os.environ.get(VERBOSE_VARIABLE, "").strip().lower()
    return value in ("1", "true", "yes") or "--verbose" in argv


def load_tensorflow(verbose=False):
    """For the `zoo` command: import TensorFlow without its load-time lines
    (`TF_CPP_MIN_LOG_LEVEL=3` unless set; see the module docstring for
    when); elsewhere, or with `verbose`, import it as it is."""
    if (
        is_zoo_command()
        and not verbose
        and not logs_requested()
        and "tensorflow" not in sys.modules
        and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3").strip() != "0"
    ):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import_without_native_stderr("tensorflow")
    import tensorflow  # noqa: F401  (imported for the command)


#: The name of release 0.2 (its import hid the logs).
hide_native_logs = load_tensorflow


def import_without_native_stderr(module):
    """Import `module` with file descriptor 2 sent to a temporary file;
    if the import fails, replay what it printed, then raise."""
    failure = None
    with native_stderr_captured() as captured:
        try:
            __import__(module)
        except BaseException as error:
            failure = error
    if failure is not None:
        sys.stderr.write(captured.text)
        raise failure


class _Captured:
    """What was written to file descriptor 2 inside
    `native_stderr_captured()`: `text`, once the block has ended."""

    text = ""


@contextlib.contextmanager
def native_stderr_captured():
    """Send file descriptor 2 (C++ logs, MLIR diagnostics) to a temporary
    file for the block; the yielded object's `text` holds it afterwards."""
    captured = _Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as file:
        os.dup2(file.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            file.seek(0)
            captured.text = file.read().decode(errors="replace")


def hide_python_logs(verbose=False):
    """Quiet absl, TensorFlow's logger and the Python warnings of
    TensorFlow, TFP and Keras, unless `verbose` or `ZOO_VERBOSE=1`."""
    if verbose or logs_requested([]):
        return
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; nothing to quiet
        pass
    for name in ("tensorflow", "absl", "keras", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for module in ("tensorflow", "tensorflow_probability", "keras", "absl",
                   "tf2onnx", "google.protobuf"):
        warnings.filterwarnings("ignore", module=module)
    # Keras warns from inside its own modules (`warnings.warn` with a
    # stack level that points at user code): filter by category too.
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


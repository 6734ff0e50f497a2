"""Export a zoo model to ONNX and LiteRT (TFLite), one file per signature.

`to_onnx(model, "exports/onnx")` and `to_litert(model, "exports/litert")`
export the model for TF Serving first (`zoo.export.export_for_serving`,
into a temporary folder), then convert every signature of that SavedModel
that the target runtime can run:

- ONNX through `tf2onnx`, each file checked by opening it in
  `onnxruntime`;
- LiteRT through `tf.lite.TFLiteConverter` with LiteRT's built-in ops
  only, each file checked by opening it in `ai-edge-litert`'s
  interpreter.

The signatures that draw random numbers inside the graph (`encode`,
`sample`, `score`) use stateless random ops that neither runtime has, so
they are skipped (the ops are found in the graph; no conversion is tried)
with the reason; their deterministic twins (`encode_mean`,
`sample_from_noise`, `score_from_noise`, see `zoo.models.endpoints`),
`reconstruct` and `decode` convert. With `likelihood="pixelcnn"`
(`zoo.likelihoods.pixelcnn`) `reconstruct`, `decode` and `sample_from_noise`
draw pixels in the graph too and are skipped with that reason; `score_from_noise`
and `encode_mean` convert. Each folder gets
`<signature>.onnx` (or `.tflite`) files and `signatures.json`, which
lists every converted signature's file, inputs and outputs, and every
skipped one with its reason. Inputs and outputs keep the SavedModel's
names (`x`, `eps`, `z_mean`, ...).

The packages come with the `export` extra: `pip install -e .[export]`.
"""

import contextlib
import json
import logging
import os
import pathlib
import re
import tempfile

FORMATS = ("onnx", "litert")

#: `serving_default` is `reconstruct` under another name: not converted
#: twice.
SKIPPED_ALIASES = ("serving_default",)

#: The ONNX opset the files use (onnxruntime 1.17 and later run it).
ONNX_OPSET = 17


def to_onnx(model, directory, overwrite=False):
    """Write `<signature>.onnx` for each signature that converts.

    Args:
        model: a zoo model (`zoo.models.VAE`).
        directory: str or path, the folder to write; created if missing.
        overwrite: bool (default False), whether to replace the files of
            an earlier conversion in `directory`.

    Returns:
        The `signatures.json` content: `{"format", "converted": {name:
        {"file", "inputs", "outputs"}}, "skipped": {name: reason}}`.

    Raises:
        ValueError: if `model` is not a zoo model, or `directory` holds an
            earlier conversion and `overwrite` is False.
        ImportError: without `tf2onnx` and `onnxruntime`; the message says
            to install the `export` extra.

    Example:

    >>> report = zoo.export.to_onnx(model, "exports/onnx")
    >>> import onnxruntime
    >>> session = onnxruntime.InferenceSession("exports/onnx/decode.onnx")
    >>> session.run(None, {"z": z})
    """
    _require("tf2onnx", "onnxruntime")
    return _convert(model, directory, "onnx", overwrite)


def to_litert(model, directory, overwrite=False):
    """Write `<signature>.tflite` for each signature that converts to
    LiteRT's built-in ops.

    Arguments, return value and errors are those of `to_onnx`; the
    packages needed are `ai-edge-litert` (the interpreter the files are
    checked with) and TensorFlow's converter.

    Example:

    >>> zoo.export.to_litert(model, "exports/litert")
    >>> from ai_edge_litert.interpreter import Interpreter
    >>> runner = Interpreter("exports/litert/decode.tflite"
    ...                      ).get_signature_runner()
    >>> runner(z=z)["reconstruction"]
    """
    _require("ai_edge_litert")
    return _convert(model, directory, "litert", overwrite)


def convert(model, directory, format, overwrite=False):
    """`to_onnx` or `to_litert` by name: `format` is `"onnx"` or
    `"litert"`."""
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {FORMATS}. Received: format={format!r}"
        )
    function = to_onnx if format == "onnx" else to_litert
    return function(model, directory, overwrite=overwrite)


def _convert(model, directory, format, overwrite):
    import tensorflow as tf

    from zoo import export
    from zoo import quiet
    from zoo.models.autoencoder import Autoencoder

    if not isinstance(model, Autoencoder):
        raise ValueError(
            "`model` must be a zoo model, e.g. zoo.get('conv_vae', ...). "
            f"Received: model={model!r}"
        )
    if model.conversion_refused:
        raise ValueError(
            "ONNX and LiteRT conversion covers zoo.VAE models; "
            f"{model.conversion_refused}"
        )
    directory = _prepare(directory, overwrite)
    suffix = ".onnx" if format == "onnx" else ".tflite"
    report = {"format": format, "converted": {}, "skipped": {}}
    with tempfile.TemporaryDirectory() as temporary:
        path = export.export_for_serving(model, temporary, version=1)
        loaded = tf.saved_model.load(path)
        for name, (inputs, outputs) in export.signatures(model).items():
            if name in SKIPPED_ALIASES:
                continue
            target = directory / f"{name}{suffix}"
            random_ops = _random_ops(loaded.signatures[name])
            if random_ops:
                report["skipped"][name] = _random_reason(
                    model, name, random_ops)
                continue
            try:
                # The converters print diagnostics from C++ (MLIR) and
                # logs from Python; a failure's reason goes in the report.
                with quiet.native_stderr_captured(), _tf2onnx_silenced():
                    if format == "onnx":
                        _signature_to_onnx(loaded.signatures[name], inputs,
                                           target)
                    else:
                        _signature_to_litert(path, name, target)
            except _NotConvertible as reason:
                target.unlink(missing_ok=True)
                report["skipped"][name] = str(reason)
                continue
            report["converted"][name] = {
                "file": target.name, "inputs": list(inputs),
                "outputs": list(outputs),
            }
    (directory / "signatures.json").write_text(
        json.dumps(report, indent=2) + "\n"
    )
    return report


@contextlib.contextmanager
def _tf2onnx_silenced():
    """tf2onnx logs every op it cannot convert at ERROR level; the report
    says which signatures were skipped and why, so its logger is quiet."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _random_ops(function):
    """The random ops (`StatelessRandomNormalV2`, ...) a signature's graph
    and the functions it calls run, sorted."""
    graph = function.graph.as_graph_def()
    nodes = list(graph.node) + [
        node for library_function in graph.library.function
        for node in library_function.node_def
    ]
    return sorted({node.op for node in nodes if "Random" in node.op})


#: The signatures whose only random draws, for likelihood="pixelcnn",
#: are its pixels (`zoo.likelihoods.pixelcnn`: E[x|z] is estimated along one
#: sampled raster-order trajectory).
PIXEL_DRAWING = ("reconstruct", "decode", "sample_from_noise")


def _random_reason(model, name, random_ops):
    """Why a signature with `random_ops` is skipped."""
    ops = ", ".join(random_ops)
    if model.pixel_context is not None and name in PIXEL_DRAWING:
        return (
            f"draws pixels one at a time in the graph ({ops}): "
            "likelihood='pixelcnn' estimates E[x|z] along a sampled "
            "trajectory, and neither ONNX nor LiteRT's built-in ops have "
            "stateless random ops (score_from_noise and encode_mean "
            "convert)"
        )
    return (
        f"draws random numbers in the graph ({ops}), which neither ONNX "
        "nor LiteRT's built-in ops have (stateless random ops: use the "
        "encode_mean / *_from_noise signatures)"
    )


class _NotConvertible(Exception):
    """A signature the target runtime cannot run; the message says why."""


def _signature_to_onnx(function, input_names, target):
    """Convert one SavedModel signature with tf2onnx, then open it in
    onnxruntime (tf2onnx leaves ops it cannot convert in the graph)."""
    import onnx
    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    from zoo.export import onnx_ops  # noqa: F401 (registers Expm1 and MulNoNan)

    specs = function.structured_input_signature[1]
    signature = [specs[name] for name in input_names]

    @tf.function(input_signature=signature)
    def positional(*values):
        return function(**dict(zip(input_names, values)))

    try:
        proto, _ = tf2onnx.convert.from_function(
            positional, input_signature=signature, opset=ONNX_OPSET,
            output_path=os.fspath(target),
        )
    except Exception as error:  # tf2onnx raises many types; all mean no.
        raise _NotConvertible(f"tf2onnx: {_first_line(error)}") from None
    unsupported = sorted({
        node.op_type for node in proto.graph.node
        if not onnx.defs.has(node.op_type, node.domain)
    })
    try:
        onnxruntime.InferenceSession(
            os.fspath(target), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime's own exception types
        if unsupported:
            raise _NotConvertible(
                f"TensorFlow ops ONNX lacks: {', '.join(unsupported)}"
                + (" (stateless random ops: use the encode_mean / "
                   "*_from_noise signatures)"
                   if any("Random" in op for op in unsupported) else "")
            ) from None
        raise _NotConvertible(f"onnxruntime: {_first_line(error)}") \
            from None


def _signature_to_litert(saved_model, name, target):
    """Convert one SavedModel signature to LiteRT built-in ops, then open
    it in ai-edge-litert's interpreter."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=[name]
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        content = converter.convert()
    except Exception as error:  # ConverterError and friends
        missing = re.search(r"TF Select ops: ([^\n]+)", str(error))
        if missing is None:
            raise _NotConvertible(
                f"TFLite converter: {_first_line(error)}") from None
        raise _NotConvertible(
            f"TensorFlow ops LiteRT's built-ins lack: {missing[1]}"
            + (" (stateless random ops: use the encode_mean / *_from_noise "
               "signatures)" if "Random" in missing[1] else "")
        ) from None
    target.write_bytes(content)
    try:
        Interpreter(model_path=os.fspath(target)).allocate_tensors()
    except Exception as error:  # RuntimeError/ValueError from the runtime
        raise _NotConvertible(f"LiteRT interpreter: {_first_line(error)}") \
            from None


def _prepare(directory, overwrite):
    """The output folder, created; an earlier conversion there is an
    error unless `overwrite`, in which case its files are removed."""
    if not isinstance(directory, (str, os.PathLike)):
        raise ValueError(
            "`directory` must be a folder path, e.g. 'exports/onnx'. "
            f"Received: directory={directory!r}"
        )
    directory = pathlib.Path(directory).expanduser()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"`directory` must be a folder that can be created "
            f"({error.strerror}). Received: directory={str(directory)!r}"
        ) from None
    earlier = [path for path in directory.iterdir()
               if path.suffix in (".onnx", ".tflite")
               or path.name == "signatures.json"]
    if earlier and not overwrite:
        raise ValueError(
            f"{directory} already holds a conversion ({earlier[0].name}, "
            "...). Pass overwrite=True (--overwrite) to replace it, or "
            "choose another folder."
        )
    for path in earlier:
        path.unlink()
    return directory


def _require(*modules):
    """Import `modules`, or say how to install them."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ImportError(
                f"Converting needs the `{module}` package: "
                "pip install -e .[export] (tf2onnx, onnxruntime, "
                "ai-edge-litert)."
            ) from None


def _first_line(error):
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(error).__name__

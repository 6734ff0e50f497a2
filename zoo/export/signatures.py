"""The `keras.export.ExportArchive` of a zoo model: the endpoints the model
supplies (`model.serving_endpoints`, `zoo.models.endpoints`), the first also
exported as `serving_default`.
"""

import keras
import tensorflow as tf

from zoo.models.endpoints import CODEBOOK_SIGNATURES
from zoo.models.endpoints import MAX_SAMPLES
from zoo.models.endpoints import SCORE_SEED
from zoo.models.endpoints import SIGNATURES

__all__ = ["CODEBOOK_SIGNATURES", "MAX_SAMPLES", "SCORE_SEED", "SIGNATURES",
           "export_archive", "signatures"]


def signatures(model):
    """The signatures `export_for_serving` writes for `model`: name ->
    (input names, output names); conditional models take `labels` too."""
    return model.serving_signatures()


def export_archive(model, max_samples=MAX_SAMPLES):
    """An `ExportArchive` holding the serving endpoints of `model`, each
    checking its inputs before computing anything."""
    archive = keras.export.ExportArchive()
    for name, (function, specs) in model.serving_endpoints(
            max_samples).items():
        archive.add_endpoint(name, shape_checked(function, specs), specs)
    return archive


def shape_checked(function, specs):
    """`function`, refusing inputs whose shape is not its spec's before
    computing anything: each known size must match and each batch-like
    (unknown) size must be at least 1. A signature's input spec is not
    enforced when it is called (a `(2, 3, 3)` grid reached a `(None, 4, 4)`
    VQ-VAE decoder and failed deep in oneDNN), and an empty batch would
    answer with empty outputs where the Keras API refuses it."""

    def checked(*inputs):
        checks = []
        for tensor, spec in zip(inputs, specs):
            if spec.shape.rank:
                checks.append(_assert_shape(tensor, spec))
        with tf.control_dependencies(checks):
            inputs = [tf.identity(tensor) for tensor in inputs]
        return function(*inputs)

    return checked


def _assert_shape(tensor, spec):
    sizes = iter("NMK")
    expected = ", ".join(
        next(sizes) if size is None else str(size) for size in spec.shape
    )
    known = [index for index, size in enumerate(spec.shape) if size is not None]
    shape = tf.shape(tensor)
    matches = tf.reduce_all(shape > 0)
    if known:
        matches = matches & tf.reduce_all(
            tf.gather(shape, known) == [spec.shape[index] for index in known]
        )
    return tf.debugging.Assert(matches, [
        f"`{spec.name}` must have shape ({expected}) with every size at "
        "least 1 (no empty batch). Received shape:", shape,
    ])

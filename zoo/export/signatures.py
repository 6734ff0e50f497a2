"""The `keras.export.ExportArchive` of a zoo model: the endpoints the model
supplies (`model.serving_endpoints`, `zoo.models.endpoints`), the first also
exported as `serving_default`.
"""

import keras

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
        archive.add_endpoint(name, function, specs)
    return archive

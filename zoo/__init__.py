"""zoo: variational autoencoders for Keras 3 and TensorFlow Probability."""

import importlib
import sys
from typing import TYPE_CHECKING

from zoo.version import __version__

# Light (no TensorFlow): tells whether this process is the `zoo` command.
from zoo import quiet

__all__ = [
    "HierarchicalVAE", "VAE", "VQVAE", "__version__", "callbacks", "datasets", "distribute",
    "evaluation", "export",
    "from_preset", "get", "list_models", "list_presets", "networks",
    "objectives", "preset_card", "training",
]

if TYPE_CHECKING:  # the public names as static analysis (the API
    # reference, type checkers) sees them; `load()` binds them at run time.
    from zoo import datasets, evaluation, export, networks, objectives
    from zoo import plotting, training
    from zoo.models import HierarchicalVAE, VAE, VQVAE
    from zoo.models.registry import get, list_models
    from zoo.presets import from_preset, list_presets, preset_card
    from zoo.training import callbacks, distribute

_loading = False


def load():
    """Import the zoo's packages and public names (and so TensorFlow).

    `import zoo` does it at once from Python; the `zoo` command does it
    once its arguments are parsed, after hiding TensorFlow's start-up logs
    (zoo/quiet.py), so `zoo --help` answers without loading TensorFlow.
    An attribute of `zoo` read before then loads it too."""
    global _loading
    if _loading:
        return
    _loading = True
    module = importlib.import_module
    # import_module, not `from zoo import ...`, which would ask this
    # module's __getattr__ for the name first.
    datasets = module("zoo.datasets")
    training = module("zoo.training")
    evaluation = module("zoo.evaluation")
    export = module("zoo.export")
    plotting = module("zoo.plotting")
    networks = module("zoo.networks")
    objectives = module("zoo.objectives")
    models = module("zoo.models")
    registry = module("zoo.models.registry")
    presets = module("zoo.presets")
    callbacks = module("zoo.training.callbacks")
    distribute = module("zoo.training.distribute")
    HierarchicalVAE, VAE, VQVAE = (
        models.HierarchicalVAE, models.VAE, models.VQVAE)
    get, list_models = registry.get, registry.list_models
    from_preset, list_presets, preset_card = (
        presets.from_preset, presets.list_presets, presets.preset_card)
    globals().update(
        datasets=datasets, training=training, evaluation=evaluation,
        export=export, plotting=plotting, networks=networks,
        objectives=objectives, HierarchicalVAE=HierarchicalVAE, VAE=VAE,
        VQVAE=VQVAE, get=get, list_models=list_models,
        from_preset=from_preset, list_presets=list_presets,
        preset_card=preset_card, callbacks=callbacks,
        distribute=distribute, convert=export.convert,
    )
    # Release 0.2's public module paths, `zoo.callbacks`, `zoo.distribute`
    # and `zoo.convert`, name the modules in their new packages, for
    # `import` too.
    sys.modules["zoo.callbacks"] = callbacks
    sys.modules["zoo.distribute"] = distribute
    sys.modules["zoo.convert"] = export.convert


def __getattr__(name):
    """A public name read before `load()` (in the `zoo` command): load."""
    # While loading, a submodule is asked for (`from zoo import objectives`
    # in zoo.models): no attribute yet, so the import system imports it.
    if not _loading and (name in __all__ or name in ("plotting", "convert")):
        load()
        return globals()[name]
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


if not quiet.is_zoo_command():
    load()

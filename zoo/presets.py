"""Pretrained presets: the models shipped in saved_models/, as Keras models.

Each shipped model's folder holds its TF Serving SavedModel (`1/`), its
`model_card.json` (recipe, options, scores) and `model.keras`, the same
weights as a Keras model (written from the SavedModel, without training,
by `python saved_models/regenerate.py --keras-from-savedmodel`).

    >>> import zoo
    >>> zoo.list_presets()
    ['beta_vae', 'conv_vae', 'conv_vae_long', 'dense_vae', 'hierarchical_vae',
     'vq_vae']
    >>> model = zoo.from_preset("conv_vae")       # compiled, ready to fit
    >>> z = model.encode(x).mean()                # x: (N, 28, 28, 1) in [0, 1]
    >>> model.fit(my_images, epochs=2)            # fine-tune
    >>> zoo.preset_card("conv_vae")["test_negative_elbo"]
    242.86...

The presets are Fashion-MNIST models: inputs are 28x28x1 images in [0, 1]
(binarized in training, see the card). They are read from the
`saved_models/` folder of the zoo checkout (next to the `zoo` package), or
from `directory=` / `$ZOO_PRESETS_DIR` when given.
"""

import json
import os
import pathlib

#: The folder searched when neither `directory=` nor `$ZOO_PRESETS_DIR`
#: is given: saved_models/ beside the zoo package.
DEFAULT_DIRECTORY = pathlib.Path(__file__).resolve().parent.parent / (
    "saved_models"
)
KERAS_FILE = "model.keras"
CARD_FILE = "model_card.json"


def presets_directory(directory=None):
    """Where the presets are: `directory`, else `$ZOO_PRESETS_DIR`, else
    `DEFAULT_DIRECTORY`."""
    if directory is None:
        directory = os.environ.get("ZOO_PRESETS_DIR") or DEFAULT_DIRECTORY
    return pathlib.Path(directory).expanduser()


def list_presets(directory=None):
    """The preset names, sorted: the folders that hold a `model.keras` and a
    `model_card.json`."""
    folder = presets_directory(directory)
    if not folder.is_dir():
        return []
    return sorted(
        path.name for path in folder.iterdir()
        if (path / KERAS_FILE).is_file() and (path / CARD_FILE).is_file()
    )


def preset_card(name, directory=None):
    """The model card of preset `name`, a dict: its registry name, options,
    training recipe, size and test scores.

    Raises:
        ValueError: for an unknown name; the message lists the presets.
    """
    folder = _preset_folder(name, directory)
    return json.loads((folder / CARD_FILE).read_text())


def from_preset(name, directory=None, learning_rate=1e-3):
    """The pretrained Keras model `name`, compiled with Adam, ready to
    `encode`, `decode`, `sample`, score or fine-tune with one `fit` call.

    Args:
        name: a name from `list_presets()`, e.g. `"conv_vae"`.
        directory: optional folder of presets (default: see the module
            docstring).
        learning_rate: float > 0, Adam's learning rate for fine-tuning
            (default 1e-3, the shipped models' own).

    Returns:
        A `zoo.models.VAE` with the shipped weights.

    Raises:
        ValueError: for an unknown name (the message lists the presets) or
            a non-positive learning rate.

    Example:

    >>> model = zoo.from_preset("conv_vae")
    >>> model.fit(x_new, epochs=1, batch_size=32)
    """
    import keras

    # Imported for its side effect: registers the zoo's classes by name
    # so that load_model finds them.
    import zoo.models  # noqa: F401

    if isinstance(learning_rate, bool) or not isinstance(
        learning_rate, (int, float)
    ) or not learning_rate > 0:
        raise ValueError(
            "`learning_rate` must be a positive float, e.g. 1e-4. "
            f"Received: learning_rate={learning_rate!r}"
        )
    folder = _preset_folder(name, directory)
    model = keras.models.load_model(folder / KERAS_FILE)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model


def _preset_folder(name, directory):
    names = list_presets(directory)
    if name not in names:
        raise ValueError(
            f"Unknown preset {name!r}. Available presets: {names} (in "
            f"{presets_directory(directory)})."
        )
    return presets_directory(directory) / name

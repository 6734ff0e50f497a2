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
        ValueError: for an unknown name (the message lists the presets),
            or a card that is not a JSON object (the message names it).
    """
    path = _preset_folder(name, directory) / CARD_FILE
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError) as error:  # JSONDecodeError, bad UTF-8
        card = error
    if not isinstance(card, dict):
        reason = " ".join(str(card).split())
        raise ValueError(
            f"The model card {path} is damaged (not a JSON object: "
            f"{reason}); restore it from the zoo's checkout (git checkout "
            f"-- {CARD_FILE}) or the preset's source. Received: "
            f"name={name!r}"
        )
    return card


def from_preset(name, directory=None, learning_rate=None):
    """The pretrained Keras model `name`, compiled with Adam, ready to
    `encode`, `decode`, `sample`, score or fine-tune with one `fit` call.

    Args:
        name: a name from `list_presets()`, e.g. `"conv_vae"`.
        directory: optional folder of presets (default: see the module
            docstring).
        learning_rate: float > 0, Adam's learning rate for fine-tuning, or
            None (default) for `compile()`'s, the zoo's one default
            (`zoo.models.autoencoder.DEFAULT_LEARNING_RATE`).

    Returns:
        The preset's zoo model (a `zoo.VAE`, `zoo.VQVAE` or
        `zoo.HierarchicalVAE`) with the shipped weights.

    Raises:
        ValueError: for an unknown name (the message lists the presets), a
            learning rate that is not a positive finite number, or a
            `model.keras` that is empty, damaged or not a zoo model.

    Example:

    >>> model = zoo.from_preset("conv_vae")
    >>> model.fit(x_new, epochs=1, batch_size=32)
    """
    import keras

    # Imported for its side effect: registers the zoo's classes by name
    # so that load_model finds them.
    import zoo.models  # noqa: F401

    from zoo.validation import check_number

    if learning_rate is not None:
        check_number(learning_rate, "learning_rate", minimum=0.0, above=True,
                     fix="E.g. 1e-4.")
    path = _preset_folder(name, directory) / KERAS_FILE
    damage = _keras_file_damage(path)
    if damage:
        raise ValueError(
            f"The preset file {path} is damaged ({damage}); restore it "
            "(python saved_models/regenerate.py --keras-from-savedmodel "
            f"writes it again). Received: name={name!r}"
        )
    model = keras.models.load_model(path)
    if not isinstance(model, zoo.models.Autoencoder):
        raise ValueError(
            f"The preset {path} holds a {type(model).__name__}, not a zoo "
            "model (zoo.VAE, zoo.VQVAE, zoo.HierarchicalVAE): a preset is "
            "written by zoo.export or model.save of a zoo model. Load other "
            "models with keras.models.load_model. Received: "
            f"name={name!r}, directory={str(directory)!r}"
        )
    model.compile(optimizer=None if learning_rate is None else (
        keras.optimizers.Adam(learning_rate)))
    return model


def _keras_file_damage(path):
    """Why the `.keras` file is not loadable (empty, not a complete
    archive), or None."""
    if path.stat().st_size == 0:
        return "it is empty, 0 bytes"
    from zoo.training import runs

    return runs.keras_file_damage(path)


def _preset_folder(name, directory):
    names = list_presets(directory)
    if name not in names:
        raise ValueError(
            f"Unknown preset {name!r}. Available presets: {names} (in "
            f"{presets_directory(directory)})."
        )
    return presets_directory(directory) / name

"""Loading models saved by zoo 0.1, which had one class per model.

Release 0.1 saved `.keras` files whose config names a class per model,
e.g. `{"class_name": "ConvVAE", "registered_name": "zoo>ConvVAE",
"config": {...}}`, and held the objective's variables (`beta`, `capacity`,
the beta-TC weights) on the model itself. Each 0.1 name is registered here
as a loader whose `from_config` builds the equivalent `VAE` (these are not
classes: nothing is an instance of them), and `VAE.load_own_variables`
moves those variables into the objective.

Every config written since records `zoo_version`; a file from a newer
zoo is refused with both versions named.
"""

import keras

from zoo.version import __version__

#: The 0.1 class names -> the options that class fixed.
CLASSES = {
    "DenseVAE": {"network": "mlp"},
    "ConvVAE": {"network": "conv"},
    "BetaVAE": {"network": "conv"},
    "IWAE": {"network": "conv"},
    "BetaTCVAE": {"network": "conv"},
    "ConditionalVAE": {"network": "conv"},
}

#: The objective options of each 0.1 class (and their 0.1 defaults).
OBJECTIVE_OPTIONS = {
    "IWAE": ("iwae", ("num_samples", "beta")),
    "BetaTCVAE": ("beta_tc", ("tc_weight", "mi_weight",
                              "dimension_kl_weight", "beta",
                              "dataset_size")),
}


def _release(version):
    return tuple(int(part) for part in version.split(".")[:2])


def check_version(version):
    """Refuse a config written by a newer zoo than this one.

    Args:
        version: the config's `zoo_version`, or None (release 0.1, which
            did not record it).
    """
    if version is None:
        return
    try:
        newer = _release(version) > _release(__version__)
    except ValueError:
        newer = True
    if newer:
        raise ValueError(
            f"This model was saved by zoo {version}; this is zoo "
            f"{__version__}, which cannot read it. Install zoo>={version} "
            "to load it."
        )


def convert(class_name, config):
    """A 0.1 config of `class_name` as a `VAE` config.

    Raises:
        ValueError: for a config of a format 0.1 never wrote, naming the
            version.
    """
    config = dict(config)
    if "zoo_version" in config:
        raise ValueError(
            f"A {class_name} config with zoo_version="
            f"{config['zoo_version']!r}: zoo 0.1 was the last release with "
            f"class {class_name}, and it did not record a version."
        )
    if class_name == "BetaTCVAE" and "alpha" in config:
        raise ValueError(
            "This BetaTCVAE was saved by a zoo before release 0.1 "
            "(options alpha/gamma); zoo 0.1 and later cannot read it. "
            "Retrain it, or rebuild it with zoo.get('beta_tcvae', "
            "mi_weight=..., tc_weight=..., dimension_kl_weight=...) and "
            "load its weights."
        )
    options = dict(CLASSES[class_name])
    if class_name == "BetaVAE":
        if config.get("capacity") is not None:
            objective = _serialized(
                "capacity", capacity=config.pop("capacity"),
                gamma=config.pop("gamma"),
            )
            config.pop("beta", None)
        else:
            config.pop("capacity", None)
            config.pop("gamma", None)
            objective = _serialized("beta", beta=config.pop("beta"))
    elif class_name in OBJECTIVE_OPTIONS:
        name, keys = OBJECTIVE_OPTIONS[class_name]
        objective = _serialized(name, **{
            key: config.pop(key) for key in keys if key in config
        })
    else:
        objective = _serialized("elbo", beta=config.pop("beta", 1.0))
    return {**config, **options, "objective": objective}


def _objective(name, **options):
    from zoo import objectives

    return objectives.get(name, **options)


def _serialized(name, **options):
    return keras.saving.serialize_keras_object(_objective(name, **options))


class Release01Loader:
    """Found by Keras under a 0.1 registered name (`"zoo>ConvVAE"`);
    `from_config` builds the equivalent `VAE`."""

    def __init__(self, model_class, class_name):
        self.model_class = model_class
        self.class_name = class_name

    def from_config(self, config):
        return self.model_class.from_config(convert(self.class_name, config))


def register_classes(model_class):
    """Register a loader for each 0.1 class name, building `model_class`."""
    custom_objects = keras.saving.get_custom_objects()
    for class_name in CLASSES:
        custom_objects[f"zoo>{class_name}"] = Release01Loader(
            model_class, class_name
        )


def load_objective_variables(objective, store):
    """Assign a 0.1 model's own variables, in 0.1's order (`beta`, then
    `capacity` or the beta-TC weights), to `objective`'s."""
    variables = objective.weights
    values = [store[key] for key in sorted(store.keys(), key=int)]
    if len(values) != len(variables):
        raise ValueError(
            f"A zoo 0.1 model file holds {len(values)} model variables; "
            f"the {type(objective).__name__} objective has "
            f"{len(variables)}. The file does not match its config."
        )
    for variable, value in zip(variables, values):
        variable.assign(value)

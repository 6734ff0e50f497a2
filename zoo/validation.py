"""Checks on user data, run before any weight changes.

Each check raises `ValueError` with a message that says what was expected,
what was received, and how to fix it.
"""

import keras
import numpy as np
import tensorflow as tf

# The checked-number rule and the limits, for the package's modules.
from zoo.numbers import FLOAT32_MAX
from zoo.numbers import MAX_LATENT_DIM
from zoo.numbers import MAX_SAMPLES
from zoo.numbers import check_number
from zoo.numbers import check_positive_int
from zoo.numbers import check_size
from zoo.numbers import check_weight
from zoo.numbers import check_widths
from zoo.numbers import is_number


def check_empty_dataset(dataset, argument="x"):
    """Raise `ValueError` if the `tf.data.Dataset` is known to yield no
    batches (Keras would train on nothing and return an empty history)."""
    if int(dataset.cardinality()) == 0:
        raise ValueError(
            f"`{argument}` is an empty dataset: it yields no batches (an "
            "empty stream folder, or take(0)?). Write or select some data "
            "first."
        )


def check_images(x, image_shape, argument, likelihood=None):
    """Validate an in-memory batch of images and return it as a numpy array.

    Args:
        x: array-like or eager tensor `(batch, *image_shape)`.
        image_shape: the shape one example must have, e.g. `(28, 28, 1)`.
        argument: the name used in error messages, e.g. `"x"`.
        likelihood: optional `zoo.likelihoods.factorised.Likelihood`; when given, the
            values must lie in its support (x is a reconstruction target).

    Raises:
        ValueError: non-numeric data, wrong rank, shape or channels, an
            empty batch, NaN/inf, or values outside the likelihood's support.
    """
    image_shape = tuple(image_shape)
    expected = f"(batch, {', '.join(map(str, image_shape))})"
    array = _real_array(x, argument, expected)
    if array.ndim == len(image_shape) and array.shape == image_shape:
        raise ValueError(
            f"`{argument}` must be a batch of shape {expected}; received one "
            f"example of shape {array.shape}. Add a batch axis: x[None]."
        )
    if array.ndim != len(image_shape) + 1:
        raise ValueError(
            f"`{argument}` must have rank {len(image_shape) + 1}, shape "
            f"{expected}; received rank {array.ndim}, shape {array.shape}. "
            "Reshape it, e.g. x.reshape((-1, "
            f"{', '.join(map(str, image_shape))}))."
        )
    if array.shape[1:] != image_shape:
        if array.shape[1:-1] == image_shape[:-1]:
            raise ValueError(
                f"`{argument}` has {array.shape[-1]} channels but the model "
                f"takes {image_shape[-1]} (expected shape {expected}, "
                f"received {array.shape}). Build the model with "
                f"input_shape={array.shape[1:]} or convert the images."
            )
        raise ValueError(
            f"`{argument}` must have shape {expected}; received "
            f"{array.shape}. Resize the images or build the model with "
            f"input_shape={array.shape[1:]}."
        )
    _check_values(array, argument)
    if likelihood is not None:
        likelihood.check_support(array, argument)
    return array


def check_latents(z, latent_dim, argument="z"):
    """Validate a batch of latent vectors and return it as a numpy array.

    Args:
        z: array-like or eager tensor `(batch, latent_dim)`.
        latent_dim: the model's number of latent dimensions.
        argument: the name used in error messages (default `"z"`).

    Raises:
        ValueError: non-numeric data, a shape other than
            `(batch, latent_dim)`, an empty batch, or NaN/inf.
    """
    expected = f"(batch, {latent_dim})"
    array = _real_array(z, argument, expected)
    if array.ndim != 2 or array.shape[1] != latent_dim:
        raise ValueError(
            f"`{argument}` must have shape {expected}; draw it from the "
            f"prior or encode(x) of this model. "
            f"Received: {argument}.shape={array.shape}"
        )
    _check_values(array, argument)
    return array


def check_codes(codes, grid_shape, num_embeddings, argument="indices"):
    """Validate a batch of code grids of a codebook latent
    (`zoo.models.VQVAE.decode`) and return it as an int32 array.

    Args:
        codes: array-like of int code indices `(batch, *grid_shape)`, each
            in [0, num_embeddings).
        grid_shape: the model's code grid `(h, w)`.
        num_embeddings: K, the codebook's size.
        argument: the name used in error messages (default `"indices"`).

    Raises:
        ValueError: non-numeric or non-integer values, a shape other than
            `(batch, *grid_shape)`, an empty batch, or indices outside
            [0, num_embeddings).
    """
    expected = f"(batch, {', '.join(map(str, grid_shape))})"
    array = _real_array(codes, argument, expected)
    if array.shape[1:] != tuple(grid_shape) or array.ndim != len(grid_shape) + 1:
        raise ValueError(
            f"`{argument}` must be code indices of shape {expected}, e.g. "
            f"encode(x).indices of this model. "
            f"Received: {argument}.shape={array.shape}"
        )
    _check_values(array, argument)
    if np.any(array != np.round(array)) or array.min() < 0 or (
        array.max() >= num_embeddings
    ):
        raise ValueError(
            f"`{argument}` must hold integer code indices in [0, "
            f"{num_embeddings}) (the codebook has {num_embeddings} codes). "
            f"Received values in [{array.min()}, {array.max()}]."
        )
    return array.astype("int32")


def check_labels(labels, num_classes, num_examples, argument="labels",
                 allow_unlabelled=False):
    """Validate class ids for `num_examples` examples; return int32 `(n,)`.

    Args:
        labels: array-like of int class ids in [0, num_classes), shape
            `(num_examples,)` or `(num_examples, 1)`.
        num_classes: the model's number of classes.
        num_examples: the number of examples they label.
        argument: the name used in error messages (default `"labels"`).
        allow_unlabelled: bool (default False); True lets -1 mark an
            unlabelled example (a semi-supervised model's training data).

    Raises:
        ValueError: non-numeric or non-integer values, a length other than
            `num_examples`, or ids outside [0, num_classes) (other than -1
            when `allow_unlabelled`).
    """
    expected = f"({num_examples},)"
    array = _real_array(labels, argument, expected)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (num_examples,):
        raise ValueError(
            f"`{argument}` must hold one int class id per example, shape "
            f"{expected} (not one-hot). Received: {argument}.shape="
            f"{array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
        raise ValueError(
            f"`{argument}` must be int class ids; it holds non-integer "
            "values. Convert one-hot labels with labels.argmax(axis=-1)."
        )
    lowest = -1 if allow_unlabelled else 0
    if np.any(array < lowest) or np.any(array >= num_classes):
        if allow_unlabelled:
            raise ValueError(
                f"`{argument}` must be class ids in [0, {num_classes}), or -1 "
                "for an unlabelled example; received values from "
                f"{array.min():g} to {array.max():g}."
            )
        if np.any(array == -1):
            raise ValueError(
                f"`{argument}` must be class ids in [0, {num_classes}); -1 "
                "(unlabelled) is only for the training data of a "
                "semi-supervised model (objective='semi_supervised'), and "
                "its other methods take real class ids. Received: values "
                f"from {array.min():g} to {array.max():g}."
            )
        raise ValueError(
            f"`{argument}` must be class ids in [0, {num_classes}); received "
            f"values from {array.min():g} to {array.max():g}. Build the "
            "model with num_classes above the largest id."
        )
    return array.astype("int32")


def unweighted_message(name):
    """Why a zoo model takes no `sample_weight` or `class_weight`.

    The loss is the negative ELBO, reconstruction plus the KL term that the
    model adds with `add_loss`; Keras weighs only the compiled loss, so a
    weight would reach the reconstruction but not the KL, and the weighted
    loss would be no ELBO at all. Refused instead of half applied.
    """
    return (
        f"`{name}` is not supported: the loss is each example's negative "
        "ELBO, and Keras would weigh its reconstruction term but not the KL "
        "term added with add_loss. To weigh examples, resample them instead "
        "(repeat them in the array, or use tf.data.Dataset.sample_from_"
        "datasets / rejection_resample)."
    )


def check_loop_arguments(arguments):
    """Check the sizes given by keyword to `fit`, `evaluate` or `predict`.

    Keras gives an unclear error deep in TensorFlow for a negative
    `batch_size`, and silently trains nothing for `epochs <= 0`.

    Args:
        arguments: the keyword arguments, a dict.

    Raises:
        ValueError: for a `sample_weight` or `class_weight` (see
            `unweighted_message`), a `batch_size` that is not None or a
            positive int,
            `epochs` that is not a positive int, or a `validation_split`
            outside [0, 1).
    """
    for name in ("sample_weight", "class_weight"):
        if arguments.get(name) is not None:
            raise ValueError(unweighted_message(name))
    for name in ("batch_size", "epochs"):
        if arguments.get(name) is not None:
            check_positive_int(arguments[name], name)
    check_number(arguments.get("validation_split", 0.0), "validation_split",
                 minimum=0.0, maximum=1.0, below=True,
                 fix="Pass the fraction held out, e.g. 0.1.")


def _real_array(x, argument, expected):
    """`x` as a numpy array of real numbers (booleans become 0.0 / 1.0)."""
    if isinstance(x, tf.Tensor):
        x = x.numpy()
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{argument}` must be a numeric array of shape {expected}; it "
            f"could not be converted to one: {error}"
        ) from None
    if array.dtype == bool:
        array = array.astype("float32")
    if not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        raise ValueError(
            f"`{argument}` must be numeric (float32); convert it with "
            f"np.asarray({argument}, 'float32'). "
            f"Received: {argument}.dtype={array.dtype}"
        )
    return array


def _check_values(array, argument):
    """Raise unless `array` holds at least one example and only finite
    values."""
    if array.shape[0] == 0:
        raise ValueError(
            f"`{argument}` is empty: it holds no examples. "
            f"Received: {argument}.shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        count = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"`{argument}` holds {count} NaN or infinite values. Remove or "
            "impute them before training or scoring."
        )


def check_dataset_spec(dataset, image_shape, split_inputs):
    """Check a `tf.data.Dataset`'s element spec against the model's input.

    The images of each element's first component (`split_inputs` finds them
    in a conditional model's `[x, labels]`) must be `(batch, *image_shape)`
    (a leading None batch dimension is fine).
    """
    spec = dataset.element_spec
    if isinstance(spec, tuple) and len(spec) == 3:
        raise ValueError(
            unweighted_message("sample_weight") + " The dataset yields "
            "(x, y, sample_weight) triples; yield x or (x, y)."
        )
    first = spec[0] if isinstance(spec, tuple) else spec
    try:
        first = split_inputs(first)[0]
    except ValueError as error:
        raise ValueError(f"{error} The dataset's element spec is {spec}.") from None
    if not isinstance(first, tf.TensorSpec):
        raise ValueError(
            "A dataset passed to the model must yield image tensors or "
            f"(x,) / (x, y) tuples of them; its element spec is {spec}."
        )
    shape = tuple(first.shape)
    if len(shape) != len(image_shape) + 1 or any(
        got is not None and got != want
        for got, want in zip(shape[1:], image_shape)
    ):
        raise ValueError(
            "The dataset yields batches of shape "
            f"{shape}; the model takes (batch, "
            f"{', '.join(map(str, image_shape))}). Batch it with "
            "dataset.batch(n) and match the model's input_shape."
        )
    if not (first.dtype.is_floating or first.dtype.is_integer):
        raise ValueError(
            f"The dataset yields {first.dtype.name} tensors; the model needs "
            "numeric images (cast them to float32)."
        )


# A model's data, checked before any weight changes ------------------------


def is_stream(x):
    """True for inputs that are consumed lazily (datasets, generators)."""
    return isinstance(x, (tf.data.Dataset, keras.utils.PyDataset)) or (
        hasattr(x, "__next__")
    )


def check_model_images(model, x, argument, in_support=True):
    """`check_images` against `model`'s input shape and its likelihood's
    support: images a model encodes, reconstructs, classifies or scores lie
    where its data lie (0..255 images for a Bernoulli model are the
    commonest mistake). `in_support=False` only for the noisy inputs of a
    denoiser, whose target is checked instead."""
    likelihood = model.likelihood_family if in_support else None
    return check_images(x, model.image_shape, argument, likelihood)


def check_model_inputs(model, inputs, argument, in_support=True,
                       unlabelled=False):
    """The model's inputs, checked: x, or `[x, labels]` for a conditional
    model (training data, `unlabelled=True`, may have the label -1 when
    the model takes unlabelled examples)."""
    return model.conditioning.checked(
        inputs, lambda x: check_model_images(model, x, argument, in_support),
        unlabelled=unlabelled,
    )


def check_classifier_inputs(model, x):
    """Images for a model's classifier q(y|x): x alone, checked."""
    if model.classifier is None:
        raise ValueError(
            "`classify` needs a model with a classifier, built with "
            "objective='semi_supervised' and num_classes; this model has "
            "none. Train a classifier on `model.encoder`'s features instead "
            "(zoo.evaluation.pretraining)."
        )
    if isinstance(x, (list, tuple, dict)):
        raise ValueError(
            "The classifier q(y|x) takes images x alone, "
            f"(batch, {', '.join(map(str, model.image_shape))}); it infers "
            "the labels. Received: a "
            f"{type(x).__name__} (pass x, not [x, labels])."
        )
    return check_model_images(model, x, "x")


def check_model_latents(model, latents):
    """`decode`'s input, checked: z, or `[z, labels]` for a conditional
    model."""
    return model.conditioning.checked(
        latents, lambda z: check_latents(z, model.latent_dim)
    )


def check_model_data(model, x, y):
    """`fit`/`evaluate`'s `(x, y)`, checked; a `tf.data.Dataset` gets its
    spec checked here and every batch asserted inside the training or test
    step (`assert_batch_valid`)."""
    if is_stream(x):
        if isinstance(x, tf.data.Dataset):
            check_dataset_spec(x, model.image_shape, model.split_inputs)
            check_empty_dataset(x)
        return x, y
    if y is None:
        return check_model_inputs(model, x, "x", unlabelled=True), None
    x = check_model_inputs(model, x, "x", in_support=False, unlabelled=True)
    y = check_model_images(model, y, "y")
    num_examples = len(model.split_inputs(x)[0])
    if num_examples != len(y):
        raise ValueError(
            "`x` and `y` must hold the same number of examples; received "
            f"{num_examples} and {len(y)}."
        )
    return x, y


def check_model_validation_data(model, data):
    """`fit`'s `validation_data`, checked."""
    if is_stream(data):
        return check_model_data(model, data, None)[0]
    if not isinstance(data, (tuple, list)) or not 1 <= len(data) <= 2:
        raise ValueError(
            "`validation_data` must be (x_val,), (x_val, y_val) or a "
            f"tf.data.Dataset; received a {type(data).__name__}."
        )
    x, y = check_model_data(
        model, data[0], data[1] if len(data) == 2 else None
    )
    return (x,) if y is None else (x, y)


def assert_all_true(condition, message):
    """One assertion op for graph checks: an `InvalidArgumentError` with
    `message` where the bool tensor `condition` holds a False (in eager
    mode, raised at once).

    `tf.debugging.assert_less` and its kin add the compared tensors to the
    error, and a float tensor in an assertion's data makes TensorFlow wrap
    it in a `tf.cond` in a graph: two branch functions to trace for each
    check. An `Assert` whose data is the message alone is one op (the
    serving endpoints traced about a third faster)."""
    return tf.debugging.Assert(tf.reduce_all(condition), [message])


def assert_batch_valid(model, data):
    """One batch of `train_step`/`test_step`, `x`, `(x,)` or `(x, y)`,
    returned behind graph checks: a batch that is non-finite, outside the
    likelihood's support or with labels out of range stops the step, before
    any weight changes, with a `tf.errors.InvalidArgumentError` naming the
    problem. In-memory arrays were checked whole before `fit`; this catches
    a streamed batch (`tf.data`, a generator, a `PyDataset`) as it is read,
    and a batch given to `train_on_batch`/`test_on_batch`.
    The checks run in the step's own graph: as a `tf.data` map they cost a
    pipeline stage per batch (`python -m bench.speed`)."""
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    x, condition = model.split_inputs(x)
    images = (x,) if y is None else (x, y)
    checks = [
        tf.debugging.assert_all_finite(
            tf.cast(batch, "float32"),
            "A dataset batch holds NaN or infinite values; clean the "
            "data before training.",
        )
        for batch in images
    ]
    checks += model.likelihood_family.assert_support(images[-1], "target")
    checks += model.conditioning.assertions(condition)
    with tf.control_dependencies(checks):
        return tf.nest.map_structure(
            lambda part: None if part is None else tf.identity(part), data)


def check_input_shape(input_shape):
    """`input_shape` as a tuple of 1 to 3 positive ints."""
    if not isinstance(input_shape, (tuple, list)) or not all(
        is_number(size, integer=True, minimum=1) for size in input_shape
    ) or not 1 <= len(input_shape) <= 3:
        raise ValueError(
            "`input_shape` must be the shape of one example as a tuple of 1 "
            "to 3 positive ints, e.g. (28, 28, 1). "
            f"Received: input_shape={input_shape!r}"
        )
    return tuple(int(size) for size in input_shape)


def check_seed(seed):
    """A model's `seed`: an int or None."""
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"`seed` must be an int or None. Received: seed={seed!r}"
        )
    return seed

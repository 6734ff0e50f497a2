"""The zoo's one checked-number rule and its limits.

Every count, size, weight and rate a user passes goes through
`check_number`, so one wording answers every bad number: what is expected,
the fix, and what was received. This module needs only numpy, so the
command line checks its arguments with it before TensorFlow loads
(`zoo.validation` re-exports it for the rest of the package).
"""

import numpy as np

#: The largest `latent_dim` a model may have. Far above any VAE's (tens to
#: hundreds), far below what would exhaust memory when the networks are
#: built, so a typo or a crafted `.keras` config is refused before any
#: allocation.
MAX_LATENT_DIM = 65_536

#: The most samples one call may draw at once: `sample`'s `num_samples`,
#: `log_likelihood`'s `num_samples` and its `chunk_size` times the batch.
#: About 3 GB of 28x28 float32 images; the serving signatures take their
#: own limit at export (`zoo.export.export_for_serving(max_samples=...)`).
MAX_SAMPLES = 2**20

#: The largest height or width of an image the zoo reads from files
#: (`zoo.datasets.from_directory`, `zoo train --image-size`): far above the
#: zoo's networks (28 to 64 pixels), far below what one decoded image
#: would need to exhaust memory.
MAX_IMAGE_SIDE = 4096

#: The most bytes of float32 pixels the zoo decodes into memory from a
#: folder of image files (files x height x width x channels x 4), checked
#: before any file is read.
MAX_IMAGE_BYTES = 2**33

#: The largest weight (beta, capacity, ...) a model takes: float32's largest,
#: since its weights are float32 variables (a larger one would become inf).
FLOAT32_MAX = 3.4028234663852886e38


def check_number(value, argument, *, integer=False, minimum=None,
                 maximum=None, above=False, below=False, fix=""):
    """The one checked-number rule of the zoo: `value` as an int or a float,
    or a `ValueError` naming `argument`.

    Args:
        value: what the user passed. Bools are refused (they are ints to
            Python, never a count or a weight to a user); so are NaN and
            infinities.
        argument: the argument's name, for the message.
        integer: whether `value` must be an integer (a Python or numpy
            int); else any real number (returned as a float).
        minimum, maximum: the bounds, None for none.
        above, below: whether the bounds are strict (`value > minimum`,
            `value < maximum`).
        fix: a sentence added to the message, e.g. how to choose a value.

    Returns:
        `int(value)` or `float(value)`.

    Example:

    >>> check_number(0.5, "decay", minimum=0.0, maximum=1.0, below=True)
    0.5
    """
    if not is_number(value, integer=integer, minimum=minimum,
                     maximum=maximum, above=above, below=below):
        raise ValueError(
            f"`{argument}` must be {describe_number(integer, minimum, maximum, above, below)}."
            f"{' ' + fix if fix else ''} Received: {argument}={value!r}"
        )
    return int(value) if integer else float(value)


def is_number(value, *, integer=False, minimum=None, maximum=None,
              above=False, below=False):
    """Whether `check_number` takes `value` (same arguments), for the
    checks of a number inside a larger value (a tuple of sizes) that word
    their own message."""
    kinds = (int, np.integer) if integer else (
        int, float, np.integer, np.floating)
    return bool(
        isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
        # An int is finite (and np.isfinite cannot take one beyond int64).
        and (isinstance(value, (int, np.integer)) or np.isfinite(value))
        and (minimum is None or (value > minimum if above else value >= minimum))
        and (maximum is None or (value < maximum if below else value <= maximum))
    )


def describe_number(integer=False, minimum=None, maximum=None, above=False,
                    below=False):
    """What `check_number` asks for, in words: "a positive integer", "a
    finite number in [0.0, 1)", ... (the command line's messages use it
    too)."""
    kind = "an integer" if integer else "a finite number"
    if maximum is not None:
        maximum = f"{maximum}" if integer else f"{maximum:g}"
    positive = (minimum == 0 and above) or (
        integer and minimum == 1 and not above)
    if positive:
        kind = "a positive integer" if integer else "a positive finite number"
        if maximum is None:
            return kind
        return f"{kind} {'below' if below else 'up to'} {maximum}"
    if maximum is None and minimum is None:
        return kind
    if maximum is None:
        return f"{kind} {'>' if above else '>='} {minimum}"
    if minimum is None:
        return f"{kind} {'<' if below else '<='} {maximum}"
    return (f"{kind} in {'(' if above else '['}{minimum}, {maximum}"
            f"{')' if below else ']'}")


def check_widths(widths, argument, minimum=0):
    """Validate a tuple of layer widths and return it as a tuple of ints.

    Raises:
        ValueError: if `widths` is not a sequence of positive ints with at
            least `minimum` entries.
    """
    if not isinstance(widths, (tuple, list)) or len(widths) < minimum:
        raise ValueError(
            f"`{argument}` must be a tuple of at least {minimum} positive "
            f"ints, e.g. (32, 64). Received: {argument}={widths!r}"
        )
    for index, width in enumerate(widths):
        check_number(width, f"{argument}[{index}]", integer=True, minimum=1,
                     fix=f"(In {argument}={widths!r}.)")
    return tuple(widths)


def check_size(value, argument, limit, fix):
    """Return the positive int `value`, or raise `ValueError` naming
    `argument`, the `limit` and the `fix` if it is above the limit."""
    value = check_positive_int(value, argument)
    if value > limit:
        raise ValueError(
            f"`{argument}` must be at most {limit:,}, the zoo's limit; "
            f"{fix} Received: {argument}={value:,}"
        )
    return value


def check_positive_int(value, argument):
    """Return `value` as an int, or raise `ValueError` naming `argument`
    unless it is a positive integer (bools are refused)."""
    return check_number(value, argument, integer=True, minimum=1)


def check_weight(value, argument):
    """A loss weight (beta, a capacity, ...): a finite float >= 0 that fits
    a float32 variable."""
    return check_number(
        value, argument, minimum=0.0, maximum=FLOAT32_MAX,
        fix="Weights are float32 variables.",
    )

"""Figures of what a VAE learned, written as PNG files with matplotlib.

Every function takes numpy-compatible arrays (or a model), draws one figure,
saves it to `path` when given, and returns the `matplotlib.figure.Figure`.
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _finish(figure, path):
    if path is not None:
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
    return figure


def _show(axis, image):
    image = np.asarray(image)
    if image.shape[-1] == 1:
        axis.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
    else:
        axis.imshow(np.clip(image, 0.0, 1.0))
    axis.axis("off")


def image_grid(images, path=None, columns=None, title=None):
    """A grid of images `(N, H, W, C)` with values in [0, 1].

    Example:

    >>> import zoo
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> figure = zoo.plotting.image_grid(model.sample(16, seed=0))
    """
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch (N, H, W, C). "
            f"Received: images.shape={images.shape}"
        )
    columns = columns or math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(columns, rows), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        if index < len(images):
            _show(axis, images[index])
        else:
            axis.axis("off")
    if title:
        figure.suptitle(title)
    return _finish(figure, path)


def reconstructions(model, x, path=None):
    """Inputs (top row) above their reconstructions (bottom row)."""
    x = np.asarray(x)
    return image_grid(
        np.concatenate([x, model.predict(x, verbose=0)]),
        path=path,
        columns=len(x),
        title="input (top) and reconstruction (bottom)",
    )


def training_curves(history, path=None):
    """Each metric of a `keras.callbacks.History` (and its `val_` twin)."""
    logs = history.history if hasattr(history, "history") else history
    names = [name for name in logs if not name.startswith("val_")]
    figure, axes = plt.subplots(
        1, len(names), figsize=(4 * len(names), 3), squeeze=False
    )
    for axis, name in zip(axes.flat, names):
        axis.plot(logs[name], label="train")
        if f"val_{name}" in logs:
            axis.plot(logs[f"val_{name}"], label="validation")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend()
    figure.tight_layout()
    return _finish(figure, path)

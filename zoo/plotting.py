"""Figures of what a VAE learned, written as PNG files with matplotlib.

Every function draws one figure, saves it to `path` when given (as a PNG of
`DPI` dots per inch of figure size, so a figure of `figsize=(w, h)` inches
is `w * DPI` by `h * DPI` pixels), and returns the
`matplotlib.figure.Figure`. Images are numpy-compatible arrays
`(N, H, W, C)` with values in [0, 1].

- `image_grid`: a grid of images, e.g. prior samples.
- `reconstructions`: inputs above their reconstructions.
- `training_curves`: the metrics of a `keras.callbacks.History`.
- `latent_scatter`: posterior means coloured by label (PCA when
  latent_dim > 2).
- `latent_manifold`: decodes of a grid over a 2-D latent space.
- `latent_traversals`: one row per latent dimension, swept from -3 to 3.
- `interpolation`: decodes along the line between two posterior means.

Every figure has a title and says what its axes show. `CLASS_NAMES` holds
the class names of the built-in datasets that have them, which
`latent_scatter` (`class_names=`) and `image_grid` (`row_labels=`) print
in place of class numbers.
"""

import math
import os

import matplotlib

# Draw off-screen, unless the environment chose a backend (a Jupyter kernel
# sets MPLBACKEND to its inline backend, so figures show in notebooks).
if "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from zoo.training import atomic  # noqa: E402
from zoo.validation import check_number  # noqa: E402

#: Dots per inch of every saved figure.
DPI = 100

#: Class names by dataset name, index = label.
CLASS_NAMES = {
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
        "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "mnist": tuple(f"digit {digit}" for digit in range(10)),
    "digits": tuple(f"digit {digit}" for digit in range(10)),
}


def _finish(figure, path):
    if path is not None:
        atomic.save_figure(figure, path, dpi=DPI)
        plt.close(figure)
    return figure


def _show(axis, image):
    image = np.asarray(image)
    if image.shape[-1] == 1:
        axis.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
    else:
        axis.imshow(np.clip(image, 0.0, 1.0))
    # Hide ticks and frame, not the axis, so row labels stay visible.
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)


def _check_images(images, argument="images"):
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            f"`{argument}` must be a non-empty batch (N, H, W, C). "
            f"Received: {argument}.shape={images.shape}"
        )
    return images


def _grid(images, columns, title=None, row_labels=None, column_labels=None,
          x_label=None, y_label=None):
    """Draw `images` row by row, `columns` per row, one inch per image;
    `x_label`/`y_label` say what the columns and rows show."""
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(columns, rows), squeeze=False,
        layout="constrained",
    )
    for index, axis in enumerate(axes.flat):
        if index < len(images):
            _show(axis, images[index])
        else:
            axis.axis("off")
    for axis, label in zip(axes[:, 0], row_labels or ()):
        axis.set_ylabel(label)
    for axis, label in zip(axes[0], column_labels or ()):
        axis.set_title(label, fontsize="small")
    if title:
        figure.suptitle(title)
    if x_label:
        figure.supxlabel(x_label, fontsize="small")
    if y_label:
        figure.supylabel(y_label, fontsize="small")
    return figure


def _posterior_means(model, x, batch_size=256):
    """The codes a reconstruction decodes (`VAE.latent_code`; a
    hierarchy's top-group means)."""
    x = np.asarray(x, "float32")
    code = getattr(model, "latent_code", lambda batch: model.encoder(batch)[0])
    return np.concatenate([
        np.asarray(code(x[start:start + batch_size]))
        for start in range(0, len(x), batch_size)
    ])


def _decode_mean(model, z):
    return np.asarray(model.decode(np.asarray(z, "float32")).mean())


def image_grid(images, path=None, columns=None, title=None,
               row_labels=None, x_label=None, y_label=None):
    """A grid of images `(N, H, W, C)` with values in [0, 1].

    The figure is `columns` by `ceil(N / columns)` inches (default: a
    square grid), so `DPI` pixels per image.

    Args:
        images: `(N, H, W, C)` in [0, 1].
        path: where to write the PNG, or None.
        columns: images per row (default: a square grid).
        title: str (default: "N images").
        row_labels: optional str per row, e.g. class names.
        x_label, y_label: what the columns and rows show (default: none,
            and "class" with `row_labels`).

    Example:

    >>> import zoo
    >>> model = zoo.get("conv_vae", input_shape=(28, 28, 1), latent_dim=2)
    >>> figure = zoo.plotting.image_grid(model.sample(16, seed=0))
    """
    images = _check_images(images)
    columns = columns or math.ceil(math.sqrt(len(images)))
    if row_labels is not None and y_label is None:
        y_label = "class"
    return _finish(
        _grid(images, columns, title or f"{len(images)} images",
              row_labels=row_labels, x_label=x_label, y_label=y_label),
        path,
    )


def reconstructions(model, x, path=None):
    """Inputs (top row) above their reconstructions (bottom row)."""
    x = _check_images(x, "x")
    return image_grid(
        np.concatenate([x, model.predict(x, verbose=0)]),
        path=path,
        columns=len(x),
        title="input (top) and reconstruction (bottom)",
        row_labels=["input", "reconstruction"],
        x_label="test image",
        y_label="",
    )


def training_curves(history, path=None):
    """Each metric of a `keras.callbacks.History` (and its `val_` twin),
    one 4 x 3 inch panel per metric."""
    logs = history.history if hasattr(history, "history") else history
    names = [name for name in logs if not name.startswith("val_")]
    figure, axes = plt.subplots(
        1, len(names), figsize=(4 * len(names), 3), squeeze=False,
        layout="constrained",
    )
    for axis, name in zip(axes.flat, names):
        axis.plot(logs[name], label="train")
        if f"val_{name}" in logs:
            axis.plot(logs[f"val_{name}"], label="validation")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(_metric_label(name))
        axis.legend()
    figure.suptitle("training curves")
    return _finish(figure, path)


def _metric_label(name):
    """The y-axis label of a training metric."""
    if name in ("loss", "reconstruction", "kl"):
        return {"loss": "-ELBO", "reconstruction": "-log p(x|z)",
                "kl": "KL(q(z|x) || p(z))"}[name] + " (nats per image)"
    return name


def latent_scatter(model, x, labels=None, path=None, size=6,
                   class_names=None):
    """The posterior means of `x` in the plane, coloured by label.

    With latent_dim > 2 the codes are projected on their first two
    principal components (scikit-learn's PCA, fitted on these codes); with
    latent_dim = 1 the code is drawn against the label.

    Args:
        model: a zoo model.
        x: images `(N, H, W, C)`.
        labels: int labels `(N,)`, or None (default) for one colour.
        path: where to write the PNG, or None.
        size: float, the figure's width and height in inches (default 6).
        class_names: optional name of each class (index = label), e.g.
            `CLASS_NAMES["fashion_mnist"]`; the legend shows them in place
            of the label numbers.

    Example:

    >>> data = zoo.datasets.fashion_mnist()
    >>> figure = zoo.plotting.latent_scatter(
    ...     model, data.x_test, data.y_test, "latent.png",
    ...     class_names=zoo.plotting.CLASS_NAMES["fashion_mnist"])
    """
    x = _check_images(x, "x")
    if labels is not None and len(labels) != len(x):
        raise ValueError(
            "`labels` must hold one label per image of `x`; received "
            f"{len(labels)} labels for {len(x)} images."
        )
    codes = _posterior_means(model, x)
    x_label, y_label = "z_0", "z_1"
    if codes.shape[1] == 1:
        if labels is None:
            raise ValueError(
                "A 1-D latent space is drawn against `labels`; pass labels "
                "or use latent_dim >= 2. Received: labels=None"
            )
        codes = np.stack([codes[:, 0], labels], axis=1)
        y_label = "label"
    elif codes.shape[1] > 2:
        pca = PCA(n_components=2).fit(codes)
        codes = pca.transform(codes)
        explained = pca.explained_variance_ratio_
        x_label = f"principal component 1 ({explained[0]:.0%} of variance)"
        y_label = f"principal component 2 ({explained[1]:.0%} of variance)"
    figure, axis = plt.subplots(
        figsize=(size, size), layout="constrained"
    )
    if labels is None:
        axis.scatter(codes[:, 0], codes[:, 1], s=4)
    else:
        labels = np.asarray(labels).astype(int)
        colours = plt.get_cmap("tab10" if labels.max() < 10 else "tab20")
        for label in np.unique(labels):
            chosen = labels == label
            name = (class_names[label] if class_names is not None
                    and 0 <= label < len(class_names) else str(label))
            axis.scatter(codes[chosen, 0], codes[chosen, 1], s=4,
                         color=colours(label % colours.N), label=name)
        axis.legend(title="class", markerscale=3, fontsize="small",
                    loc="best")
    axis.set_xlabel(x_label)
    axis.set_ylabel(y_label)
    axis.set_title(f"posterior means of {len(x)} images")
    return _finish(figure, path)


def latent_manifold(model, path=None, num_points=15, extent=3.0, size=8):
    """Decodes of a `num_points` x `num_points` grid over a 2-D latent
    space, z_0 along the x axis and z_1 up the y axis, from -`extent` to
    `extent` (prior standard deviations), tiled into one image.

    Args:
        model: a zoo model with latent_dim = 2.
        path: where to write the PNG, or None.
        num_points: int >= 2 (default 15), grid points per axis.
        extent: float > 0 (default 3.0), the grid's half-width.
        size: float, the figure's width and height in inches (default 8).

    Raises:
        ValueError: if the model's latent_dim is not 2.
    """
    if model.latent_dim != 2:
        raise ValueError(
            "The latent manifold is drawn for 2-D latents; train with "
            "latent_dim=2 or use latent_scatter / latent_traversals. "
            f"Received: model.latent_dim={model.latent_dim}"
        )
    values = np.linspace(-extent, extent, num_points)
    # Rows run down the image, so z_1 decreases from the top row.
    z = np.array([[z_0, z_1] for z_1 in values[::-1] for z_0 in values])
    images = _decode_mean(model, z)
    height, width, channels = images.shape[1:]
    tiled = images.reshape(num_points, num_points, height, width, channels)
    tiled = tiled.transpose(0, 2, 1, 3, 4).reshape(
        num_points * height, num_points * width, channels
    )
    figure, axis = plt.subplots(figsize=(size, size), layout="constrained")
    _show(axis, tiled)
    ticks = (np.arange(num_points) + 0.5)
    labels = [f"{value:.1f}" for value in values]
    axis.set_xticks(ticks * width, labels, fontsize="small")
    axis.set_yticks(ticks * height, labels[::-1], fontsize="small")
    axis.set_xlabel("z_0")
    axis.set_ylabel("z_1")
    axis.set_title("decoded images over the 2-D latent space")
    return _finish(figure, path)


def latent_traversals(model, x=None, path=None, num_values=9, extent=3.0):
    """One row per latent dimension d: the base code with z_d set to
    `num_values` values from -`extent` to `extent`, decoded.

    The other dimensions stay at the base code: the posterior mean of the
    image `x`, or the prior mean 0 when `x` is None. A dimension that
    encodes one factor of variation changes one thing along its row; an
    inactive one changes nothing.

    Args:
        model: a zoo model.
        x: one image `(H, W, C)` or `(1, H, W, C)`, or None (default).
        path: where to write the PNG, or None.
        num_values: int >= 2 (default 9), images per row.
        extent: float > 0 (default 3.0), in prior standard deviations.
    """
    if x is None:
        base = np.zeros(model.latent_dim, "float32")
    else:
        x = np.asarray(x)
        base = _posterior_means(model, x.reshape(1, *x.shape[-3:]))[0]
    values = np.linspace(-extent, extent, num_values)
    z = np.repeat(base[None, None], model.latent_dim, axis=0)
    z = np.repeat(z, num_values, axis=1)
    dimensions = np.arange(model.latent_dim)
    z[dimensions, :, dimensions] = values
    return _finish(
        _grid(
            _decode_mean(model, z.reshape(-1, model.latent_dim)),
            num_values,
            title="latent traversals",
            row_labels=[f"z_{d}" for d in dimensions],
            column_labels=[f"{value:+.1f}" for value in values],
            x_label="value of the latent dimension (prior std. devs.)",
            y_label="latent dimension changed",
        ),
        path,
    )


def interpolation(model, x_start, x_end, path=None, num_steps=8):
    """Decodes along straight lines between posterior means, one row per
    image pair: z_t = (1 - t) mu(x_start) + t mu(x_end), t from 0 to 1.

    Args:
        model: a zoo model.
        x_start, x_end: images `(P, H, W, C)`, the ends of P lines.
        path: where to write the PNG, or None.
        num_steps: int >= 2 (default 8), images per line, ends included.

    Raises:
        ValueError: if `num_steps` < 2 or the batches differ in size.
    """
    x_start = _check_images(x_start, "x_start")
    x_end = _check_images(x_end, "x_end")
    if len(x_start) != len(x_end):
        raise ValueError(
            "`x_start` and `x_end` must hold the same number of images; "
            f"received {len(x_start)} and {len(x_end)}."
        )
    check_number(num_steps, "num_steps", integer=True, minimum=2,
                 fix="Both ends are included.")
    t = np.linspace(0.0, 1.0, num_steps)[None, :, None]
    z_start = _posterior_means(model, x_start)[:, None]
    z_end = _posterior_means(model, x_end)[:, None]
    z = ((1 - t) * z_start + t * z_end).reshape(-1, model.latent_dim)
    return _finish(
        _grid(
            _decode_mean(model, z),
            num_steps,
            title="interpolation between posterior means",
            column_labels=[f"t={value:.2f}" for value in t.ravel()],
            x_label="t: 0 = first image's code, 1 = second image's",
            y_label="image pair",
        ),
        path,
    )

"""Every figure of `zoo.plotting` (and the TensorBoard image callback)
writes a non-empty PNG of the expected size in pixels."""

import keras
import matplotlib.image
import matplotlib.pyplot
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import plotting
from conftest import real_images


def model_with(latent_dim):
    keras.utils.set_random_seed(0)
    return zoo.get(
        "dense_vae", input_shape=(8, 8, 1), latent_dim=latent_dim,
        hidden_units=(32,),
    )


@pytest.fixture(scope="module")
def x():
    return real_images((8, 8, 1), count=40)


def pixel_size(path):
    """(height, width) of a PNG, which must be non-empty."""
    assert path.stat().st_size > 0
    return matplotlib.image.imread(path).shape[:2]


def test_image_grid(tmp_path, x):
    plotting.image_grid(x[:16], tmp_path / "square.png")
    plotting.image_grid(x[:10], tmp_path / "wide.png", columns=5)
    assert pixel_size(tmp_path / "square.png") == (400, 400)
    assert pixel_size(tmp_path / "wide.png") == (200, 500)


def test_image_grid_rejects_a_single_image(x):
    with pytest.raises(ValueError, match="images"):
        plotting.image_grid(x[0])


def test_reconstructions(tmp_path, x):
    plotting.reconstructions(model_with(2), x[:4], tmp_path / "r.png")
    assert pixel_size(tmp_path / "r.png") == (200, 400)


def test_training_curves(tmp_path, x):
    model = model_with(2)
    model.compile()
    history = model.fit(x, epochs=2, verbose=0, validation_data=(x,))
    plotting.training_curves(history, tmp_path / "curves.png")
    # loss, kl, reconstruction: one 4 x 3 inch panel each.
    assert pixel_size(tmp_path / "curves.png") == (300, 1200)


@pytest.mark.parametrize("latent_dim", [1, 2, 3])
def test_latent_scatter(tmp_path, x, latent_dim):
    labels = np.arange(len(x)) % 10
    plotting.latent_scatter(
        model_with(latent_dim), x, labels, tmp_path / "latent.png"
    )
    assert pixel_size(tmp_path / "latent.png") == (600, 600)


def test_latent_scatter_without_labels(tmp_path, x):
    plotting.latent_scatter(model_with(4), x, path=tmp_path / "latent.png")
    assert pixel_size(tmp_path / "latent.png") == (600, 600)


def test_latent_manifold(tmp_path):
    plotting.latent_manifold(model_with(2), tmp_path / "manifold.png")
    assert pixel_size(tmp_path / "manifold.png") == (800, 800)


def test_latent_manifold_needs_two_dimensions():
    with pytest.raises(ValueError, match="latent_dim=2"):
        plotting.latent_manifold(model_with(3))


@pytest.mark.parametrize("use_image", [True, False])
def test_latent_traversals(tmp_path, x, use_image):
    plotting.latent_traversals(
        model_with(3), x[0] if use_image else None,
        tmp_path / "traversals.png", num_values=5,
    )
    # One row per latent dimension, one column per value.
    assert pixel_size(tmp_path / "traversals.png") == (300, 500)


def test_latent_traversals_decode_the_base_code_at_zero():
    model = model_with(3)
    figure = plotting.latent_traversals(model, num_values=3)
    middle = figure.axes[1].images[0].get_array()
    expected = np.asarray(model.decode(np.zeros((1, 3))).mean())[0, ..., 0]
    np.testing.assert_allclose(middle, expected, atol=1e-6)


def test_interpolation(tmp_path, x):
    plotting.interpolation(
        model_with(2), x[:2], x[2:4], tmp_path / "lines.png", num_steps=6
    )
    assert pixel_size(tmp_path / "lines.png") == (200, 600)


def test_interpolation_ends_are_the_reconstructions(x):
    model = model_with(2)
    figure = plotting.interpolation(model, x[:1], x[1:2], num_steps=3)
    ends = [figure.axes[0], figure.axes[2]]
    expected = np.asarray(model.reconstruct(x[:2]))[..., 0]
    for axis, image in zip(ends, expected):
        np.testing.assert_allclose(
            axis.images[0].get_array(), image, atol=1e-6
        )


def test_interpolation_rejects_unpaired_batches(x):
    with pytest.raises(ValueError, match="same number"):
        plotting.interpolation(model_with(2), x[:2], x[:3])


def test_tensorboard_images_logs_both_images_every_epoch(tmp_path, x):
    model = model_with(2)
    model.compile()
    logger = zoo.training.callbacks.TensorBoardImages(tmp_path, x[:4], num_samples=9)
    model.fit(x, epochs=2, verbose=0, callbacks=[logger])
    (events,) = (tmp_path / "images").iterdir()
    logged = {}
    for record in tf.data.TFRecordDataset(str(events)):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            width, height, png = tf.make_ndarray(value.tensor)
            logged[value.tag, event.step] = (int(height), int(width))
            assert len(png) > 0
    # 8x8 images with a 1-pixel border: 2 rows of 4, and a 3 x 3 grid.
    assert logged == {
        ("reconstructions", 0): (20, 40), ("reconstructions", 1): (20, 40),
        ("samples", 0): (30, 30), ("samples", 1): (30, 30),
    }


def test_tensorboard_images_rejects_bad_arguments(tmp_path, x):
    with pytest.raises(ValueError, match="num_samples"):
        zoo.training.callbacks.TensorBoardImages(tmp_path, x, num_samples=0)
    with pytest.raises(ValueError, match="x"):
        zoo.training.callbacks.TensorBoardImages(tmp_path, x[0])


def titles_and_labels(figure):
    """The figure's title, and the x and y labels of the figure or of its
    axes, all non-empty strings found."""
    title = figure._suptitle.get_text() if figure._suptitle else ""
    titles = [title] + [axis.get_title() for axis in figure.axes]
    x_labels = [figure._supxlabel.get_text() if figure._supxlabel else ""]
    y_labels = [figure._supylabel.get_text() if figure._supylabel else ""]
    x_labels += [axis.get_xlabel() for axis in figure.axes]
    y_labels += [axis.get_ylabel() for axis in figure.axes]
    return ([text for text in texts if text]
            for texts in (titles, x_labels, y_labels))


def test_every_figure_has_a_title_and_axis_labels(x):
    model = model_with(2)
    model.compile()
    history = model.fit(x, epochs=1, verbose=0)
    figures = {
        "image_grid": plotting.image_grid(x[:4]),
        "reconstructions": plotting.reconstructions(model, x[:4]),
        "training_curves": plotting.training_curves(history),
        "latent_scatter": plotting.latent_scatter(
            model, x, np.arange(len(x)) % 10),
        "latent_manifold": plotting.latent_manifold(model, num_points=3),
        "latent_traversals": plotting.latent_traversals(model, x[0]),
        "interpolation": plotting.interpolation(model, x[:2], x[2:4]),
    }
    for name, figure in figures.items():
        titles, x_labels, y_labels = titles_and_labels(figure)
        assert titles, name
        if name != "image_grid":  # a plain grid has nothing on its axes
            assert x_labels and y_labels, name
        matplotlib.pyplot.close(figure)


def test_latent_scatter_names_the_classes(x):
    names = plotting.CLASS_NAMES["fashion_mnist"]
    assert names[0] == "T-shirt/top" and names[9] == "Ankle boot"
    figure = plotting.latent_scatter(model_with(2), x, np.arange(len(x)) % 10,
                                     class_names=names)
    legend = [text.get_text() for text in figure.axes[0].get_legend().texts]
    assert legend == list(names)
    matplotlib.pyplot.close(figure)


def test_image_grid_row_labels_name_the_rows(x):
    figure = plotting.image_grid(x[:4], columns=2, title="by class",
                                 row_labels=["Trouser", "Bag"])
    assert [axis.get_ylabel() for axis in figure.axes[::2]] == [
        "Trouser", "Bag"]
    assert figure._supylabel.get_text() == "class"
    matplotlib.pyplot.close(figure)

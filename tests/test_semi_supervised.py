"""The semi-supervised VAE (M2, `objective="semi_supervised"`): training
on partially labelled data, its classifier, class-conditional samples and
its bad inputs. Its loss is checked against the paper's formula in
`tests/test_objectives.py`, its contract in `tests/test_contract.py`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import real_images
from zoo.evaluation.semi_supervised import partially_labelled

SHAPE = (8, 8, 1)


def tiny(learning_rate=1e-3, **options):
    """A small M2, compiled without XLA (its compile time would dominate
    these few steps)."""
    model = zoo.get("semi_supervised_vae", input_shape=SHAPE, latent_dim=2,
                    network="mlp", hidden_units=(16,), seed=0, **options)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  jit_compile=False)
    return model


@pytest.fixture(scope="module")
def data():
    x = real_images(SHAPE, count=60)
    labels = np.arange(60) % 10
    labels[10:] = -1  # one labelled image per class
    return x, labels.astype("int32")


def test_fit_on_partially_labelled_arrays_and_datasets(data):
    x, labels = data
    model = tiny()
    history = model.fit([x, labels], epochs=2, batch_size=20, verbose=0)
    assert set(history.history) == {"loss", "reconstruction", "kl",
                                    "classification", "entropy"}
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    dataset = tf.data.Dataset.from_tensor_slices(
        {"x": x, "labels": labels}).batch(20)
    history = model.fit(dataset, validation_data=dataset, verbose=0)
    assert np.isfinite(history.history["val_classification"][0])


def test_alpha_trains_the_classifier_on_the_labels(data):
    """With a large alpha the labelled images' cross-entropy falls."""
    x, labels = data
    model = tiny(learning_rate=1e-2, alpha=200.0)
    keep = labels >= 0
    before = -np.mean(np.log(model.predict(x[keep], verbose=0)[
        np.arange(keep.sum()), labels[keep]]))
    model.fit([x, labels], epochs=10, batch_size=20, verbose=0)
    after = -np.mean(np.log(model.predict(x[keep], verbose=0)[
        np.arange(keep.sum()), labels[keep]]))
    assert after < before - 0.5


def test_predict_and_classify_give_the_classifiers_probabilities(data):
    x, _ = data
    model = tiny()
    probabilities = model.predict(x[:5], verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        model.classify(x[:5]).probs_parameter(), probabilities, rtol=1e-5)
    with pytest.raises(ValueError, match=r"pass x, not \[x, labels\]"):
        model.predict([x[:5], np.zeros(5, "int32")], verbose=0)


def test_sample_of_a_chosen_class_is_seeded_and_depends_on_the_class(data):
    model = tiny()
    first = model.sample(4, labels=2, seed=1).numpy()
    np.testing.assert_array_equal(first, model.sample(4, labels=2, seed=1))
    assert not np.allclose(first, model.sample(4, labels=3, seed=1))


@pytest.mark.parametrize("call, message", [
    (lambda m, x: m.fit([x, np.full(len(x), -2)], verbose=0),
     r"or -1 for an unlabelled example"),
    (lambda m, x: m.encode([x, np.full(len(x), -1)]),
     r"-1 \(unlabelled\) is only for the training data"),
    (lambda m, x: m.elbo([x, np.full(len(x), -1)]),
     r"-1 \(unlabelled\) is only for the training data"),
    (lambda m, x: m.fit(x, verbose=0), "images without labels"),
], ids=["label -2", "encode unlabelled", "elbo unlabelled", "no labels"])
def test_bad_labels_are_refused_with_the_fix(data, call, message):
    model = tiny()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        call(model, data[0])
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_streamed_label_below_minus_one_stops_training(data):
    x, labels = data
    labels = labels.copy()
    labels[30] = -3
    dataset = tf.data.Dataset.from_tensor_slices(
        {"x": x, "labels": labels}).batch(20)
    with pytest.raises(tf.errors.InvalidArgumentError, match="-1"):
        tiny().fit(dataset, verbose=0)


def test_options_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="pass num_classes"):
        zoo.VAE(input_shape=SHAPE, latent_dim=2, objective="semi_supervised")
    with pytest.raises(ValueError, match="alpha"):
        zoo.get("semi_supervised_vae", input_shape=SHAPE, latent_dim=2,
                alpha=-1.0)
    plain = zoo.get("conditional_vae", input_shape=SHAPE, latent_dim=2)
    with pytest.raises(ValueError, match="objective='semi_supervised'"):
        plain.classify(real_images(SHAPE, count=2))
    with pytest.raises(ValueError, match="objective='semi_supervised'"):
        plain.fit([real_images(SHAPE, count=2), np.array([0, -1])],
                  verbose=0)


def test_partially_labelled_repeats_the_labelled_images_with_their_labels():
    x_labelled = np.arange(4, dtype="float32")[:, None] + 100
    y_labelled = np.array([0, 1, 2, 3])
    x_unlabelled = np.zeros((36, 1), "float32")
    x, labels = partially_labelled(x_labelled, y_labelled, x_unlabelled,
                                   labelled_share=0.5)
    assert np.sum(labels == -1) == 36
    assert np.sum(labels >= 0) == 36  # each labelled image 9 times
    np.testing.assert_array_equal(x[labels >= 0, 0] - 100, labels[labels >= 0])
    assert not np.array_equal(labels[:8], np.repeat(y_labelled, 2))  # shuffled
    with pytest.raises(ValueError, match="labelled_share"):
        partially_labelled(x_labelled, y_labelled, x_unlabelled, 1.5)
    with pytest.raises(ValueError, match="same, non-zero"):
        partially_labelled(x_labelled, y_labelled[:2], x_unlabelled)


def test_a_users_encoder_body_gets_its_own_copy_for_the_classifier():
    body = keras.Sequential([keras.layers.Flatten(),
                             keras.layers.Dense(8, activation="relu")])
    model = zoo.VAE(input_shape=SHAPE, latent_dim=2, network="mlp",
                    hidden_units=(8,), encoder=body, num_classes=3,
                    objective="semi_supervised")
    encoder_weights = {id(w) for w in model.encoder.weights}
    assert not encoder_weights & {id(w) for w in model.classifier.weights}

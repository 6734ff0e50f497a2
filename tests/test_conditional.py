"""What only a conditional model does: labels steer generation, scoring and
the streamed checks. (The contract suite covers the rest, with labels.)"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import zoo


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.images[..., None] / 16.0).astype("float32"), data.target


def conditional(**options):
    model = zoo.get("conditional_vae", input_shape=(8, 8, 1), latent_dim=2,
                    seed=0, **options)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model


@pytest.mark.slow
def test_samples_look_like_their_label(digits):
    x, y = digits
    model = conditional()
    # 5 epochs: the classifier read 0.995-1.0 of the samples as their
    # label after 2 to 5 epochs (3 shuffles tried; 0.2-0.3 after one).
    model.fit([x, y], epochs=5, batch_size=64, verbose=0)
    classifier = LogisticRegression(max_iter=2000).fit(x.reshape(len(x), -1), y)
    labels = np.arange(200) % 10
    samples = model.sample(200, seed=0, labels=labels).numpy()
    accuracy = classifier.score(samples.reshape(200, -1), labels)
    assert accuracy > 0.9  # chance is 0.1


def test_labels_change_the_decoded_images():
    model = conditional()
    z = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    first = model.decode([z, np.zeros(4, "int32")]).mean().numpy()
    second = model.decode([z, np.ones(4, "int32")]).mean().numpy()
    assert not np.allclose(first, second)


def test_k_samples_per_example_keep_their_own_labels():
    model = conditional()
    z = tf.random.normal((2 * 3, 2), seed=1)  # K = 2 samples of 3 examples
    labels = tf.constant([4, 7, 9])
    np.testing.assert_allclose(
        model.likelihood_parameters(z, labels),
        model.decoder([z, tf.constant([4, 7, 9, 4, 7, 9])]),
        rtol=1e-6,
    )


def test_dict_and_list_inputs_are_the_same(digits):
    x, y = digits
    model = conditional()
    as_list = model.encode([x[:5], y[:5]]).mean()
    as_dict = model.encode({"x": x[:5], "labels": y[:5]}).mean()
    np.testing.assert_array_equal(as_list, as_dict)


def test_sample_takes_one_label_or_one_per_sample():
    model = conditional()
    one = model.sample(3, seed=2, labels=5).numpy()
    np.testing.assert_array_equal(
        one, model.sample(3, seed=2, labels=[5, 5, 5]).numpy())
    assert not np.allclose(one, model.sample(3, seed=2, labels=6).numpy())
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        model.sample(3, labels=[1, 2])
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        model.sample(3, labels=10)


@pytest.mark.parametrize(
    "inputs, message",
    [
        (lambda x, y: x, "takes \\[x, labels\\]"),
        (lambda x, y: [x, y[:3]], "one int class id per example"),
        (lambda x, y: [x, y + 10], r"\[0, 10\)"),
        (lambda x, y: [x, y + 0.5], "int class ids"),
        (lambda x, y: [x, np.eye(10)[y]], "not one-hot"),
        (lambda x, y: {"x": x, "label": y}, "keys \\['label', 'x'\\]"),
    ],
    ids=["no labels", "too few", "out of range", "not integers", "one-hot",
         "wrong key"],
)
def test_bad_labels_raise_before_any_weight_changes(digits, inputs, message):
    x, y = digits
    model = conditional()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model.fit(inputs(x[:64], y[:64]), epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_streamed_labels_out_of_range_stop_training(digits):
    x, y = digits
    dataset = tf.data.Dataset.from_tensor_slices(
        {"x": x[:64], "labels": y[:64] + 5}).batch(32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels outside"):
        conditional().fit(dataset, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"label_embedding_dim": -1}, "label_embedding_dim"),
        ({"prior": "vamp"}, "pseudo-inputs have no labels"),
    ],
    ids=str,
)
def test_invalid_conditional_options(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.get("conditional_vae", input_shape=(8, 8, 1), latent_dim=2,
                **options)


def test_label_embedding_round_trips(digits, tmp_path):
    x, y = digits
    model = conditional(label_embedding_dim=3, prior="mixture")
    model.fit([x[:64], y[:64]], epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(
        loaded.encode([x[:4], y[:4]]).mean(), model.encode([x[:4], y[:4]]).mean())

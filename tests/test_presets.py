"""`zoo.from_preset`: the shipped models as Keras models, with the weights
of their SavedModels, ready to fine-tune."""

import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import real_images, regenerate_script

SAVED_MODELS = pathlib.Path(__file__).parent.parent / "saved_models"
#: The shipped presets with a Gaussian top latent: regenerate.py's models
#: and the shipped rows of the published table (--published-row).
SHIPPED = ("beta_vae", "conv_vae", "conv_vae_long", "dense_vae",
           "hierarchical_vae", *regenerate_script().published_presets())
#: Presets with a codebook latent (`zoo.VQVAE`): `encode` gives codes.
CODEBOOK_PRESETS = ("vq_vae",)


def test_list_presets_names_every_shipped_model():
    assert zoo.list_presets() == sorted(SHIPPED + CODEBOOK_PRESETS)


@pytest.mark.parametrize("name", CODEBOOK_PRESETS)
def test_codebook_preset_encodes_like_its_saved_model(name):
    model = zoo.from_preset(name)
    x = (real_images((28, 28, 1), count=16) > 0.5).astype("float32")
    served = tf.saved_model.load(str(SAVED_MODELS / name / "1"))
    encoded = served.signatures["encode"](x=tf.constant(x))
    np.testing.assert_array_equal(model.encode(x).indices,
                                  encoded["indices"])
    assert model.count_params() == zoo.preset_card(name)["parameters"]


@pytest.mark.parametrize("name", SHIPPED)
def test_preset_encodes_like_its_saved_model(name):
    model = zoo.from_preset(name)
    x = (real_images((28, 28, 1), count=16) > 0.5).astype("float32")
    served = tf.saved_model.load(str(SAVED_MODELS / name / "1"))
    encoded = served.signatures["encode"](
        x=tf.constant(x), seed=tf.constant([0, 0], tf.int32))
    np.testing.assert_allclose(model.encode(x).mean(), encoded["z_mean"],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.encode(x).stddev(),
                               encoded["z_stddev"], rtol=1e-5, atol=1e-5)
    assert model.count_params() == zoo.preset_card(name)["parameters"]


def test_preset_card_is_the_shipped_card():
    card = zoo.preset_card("conv_vae")
    assert card == json.loads(
        (SAVED_MODELS / "conv_vae" / "model_card.json").read_text())
    assert card["options"]["latent_dim"] == 16


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        zoo.from_preset("gan")
    assert "Unknown preset 'gan'" in str(info.value)
    for name in SHIPPED:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="Available presets"):
        zoo.preset_card("gan")


def test_fine_tuning_a_preset_is_one_fit_call():
    model = zoo.from_preset("conv_vae")
    x = (real_images((28, 28, 1), count=8, seed=3) > 0.5).astype("float32")
    before = [weight.numpy().copy() for weight in model.trainable_weights]
    history = model.fit(x, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = model.trainable_weights
    assert any(not np.array_equal(old, new.numpy())
               for old, new in zip(before, after))


def test_presets_directory_can_be_chosen(tmp_path, monkeypatch):
    assert zoo.list_presets(tmp_path) == []
    monkeypatch.setenv("ZOO_PRESETS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"Available presets: \[\]"):
        zoo.from_preset("conv_vae")


# Issue #39, round two: a damaged or foreign preset is named -----------------


def _preset(tmp_path, keras_bytes=None, card="{}", model=None):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "model_card.json").write_text(card)
    if model is not None:
        model.save(folder / "model.keras")
    else:
        (folder / "model.keras").write_bytes(keras_bytes or b"")
    return tmp_path


def test_preset_card_that_is_not_json_names_the_file(tmp_path):
    directory = _preset(tmp_path, b"x", card='{"name": ')
    with pytest.raises(ValueError, match=r"model card .*mine/model_card\.json"
                       r" is damaged .* restore it"):
        zoo.preset_card("mine", directory=directory)


def test_empty_preset_file_is_reported_empty(tmp_path):
    directory = _preset(tmp_path, b"")
    with pytest.raises(ValueError, match=r"mine/model\.keras is damaged "
                       r"\(it is empty, 0 bytes\)"):
        zoo.from_preset("mine", directory=directory)


def test_preset_that_is_not_a_zoo_model_is_refused(tmp_path):
    import keras

    directory = _preset(tmp_path, model=keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="holds a Sequential, not a zoo "
                       "model"):
        zoo.from_preset("mine", directory=directory)

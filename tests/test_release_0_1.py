"""Models saved by zoo 0.1 (one class per model) load as the equivalent
`zoo.VAE`, weights and schedulable variables included; configs of a newer
zoo are refused with both versions named.

The fixtures in `data/release_0_1/` were written by release 0.1's code
(`make_fixtures.py` there, run at commit 8b36ebc).
"""

import json
import pathlib
import zipfile

import keras
import numpy as np
import pytest

import zoo

DATA = pathlib.Path(__file__).parent / "data" / "release_0_1"
EXPECTED = json.loads((DATA / "expected.json").read_text())["expected"]
X = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")

# name -> (network, objective class, objective variables, num_classes)
MODELS = {
    "conv_vae": ("conv", "ELBO", {"beta": 2.5}, None),
    "dense_vae": ("mlp", "ELBO", {"beta": 1.0}, None),
    "beta_vae": ("conv", "Capacity", {"capacity": 3.0}, None),
    "beta_tcvae": ("conv", "BetaTC", {"beta": 1.0, "tc_weight": 2.0}, None),
    "conditional_vae": ("conv", "ELBO", {"beta": 1.0}, 3),
    "vamp_prior_vae": ("conv", "ELBO", {"beta": 1.0}, None),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_release_0_1_file_loads_as_the_same_model(name):
    network, objective, variables, num_classes = MODELS[name]
    config = json.loads(
        zipfile.ZipFile(DATA / f"{name}.keras").read("config.json")
    )
    assert config["registered_name"].startswith("zoo>")
    assert config["class_name"] != "VAE"  # a 0.1 class, e.g. ConvVAE
    model = keras.models.load_model(DATA / f"{name}.keras")
    assert isinstance(model, zoo.VAE)
    assert model.network == network
    assert type(model.objective).__name__ == objective
    for variable, value in variables.items():
        assert float(getattr(model.objective, variable)) == value
    assert model.num_classes == num_classes
    inputs = X if num_classes is None else [X, np.array([0, 2])]
    np.testing.assert_allclose(
        model.encode(inputs).mean(), EXPECTED[name]["z_mean"], rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        model.reconstruct(inputs).numpy().reshape(2, -1)[:, :5],
        EXPECTED[name]["reconstruction"], rtol=1e-5, atol=1e-6,
    )
    model.compile()
    assert np.isfinite(model.fit(inputs, epochs=1, verbose=0).history["loss"][0])


def test_saved_configs_record_the_zoo_version():
    model = zoo.get("conv_vae", input_shape=(8, 8, 1), latent_dim=2)
    assert model.get_config()["zoo_version"] == zoo.__version__


def test_a_config_from_a_newer_zoo_names_both_versions():
    config = zoo.get("conv_vae", input_shape=(8, 8, 1),
                     latent_dim=2).get_config()
    config["zoo_version"] = "9.0.0"
    with pytest.raises(ValueError, match=r"saved by zoo 9\.0\.0.*this is zoo"):
        zoo.VAE.from_config(config)


def test_a_pre_0_1_beta_tcvae_config_is_refused_naming_the_version():
    serialized = {
        "module": "zoo.models.tcvae", "class_name": "BetaTCVAE",
        "registered_name": "zoo>BetaTCVAE",
        "config": {"input_shape": [8, 8, 1], "latent_dim": 2, "beta": 6.0,
                   "alpha": 1.0, "gamma": 1.0},
    }
    with pytest.raises(ValueError, match="before release 0.1"):
        keras.saving.deserialize_keras_object(serialized)

"""The VQ-VAE's own pieces, each against its formula: the quantizer
(straight-through gradient, losses, EMA update, dead-code restarts,
perplexity), the PixelCNN prior (causal masks, log p), the bound, the
`.keras` round trip of the codebook's state and the prior, and the
codebook export signatures read as TF Serving reads them.

The contract points every model meets are checked for `vq_vae` by
tests/test_contract.py; this file holds what only a codebook latent has.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import real_images
from test_export import TF1Loaded
from test_export import saved_model_cli
from test_export import signature_table
from zoo import export
from zoo.latents import codebook as quantizer
from zoo.priors.pixelcnn import PixelCNN
from zoo.networks.masked_conv import causal_mask

SHAPE = (12, 12, 1)
TINY = dict(input_shape=SHAPE, latent_dim=2, num_embeddings=8,
            filters=(4,), prior_width=8, prior_blocks=1, seed=0)


def tiny(**options):
    """A tiny vq_vae, compiled without XLA (whose compile time would
    dominate these few steps; the contract suite trains `vq_vae` with
    Keras's default)."""
    model = zoo.get("vq_vae", **{**TINY, **options})
    model.compile(jit_compile=False)
    return model


def quantizer_layer(codebook, **options):
    layer = quantizer.VectorQuantizer(len(codebook), codebook.shape[1],
                                      **options)
    layer.build((None, 3, codebook.shape[1]))
    layer.codebook.assign(codebook)
    layer.sums.assign(codebook)
    return layer


CODEBOOK = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]],
                    "float32")
# Two examples of 3 vectors: codes 0, 1, 1 and 2, 2, 1; code 3 unused.
Z_E = np.array([[[0.1, 0.0], [0.9, 0.2], [1.2, -0.1]],
                [[0.1, 0.8], [-0.2, 1.1], [0.8, 0.1]]], "float32")
NEAREST = np.array([[0, 1, 1], [2, 2, 1]])


# The quantizer ---------------------------------------------------------------


def test_nearest_codes_and_straight_through_gradient():
    layer = quantizer_layer(CODEBOOK, dead_code_restarts=False)
    z_e = tf.Variable(Z_E)
    weights = np.random.default_rng(0).normal(size=Z_E.shape)
    with tf.GradientTape() as tape:
        z_q, indices, _ = layer(z_e)
        downstream = tf.reduce_sum(weights * z_q ** 2)
    np.testing.assert_array_equal(indices, NEAREST)
    np.testing.assert_allclose(z_q, CODEBOOK[NEAREST])
    # d downstream / d z_e is the decoder's gradient taken at z_q.
    np.testing.assert_allclose(
        tape.gradient(downstream, z_e), 2 * weights * CODEBOOK[NEAREST],
        rtol=1e-6,
    )


@pytest.mark.parametrize("update", ["ema", "loss"])
def test_latent_loss_is_the_commitment_and_codebook_terms(update):
    layer = quantizer_layer(CODEBOOK, commitment_weight=0.3,
                            codebook_update=update)
    _, _, latent_loss = layer(Z_E)
    distance = ((Z_E - CODEBOOK[NEAREST]) ** 2).sum(axis=(1, 2))
    weight = 0.3 + (1.0 if update == "loss" else 0.0)
    assert not layer.losses  # the model hands it to its objective
    np.testing.assert_allclose(latent_loss, weight * distance, rtol=1e-6)
    assert layer.codebook.trainable == (update == "loss")


def test_codebook_loss_moves_the_codes_towards_their_vectors():
    layer = quantizer_layer(CODEBOOK, codebook_update="loss",
                            commitment_weight=0.0, dead_code_restarts=False)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(layer(Z_E)[2])
    gradient = tf.convert_to_tensor(tape.gradient(loss, layer.codebook))
    # d/de_k mean_b sum ||sg(z_e) - e_k||^2 = -2 / B * sum (z_e - e_k)
    expected = np.zeros_like(CODEBOOK)
    for vector, code in zip(Z_E.reshape(-1, 2), NEAREST.reshape(-1)):
        expected[code] -= 2.0 / 2 * (vector - CODEBOOK[code])
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


def test_ema_update_follows_the_formula():
    gamma, eps = 0.9, 1e-5
    layer = quantizer_layer(CODEBOOK, decay=gamma, epsilon=eps,
                            dead_code_restarts=False)
    layer(Z_E, training=True)
    flat, codes = Z_E.reshape(-1, 2), NEAREST.reshape(-1)
    counts = np.bincount(codes, minlength=4).astype("float64")
    sums = np.zeros((4, 2))
    np.add.at(sums, codes, flat)
    ema_counts = gamma * 1.0 + (1 - gamma) * counts  # counts start at 1
    ema_sums = gamma * CODEBOOK + (1 - gamma) * sums  # sums at the codes
    total = ema_counts.sum()
    smoothed = (ema_counts + eps) / (total + 4 * eps) * total
    np.testing.assert_allclose(layer.counts, ema_counts, rtol=1e-6)
    np.testing.assert_allclose(layer.sums, ema_sums, rtol=1e-6)
    np.testing.assert_allclose(layer.codebook, ema_sums / smoothed[:, None],
                               rtol=1e-5)


def test_no_update_outside_training():
    layer = quantizer_layer(CODEBOOK)
    layer(Z_E, training=False)
    np.testing.assert_array_equal(layer.codebook, CODEBOOK)
    np.testing.assert_array_equal(layer.counts, np.ones(4))


@pytest.mark.parametrize("restarts", [True, False])
def test_dead_codes_restart_from_encoder_outputs(restarts):
    threshold = {"restart_threshold": 0.9} if restarts else {}
    layer = quantizer_layer(CODEBOOK, decay=0.5, dead_code_restarts=restarts,
                            seed=0, **threshold)
    layer(Z_E, training=True)
    codebook = layer.codebook.numpy()
    # Counts: 0.5 + 0.5 n_k = 1.0, 2.0, 1.5 for the used codes, 0.5 for
    # code 3 (below the threshold 0.9).
    if restarts:
        assert any(np.allclose(codebook[3], vector)
                   for vector in Z_E.reshape(-1, 2))
        assert float(layer.counts[3]) == pytest.approx(0.9)
        np.testing.assert_allclose(layer.sums[3], 0.9 * codebook[3])
    else:
        assert np.linalg.norm(codebook[3]) > 5  # still the unused (5, 5)
    np.testing.assert_array_less(np.linalg.norm(codebook[:3] - CODEBOOK[:3]),
                                 1.0)  # live codes are not restarted


def test_perplexity_and_usage_on_a_known_histogram():
    uniform_over_four = np.array([[0, 0, 1, 1], [2, 2, 3, 3]])
    assert float(quantizer.perplexity(uniform_over_four, 8)) == (
        pytest.approx(4.0))
    assert float(quantizer.usage(uniform_over_four, 8)) == 0.5
    assert float(quantizer.perplexity(np.zeros((2, 5), "int32"), 8)) == (
        pytest.approx(1.0))
    skewed = np.array([0, 0, 0, 1])  # p = (3/4, 1/4)
    entropy = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert float(quantizer.perplexity(skewed, 2)) == pytest.approx(
        np.exp(entropy), rel=1e-6)


@pytest.mark.parametrize("options, message", [
    ({"codebook_update": "kmeans"}, "codebook_update"),
    ({"decay": 1.0}, "decay"),
    ({"commitment_weight": -1.0}, "commitment_weight"),
    ({"restart_threshold": float("nan")}, "restart_threshold"),
    ({"dead_code_restarts": "yes"}, "dead_code_restarts"),
    ({"dead_code_restarts": False, "restart_threshold": 0.5},
     "restarts off"),
    ({"num_embeddings": 0}, "num_embeddings"),
    ({"prior_blocks": -1}, "prior_blocks"),
    ({"hidden_units": (8,)}, "hidden_units"),
    ({"objective": "iwae"}, "objective"),
    ({"num_classes": 3}, "num_classes"),
], ids=str)
def test_invalid_options_name_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.get("vq_vae", **{**TINY, **options})


def test_quantizer_refuses_epsilon_without_the_moving_average_codebook():
    with pytest.raises(ValueError, match="epsilon.*codebook_update='loss'"):
        quantizer.VectorQuantizer(8, 4, codebook_update="loss", epsilon=1e-3)
    with pytest.raises(ValueError, match="restart_threshold"):
        quantizer.VectorQuantizer(8, 4, dead_code_restarts=False,
                                  restart_threshold=2.0)


def test_configs_holding_the_unused_defaults_still_load():
    """Files written before the refusal hold epsilon for the loss codebook
    and restart_threshold without restarts: both load, the values dropped."""
    layer = quantizer.VectorQuantizer.from_config({
        **quantizer.VectorQuantizer(8, 4).get_config(),
        "codebook_update": "loss", "epsilon": 1e-5,
        "dead_code_restarts": False, "restart_threshold": 1.0})
    assert (layer.epsilon, layer.restart_threshold) == (None, None)
    model = zoo.models.VQVAE.from_config({
        **zoo.get("vq_vae", **TINY).get_config(),
        "dead_code_restarts": False, "restart_threshold": 1.0})
    assert model.quantizer.restart_threshold is None
    assert model.get_config()["restart_threshold"] is None


def test_fit_prior_takes_validation_images_not_validation_data():
    model = tiny()
    x = real_images(SHAPE, count=8)
    with pytest.raises(ValueError, match="validation_x"):
        model.fit_prior(x, validation_data=(x, x))
    history = model.fit_prior(x, validation_x=x, epochs=1, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])


# The PixelCNN prior ----------------------------------------------------------


def test_masks_are_causal_in_raster_order():
    mask = causal_mask(3, "A", 1, 1)[..., 0, 0]
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert causal_mask(3, "B", 1, 1)[1, 1, 0, 0] == 1
    keras.utils.set_random_seed(0)
    prior = PixelCNN(5, (4, 5), width=32, num_blocks=2)
    codes = np.random.default_rng(0).integers(0, 5, (1, 4, 5))
    logits = prior(codes).numpy().reshape(20, 5)
    seen_by_the_next = []
    for position in range(20):
        changed = codes.copy().reshape(1, 20)
        changed[0, position] = (changed[0, position] + 1) % 5
        other = prior(changed.reshape(1, 4, 5)).numpy().reshape(20, 5)
        np.testing.assert_allclose(other[:position + 1],
                                   logits[:position + 1], atol=1e-6)
        if position % 5 < 4:  # its right neighbour can see it
            seen_by_the_next.append(not np.allclose(
                other[position + 1], logits[position + 1], rtol=0,
                atol=1e-9))
    # (A position whose hidden ReLUs are all off would see nothing.)
    assert np.mean(seen_by_the_next) > 0.5


def test_prior_log_prob_sums_the_conditionals():
    prior = PixelCNN(5, (2, 3), width=8, num_blocks=1)
    codes = np.random.default_rng(1).integers(0, 5, (3, 2, 3))
    logits = prior(codes).numpy().astype("float64")
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.take_along_axis(log_softmax, codes[..., None], -1).sum(
        axis=(1, 2, 3))
    np.testing.assert_allclose(prior.log_prob(codes), expected, rtol=1e-5)


# The model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    """A tiny vq_vae after a few steps and a fitted prior, and its data."""
    x = real_images(SHAPE, count=64)
    model = tiny()
    model.fit(x, epochs=3, batch_size=16, verbose=0)
    history = model.fit_prior(x, epochs=3, batch_size=16, verbose=0)
    return model, x, history


def test_prior_fit_lowers_the_codes_cross_entropy(trained):
    _, _, history = trained
    losses = history.history["loss"]
    assert losses[-1] < losses[0]


def test_bound_is_likelihood_plus_prior_by_hand(trained):
    model, x, _ = trained
    codes = model.encode(x).indices.numpy()
    logits = model.decoder(model.quantizer.lookup(codes)).numpy()
    logits = logits.astype("float64")
    # Bernoulli: x * logit - softplus(logit), summed over the pixels.
    log_likelihood = (x * logits - np.logaddexp(0, logits)).sum(axis=(1, 2, 3))
    prior_logits = model.prior_network(codes).numpy().astype("float64")
    log_softmax = prior_logits - np.log(
        np.exp(prior_logits).sum(-1, keepdims=True))
    log_prior = np.take_along_axis(log_softmax, codes[..., None], -1).sum(
        axis=(1, 2, 3))
    np.testing.assert_allclose(model.elbo(x), log_likelihood + log_prior,
                               rtol=1e-4)
    np.testing.assert_array_equal(model.log_likelihood(x), model.elbo(x))


def test_training_loss_is_the_vq_objective(trained):
    """loss = -mean log p(x|z_q) + beta * mean sum ||z_e - e||^2 (EMA
    codebook: no codebook term), by hand in numpy."""
    model, x, _ = trained
    x = x[:32]
    logs = model.test_on_batch(x, return_dict=True)
    z_e = np.asarray(model.encoder(x), "float64")
    codebook = np.asarray(model.quantizer.codebook, "float64")
    codes = ((z_e[..., None, :] - codebook) ** 2).sum(-1).argmin(-1)
    logits = np.asarray(model.decoder(codebook[codes].astype("float32")),
                        "float64")
    reconstruction = -np.mean(
        (x * logits - np.logaddexp(0, logits)).sum(axis=(1, 2, 3)))
    commitment = np.mean(((z_e - codebook[codes]) ** 2).sum(axis=(1, 2, 3)))
    assert logs["reconstruction"] == pytest.approx(reconstruction, rel=1e-5)
    assert logs["commitment"] == pytest.approx(commitment, rel=1e-4)
    assert logs["loss"] == pytest.approx(
        reconstruction + 0.25 * commitment, rel=1e-5)


def test_history_reports_the_codebook_use(trained):
    model, x, _ = trained
    logs = model.evaluate(x, verbose=0, return_dict=True)
    codes = model.encode(x).indices
    assert 1.0 <= logs["perplexity"] <= model.num_embeddings
    assert 0.0 < logs["codebook_usage"] <= 1.0
    # On one batch holding every example the metric is the formula's.
    logs = model.evaluate(x, batch_size=len(x), verbose=0, return_dict=True)
    assert logs["perplexity"] == pytest.approx(
        float(quantizer.perplexity(codes, model.num_embeddings)), rel=1e-5)


def test_fit_does_not_train_the_prior(trained):
    model, x, _ = trained
    before = [w.numpy() for w in model.prior_network.weights]
    model.fit(x[:16], epochs=1, verbose=0)
    for old, new in zip(before, model.prior_network.weights):
        np.testing.assert_array_equal(old, new)
    prior = {id(w) for w in model.prior_network.weights}
    assert not any(id(w) in prior for w in model.trainable_weights)


def test_round_trip_keeps_the_codebook_state_and_the_prior(trained,
                                                           tmp_path):
    model, x, _ = trained
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    for name in ("codebook", "counts", "sums"):
        np.testing.assert_array_equal(getattr(loaded.quantizer, name),
                                      getattr(model.quantizer, name))
    np.testing.assert_array_equal(loaded.sample(3, seed=4),
                                  model.sample(3, seed=4))
    np.testing.assert_array_equal(loaded.elbo(x), model.elbo(x))


@pytest.mark.parametrize("indices, message", [
    (np.full((2, 6, 6), 8), r"\[0, 8\)"),
    (np.full((2, 6, 6), -1), r"\[0, 8\)"),
    (np.full((2, 6, 6), 0.5), "integer"),
    (np.zeros((2, 5, 5)), "shape"),
    (np.zeros((6, 6)), "shape"),
], ids=str)
def test_decode_refuses_bad_indices(indices, message):
    with pytest.raises(ValueError, match=message):
        tiny().decode(indices)


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    {"network": "mlp", "filters": None, "hidden_units": (8,)},
    {"network": "resnet", "filters": (4, 4)},
    {"likelihood": "continuous_bernoulli", "codebook_update": "loss"},
    {"likelihood": "gaussian", "likelihood_scale": 0.1},
    {"likelihood": "gaussian"},
], ids=str)
def test_every_network_and_likelihood_trains_and_samples(options):
    model = tiny(**options)
    x = real_images(SHAPE, count=16)
    history = model.fit(x, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.sample(2, seed=0).shape == (2, *SHAPE)
    assert np.all(np.isfinite(model.elbo(x)))


# Export ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    model, x, _ = trained
    path = export.export_for_serving(model, tmp_path_factory.mktemp("vq"))
    return model, x[:3], path


def test_tf1_loader_runs_every_codebook_signature_like_the_model(exported):
    model, x, path = exported
    codes = model.encode(x)
    expected = {
        "serving_default": ({"x": x}, {"reconstruction": model.predict(
            x, verbose=0)}),
        "reconstruct": ({"x": x}, {"reconstruction": model.predict(
            x, verbose=0)}),
        "encode": ({"x": x}, {"indices": codes.indices,
                              "vectors": codes.vectors}),
        "decode": ({"indices": codes.indices.numpy()}, {
            "reconstruction": model.decode(codes.indices).mean(),
            "parameters": model.decoder(codes.vectors)}),
        "sample": ({"num_samples": np.int32(4),
                    "seed": np.array([7, 0], "int32")},
                   {"images": model.sample(4, seed=7)}),
        "score": ({"x": x}, {"elbo": model.elbo(x),
                             "log_likelihood": model.elbo(x)}),
    }
    assert set(expected) == set(export.CODEBOOK_SIGNATURES)
    loaded = TF1Loaded(path)
    try:
        for signature, (inputs, outputs) in expected.items():
            actual = loaded.run(signature, inputs)
            assert set(actual) == set(outputs)
            for name, value in outputs.items():
                np.testing.assert_allclose(actual[name], value, rtol=1e-5,
                                           atol=1e-4, err_msg=signature)
        with pytest.raises(tf.errors.InvalidArgumentError, match="indices"):
            loaded.run("decode", {"indices": np.full((1, 6, 6), 8, "int32")})
    finally:
        loaded.session.close()


def test_the_codebook_signatures_are_saved_with_their_tensors(exported):
    """The MetaGraphDef that `saved_model_cli show` prints (its reading
    is checked once, in tests/test_export.py)."""
    _, _, path = exported
    shown = signature_table(path)
    assert {name: set(tensors) for name, tensors in shown.items()} == {
        name: set(inputs + outputs)
        for name, (inputs, outputs) in export.CODEBOOK_SIGNATURES.items()
    }
    assert shown["decode"]["indices"] == ("DT_INT32", "(-1, 6, 6)")
    assert shown["encode"]["indices"] == ("DT_INT32", "(-1, 6, 6)")


@pytest.mark.slow
def test_saved_model_cli_runs_score(exported, tmp_path):
    model, x, path = exported
    np.save(tmp_path / "x.npy", x)
    saved_model_cli(
        "run", "--dir", path, "--tag_set", "serve", "--signature_def",
        "score", "--outdir", str(tmp_path / "out"),
        "--inputs", f"x={tmp_path / 'x.npy'}",
    )
    np.testing.assert_allclose(np.load(tmp_path / "out" / "elbo.npy"),
                               model.elbo(x), rtol=1e-5)


def test_config_is_json(trained):
    model, _, _ = trained
    config = json.loads(json.dumps(model.get_config()))
    assert config["num_embeddings"] == 8
    assert config["codebook_update"] == "ema"

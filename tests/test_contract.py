"""The model contract (CONTRIBUTING.md), checked for every registry entry
and for a covering set of the option combinations.

One suite parametrized over `zoo.list_models()`: a preset added to the
registry is tested here with no new test code. The combinations of the
axes network x latent x objective x prior x likelihood x condition x
ex-post sampler are covered pairwise (`covering.py`; every pair of values
of any two axes in at least one case, the user's own networks being one
of the network values) by a lighter subset of the contract: construction,
one `fit` step on arrays (traced into a graph for the first case to take
each value, eager for the rest), the `.keras` round trip (for the first
case to take each value), and an export
read back by TF Serving's TF1 loader for a subset of the cases that still
covers every pair of the axes the serving graph depends on.

Three model classes, one per latent structure, meet the contract:
`zoo.VAE` (a flat latent, `zoo.latents`: q(z|x) is a Gaussian, a flow, a
von Mises-Fisher or a categorical and the latent term is its KL, or z is
deterministic and the latent term its penalty, with no bound),
`zoo.HierarchicalVAE` (a Gaussian top group z_0, which `encode` and
`decode` are about, above spatial groups; the latent term is the groups'
KL) and `zoo.VQVAE` (the codes of a learned
codebook, the latent term the commitment loss). Where a point is written
for one of them (`encode` returns q(z|x) or the codes; history has `kl` or
the codebook's metrics; the schedulable weight is beta or the commitment
weight) the test checks each structure's version of it; the helpers below
say which.
"""

import functools
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from conftest import model_dataset
from conftest import model_inputs
from conftest import one_preset_per_architecture
from conftest import real_images
from covering import covering_subset
from covering import first_of_each_value
from covering import pairwise
from test_export import TF1Loaded
from zoo import latents
from zoo import likelihoods
from zoo import networks
from zoo import objectives
from zoo import priors
from zoo import samplers
from zoo.export import export_for_serving
from zoo.export.signatures import MAX_SAMPLES
from zoo.export.signatures import shape_checked
from zoo.models import registry

MODELS = zoo.list_models()
#: One preset of each architecture (`conftest.architecture`): the tests of
#: what does not depend on the training objective (the data path, the
#: encoder as a Keras model, the likelihood bound) run on these; the
#: presets that differ from one of them only by the objective are checked
#: on everything the objective touches.
ARCHITECTURES = one_preset_per_architecture()
SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 1)]


def shape_cases():
    """(preset, shape): every preset at 28x28x1, and every shape for the
    plainest preset (fewest options) of each architecture: model class,
    network and condition. A preset that only chooses a latent, an
    objective or a prior keeps its architecture's networks, which the
    representative checks at every shape (and the covering suite pairs
    each component with every network)."""
    cases, seen = [(name, SHAPES[0]) for name in MODELS], set()
    for name in sorted(MODELS, key=lambda name: len(registry.MODELS[name])):
        preset = registry.MODELS[name]
        architecture = (registry.model_class(name), preset.get("network"),
                        "num_classes" in preset)
        if architecture not in seen:
            seen.add(architecture)
            cases += [(name, shape) for shape in SHAPES[1:]]
    return cases


SHAPE_CASES = shape_cases()
# 3: the one size every latent takes (the von Mises-Fisher latent is
# reparameterised on the sphere S^2 in R^3 only).
LATENT_DIM = 3


def build(name, shape=(28, 28, 1), optimizer="adam", run_eagerly=False,
          **options):
    """The preset `name`, compiled. `run_eagerly=True` for the tests of what
    a step does with its data (denoising targets, datasets, streamed
    checks, the bound, persistence): the same `train_step` in Python, with
    no trace to build (4-9x faster for a few steps of a tiny model). Each
    preset's step is traced as `fit` runs it by default in
    `test_fit_trains_the_negative_elbo_with_documented_history` (which
    also runs 100 steps at learning rate 1e-2 and checks that beta is a
    variable the graph reads, not a constant it captured) and
    `test_loss_goes_down_on_real_images`."""
    model = zoo.get(
        name, input_shape=shape, latent_dim=LATENT_DIM, seed=0, **options
    )
    model.compile(optimizer=optimizer, run_eagerly=run_eagerly)
    return model


def weights_of(model):
    return [np.array(weight) for weight in model.get_weights()]


def is_codebook(model):
    """Whether the model's latent is discrete codes (`zoo.VQVAE`) rather
    than a Gaussian posterior."""
    return not model.has_gaussian_posterior


#: The history every model's `fit` reports, by model class.
HISTORY = {
    zoo.VAE: {"loss", "reconstruction", "kl"},
    zoo.HierarchicalVAE: {"loss", "reconstruction", "kl"},
    zoo.VQVAE: {"loss", "reconstruction", "commitment", "perplexity",
                 "codebook_usage"},
}


def expected_history(model):
    """The history `fit` reports: the class's, without `kl` for a latent
    with no KL (a deterministic autoencoder)."""
    expected = HISTORY[type(model)]
    if not has_bound(model):
        expected = expected - {"kl"}
    return expected


def has_bound(model):
    """Whether the model has a likelihood bound (all but a deterministic
    latent's)."""
    latent = getattr(model, "latent", None)
    return latent is None or latent.has_bound


def latent_term_weight(model):
    """The schedulable weight on the latent term: beta on the KL of a
    Gaussian latent, the commitment weight of a codebook (None for a
    deterministic latent: no KL)."""
    return model.commitment_weight if is_codebook(model) else model.beta


def posterior_outputs(model, x):
    """The encoder's outputs for x as a list: `[z_mean, z_stddev]`, or a
    `zoo.VAE` latent's parameters (`Latent.parameter_names`)."""
    outputs = model.encoder(x)
    latent = getattr(model, "latent", None)
    return latent.parameters(outputs) if latent else list(outputs)


def check_posterior_outputs(model, outputs, count):
    """One row per example; scales (z_stddev, a concentration) positive;
    the code a reconstruction decodes is `(count, LATENT_DIM)`. Returns
    that code."""
    latent = getattr(model, "latent", None)
    names = latent.parameter_names if latent else ("z_mean", "z_stddev")
    assert len(outputs) == len(names)
    for name, output in zip(names, outputs):
        assert output.shape[0] == count
        if name in ("z_stddev", "concentration"):
            assert np.all(np.asarray(output) > 0)
    code = latent.code(outputs) if latent else outputs[0]
    assert code.shape == (count, LATENT_DIM)
    return code


def encoding(model, x):
    """What `encode(x)` gives, as an array to compare: a sample of q(z|x)
    with a fixed stateless seed, or the code vectors."""
    encoded = model.encode(x)
    if is_codebook(model):
        return encoded.vectors
    return encoded.sample(seed=tf.constant([1, 2]))


def some_latents(model, count):
    """`count` valid inputs of `decode`: normal z, or random code
    indices (labelled for a conditional model)."""
    rng = np.random.default_rng(0)
    if is_codebook(model):
        return rng.integers(0, model.num_embeddings,
                            (count, *model.grid_shape)).astype("int32")
    return model_inputs(model, rng.normal(
        size=(count, LATENT_DIM)).astype("float32"))


# 1. Construction -----------------------------------------------------------


@pytest.mark.parametrize("name, shape", SHAPE_CASES, ids=str)
def test_construction_gives_the_documented_shapes(name, shape):
    """The shapes of every part; and every part holds its variables from
    construction (the model is built before any call, so its first `fit`
    runs no symbolic forward pass: `Autoencoder.create_variables`)."""
    model = zoo.get(name, input_shape=shape, latent_dim=LATENT_DIM)
    assert model.built
    assert all(layer.built for layer in model._flatten_layers())
    x = model_inputs(model, real_images(shape, count=3))
    if is_codebook(model):
        assert isinstance(model, zoo.VQVAE)
        z_e = model.encoder(x)
        assert z_e.shape == (3, *model.grid_shape, LATENT_DIM)
        codes = model.encode(x)
        assert codes.indices.shape == (3, *model.grid_shape)
        assert 0 <= np.min(codes.indices)
        assert np.max(codes.indices) < model.num_embeddings
        assert model.decoder(codes.vectors).shape == (
            3, *model.parameter_shape)
        assert model.decode(codes.indices).mean().shape == (3, *shape)
        assert model.predict(x, verbose=0).shape == (3, *shape)
        return
    assert isinstance(model, (zoo.VAE, zoo.HierarchicalVAE))
    z = model_inputs(model, check_posterior_outputs(
        model, posterior_outputs(model, x), 3))
    assert model.decoder(z).shape == (3, *model.parameter_shape)
    assert model.decode(z).mean().shape == (3, *shape)
    assert_predict_shape(model, x, 3, shape)


def assert_predict_shape(model, x, count, shape):
    """`predict` gives reconstructions, or, for a model with a classifier
    (the semi-supervised objective), class probabilities of images x
    alone."""
    has_classifier = model.classifier is not None
    if has_classifier:
        images = model.split_inputs(x)[0]
        probabilities = model.predict(images, verbose=0)
        assert probabilities.shape == (count, model.num_classes)
        np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    else:
        assert model.predict(x, verbose=0).shape == (count, *shape)


INVALID_OPTIONS = [
    ("latent_dim", 0),
    ("latent_dim", -3),
    ("latent_dim", "16"),
    ("likelihood", "poisson"),
    ("input_shape", (0, 28, 1)),
    ("input_shape", "28x28"),
    ("beta", -1.0),
    ("likelihood_scale", -0.5),
    ("pixelcnn_blocks", 1),  # beside the default likelihood, bernoulli
    ("no_such_option", 1),
]


@pytest.mark.parametrize("option,value", INVALID_OPTIONS, ids=str)
@pytest.mark.parametrize("name", MODELS)
def test_invalid_options_raise_value_error_naming_the_option(
    name, option, value
):
    options = {"input_shape": (28, 28, 1), "latent_dim": LATENT_DIM}
    options[option] = value
    if option == "likelihood_scale":
        options["likelihood"] = "gaussian"
    with pytest.raises(ValueError, match=option):
        zoo.get(name, **options)


def test_unknown_model_lists_the_valid_names():
    with pytest.raises(ValueError, match="conv_vae"):
        zoo.get("no_such_vae", input_shape=(28, 28, 1), latent_dim=2)


# 2. Training is Keras ------------------------------------------------------


#: The objectives' options in the tests that train (`small_objective`):
#: the importance-sample counts at 2 (the presets' 5, and 2 x 5 for
#: MIWAE and PIWAE, decode every example up to 20 times a step) and
#: FactorVAE's discriminator at two layers of 64 (its default, six of
#: 1000, holds 5 million weights that Adam updates every step): 100 steps
#: of `piwae` took 10.3 s and of `factor_vae` 9.0 s, against 1.1 s for
#: `conv_vae`. The defaults train in the benches and the shipped models.
SMALL_OBJECTIVES = {
    "iwae": {"num_samples": 2},
    "ciwae": {"num_samples": 2},
    "miwae": {"num_estimates": 2, "samples_per_estimate": 2},
    "piwae": {"num_estimates": 2, "samples_per_estimate": 2},
    "factor_vae": {"discriminator_units": (64, 64)},
}


def small_objective(name):
    """The preset's objective options in the tests that train."""
    return SMALL_OBJECTIVES.get(registry.MODELS[name].get("objective"), {})


def trained_options(name):
    """`half_width` and `small_objective`: the options of every contract
    test that trains a preset."""
    return {**half_width(name), **small_objective(name)}


def half_width(name):
    """The preset's convolutional widths halved (conv filters (16, 32),
    the hierarchy's width 16) for the tests that train (the training and
    loss tests, denoising, `tf.data`, the bound, mixed precision); the
    dense networks are cheap at their defaults. The default widths train
    in the benches and the shipped models, and the construction, shape,
    round-trip and bad-input tests build them; these tests check the
    preset's objective, latent, prior and likelihood through `fit`."""
    model_class = registry.model_class(name)
    if model_class is zoo.HierarchicalVAE:
        return {"width": 16}
    if model_class is zoo.VQVAE or registry.MODELS[name].get(
            "network") == "conv":
        return {"filters": (16, 32)}
    return {}


def check_weight_is_a_variable_the_graph_reads(model, x):
    """beta (the commitment weight for a codebook), assigned after the
    step and the test step were traced, changes the next loss by the
    weighted term: the graphs read a variable, not a captured constant.
    A deterministic latent has no KL and no weight on it (its penalties:
    tests/test_latents.py)."""
    weight = latent_term_weight(model)
    if weight is None:
        return
    logs = {}
    for beta in (1.0, 100.0):
        weight.assign(beta)
        model.seed_generator.state.assign([0, 0])  # the same noise twice
        logs[beta] = model.evaluate(x, batch_size=8, verbose=0,
                                    return_dict=True)
    assert logs[1.0]["reconstruction"] == pytest.approx(
        logs[100.0]["reconstruction"], rel=1e-5
    )
    assert abs(logs[100.0]["loss"] - logs[1.0]["loss"]) > 1e-3
    if is_codebook(model):  # EMA codebook: loss = rec. + beta * commitment
        term = "commitment"
        penalty_is_weighted_term = model.quantizer.codebook_update == "ema"
    elif isinstance(model, zoo.HierarchicalVAE):  # unless free bits
        term = "kl"
        penalty_is_weighted_term = model.free_bits == 0
    else:
        term = "kl"
        penalty_is_weighted_term = type(model.objective) is zoo.objectives.ELBO
    if penalty_is_weighted_term:
        for beta in (1.0, 100.0):
            assert logs[beta]["loss"] == pytest.approx(
                logs[beta]["reconstruction"] + beta * logs[beta][term],
                rel=1e-4,
            )
    model.fit(x, batch_size=8, verbose=0)  # one more step of the graph
    assert float(weight) == 100.0
    assert not any(w is weight for w in model.trainable_weights)


@pytest.mark.parametrize("name", MODELS)
def test_fit_trains_the_negative_elbo_with_documented_history(name):
    """`fit` as Keras runs it by default (the step traced into a graph):
    the documented history, validation included (after the last epoch);
    the loss going down over 8 epochs on real images (the other shapes: the next test); then 100
    more steps at learning rate 1e-2 (set on the optimizer's variable, so
    the same graph runs) leave the loss and every weight finite; then the
    latent term's weight assigned after the graphs were traced changes the
    next loss (`check_weight_is_a_variable_the_graph_reads`). The
    options are `trained_options`."""
    model = build(name, **trained_options(name))
    x = model_inputs(model, real_images((28, 28, 1), count=32))
    # Every call in batches of 8, so the step and the test step are each
    # traced once, for that batch shape.
    before = model.evaluate(x, batch_size=8, verbose=0,
                            return_dict=True)["loss"]
    history = model.fit(
        x, epochs=8, batch_size=8,
        validation_data=(model_inputs(model, real_images((28, 28, 1), 8)),),
        validation_freq=8, verbose=0,
    )
    expected = expected_history(model)
    assert set(history.history) >= expected | {f"val_{key}" for key in expected}
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    after = model.evaluate(x, batch_size=8, verbose=0,
                           return_dict=True)["loss"]
    assert after < before - 0.05 * abs(before)
    check_no_nan_for_100_steps_at_learning_rate_1e_2(model, x)
    check_weight_is_a_variable_the_graph_reads(
        model, model_inputs(model, real_images((28, 28, 1), count=8)))


@pytest.mark.parametrize("name, shape", [
    (name, shape) for name, shape in SHAPE_CASES if shape != SHAPES[0]
], ids=str)
def test_loss_goes_down_on_real_images(name, shape):
    """The other shapes: 32 steps (8 epochs of 32 images in batches of 8)
    take the training loss down by 5 %, with `trained_options`."""
    model = build(name, shape, **trained_options(name))
    x = model_inputs(model, real_images(shape, count=32))
    before = model.evaluate(x, batch_size=8, verbose=0,
                            return_dict=True)["loss"]
    model.fit(x, epochs=8, batch_size=8, verbose=0)
    after = model.evaluate(x, batch_size=8, verbose=0,
                           return_dict=True)["loss"]
    assert after < before - 0.05 * abs(before)


@pytest.mark.parametrize("name", MODELS)
def test_fit_denoising_uses_y_as_the_reconstruction_target(name):
    clean = real_images((28, 28, 1), count=64)
    noisy = np.clip(
        clean + np.random.default_rng(0).normal(0, 0.3, clean.shape), 0, 1
    ).astype("float32")
    model = build(name, run_eagerly=True, **trained_options(name))
    inputs = model_inputs(model, noisy)
    history = model.fit(inputs, clean, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.seed_generator.state.assign([0, 0])
    expected = float(model.reconstruction_loss(clean, model(inputs)))
    model.seed_generator.state.assign([0, 0])
    against_clean = model.evaluate(
        inputs, clean, batch_size=64, verbose=0, return_dict=True
    )
    against_noisy = model.evaluate(inputs, noisy, verbose=0, return_dict=True)
    assert against_clean["reconstruction"] != against_noisy["reconstruction"]
    assert np.isclose(against_clean["reconstruction"], expected, rtol=1e-4)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_fit_takes_a_tf_data_dataset(name):
    x = real_images((28, 28, 1), count=64)
    model = build(name, run_eagerly=True, **trained_options(name))
    images_only = model_dataset(model, x)
    pairs = model_dataset(model, x, x)
    first = model.fit(images_only, epochs=1, verbose=0)
    second = model.fit(pairs, epochs=1, validation_data=images_only, verbose=0)
    assert np.isfinite(first.history["loss"][0])
    assert np.isfinite(second.history["val_loss"][0])


# 3-4. KL (or the commitment) through add_loss; its weight is a variable ---


@pytest.mark.parametrize("name", MODELS)
def test_latent_term_is_one_finite_scalar_in_model_losses(name):
    model = build(name)
    model(model_inputs(model, real_images((28, 28, 1), count=8)))
    assert len(model.losses) == 1
    kl_term = model.losses[0]
    assert kl_term.shape == ()
    assert np.isfinite(float(kl_term))


# 5. Inference API ----------------------------------------------------------


@pytest.mark.parametrize("name, shape", SHAPE_CASES, ids=str)
def test_sample_has_the_input_shape_and_is_seeded(name, shape):
    model = zoo.get(name, input_shape=shape, latent_dim=LATENT_DIM)
    first = model.sample(5, seed=1).numpy()
    assert first.shape == (5, *shape)
    np.testing.assert_array_equal(first, model.sample(5, seed=1).numpy())
    assert not np.array_equal(first, model.sample(5, seed=2).numpy())
    assert first.min() >= 0.0 and first.max() <= 1.0
    with pytest.raises(ValueError, match="num_samples"):
        model.sample(0)


@pytest.mark.parametrize("name", MODELS)
def test_encode_returns_the_posterior_distribution(name):
    """q(z|x) for a Gaussian latent; for a codebook, the nearest codes of
    the encoder's outputs (q(z|x) is a point mass at them)."""
    model = build(name)
    x = model_inputs(model, real_images((28, 28, 1), count=6))
    if is_codebook(model):
        codes = model.encode(x)
        z_e = np.asarray(model.encoder(x))
        codebook = np.asarray(model.quantizer.codebook)
        distances = ((z_e[..., None, :] - codebook) ** 2).sum(-1)
        assert codes.indices.dtype == tf.int32
        np.testing.assert_array_equal(codes.indices, distances.argmin(-1))
        np.testing.assert_array_equal(
            codes.vectors, codebook[np.asarray(codes.indices)])
        return
    posterior = model.encode(x)
    assert posterior.event_shape == (LATENT_DIM,)
    assert posterior.batch_shape == (6,)
    outputs = posterior_outputs(model, x)
    latent = getattr(model, "latent", None)
    if latent is None or latent.gaussian_posterior:  # or the hierarchy's
        np.testing.assert_allclose(posterior.mean(), outputs[0])
        np.testing.assert_allclose(posterior.stddev(), outputs[1])
    else:  # the latent's distribution of the encoder's outputs
        z = posterior.sample(seed=tf.constant([3, 4]))
        np.testing.assert_array_equal(
            z, model.latent.posterior(outputs).sample(
                seed=tf.constant([3, 4])))
        assert np.all(np.isfinite(posterior.log_prob(z)))


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_importance_weighted_bound_is_above_the_elbo(name):
    model = build(name, run_eagerly=True, **trained_options(name))
    x = model_inputs(model, real_images((28, 28, 1), count=64))
    if not has_bound(model):  # a deterministic code: refused, no number
        for method in (model.elbo, model.log_likelihood):
            with pytest.raises(ValueError, match="no posterior density"):
                method(x)
        return
    model.fit(x, epochs=3, batch_size=32, verbose=0)
    if is_codebook(model):  # a point-mass posterior: K samples are one
        bound = model.log_likelihood(x).numpy()
        assert np.all(np.isfinite(bound))
        np.testing.assert_array_equal(bound, model.elbo(x))
        return
    # Not below the ELBO by more than 3 standard errors of its 5-seed mean
    # (a posterior nearly a point mass, as a categorical one can be, has
    # the two equal but for the noise).
    elbos = [np.mean(model.elbo(x, seed=s)) for s in range(5)]
    elbo, error = np.mean(elbos), np.std(elbos, ddof=1) / np.sqrt(5)
    bound = np.mean(model.log_likelihood(x, num_samples=64, chunk_size=16))
    assert np.isfinite(bound)
    assert bound >= elbo - 3 * error


# 6. Encoder and decoder are reusable Keras models --------------------------


@pytest.mark.parametrize("trainable", [True, False])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_encoder_works_inside_another_keras_model(name, trainable):
    model = build(name)
    model.encoder.trainable = trainable
    inputs = [
        keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype)
        for tensor in model.encoder.inputs
    ]
    inputs = inputs[0] if len(inputs) == 1 else inputs
    features = model.encoder(inputs)  # [z_mean, z_stddev], or the grid z_e
    if isinstance(features, (list, tuple)):  # the first of the outputs
        features = features[0]
    features = keras.layers.Flatten()(features)
    outputs = keras.layers.Dense(10, activation="softmax")(features)
    classifier = keras.Model(inputs, outputs)
    # Eager: the encoder's layers in a graph are what every `fit` traces;
    # here the point is the weights a user's model trains (or not).
    classifier.compile("adam", "sparse_categorical_crossentropy",
                       run_eagerly=True)
    x = model_inputs(model, real_images((28, 28, 1), count=32))
    labels = np.arange(32) % 10
    before = weights_of(model.encoder)
    classifier.fit(x, labels, epochs=1, verbose=0)
    changed = any(
        not np.array_equal(a, b)
        for a, b in zip(before, weights_of(model.encoder))
    )
    assert changed == trainable
    assert classifier.predict(x, verbose=0).shape == (32, 10)


# 7. Persistence ------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_keras_round_trip_is_exact(name, tmp_path):
    """Every preset at 28x28x1. The image shape enters the file only as
    `input_shape` in the config, which every preset's round trip compares;
    the other shapes build and run in the construction, sample and
    training tests."""
    model = build(name, run_eagerly=True)
    x = model_inputs(model, real_images((28, 28, 1), count=16))
    model.fit(x, epochs=1, batch_size=16, verbose=0)
    weight = latent_term_weight(model)
    if weight is not None:
        weight.assign(2.5)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # safe_mode=True by default
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    if weight is not None:
        assert float(latent_term_weight(loaded)) == 2.5
    np.testing.assert_array_equal(encoding(loaded, x), encoding(model, x))
    z = some_latents(model, 4)
    np.testing.assert_array_equal(loaded.decode(z).mean(), model.decode(z).mean())
    history = loaded.fit(x, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# 9. Bad input --------------------------------------------------------------

BAD_INPUTS = {
    "wrong rank": (np.zeros((4, 28, 28), "float32"), "rank"),
    "one example": (np.zeros((28, 28, 1), "float32"), "batch axis"),
    "wrong shape": (np.zeros((4, 32, 32, 1), "float32"), "shape"),
    "wrong channels": (np.zeros((4, 28, 28, 3), "float32"), "channels"),
    "NaN": (np.full((4, 28, 28, 1), np.nan, "float32"), "NaN"),
    "outside support": (np.full((4, 28, 28, 1), 255.0, "float32"), r"\[0.0, 1.0\]"),
    "non-numeric": (np.full((4, 28, 28, 1), "a"), "numeric"),
    "empty": (np.zeros((0, 28, 28, 1), "float32"), "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", MODELS)
def test_bad_input_raises_before_any_weight_changes(name, case):
    bad, message = BAD_INPUTS[case]
    model = build(name)
    before = weights_of(model)
    bad = model_inputs(model, bad)
    with pytest.raises(ValueError, match=message):
        model.fit(bad, epochs=1, verbose=0)
    if case != "outside support":  # grey values are valid encoder inputs
        with pytest.raises(ValueError, match=message):
            model.encode(bad)
    for old, new in zip(before, weights_of(model)):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_bad_streamed_batch_stops_training_with_a_message(name):
    x = real_images((28, 28, 1), count=32)
    x[20] = np.nan
    model = build(name, run_eagerly=True)
    dataset = model_dataset(model, x, batch_size=16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN"):
        model.fit(dataset, epochs=1, verbose=0)


def test_fit_before_compile_says_to_compile():
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    x = np.zeros((4, 8, 8, 1), "float32")
    for train in (model.fit, model.train_on_batch):
        with pytest.raises(ValueError, match="call `compile\\(\\)`"):
            train(x)


def test_compile_refuses_a_loss():
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    with pytest.raises(ValueError, match="owns its loss"):
        model.compile(optimizer="adam", loss="mse")


def test_compile_defaults_to_adam_at_the_zoo_learning_rate(tmp_path):
    """`compile()` is Adam at 2e-3, kept by a .keras round trip;
    `compile("adam")` stays Keras's Adam at 1e-3."""
    model = zoo.get("dense_vae", input_shape=(8, 8, 1), latent_dim=2)
    model.compile()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-3)
    model.fit(np.zeros((4, 8, 8, 1), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert float(loaded.optimizer.learning_rate) == pytest.approx(2e-3)
    model.compile(optimizer="adam")
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)



@pytest.mark.parametrize("name", ["dense_vae", "conditional_vae", "vq_vae"])
def test_the_first_fit_and_evaluate_trace_each_step_once(name):
    """Keras, with no distribution strategy, would create the optimizer's
    variables inside the first trace of the step, and TensorFlow traces a
    function that creates variables a second time; the zoo's `fit`
    creates them first (`create_variables`), and the networks hold their
    variables from construction, so `evaluate` before any `fit` traces
    once too; so does `train_on_batch`. Counted as the Python
    `train_step` and `test_step` runs, which is once per trace."""
    model = zoo.get(name, input_shape=(12, 12, 1), latent_dim=LATENT_DIM,
                    seed=0)
    model.compile()
    traces = []
    for step in ("train_step", "test_step"):
        def counted(data, step=step, run=getattr(model, step)):
            traces.append(step)
            return run(data)
        setattr(model, step, counted)
    x = model_inputs(model, real_images((12, 12, 1), count=16))
    model.evaluate(x, batch_size=8, verbose=0)
    model.fit(x, epochs=2, batch_size=8, validation_data=(x,), verbose=0)
    assert traces == ["test_step", "train_step"]
    # `train_on_batch` on a fresh model: its own graph, traced once too.
    model = zoo.get(name, input_shape=(12, 12, 1), latent_dim=LATENT_DIM,
                    seed=0)
    model.compile()
    step = model.train_step
    model.train_step = lambda data: traces.append("on_batch") or step(data)
    batch = model_inputs(model, real_images((12, 12, 1), count=8))
    for _ in range(2):
        model.train_on_batch(batch)
    assert traces.count("on_batch") == 1

# 10. Numerics --------------------------------------------------------------


def repeated(x, times):
    """The batch `x` (an array, or `[images, labels]`) `times` over."""
    if isinstance(x, list):
        return [repeated(part, times) for part in x]
    return np.concatenate([x] * times)


def check_no_nan_for_100_steps_at_learning_rate_1e_2(model, x):
    """100 steps at learning rate 1e-2 (ten times the default) in batches
    of 8, 25 passes over the 32 images `x` in one epoch (Keras's loop
    costs ~60 ms an epoch, more than four steps of a tiny model): the
    epoch's mean loss (NaN if any step's was) and every weight stay finite.
    The rate is assigned to the optimizer's variable, so the step already
    traced runs (each preset's training test calls this after its 8
    epochs at the default rate)."""
    model.optimizer.learning_rate = 1e-2  # assigns the variable
    start = int(model.optimizer.iterations.numpy())
    history = model.fit(repeated(x, 25), batch_size=8, verbose=0)
    assert int(model.optimizer.iterations.numpy()) - start == 100
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(np.all(np.isfinite(w)) for w in weights_of(model))


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_mixed_precision_trains(name):
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        model = build(name, run_eagerly=True, **trained_options(name))
        history = model.fit(
            model_inputs(model, real_images((28, 28, 1), count=64)),
            epochs=1, verbose=0,
        )
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert np.isfinite(history.history["loss"][0])


# 11. Every combination of the options: a pairwise covering set -------------

# The axes' values come from their registries, so a new network,
# objective, prior or likelihood is covered with no new test code
# (CONTRIBUTING.md; tests/test_contributing.py follows its recipes).
# Built-in networks get tiny widths here; any other its defaults.
TINY_NETWORKS = {
    "mlp": {"network": "mlp", "hidden_units": (8,)},
    "gated_mlp": {"network": "gated_mlp", "hidden_units": (8,)},
    "conv": {"network": "conv", "filters": (4,), "hidden_units": (8,)},
    "resnet": {"network": "resnet", "filters": (4, 8), "hidden_units": (8,)},
}
#: The ex-post samplers' tiny options (a sampler is fitted after the step).
TINY_SAMPLERS = {
    "gmm": {"num_components": 2},
    "two_stage": {"hidden_units": (8,), "epochs": 1},
    "maf": {"flow_steps": 1, "hidden_units": (8,), "epochs": 1},
}
#: Likelihood values beside the registry's names: options of one of them.
LIKELIHOOD_VARIANTS = {
    "gaussian_fixed": {"likelihood": "gaussian", "likelihood_scale": 0.1},
}


def registry_axes():
    """Every axis's values, read from the registries now."""
    return {
        "network": [*networks.NETWORKS, "custom"],
        "latent": list(latents.LATENTS),
        "objective": list(objectives.OBJECTIVES),
        "prior": list(priors.PRIORS),
        "likelihood": [*likelihoods.LIKELIHOODS, *LIKELIHOOD_VARIANTS],
        "num_classes": [None, 3],
        "sampler": [None, *samplers.SAMPLERS],
    }


def network_options(name):
    return TINY_NETWORKS.get(name, {"network": name})


def likelihood_options(name):
    return LIKELIHOOD_VARIANTS.get(name, {"likelihood": name})


AXES = registry_axes()


@functools.cache
def latent_refuses(latent, objective=None, prior=None):
    """Whether the latent refuses the objective or the prior (the reasons
    are the latents', `zoo.latents.check_combination`)."""
    try:
        latents.check_combination(
            latents.get(latent), objectives.get(objective or "elbo"), prior)
    except ValueError:
        return True
    return False


def buildable(case):
    """The VampPrior's pseudo-inputs have no labels: no conditional vamp;
    the semi-supervised objective needs classes (so no vamp either); an
    ex-post sampler ignores labels, so no conditional model takes one, nor
    a latent whose codes it cannot fit; a latent refuses what its math
    does not allow; an objective written for the standard normal prior
    (DIP-VAE) takes no learned one."""
    if "latent" in case and latent_refuses(
            case["latent"], case.get("objective"), case.get("prior")):
        return False
    if case.get("sampler") and "latent" in case and latents.get(
            case["latent"]).no_ex_post_sampler:
        return False
    conditional = case.get("num_classes") or (
        case.get("objective") == "semi_supervised")
    if conditional and (case.get("prior") == "vamp" or case.get("sampler")):
        return False
    objective = case.get("objective")
    if objective is not None and case.get("prior", "standard_normal") != (
            "standard_normal") and objectives.OBJECTIVES[objective][
                0].needs_standard_normal_prior:
        return False
    return not (case.get("objective") == "semi_supervised"
                and "num_classes" in case and case["num_classes"] is None)


COVERING = pairwise(AXES, buildable)
COVER_SHAPE = (12, 12, 1)
#: The cases whose one step runs as `fit` runs it by default, traced into
#: a graph: the first case to take each value of each axis, so every
#: component's step is traced in some combination. The others step
#: eagerly: the same `train_step` with no trace to build (4-9x faster
#: for one step of a tiny model), which checks that the pair composes.
GRAPH_STEP = first_of_each_value(COVERING)


def serving_axes(case):
    """What of a case shapes its serving graph: every axis but the
    objective, which enters it only by adding a classifier (`classify`,
    the semi-supervised objective; the other objectives are training
    losses the exported signatures never compute), and the network, which
    enters it only as the encoder and decoder every endpoint calls, Keras
    models whose trace in a `tf.function` is the one `fit`'s step makes in
    every covering case (each network is still exported: `EXPORTED`)."""
    projected = {**case, "objective": case["objective"] == "semi_supervised"}
    del projected["network"]
    return projected


def exported_axes(case):
    """`serving_axes` and the network: what goes through a SavedModel."""
    return {**serving_axes(case), "network": case["network"]}


#: The cases whose serving graph is checked: a subset covering every pair
#: of `serving_axes`.
SERVED = covering_subset(COVERING, serving_axes)
#: Of those, the cases written with `export_for_serving` and loaded as TF
#: Serving loads them (the TF1 loader): the first to take each value of
#: `exported_axes`, so every component goes through a SavedModel. The
#: others trace every serving endpoint and run `encode` through the traced
#: graph (`check_serving_graph`): the pair composes into the graph that
#: the export would save, with half of the export's tracing (the export
#: traces each endpoint twice, once inside `tf.saved_model.save`) and no
#: SavedModel to write and load.
#: The cases saved and loaded as `.keras` files: the first to take each
#: value of each axis (the graph-step cases), so every component's options
#: and variables go through a file. Loading rebuilds the model by calling
#: `zoo.VAE(**config)`, the constructor every covering case (every pair)
#: already runs, then loads each part's variables by its own path; what a
#: pair could break is in that construction. Every preset round-trips too.
ROUND_TRIP = GRAPH_STEP
EXPORTED = [SERVED[index] for index in first_of_each_value(
    [exported_axes(COVERING[index]) for index in SERVED])]
TRACED = [index for index in SERVED if index not in EXPORTED]


def case_id(case):
    return "-".join(str(case[axis]) for axis in AXES)


def user_encoder(shape):
    """A user's encoder body: a plain functional Keras model."""
    inputs = keras.Input(shape=shape)
    features = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    features = keras.layers.GlobalAveragePooling2D()(features)
    return keras.Model(inputs, keras.layers.Dense(8, activation="relu")(
        features), name="my_encoder")


def user_decoder(size):
    """A user's decoder body over z (and the label code): `size` inputs."""
    inputs = keras.Input(shape=(size,))
    features = keras.layers.Dense(16, activation="relu")(inputs)
    return keras.Model(inputs, features, name="my_decoder")


def build_case(case, shape=COVER_SHAPE, jit_compile="auto",
               run_eagerly=False):
    """The case's model, compiled. The covering set compiles without XLA
    (its compile time would dominate one step); every network is trained
    with Keras's default (XLA) in `test_every_network_takes_any_image_shape`
    and every preset in the full suite."""
    if case["network"] == "custom":
        code = case["num_classes"] or 0
        network = {"encoder": user_encoder(shape),
                   "decoder": user_decoder(LATENT_DIM + code)}
    else:
        network = network_options(case["network"])
    prior = priors.PRIORS[case["prior"]]
    model = zoo.VAE(
        input_shape=shape, latent_dim=LATENT_DIM, seed=0,
        latent=case["latent"],
        objective=case["objective"], prior=case["prior"],
        prior_components=2 if prior and prior.takes_components else None,
        num_classes=case["num_classes"],
        **network, **likelihood_options(case["likelihood"]),
    )
    model.compile(jit_compile=jit_compile, run_eagerly=run_eagerly)
    return model


def as_json(config):
    """A config as its JSON file holds it (tuples become lists)."""
    return json.loads(json.dumps(config))


def test_the_covering_set_covers_every_pair():
    covered = {
        ((a, case[a]), (b, case[b]))
        for case in COVERING for a in AXES for b in AXES if a < b
    }
    for a in AXES:
        for b in AXES:
            if a < b:
                for x in AXES[a]:
                    for y in AXES[b]:
                        if buildable({a: x, b: y}):
                            assert ((a, x), (b, y)) in covered


def pairs_of(case):
    return {((a, case[a]), (b, case[b])) for a in case for b in case if a < b}


def test_the_served_cases_cover_every_serving_pair():
    served = set().union(*(pairs_of(serving_axes(COVERING[index]))
                           for index in EXPORTED + TRACED))
    assert served == set().union(*(pairs_of(serving_axes(case))
                                   for case in COVERING))
    assert len(SERVED) < len(COVERING)


def test_the_exported_cases_take_every_serving_value_and_network():
    exported = {item for index in EXPORTED
                for item in exported_axes(COVERING[index]).items()}
    assert exported == {item for case in COVERING
                        for item in exported_axes(case).items()}
    assert len(EXPORTED) < len(SERVED)


def test_every_value_of_every_axis_is_traced_in_a_graph_step():
    traced = {(axis, COVERING[index][axis])
              for index in GRAPH_STEP for axis in AXES}
    assert traced == {(axis, value) for case in COVERING
                      for axis, value in case.items()}


def covering_params(indices):
    return [pytest.param(index, marks=pytest.mark.slow,
                         id=case_id(COVERING[index])) for index in indices]


ALL_CASES = covering_params(range(len(COVERING)))


@pytest.fixture(scope="module")
def trained_case(request):
    """The covering case of index `request.param`, after one step."""
    return train_case(COVERING[request.param],
                      run_eagerly=request.param not in GRAPH_STEP)


def train_case(case, run_eagerly=False):
    """A model of the case after one `fit` step on arrays (and its ex-post
    sampler fitted), its data and history."""
    model = build_case(case, jit_compile=False, run_eagerly=run_eagerly)
    x = model_inputs(model, real_images(COVER_SHAPE, count=8))
    history = model.fit(x, epochs=1, batch_size=8, verbose=0)
    if case.get("sampler"):
        model.fit_sampler(x, case["sampler"],
                          **TINY_SAMPLERS[case["sampler"]])
    return model, x, history


def check_case(case, tmp_path):
    """Every check of the covering suite on one case."""
    trained = train_case(case)
    check_fits_one_step(trained)
    check_keras_round_trip(trained, tmp_path)
    check_exports(trained, tmp_path)


@pytest.mark.parametrize("trained_case", ALL_CASES, indirect=True)
def test_covering_case_constructs_and_fits_one_step(trained_case):
    check_fits_one_step(trained_case)


@pytest.mark.parametrize("trained_case", covering_params(ROUND_TRIP),
                         indirect=True)
def test_covering_case_keras_round_trip_is_exact(trained_case, tmp_path):
    check_keras_round_trip(trained_case, tmp_path)


@pytest.mark.parametrize("trained_case", covering_params(EXPORTED),
                         indirect=True)
def test_covering_case_exports_for_tf_serving(trained_case, tmp_path):
    check_exports(trained_case, tmp_path)


@pytest.mark.parametrize("trained_case", covering_params(TRACED),
                         indirect=True)
def test_covering_case_serving_graph_traces_and_encodes(trained_case):
    check_serving_graph(trained_case)


def check_fits_one_step(trained_case):
    model, x, history = trained_case
    assert isinstance(model, zoo.VAE)
    assert expected_history(model) <= set(history.history)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    code = check_posterior_outputs(model, posterior_outputs(model, x), 8)
    assert model.decoder(model_inputs(model, code)).shape == (
        8, *model.parameter_shape)
    assert_predict_shape(model, x, 8, COVER_SHAPE)
    assert model.sample(2, seed=0).shape == (2, *COVER_SHAPE)


def check_keras_round_trip(trained_case, tmp_path):
    model, x, _ = trained_case
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert as_json(loaded.get_config()) == as_json(model.get_config())
    np.testing.assert_array_equal(encoding(loaded, x), encoding(model, x))
    z = model_inputs(model, np.ones((2, LATENT_DIM), "float32"))
    np.testing.assert_array_equal(
        loaded.decode(z).mean(), model.decode(z).mean()
    )
    if model.sampler is not None:
        np.testing.assert_array_equal(loaded.sample(2, seed=0),
                                      model.sample(2, seed=0))


def encode_request(model, x):
    """The `encode` signature's inputs for the batch `x`: name -> array."""
    images, labels = model.split_inputs(x)
    inputs = {"x": images, "seed": np.array([1, 0], "int32")}
    if labels is not None:
        inputs["labels"] = np.asarray(labels, "int32")
    return inputs


def check_exports(trained_case, tmp_path):
    model, x, _ = trained_case
    path = export_for_serving(model, tmp_path / "serving")
    loaded = TF1Loaded(path)
    outputs = loaded.run("encode", encode_request(model, x))
    if model.sampler is not None:
        samples = loaded.run("sample", {"num_samples": np.int32(2),
                                        "seed": np.array([0, 0], "int32")})
        np.testing.assert_allclose(samples["images"],
                                   model.sample(2, seed=0), rtol=1e-5,
                                   atol=1e-6)
    loaded.session.close()
    first = model.latent.parameter_names[0]
    np.testing.assert_allclose(
        outputs[first], posterior_outputs(model, x)[0], rtol=1e-5, atol=1e-5
    )


def check_serving_graph(trained_case):
    """Every serving endpoint traces as `export_for_serving` traces it
    (`zoo.export.signatures.shape_checked` over the model's endpoints),
    and the traced `encode` gives the model's posterior parameters."""
    model, x, _ = trained_case
    endpoints = model.serving_endpoints(MAX_SAMPLES)
    traced = {}
    for name, (function, specs) in endpoints.items():
        traced[name] = tf.function(shape_checked(function, specs),
                                   autograph=False).get_concrete_function(
                                       *specs)
        assert set(traced[name].structured_outputs) == set(
            model.serving_signatures()[name][1])
    inputs = encode_request(model, x)
    outputs = traced["encode"](
        *(inputs[spec.name] for spec in endpoints["encode"][1]))
    first = model.latent.parameter_names[0]
    np.testing.assert_allclose(
        outputs[first], posterior_outputs(model, x)[0], rtol=1e-5, atol=1e-5
    )


# 12. Networks at every shape; the user's own networks ----------------------

NETWORK_SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3)]


@pytest.mark.parametrize("shape", NETWORK_SHAPES, ids=str)
@pytest.mark.parametrize("network", AXES["network"])
def test_every_network_takes_any_image_shape(network, shape):
    case = {"network": network, "latent": "gaussian", "objective": "elbo",
            "prior": "standard_normal", "likelihood": "bernoulli",
            "num_classes": None}
    model = build_case(case, shape)
    x = real_images(shape, count=4)
    assert model.decoder(model.encoder(x)[0]).shape == (4, *shape)
    history = model.fit(x, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_user_encoder_alone_gets_a_builtin_decoder():
    model = zoo.VAE(input_shape=(12, 12, 1), latent_dim=LATENT_DIM,
                    encoder=user_encoder((12, 12, 1)), network="resnet",
                    filters=(4,), hidden_units=())
    assert model.encoder.get_layer("my_encoder") is not None
    assert model.decoder(np.zeros((2, LATENT_DIM))).shape == (2, 12, 12, 1)


def test_a_lambda_layer_is_refused_with_how_to_register():
    inputs = keras.Input(shape=(12, 12, 1))
    outputs = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    with pytest.raises(ValueError, match="register_keras_serializable"):
        zoo.VAE(input_shape=(12, 12, 1), latent_dim=2,
                encoder=keras.Model(inputs, outputs))


def test_an_unregistered_layer_class_is_refused():
    class Doubling(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    with pytest.raises(ValueError, match="not registered"):
        zoo.VAE(input_shape=(12, 12, 1), latent_dim=2,
                encoder=keras.Sequential([Doubling()]))


@keras.saving.register_keras_serializable(package="zoo_tests")
class Halving(keras.layers.Layer):
    """A registered user layer: saves and loads with safe_mode on."""

    def call(self, inputs):
        return inputs * 0.5


def test_a_registered_user_layer_round_trips(tmp_path):
    body = keras.Sequential([Halving(), keras.layers.Dense(8)])
    model = zoo.VAE(input_shape=(6,), latent_dim=2, encoder=body,
                    network="mlp", hidden_units=(8,), seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 6)).astype("float32")
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(loaded.encode(x).mean(),
                                  model.encode(x).mean())


@pytest.mark.parametrize("options, message", [
    ({"network": "transformer"}, "network"),
    ({"network": "mlp", "filters": (4,)}, "filters"),
    ({"encoder": "resnet50"}, "Keras model or layer"),
    ({"objective": "wake_sleep"}, "objective"),
    ({"label_embedding_dim": 4}, "num_classes"),
    ({"num_classes": 3, "prior": "vamp"}, "pseudo-inputs have no labels"),
    ({"objective": "dip_vae", "prior": "mixture"},
     "moments to those of the standard normal prior"),
], ids=str)
def test_invalid_axis_options_name_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        zoo.VAE(input_shape=(12, 12, 1), latent_dim=2, **options)


def test_presets_take_other_axes():
    model = zoo.get("iwae", network="mlp", input_shape=(28, 28, 1),
                    latent_dim=2, num_samples=3)
    assert model.network == "mlp" and model.objective.num_samples == 3
    model = zoo.get("beta_tcvae", network="resnet", input_shape=(64, 64, 3),
                    latent_dim=2, num_classes=4)
    assert isinstance(model.objective, zoo.objectives.BetaTC)
    with pytest.raises(ValueError, match="Valid options"):
        zoo.get("iwae", input_shape=(8, 8, 1), latent_dim=2, tc_weight=1.0)


def test_labels_are_refused_by_an_unconditional_sample():
    model = zoo.get("conv_vae", input_shape=(8, 8, 1), latent_dim=2)
    with pytest.raises(ValueError, match="num_classes"):
        model.sample(2, labels=[0, 1])

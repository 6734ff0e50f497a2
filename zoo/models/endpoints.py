"""The serving endpoints of the zoo's models: what each exported signature
computes, from the model's graph-safe methods, and the checks on its inputs.

A model supplies its endpoints (`Autoencoder.serving_endpoints`, overridden
by `VQVAE`); `zoo.export` writes them into a SavedModel. `zoo.export`'s
docstring tables every signature's inputs and outputs; `SIGNATURES` (a
`zoo.VAE` or `zoo.HierarchicalVAE`) and `CODEBOOK_SIGNATURES` (a
`zoo.VQVAE`) below are the same in code.

The three `*_from_noise`/`encode_mean` signatures take their noise as
inputs (or none), so they have no random ops:
they are the ones that convert to ONNX and LiteRT (`zoo.export.convert`).
The noise is:

- `eps`: standard normal draws. `sample_from_noise` turns them into prior
  samples: z = eps for the standard normal prior; for a learned prior (a
  mixture of diagonal Gaussians: `prior="mixture"` or the VampPrior)
  z = mu_k + sigma_k * eps, where the component k is chosen by `u`.
  A model with an ex-post sampler (`VAE.fit_sampler`, `zoo.samplers`)
  makes its samples from the sampler's noise instead: `eps` for every
  sampler, and `u` for the Gaussian mixture (`"gmm"`).
  `score_from_noise` turns them into posterior samples
  z_k = z_mean + z_stddev * eps_k, one per row k of `eps`.
- `u`: uniform draws in [0, 1), one per sample, that choose the mixture
  component by inverting the cumulative mixture weights: k is the number
  of cumulative weights pi_1, pi_1 + pi_2, ... that are <= u. So `u`
  uniform gives k with probability pi_k, as the prior does.

`score_from_noise` gives the ELBO (beta = 1) at z_1 = the first row of
`eps`, and the importance-weighted bound on log p(x) over all K rows, as
`VAE.compute_elbo` and `VAE.compute_log_likelihood` do with their own
noise. With the same noise the outputs equal the model's. A hierarchical
model's `eps` has `noise_dim` numbers per sample, one for each dimension of
every group (`HierarchicalVAE.split_noise`), the first `latent_dim` the
top group's (its prior's `eps` above); the model's `noise_inputs` say
which noise its `sample_from_noise` takes.
"""

import tensorflow as tf

from zoo.validation import assert_all_true


#: The exported signatures of an unconditional model: name -> (input names,
#: output names). `model.serving_signatures()` gives any model's.
SIGNATURES = {
    "serving_default": (("x",), ("reconstruction",)),
    "reconstruct": (("x",), ("reconstruction",)),
    "encode": (("x", "seed"), ("z_mean", "z_stddev", "z")),
    "decode": (("z",), ("reconstruction", "parameters")),
    "sample": (("num_samples", "seed"), ("images",)),
    "score": (("x", "num_samples"), ("elbo", "log_likelihood")),
    "encode_mean": (("x",), ("z_mean", "z_stddev")),
    "sample_from_noise": (("eps",), ("images",)),
    "score_from_noise": (("x", "eps"), ("elbo", "log_likelihood")),
}


#: The exported signatures of a model with a codebook latent (`zoo.VQVAE`).
CODEBOOK_SIGNATURES = {
    "serving_default": (("x",), ("reconstruction",)),
    "reconstruct": (("x",), ("reconstruction",)),
    "encode": (("x",), ("indices", "vectors")),
    "decode": (("indices",), ("reconstruction", "parameters")),
    "sample": (("num_samples", "seed"), ("images",)),
    "score": (("x",), ("elbo", "log_likelihood")),
}


#: The signature of a model with a classifier (`objective=
#: "semi_supervised"`): images -> q(y|x).
CLASSIFY = (("x",), ("probabilities",))


def latent_variable_signatures(model):
    """The signatures of a model with a latent-variable posterior (a
    `zoo.VAE` or `zoo.HierarchicalVAE`): name -> (input names, output
    names); conditional models take `labels` too. A `zoo.VAE`'s `encode`
    and `encode_mean` give its latent's parameters (`z_mean`, `z_stddev`
    for the Gaussian one; `Latent.parameter_names`); a latent without a
    likelihood bound (deterministic) has no `score` or `score_from_noise`,
    and one whose posterior samples are not made from normal noise (von
    Mises-Fisher) no `score_from_noise`."""
    result = dict(SIGNATURES)
    latent = getattr(model, "latent", None)
    if latent is not None:
        result["encode"] = (("x", "seed"), (*latent.parameter_names, "z"))
        result["encode_mean"] = (("x",), latent.parameter_names)
        if latent.no_posterior_noise:
            del result["score_from_noise"]
        if not latent.has_bound:
            del result["score"]
    if "u" in model.noise_inputs:
        result["sample_from_noise"] = (("eps", "u"), ("images",))
    if model.condition_spec() is None:
        return result
    name = model.condition_spec().name
    result = {
        signature: (inputs + (name,), outputs)
        for signature, (inputs, outputs) in result.items()
    }
    result["sample"] = ((name, "seed"), SIGNATURES["sample"][1])
    if model.classifier is not None:
        result["classify"] = CLASSIFY
    return result


#: The default limit on the samples one request may draw: `sample`'s
#: `num_samples` and `score`'s `num_samples` times its batch. 2**20 28x28
#: images are about 3 GB of float32.
MAX_SAMPLES = 2**20


#: The stateless seed `score` uses, the default of `VAE.elbo` and
#: `VAE.log_likelihood`.
SCORE_SEED = (0, 0)


def latent_variable_endpoints(model, max_samples):
    """The endpoints of `latent_variable_signatures`: name -> (function,
    input specs), in the order they are exported (the first is also
    `serving_default`), each checking its inputs before computing
    anything."""
    images = tf.TensorSpec((None, *model.image_shape), tf.float32, name="x")
    latents = tf.TensorSpec((None, model.latent_dim), tf.float32, name="z")
    seed = tf.TensorSpec((2,), tf.int32, name="seed")
    num_samples = tf.TensorSpec((), tf.int32, name="num_samples")
    # Conditional models take their condition as a last input everywhere.
    condition = [] if model.condition_spec() is None else [
        model.condition_spec()
    ]
    likelihood = model.likelihood_family

    def reconstruct(x, labels=None):
        labels = _checked_labels(model, labels)
        x = _checked(_assert_images(x, likelihood), x)
        return {"reconstruction": model.compute_reconstruction(
            x if labels is None else [x, labels])}

    def encode(x, seed, labels=None):
        labels = _checked_labels(model, labels)
        x = _checked(_assert_images(x, likelihood), x)
        parameters = model.posterior_parameters(x, labels)
        z = model.posterior(*parameters).sample(seed=seed)
        return {**_named_parameters(model, parameters), "z": z}

    def decode(z, labels=None):
        labels = _checked_labels(model, labels)
        z = _checked(_assert_finite(z, "z"), z)
        parameters = model.likelihood_parameters(z, labels)
        reconstruction = model.likelihood_distribution(parameters).mean()
        return {"reconstruction": reconstruction, "parameters": parameters}

    def sample_labels(labels, seed):
        labels = _checked_labels(model, labels)
        count = _checked(
            _assert_samples(tf.size(labels), 1, max_samples), tf.size(labels)
        )
        return {"images": model.compute_samples(count, seed, labels)}

    def score(x, num_samples, labels=None):
        labels = _checked_labels(model, labels)
        seed = tf.constant(SCORE_SEED, tf.int32)
        x, num_samples = _checked(
            _assert_images(x, likelihood)
            + _assert_samples(num_samples, tf.shape(x)[0], max_samples),
            (x, num_samples),
        )
        log_likelihood = model.compute_log_likelihood(
            x, num_samples, seed, labels
        )
        return {
            "elbo": model.compute_elbo(x, seed, labels),
            "log_likelihood": log_likelihood,
        }

    endpoints = {
        "reconstruct": (reconstruct, [images, *condition]),
        "encode": (encode, [images, seed, *condition]),
        "decode": (decode, [latents, *condition]),
        "sample": (sample_labels, [*condition, seed]) if condition else (
            _sampler(model, max_samples), [num_samples, seed]),
        "score": (score, [images, num_samples, *condition]),
    }
    if "score" not in model.serving_signatures():
        del endpoints["score"]
    if model.classifier is not None:
        def classify(x):
            x = _checked(_assert_images(x, likelihood), x)
            return {"probabilities": model.class_probabilities(x)}

        endpoints["classify"] = (classify, [images])
    endpoints.update(_deterministic_endpoints(model, images, condition,
                                              max_samples))
    return endpoints


def codebook_endpoints(model, max_samples):
    """The endpoints of `CODEBOOK_SIGNATURES` for a `zoo.VQVAE`, checking
    their inputs like the others (finite images, in the likelihood's support for
    `score`; indices in [0, K); at most `max_samples` samples)."""
    images = tf.TensorSpec((None, *model.image_shape), tf.float32, name="x")
    indices = tf.TensorSpec((None, *model.grid_shape), tf.int32,
                            name="indices")
    seed = tf.TensorSpec((2,), tf.int32, name="seed")
    num_samples = tf.TensorSpec((), tf.int32, name="num_samples")
    likelihood = model.likelihood_family

    def reconstruct(x):
        x = _checked(_assert_images(x, likelihood), x)
        return {"reconstruction": model.compute_reconstruction(x)}

    def encode(x):
        x = _checked(_assert_images(x, likelihood), x)
        codes = model.compute_codes(x)
        return {"indices": codes, "vectors": model.quantizer.lookup(codes)}

    def decode(indices):
        message = (
            f"`indices` must be code indices in [0, {model.num_embeddings}),"
            " e.g. the output of the encode signature."
        )
        indices = _checked([assert_all_true(
            (indices >= 0) & (indices < model.num_embeddings), message)],
            indices)
        parameters = model.decoder(model.quantizer.lookup(indices))
        reconstruction = model.likelihood_distribution(parameters).mean()
        return {"reconstruction": reconstruction, "parameters": parameters}

    def score(x):
        x = _checked(_assert_images(x, likelihood), x)
        bound = model.compute_elbo(x)
        return {"elbo": bound, "log_likelihood": bound}

    return {
        "reconstruct": (reconstruct, [images]),
        "encode": (encode, [images]),
        "decode": (decode, [indices]),
        "sample": (_sampler(model, max_samples), [num_samples, seed]),
        "score": (score, [images]),
    }


def _sampler(model, max_samples):
    """The `sample` endpoint of an unconditional model: `num_samples`
    (1 to `max_samples`) images drawn with `seed`."""
    def sample(num_samples, seed):
        num_samples = _checked(
            _assert_samples(num_samples, 1, max_samples), num_samples
        )
        return {"images": model.compute_samples(num_samples, seed)}

    return sample


def _assert_images(x, likelihood):
    """The checks of every signature's images: finite, in the likelihood's
    support (0..255 images given to a Bernoulli model are refused, as
    `encode` and `fit` refuse them)."""
    return _assert_finite(x, "x") + likelihood.assert_support(
        x, "x", "rescale the images (e.g. divide uint8 pixels by 255)."
    )


def _checked(checks, values):
    """`values`, computed only once the assertion ops `checks` passed."""
    with tf.control_dependencies(checks):
        return tf.nest.map_structure(tf.identity, values)


def _deterministic_endpoints(model, images, condition, max_samples):
    """`encode_mean`, `sample_from_noise` and `score_from_noise`: the
    noise as inputs (module docstring), checked like the others
    (finite inputs, `x` in the likelihood's support for scoring, at most
    `max_samples` rows of noise times the batch)."""
    eps = tf.TensorSpec((None, model.noise_dim), tf.float32, name="eps")
    eps_k = tf.TensorSpec((None, None, model.noise_dim), tf.float32,
                          name="eps")
    uniform = tf.TensorSpec((None,), tf.float32, name="u")

    likelihood = model.likelihood_family

    def encode_mean(x, labels=None):
        labels = _checked_labels(model, labels)
        x = _checked(_assert_images(x, likelihood), x)
        return _named_parameters(model, model.posterior_parameters(x, labels))

    def sample_from_noise(eps, labels=None):
        labels = _checked_labels(model, labels)
        eps = _checked(_assert_noise(eps), eps)
        return {"images": model.compute_samples_from_noise(
            eps, condition=labels)}

    def sample_from_mixture_noise(eps, u, labels=None):
        labels = _checked_labels(model, labels)
        eps, u = _checked(
            _assert_noise(eps) + _assert_uniform(u), (eps, u)
        )
        return {"images": model.compute_samples_from_noise(eps, u, labels)}

    def score_from_noise(x, eps, labels=None):
        labels = _checked_labels(model, labels)
        x, eps = _checked(
            _assert_images(x, likelihood)
            + _assert_noise(eps)
            + [assert_all_true(
                tf.equal(tf.shape(eps)[1], tf.shape(x)[0]),
                "`eps` must be noise of shape (num_samples, batch, "
                "noise_dim) with batch the number of images in `x`.")]
            + _assert_samples(tf.shape(eps)[0], tf.shape(x)[0], max_samples),
            (x, eps),
        )
        return model.compute_scores_from_noise(x, eps, labels)

    endpoints = {
        "encode_mean": (encode_mean, [images, *condition]),
        "sample_from_noise": (
            (sample_from_mixture_noise, [eps, uniform, *condition])
            if "u" in model.noise_inputs
            else (sample_from_noise, [eps, *condition])),
        "score_from_noise": (score_from_noise, [images, eps_k, *condition]),
    }
    if "score_from_noise" not in model.serving_signatures():
        del endpoints["score_from_noise"]
    return endpoints


def _named_parameters(model, parameters):
    """The posterior's parameters by name: `z_mean`, `z_stddev` for a
    Gaussian posterior (a hierarchy's top group), else the latent's
    `parameter_names`."""
    latent = getattr(model, "latent", None)
    names = ("z_mean", "z_stddev") if latent is None else (
        latent.parameter_names)
    return dict(zip(names, parameters))


def _assert_finite(tensor, name):
    return [tf.debugging.assert_all_finite(
        tensor, f"`{name}` holds NaN or infinite values; remove or impute "
        "them before the request.",
    )]


#: The largest |eps| the noise signatures take: standard normal draws beyond
#: it have probability below 1e-2000, and far larger ones overflow float32
#: in the densities (1e30 gave NaN images and log-likelihoods).
MAX_NOISE = 100.0


def _assert_noise(eps):
    """`eps` is standard normal noise: finite, |eps| <= `MAX_NOISE`."""
    return _assert_finite(eps, "eps") + [assert_all_true(
        tf.abs(eps) <= tf.constant(MAX_NOISE, eps.dtype),
        f"`eps` must be standard normal draws, |eps| <= {MAX_NOISE:g}"
        " (e.g. numpy.random.default_rng(seed).standard_normal(shape)).",
    )]


def _assert_uniform(u):
    """`u` is uniform noise in [0, 1]."""
    message = ("`u` must be uniform draws in [0, 1) (e.g. "
               "numpy.random.default_rng(seed).uniform(size=batch)).")
    return _assert_finite(u, "u") + [assert_all_true(
        (u >= 0.0) & (u <= tf.constant(1.0, u.dtype)), message)]


def _checked_labels(model, labels):
    """A conditional model's `labels`, checked to be class ids in
    [0, num_classes) before anything uses them (None passes)."""
    if labels is None:
        return None
    return _checked(model.conditioning.serving_assertions(labels), labels)


def _assert_samples(num_samples, batch, max_samples):
    """0 < num_samples and num_samples * batch <= max_samples (int64, so
    the product cannot overflow)."""
    requested = tf.cast(num_samples, tf.int64) * tf.maximum(
        tf.cast(batch, tf.int64), 1
    )
    return [
        assert_all_true(
            num_samples > 0,
            "`num_samples` must be a positive int32 scalar, e.g. 16.",
        ),
        assert_all_true(
            requested <= tf.constant(max_samples, tf.int64),
            f"A request may draw at most {max_samples} samples "
            "(num_samples, times the batch for score), the limit set at "
            "export from the memory a sample needs "
            "(export_for_serving(max_request_bytes=..., max_samples=...)); "
            "send smaller requests.",
        ),
    ]

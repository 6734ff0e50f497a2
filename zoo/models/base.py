"""The base class of every model in the zoo: the one place the ELBO is written."""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo import distributions
from zoo import priors
from zoo import validation


@keras.saving.register_keras_serializable(package="zoo")
class VAE(keras.Model):
    """Variational autoencoder: prior p(z), encoder q(z|x), decoder p(x|z).

    Subclasses build `self.encoder` and `self.decoder` in their `__init__`
    (after calling this one) and override only what differs from the
    standard VAE: `prior()`, `kl_penalty()` or the networks.

    Mathematical details:

    Training maximises the evidence lower bound (ELBO) of each example,

        log p(x) >= ELBO(x) = E_q(z|x)[log p(x|z)] - beta * KL(q(z|x) || p(z)),

    estimated with one reparameterised sample z = mu(x) + sigma(x) * eps,
    eps ~ N(0, I). The loss Keras minimises is the batch mean of -ELBO:

        loss = reconstruction + beta * kl
        reconstruction = -mean_batch log p(x|z)       (nats per example)
        kl = mean_batch KL(q(z|x) || p(z))

    KL is analytic through `tfd.kl_divergence` where TFP registers it, else
    the single-sample Monte Carlo estimate log q(z|x) - log p(z) at the same
    z. It enters the objective through `self.add_loss(kl_penalty(kl))`;
    the reconstruction term is added in `compute_loss`, whose target is `y`
    when given (`fit(x_noisy, x_clean)` trains a denoiser) and `x` otherwise.

    `log_likelihood` gives the importance-weighted bound of Burda et al.,

        log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x),

    which tightens as K grows and equals the ELBO (without beta) at K = 1.

    Args:
        input_shape: tuple of ints, the shape of one example, e.g.
            `(28, 28, 1)`.
        latent_dim: int > 0, the number of latent dimensions.
        likelihood: `"bernoulli"` (default), `"continuous_bernoulli"` or
            `"gaussian"`. Bernoulli-type likelihoods need data in [0, 1].
        likelihood_scale: for `"gaussian"`: a fixed standard deviation, or
            None (default) to learn one per pixel.
        beta: float >= 0, the initial weight on KL (default 1.0). Stored as
            a non-trainable variable, `model.beta`, that callbacks assign.
            It means the weight on the KL term in every model; None only
            for an objective without one (`BetaVAE`'s capacity objective),
            whose `model.beta` is then None.
        prior: `"standard_normal"` (default, N(0, I)), `"mixture"` (a
            learned mixture of Gaussians) or `"vamp"` (the VampPrior); see
            `zoo.priors`. Learned priors use the Monte Carlo KL.
        prior_components: int > 0, the mixture's components or the
            VampPrior's pseudo-inputs (default 10).
        seed: int or None, seeds the training-time posterior samples.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        ValueError: for an invalid `input_shape`, `latent_dim`, `likelihood`,
            `likelihood_scale` or `beta`.

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders, 2016.
    """

    def __init__(
        self,
        input_shape,
        latent_dim,
        likelihood="bernoulli",
        likelihood_scale=None,
        beta=1.0,
        prior="standard_normal",
        prior_components=10,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = _check_input_shape(input_shape)
        latent_dim = validation.check_size(
            latent_dim, "latent_dim", validation.MAX_LATENT_DIM,
            "VAEs use tens to hundreds of latent dimensions.",
        )
        if beta is None and type(self).kl_penalty is VAE.kl_penalty:
            raise ValueError(
                "`beta` must be a finite float >= 0 (the weight on KL); None "
                "is only for objectives without one (the capacity objective "
                "of BetaVAE). Received: beta=None"
            )
        if beta is not None and (
            isinstance(beta, bool) or not isinstance(beta, (int, float))
            or not 0 <= beta < math.inf
        ):
            raise ValueError(
                f"`beta` must be a finite float >= 0. Received: beta={beta!r}"
            )
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.latent_dim = int(latent_dim)
        self.likelihood = likelihood
        self.likelihood_scale = likelihood_scale
        self.likelihood_family = distributions.get_likelihood(
            likelihood, likelihood_scale
        )
        self.seed = seed
        self.prior_name = prior
        self.prior_components = prior_components
        self.prior_layer = priors.make_prior(
            prior, self.latent_dim, self.image_shape, prior_components,
            unit_interval=self.likelihood_family.unit_interval, seed=seed,
        )
        self.beta = None if beta is None else self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(float(beta)),
            dtype="float32",
            trainable=False,
            name="beta",
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def parameter_shape(self):
        """Shape of the decoder's output: the likelihood's parameters."""
        channels = self.image_shape[-1] * self.likelihood_family.num_parameters
        return (*self.image_shape[:-1], channels)

    # Distributions -----------------------------------------------------

    def prior(self):
        """The prior p(z): N(0, I), or the learned `prior_layer`'s."""
        if self.prior_layer is None:
            return distributions.standard_normal_prior(self.latent_dim)
        return self.prior_layer.distribution(self.encoder)

    def posterior(self, z_mean, z_stddev):
        """q(z|x) from the encoder's outputs."""
        return distributions.diagonal_gaussian_posterior(z_mean, z_stddev)

    def likelihood_distribution(self, parameters):
        """p(x|z) from the decoder's outputs."""
        return self.likelihood_family.distribution(
            parameters, event_ndims=len(self.image_shape)
        )

    def kl_divergence(self, posterior, z):
        """KL(q(z|x) || p(z)) per example: analytic where TFP registers it,
        else log q(z|x) - log p(z) at the sample z."""
        prior = self.prior()
        try:
            return distributions.tfd.kl_divergence(posterior, prior)
        except NotImplementedError:
            return posterior.log_prob(z) - prior.log_prob(z)

    def kl_penalty(self, kl):
        """The KL term of the loss given the batch-mean KL: beta * kl."""
        return self.beta * kl

    # Training ------------------------------------------------------------

    def call(self, inputs, training=None):
        """Encode, sample z, add the KL term as a loss; return p(x|z)'s
        parameters (logits for Bernoulli likelihoods)."""
        x, condition = self.split_inputs(inputs)
        posterior, z = self.sample_posterior(x, condition, training=training)
        self.add_kl_loss(posterior, z)
        return self.likelihood_parameters(z, condition, training=training)

    # The networks, and the condition of conditional models -------------

    def split_inputs(self, inputs):
        """`(x, condition)` from the model's inputs.

        Unconditional models take x alone, so the condition is None;
        conditional models (`ConditionalVAE`) take `[x, labels]`.
        """
        return inputs, None

    def condition_spec(self):
        """The `tf.TensorSpec` of the condition the networks take beside x
        and z (exported as an input of every signature), or None."""
        return None

    def posterior_parameters(self, x, condition=None, training=None):
        """The encoder's `[z_mean, z_stddev]` for x (given the condition)."""
        return self.encoder(x, training=training)

    def likelihood_parameters(self, z, condition=None, training=None):
        """The decoder's output, p(x|z)'s parameters, for z (given the
        condition)."""
        return self.decoder(z, training=training)

    def sample_posterior(self, x, condition=None, num_samples=None,
                         training=None):
        """q(z|x) and a reparameterised z = mu + sigma * eps from it.

        z has shape `(batch, latent_dim)`, or `(num_samples, batch,
        latent_dim)` when `num_samples` is given. The noise eps comes from
        the model's `SeedGenerator`, so training runs are seeded.
        """
        z_mean, z_stddev = self.posterior_parameters(
            x, condition, training=training
        )
        shape = ops.shape(z_mean)
        if num_samples is not None:
            shape = (num_samples, *shape)
        noise = keras.random.normal(
            shape, dtype=z_mean.dtype, seed=self.seed_generator
        )
        return self.posterior(z_mean, z_stddev), z_mean + z_stddev * noise

    def add_kl_loss(self, posterior, z):
        """Track the batch-mean KL and add `kl_penalty(kl)` with `add_loss`.

        `z` is the sample the Monte Carlo estimate uses when the KL is not
        analytic. Variants that split the KL (beta-TCVAE) override this.
        """
        kl = batch_mean(self.kl_divergence(posterior, z))
        self.kl_tracker.update_state(kl, sample_weight=ops.shape(z)[0])
        self.add_loss(self.kl_penalty(kl))

    def reconstruction_loss(self, target, y_pred):
        """-mean_batch log p(target | z): the data term of the loss."""
        log_prob = self.likelihood_distribution(y_pred).log_prob(
            ops.cast(target, "float32")
        )
        return -batch_mean(log_prob)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        """-ELBO: the reconstruction term plus the `add_loss` terms.

        The target is `y` when given (denoising), else `x` (the images of
        a conditional model's `[x, labels]`).
        """
        if sample_weight is not None:  # e.g. from a Python generator
            raise ValueError(validation.unweighted_message("sample_weight"))
        target = self.split_inputs(x)[0] if y is None else y
        reconstruction = self.reconstruction_loss(target, y_pred)
        self.reconstruction_tracker.update_state(
            reconstruction, sample_weight=ops.shape(target)[0]
        )
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        added = super().compute_loss(
            x=x, y=None, y_pred=y_pred, training=training
        )
        return reconstruction / replicas + added

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras's metrics, as shape `(1,)` tensors across several workers.

        Under `MultiWorkerMirroredStrategy` Keras 3's `fit` and `evaluate`
        average each step's logs over axis 0, which fails for scalars
        ("Invalid reduction dimension 0", tensorflow/tensorflow#72388);
        the average of `(1,)` tensors is the scalar the logs should hold.
        """
        logs = super().compute_metrics(x, y, y_pred, sample_weight)
        strategy = tf.distribute.get_strategy()
        if isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ) and strategy.extended._in_multi_worker_mode():
            logs = {
                name: ops.reshape(value, (1,)) for name, value in logs.items()
            }
        return logs

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras's pre-`fit` build, working with nested inputs everywhere.

        Under `MultiWorkerMirroredStrategy` Keras 3 averages the first
        distributed batch with one `strategy.reduce` call, which fails for a
        nested batch (`[x, labels]`, `(x, y)`): "Attempt to convert a value
        (PerReplica ...)". The batch is reduced one tensor at a time here.
        """
        strategy = self._distribute_strategy
        if iterator is not None and strategy is not None:
            for _, _, steps in iterator:
                batch = next(steps)
                break
            data_batch = tf.nest.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None)
                if isinstance(value, tf.distribute.DistributedValues)
                else value,
                batch,
            )
        super()._maybe_symbolic_build(data_batch=data_batch)

    def compile(self, optimizer="adam", loss=None, **kwargs):
        """`keras.Model.compile` with Adam as the default optimizer.

        The model owns its loss (the negative ELBO), so `loss` must stay None.
        """
        if loss is not None:
            raise ValueError(
                "A zoo model owns its loss, the negative ELBO; call "
                f"compile() without `loss`. Received: loss={loss!r}"
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        """Recompile a loaded model with its saved optimizer."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, with the data checked before any step.

        `fit(x)` trains a VAE on x; `fit(x_noisy, x_clean)` trains a denoising
        VAE whose reconstruction target is `x_clean`. A `tf.data.Dataset`
        yielding `x` or `(x, y)` batches works as in Keras.
        """
        validation.check_loop_arguments(kwargs)
        x, y = self._checked_data(x, y)
        if _is_stream(x):
            kwargs.setdefault("shuffle", False)  # a stream shuffles itself
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = self._checked_validation_data(
                kwargs["validation_data"]
            )
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, with the data checked first."""
        validation.check_loop_arguments(kwargs)
        x, y = self._checked_data(x, y)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """Reconstructions in data space: the mean of p(x | z = mu(x))."""
        validation.check_loop_arguments(kwargs)
        if not _is_stream(x):
            x = self._checked_inputs(x, "x")
        return super().predict(x, *args, **kwargs)

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.reconstruct(x)

    # Inference -------------------------------------------------------

    # The methods below take `inputs`: x, or `[x, labels]` for a
    # conditional model.

    def encode(self, inputs):
        """The posterior q(z|x) for a batch, a `tfd.Distribution`."""
        x, condition = self.split_inputs(self._checked_inputs(inputs, "x"))
        return self.posterior(*self.posterior_parameters(x, condition))

    def decode(self, latents):
        """The likelihood p(x|z) for latents `z` `(batch, latent_dim)`
        (`[z, labels]` for a conditional model)."""
        z, condition = self.split_inputs(self._checked_latents(latents))
        z = ops.convert_to_tensor(z, "float32")
        return self.likelihood_distribution(
            self.likelihood_parameters(z, condition)
        )

    def reconstruct(self, inputs):
        """E[x | z = mu(x)]: the likelihood mean at the posterior mean."""
        x, condition = self.split_inputs(inputs)
        z_mean, _ = self.posterior_parameters(x, condition)
        return self.likelihood_distribution(
            self.likelihood_parameters(z_mean, condition)
        ).mean()

    def sample(self, num_samples, seed=None):
        """Generate `num_samples` new examples: decode z ~ p(z) and return
        the likelihood mean. The same `seed` gives the same samples."""
        num_samples = validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "draw more in several calls.",
        )
        return self.compute_samples(num_samples, stateless_seed(seed))

    def elbo(self, inputs, seed=0):
        """Per-example ELBO (beta = 1) from one posterior sample, in nats."""
        x, condition = self.split_inputs(
            self._checked_inputs(inputs, "x", target=True)
        )
        return self.compute_elbo(
            ops.convert_to_tensor(x, "float32"), stateless_seed(seed),
            condition,
        )

    def log_likelihood(self, inputs, num_samples=1000, chunk_size=100,
                       seed=0):
        """Importance-weighted lower bound on log p(x), per example, in nats
        (log p(x | labels) for a conditional model).

        The K = `num_samples` importance weights are drawn `chunk_size` at a
        time, so memory grows with `chunk_size * batch`, not with K. The
        chunk bounds b_i over k_i samples combine exactly:
        log p_K(x) = logsumexp_i(b_i + log k_i) - log K.
        """
        validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "the bound barely tightens past a few thousand samples.",
        )
        validation.check_positive_int(chunk_size, "chunk_size")
        x, condition = self.split_inputs(
            self._checked_inputs(inputs, "x", target=True)
        )
        validation.check_size(
            chunk_size * len(x), "chunk_size * batch", validation.MAX_SAMPLES,
            "pass a smaller chunk_size or fewer examples per call.",
        )
        x = ops.convert_to_tensor(x, "float32")
        seed = stateless_seed(seed)
        chunks = []
        for index, start in enumerate(range(0, num_samples, chunk_size)):
            size = min(chunk_size, num_samples - start)
            bound = self.compute_log_likelihood(
                x, size, seed + index, condition
            )
            chunks.append(bound + math.log(size))
        return tf.reduce_logsumexp(tf.stack(chunks), axis=0) - math.log(
            num_samples
        )

    # Graph-safe cores of the inference API (tensors in, no checks), used
    # by the methods above, by objectives and by the serving signatures.

    def compute_samples(self, num_samples, seed, condition=None):
        """`sample` on tensors: `seed` is a stateless `(2,)` int seed."""
        z = self.prior().sample(num_samples, seed=seed)
        parameters = self.likelihood_parameters(z, condition)
        return self.likelihood_distribution(parameters).mean()

    def compute_elbo(self, x, seed, condition=None):
        """`elbo` on tensors: log p(x|z) - KL(q(z|x) || p(z)) at one
        z ~ q(z|x) drawn with the stateless `seed`."""
        posterior = self.posterior(*self.posterior_parameters(x, condition))
        z = posterior.sample(seed=seed)
        parameters = self.likelihood_parameters(z, condition)
        log_prob = self.likelihood_distribution(parameters).log_prob(x)
        return log_prob - self.kl_divergence(posterior, z)

    def compute_log_likelihood(self, x, num_samples, seed, condition=None):
        """The importance-weighted bound with K = `num_samples` in one pass:
        logsumexp_k(log w_k) - log K, per example."""
        return importance_weighted_bound(
            self.log_importance_weights(x, num_samples, seed, condition)
        )

    @tf.function(reduce_retracing=True)
    def log_importance_weights(self, x, num_samples, seed, condition=None):
        """The `(num_samples, batch)` log importance weights of K samples
        z_k ~ q(z|x) drawn with the stateless `(2,)` int `seed`."""
        posterior = self.posterior(*self.posterior_parameters(x, condition))
        z = posterior.sample(num_samples, seed=seed)
        parameters = self.likelihood_parameters(
            tf.reshape(z, (-1, self.latent_dim)), condition
        )
        return self.log_weights(x, posterior, z, parameters)

    def log_weights(self, x, posterior, z, parameters):
        """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x).

        Args:
            x: targets `(batch, *input_shape)`.
            posterior: q(z|x) for the batch.
            z: samples `(K, batch, latent_dim)`.
            parameters: the decoder's output for z flattened to
                `(K * batch, latent_dim)`.

        Returns:
            `(K, batch)` tensor.
        """
        num_samples = tf.shape(z)[0]
        flat_x = tf.reshape(
            tf.broadcast_to(x[None], tf.concat([[num_samples], tf.shape(x)], 0)),
            (-1, *self.image_shape),
        )
        log_prob = self.likelihood_distribution(parameters).log_prob(
            tf.cast(flat_x, "float32")
        )
        log_prob = tf.reshape(log_prob, (num_samples, -1))
        return log_prob + self.prior().log_prob(z) - posterior.log_prob(z)

    # Data checks ---------------------------------------------------------

    def _checked_images(self, x, argument, target=False):
        likelihood = self.likelihood_family if target else None
        return validation.check_images(
            x, self.image_shape, argument, likelihood
        )

    def _checked_inputs(self, inputs, argument, target=False):
        """The model's inputs, checked: x, or `[x, labels]` for a
        conditional model (which overrides this)."""
        return self._checked_images(inputs, argument, target)

    def _checked_latents(self, latents):
        """`decode`'s input, checked: z, or `[z, labels]` for a conditional
        model (which overrides this)."""
        return validation.check_latents(latents, self.latent_dim)

    def _checked_data(self, x, y):
        if _is_stream(x):
            if isinstance(x, tf.data.Dataset):
                validation.check_dataset_spec(
                    x, self.image_shape, self.split_inputs
                )
                validation.check_empty_dataset(x)
                x = x.map(self._assert_batch_valid)
            return x, y
        if y is None:
            return self._checked_inputs(x, "x", target=True), None
        x = self._checked_inputs(x, "x")
        y = self._checked_images(y, "y", target=True)
        num_examples = len(self.split_inputs(x)[0])
        if num_examples != len(y):
            raise ValueError(
                "`x` and `y` must hold the same number of examples; received "
                f"{num_examples} and {len(y)}."
            )
        return x, y

    def _checked_validation_data(self, data):
        if _is_stream(data):
            return self._checked_data(data, None)[0]
        if not isinstance(data, (tuple, list)) or not 1 <= len(data) <= 2:
            raise ValueError(
                "`validation_data` must be (x_val,), (x_val, y_val) or a "
                f"tf.data.Dataset; received a {type(data).__name__}."
            )
        x, y = self._checked_data(data[0], data[1] if len(data) == 2 else None)
        return (x,) if y is None else (x, y)

    def _assert_batch_valid(self, *element):
        """tf.data map: a streamed batch that is non-finite or outside the
        likelihood's support stops training with a message naming it."""
        x, condition = self.split_inputs(element[0])
        images = (x, *element[1:2])  # and the target y, when given
        target = images[-1]
        checks = [
            tf.debugging.assert_all_finite(
                tf.cast(batch, "float32"),
                "A dataset batch holds NaN or infinite values; clean the "
                "data before training.",
            )
            for batch in images
        ]
        checks += self.likelihood_family.assert_support(target, "target")
        checks += self._condition_assertions(condition)
        with tf.control_dependencies(checks):
            element = tf.nest.map_structure(tf.identity, element)
        return element if len(element) > 1 else element[0]

    def _condition_assertions(self, condition):
        """Graph checks of a streamed batch's condition (none here)."""
        return []

    # Config ----------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_shape": self.image_shape,
            "latent_dim": self.latent_dim,
            "likelihood": self.likelihood,
            "likelihood_scale": self.likelihood_scale,
            "beta": None if self.beta is None else float(
                ops.convert_to_numpy(self.beta)
            ),
            "prior": self.prior_name,
            "prior_components": self.prior_components,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def importance_weighted_bound(log_weights):
    """log (1/K) sum_k w_k from `(K, batch)` log weights: `(batch,)`."""
    num_samples = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(num_samples)


def batch_mean(values):
    """The mean over the batch axis, 0 for an empty batch.

    Under `tf.distribute` a final partial batch smaller than the number of
    replicas leaves some replicas an empty batch; like Keras's own losses
    (`divide_no_nan`), their terms are then 0, not NaN.
    """
    return ops.divide_no_nan(
        ops.sum(values), ops.cast(ops.size(values), values.dtype)
    )


def _check_input_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or not all(
        isinstance(size, (int, np.integer)) and not isinstance(size, bool)
        and size > 0 for size in input_shape
    ) or not 1 <= len(input_shape) <= 3:
        raise ValueError(
            "`input_shape` must be the shape of one example as a tuple of 1 "
            "to 3 positive ints, e.g. (28, 28, 1). "
            f"Received: input_shape={input_shape!r}"
        )
    return tuple(int(size) for size in input_shape)


def _is_stream(x):
    """True for inputs that are consumed lazily (datasets, generators)."""
    return isinstance(x, (tf.data.Dataset, keras.utils.PyDataset)) or (
        hasattr(x, "__next__")
    )


def stateless_seed(seed):
    """A `(2,)` int32 stateless seed from an int, or a random one for None."""
    if seed is None:
        seed = np.random.randint(0, 2**31 - 1)
    if isinstance(seed, bool) or not isinstance(
        seed, (int, np.integer)
    ) or not -(2**31) <= seed < 2**31:
        raise ValueError(
            "`seed` must be an int32 (an int in [-2**31, 2**31)) or None. "
            f"Received: seed={seed!r}"
        )
    return tf.constant([int(seed), 0], dtype=tf.int32)

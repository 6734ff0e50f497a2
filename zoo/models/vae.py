"""The zoo's model, `VAE`: the ELBO and the user API.

What varies between models is an option, each combinable with every other:
the network (`zoo.networks`), the latent (`zoo.latents`), the objective
(`zoo.objectives`), the prior (`zoo.priors`), the likelihood
(`zoo.likelihoods.factorised`) and the condition (`zoo.conditions`). The
Keras loop (checked `fit`, `evaluate`, `predict`, `compile` without a
loss) is `zoo.models.autoencoder`'s,
shared with `zoo.models.VQVAE`; the data checks live in `zoo.validation`,
the bound helpers in `zoo.bounds`.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo import conditions
from zoo import latents
from zoo import networks
from zoo import objectives
from zoo import priors
from zoo import samplers
from zoo import validation
from zoo.bounds import chunked_bound
from zoo.bounds import importance_weighted_bound
from zoo.bounds import stateless_seed
from zoo.likelihoods import tfd
from zoo.models import release_0_1
from zoo.models.autoencoder import Autoencoder


#: Images `fit_sampler` encodes at a time.
ENCODE_BATCH_SIZE = 500


@keras.saving.register_keras_serializable(package="zoo")
class VAE(Autoencoder):
    """Variational autoencoder: prior p(z), encoder q(z|x), decoder p(x|z).

    Mathematical details:

    The model maximises (by default) the evidence lower bound (ELBO) of each
    example,

        log p(x) >= ELBO(x) = E_q(z|x)[log p(x|z)] - beta * KL(q(z|x) || p(z)),

    estimated with one reparameterised sample z ~ q(z|x) (for the default
    Gaussian latent z = mu(x) + sigma(x) * eps, eps ~ N(0, I); the latent
    axis, `zoo.latents`, gives the others). The loss Keras minimises is the
    batch mean of -ELBO:

        loss = reconstruction + beta * kl
        reconstruction = -mean_batch log p(x|z)       (nats per example)
        kl = mean_batch KL(q(z|x) || p(z))

    KL is analytic through `tfd.kl_divergence` where TFP registers it, else
    the single-sample Monte Carlo estimate log q(z|x) - log p(z) at the same
    z. It enters the objective through `self.add_loss(...)`; the
    reconstruction term is added in `compute_loss`, whose target is `y`
    when given (`fit(x_noisy, x_clean)` trains a denoiser) and `x` otherwise.
    Other objectives (beta, capacity, IWAE, beta-TC) change these two terms;
    see `zoo.objectives`.

    `log_likelihood` gives the importance-weighted bound of Burda et al.,

        log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q(z|x),

    which tightens as K grows and equals the ELBO (without beta) at K = 1.

    Args:
        input_shape: tuple of ints, the shape of one example, e.g.
            `(28, 28, 1)`.
        latent_dim: int > 0, the number of latent dimensions.
        network: `"conv"`, `"mlp"` or `"resnet"`: the built-in encoder and
            decoder (`zoo.networks`), or None (default) for `"conv"`, or
            for no built-in network when both `encoder` and `decoder` are
            given (then a network is refused).
        filters: tuple of ints, the widths of the convolutional stages of
            `"conv"` (default `(32, 64)`) and `"resnet"` (default
            `(32, 64, 128)`).
        hidden_units: tuple of ints, the dense layers' widths (defaults:
            `(512, 256)` for `"mlp"`, `()` for `"conv"`, `(256,)` for
            `"resnet"`).
        output_layer: for `"conv"`: how the decoder reaches full
            resolution. `"subpixel"` (default): its last doubling is a
            sub-pixel convolution straight to the likelihood's parameters
            (`zoo.networks.subpixel`); `"conv"`: a Conv2DTranspose stage
            per entry of `filters` and a 3x3 Conv2D at full resolution
            (the decoder of models saved before this option existed, which
            load with it).
        encoder: None, or a Keras model or layer, the encoder body: it maps
            a batch of examples to features, and the zoo adds the posterior
            head (`zoo.networks.custom`).
        decoder: None, or a Keras model or layer, the decoder body: it maps
            z (and the label code) to features, and the zoo adds the
            likelihood head.
        objective: `"elbo"` (default), a name of
            `zoo.objectives.OBJECTIVES` (`"beta"`, `"capacity"`, `"iwae"`,
            `"beta_tc"`, `"wae_mmd"`, `"factor_vae"`, ...;
            `"semi_supervised"` needs `num_classes`), or a
            `zoo.objectives.Objective` for other settings, e.g.
            `zoo.objectives.IWAE(num_samples=10)`.
        likelihood: `"bernoulli"` (default), `"continuous_bernoulli"`,
            `"gaussian"` or `"pixelcnn"` (an autoregressive Bernoulli,
            `zoo.likelihoods.pixelcnn`). Bernoulli-type likelihoods need
            data in [0, 1].
        likelihood_scale: for `"gaussian"`: a fixed standard deviation, or
            None (default) to learn one per pixel.
        prior: `"standard_normal"` (default, N(0, I)), `"mixture"` (a
            learned mixture of Gaussians), `"vamp"` (the VampPrior) or
            `"maf"` (a masked autoregressive flow); see `zoo.priors`.
            Learned priors use the Monte Carlo KL.
        prior_components: int > 0, the mixture's components or the
            VampPrior's pseudo-inputs (None: 10); refused with
            `prior="standard_normal"`, which has none.
        num_classes: None (default, unconditional) or an int > 0: the
            model takes `[x, labels]` and conditions encoder and decoder on
            the labels (`zoo.conditions`).
            With `objective="semi_supervised"` (the M2 model of Kingma et
            al.) the training labels may be -1 for unlabelled examples, the
            model has a classifier q(y|x) (`model.classifier`, its logits)
            and `predict(x)` gives class probabilities.
        label_embedding_dim: None (default, one-hot labels) or an int > 0,
            the size of a learned label embedding; only with `num_classes`.
        seed: int or None, seeds the training-time posterior samples.
        sampler: None (default: `sample` decodes prior draws), or a fitted
            ex-post sampler (`zoo.samplers`) over codes of `latent_dim`
            whose draws `sample` decodes instead; `fit_sampler` fits and
            sets one. Refused for a conditional model.
        latent: `"gaussian"` (default), `"iaf"`, `"von_mises_fisher"`,
            `"relaxed_categorical"`, `"joint"` or `"deterministic"` (a
            plain or regularised autoencoder, which has no likelihood
            bound), or a `zoo.latents.Latent` for other settings, e.g.
            `zoo.latents.InverseAutoregressiveFlow(flow_steps=4)`. With a
            non-Gaussian latent `prior="standard_normal"` (the default)
            stands for the latent's own fixed prior (uniform on the
            sphere, uniform categories); combinations the math does not
            allow are refused with the reason (`zoo.latents`).
        pixelcnn_blocks: for `likelihood="pixelcnn"` only: int >= 0, the
            gated blocks of its context network (None, the default: 3). The
            context at a pixel reads the `2 + pixelcnn_blocks` rows above
            it; fewer blocks leave more of the image's structure to the
            latent (`zoo.likelihoods.pixelcnn`). Refused with the other
            likelihoods.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        ValueError: for any invalid option; the message names it.

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.VAE(input_shape=(28, 28, 1), latent_dim=8,
    ...                 network="mlp", objective="iwae")
    >>> model.compile()
    >>> x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1))
    >>> history = model.fit(x.astype("float32"), epochs=1, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'reconstruction']

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders, 2016.
    """


    def __init__(
        self,
        input_shape,
        latent_dim,
        network=None,
        filters=None,
        hidden_units=None,
        output_layer=None,
        encoder=None,
        decoder=None,
        objective="elbo",
        likelihood="bernoulli",
        likelihood_scale=None,
        prior="standard_normal",
        prior_components=None,
        num_classes=None,
        label_embedding_dim=None,
        seed=None,
        sampler=None,
        latent="gaussian",
        pixelcnn_blocks=None,
        **kwargs,
    ):
        super().__init__(input_shape, latent_dim, likelihood,
                         likelihood_scale, seed,
                         pixelcnn_blocks=pixelcnn_blocks, **kwargs)
        self.encoder_body = None if encoder is None else (
            networks.custom.check_body(encoder, "encoder")
        )
        self.decoder_body = None if decoder is None else (
            networks.custom.check_body(decoder, "decoder")
        )
        if network is None and (encoder is None or decoder is None):
            network = "conv"  # builds what the user does not supply
        self.network = network
        self.network_options = networks.check_options(
            network, {"filters": filters, "hidden_units": hidden_units,
                      "output_layer": output_layer},
            encoder is not None, decoder is not None,
        )
        self.objective = objectives.get(objective, model_seed=seed)
        self.latent = latents.get(latent)
        self.latent.configure(self.latent_dim)
        latents.check_combination(self.latent, self.objective, prior)
        self.objective.configure(self.latent_dim)
        self.conditioning = conditions.get(
            num_classes, label_embedding_dim,
            partial=self.objective.sums_over_classes,
        )
        priors.check_combination(prior, self.objective, num_classes)
        self.prior_name = prior
        self.prior_components = prior_components
        self.prior_layer = priors.make_prior(
            prior, self.latent_dim, self.image_shape, prior_components,
            unit_interval=self.likelihood_family.unit_interval, seed=seed,
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.track_objective(kl=self.latent.has_bound)
        self.encoder, self.decoder = networks.build(
            self.network, self.network_options, self.image_shape,
            self.latent_dim, self.parameter_shape,
            labels=self.conditioning.network_labels(),
            encoder_body=self.encoder_body, decoder_body=self.decoder_body,
            head=self.latent.head,
        )
        self.sampler = self.checked_sampler(sampler)
        # The semi-supervised objective's q(y|x); None for other models.
        self.classifier = None
        if self.objective.sums_over_classes:
            self.classifier = networks.build_classifier(
                self.network, self.network_options, self.image_shape,
                self.num_classes, encoder_body=self.encoder_body,
            )
        # Every part holds its variables from here (the built-in parts all
        # do), so the model is built without Keras's symbolic call, which
        # traces the whole forward pass (about a second for a small conv
        # model); a part that builds on its first call leaves that to
        # `create_variables`.
        self.built = all(layer.built for layer in self._flatten_layers(
            include_self=False))

    @property
    def beta(self):
        """The objective's KL weight, a non-trainable variable (None for the
        capacity objective, and for a deterministic latent, which has no
        KL)."""
        return self.objective.beta if self.latent.has_bound else None

    @property
    def temperature(self):
        """The Gumbel-softmax temperature of a relaxed categorical or joint
        latent, a non-trainable variable (None for other latents)."""
        return getattr(self.latent, "temperature", None)

    @property
    def capacity(self):
        """The capacity objective's target KL C, a non-trainable variable
        (None for other objectives)."""
        return self.objective.capacity

    @property
    def num_classes(self):
        """The number of classes of a conditional model, else None."""
        return self.conditioning.num_classes

    @property
    def noise_dim(self):
        """The standard normal numbers one sample of z takes:
        `latent_dim` (the `eps` of `compute_samples_from_noise`)."""
        return self.latent_dim

    @property
    def noise_inputs(self):
        """The noise `compute_samples_from_noise` takes: `("eps",)`, or the
        learned prior's (a mixture's `u` picks the component)."""
        if self.sampler is not None:
            return self.sampler.noise_inputs
        if self.prior_layer is None:
            return ("eps",)
        return self.prior_layer.noise_inputs

    # Distributions -----------------------------------------------------

    def prior(self):
        """The prior p(z): the learned `prior_layer`'s, else the latent's
        own fixed prior, else N(0, I)."""
        if self.prior_layer is not None:
            return self.prior_layer.distribution(self.encoder)
        fixed = self.latent.fixed_prior()
        if fixed is None:
            return priors.standard_normal_prior(self.latent_dim)
        return fixed

    def posterior(self, *parameters):
        """q(z|x) from the encoder's outputs (`z_mean, z_stddev` for the
        Gaussian latent; the latent's `parameter_names`)."""
        return self.latent.posterior(list(parameters))

    def kl_divergence(self, posterior, z, log_posterior=None):
        """KL(q(z|x) || p(z)) per example: analytic where TFP registers it,
        else log q(z|x) - log p(z) at the sample z (`log_posterior`: log
        q(z|x) at z, when known)."""
        return self.latent.kl_divergence(posterior, z, self.prior(),
                                         log_posterior)

    # Training ------------------------------------------------------------

    def call(self, inputs, training=None):
        """Encode, sample z, hand the latent terms to the objective (its
        loss enters through `add_loss`); return p(x|z)'s parameters
        (logits for Bernoulli likelihoods), or, for an objective with K
        samples per example, a dict of the parameters for all K, `z`
        `(K, batch, latent_dim)`, `z_mean`, `z_stddev` and the `kl` at the
        first sample (for the semi-supervised objective, see
        `call_over_classes`)."""
        x, condition = self.split_inputs(inputs)
        if self.classifier is not None:
            return self.call_over_classes(x, condition, training=training)
        num_samples = self.objective.num_samples
        posterior, z, log_posterior = self.sample_posterior(
            x, condition, num_samples=num_samples, training=training
        )
        first, first_log_posterior = z, log_posterior
        if num_samples is not None:
            first = z[0]
            if log_posterior is not None:
                first_log_posterior = log_posterior[0]
        terms = self.latent_terms(posterior, first, condition,
                                  first_log_posterior)
        self.add_latent_loss(terms, ops.shape(first)[0])
        if num_samples is None:
            return self.likelihood_parameters(z, condition, training=training)
        parameters = self.likelihood_parameters(
            ops.reshape(z, (-1, self.latent_dim)), condition,
            training=training,
        )
        outputs = {
            "parameters": parameters,
            "z": z,
            "log_posterior": (posterior.log_prob(z) if log_posterior is None
                              else log_posterior),
            "kl": terms["kl"],
        }
        if self.objective.needs_stopped_log_weights:
            outputs["stopped_parameters"] = self.likelihood_parameters(
                ops.stop_gradient(ops.reshape(z, (-1, self.latent_dim))),
                condition, training=training,
            )
        return outputs

    def latent_terms(self, posterior, z, condition=None, log_posterior=None):
        """The latent terms of one sample z ~ q(z|x) for the objective
        (`zoo.objectives.objective`): the per-example "kl", and, for an
        objective that `needs_sample`, the sample, q(z|x)'s parameters and
        log q(z|x), log p(z) at it; for one that `needs_prior_sample`, as
        many draws from p(z) (`prior_sample`). A latent without a bound
        (deterministic) gives no KL but its "latent_loss"
        (`Deterministic.regularizer`)."""
        if not self.latent.has_bound:
            return {"kl": None, "latent_loss": self.latent.regularizer(
                z, lambda codes: self.likelihood_parameters(codes, condition),
                self.decoder)}
        terms = {"kl": self.kl_divergence(posterior, z, log_posterior)}
        if self.objective.needs_sample:
            terms.update(
                z=z, z_mean=posterior.distribution.loc,
                z_stddev=posterior.distribution.scale,
                log_posterior=posterior.log_prob(z),
                log_prior=self.prior().log_prob(z),
            )
        if self.objective.needs_prior_sample:
            terms["prior_sample"] = self.prior_sample(ops.shape(z)[0])
        return terms

    def prior_sample(self, count):
        """`count` reparameterised draws z ~ p(z) `(count, latent_dim)`
        (`prior_from_noise`), their noise from the model's
        `SeedGenerator`."""
        eps = keras.random.normal((count, self.latent_dim),
                                  seed=self.seed_generator)
        u = None
        if "u" in self.noise_inputs:
            u = keras.random.uniform((count,), seed=self.seed_generator)
        return self.prior_from_noise(eps, u)

    def prior_from_noise(self, eps, u=None):
        """z ~ p(z) from standard normal `eps` `(batch, latent_dim)`: eps
        itself for the standard normal prior, else the learned prior's
        `sample_from_noise` (a mixture's component chosen by the uniform
        `u` `(batch,)`); a non-Gaussian latent's own fixed prior makes its
        draws from the noise (`Latent.prior_from_noise`)."""
        if self.prior_layer is None:
            return self.latent.prior_from_noise(eps)
        return self.prior_layer.sample_from_noise(eps, u, self.encoder)

    def call_over_classes(self, x, labels, training=None):
        """The training pass of the semi-supervised model (M2): every
        example paired with every class y, one z ~ q(z|x, y) per pair.

        The classifier's logits give q(y|x); the objective's weights w
        `(batch, C)` are the one-hot label of a labelled example and
        q(y|x) for an unlabelled one (label -1). The latent terms (the KL
        of every pair, the logits, the labels) go to the objective
        (`zoo.objectives.SemiSupervised`), its loss through `add_loss`.

        Returns:
            dict: `parameters`, p(x|y, z)'s parameters for the `C * batch`
            class-major pairs, and `weights` w.
        """
        logits = self.classifier(x, training=training)
        rows, classes = self.conditioning.every_class(x)
        posterior, z, log_posterior = self.sample_posterior(
            rows, classes, training=training)
        self.add_latent_loss(
            {"kl": self.kl_divergence(posterior, z, log_posterior),
             "logits": logits,
             "labels": labels},
            ops.shape(logits)[0],
        )
        return {
            "parameters": self.likelihood_parameters(
                z, classes, training=training),
            "weights": self.objective.label_weights(logits, labels),
        }

    def data_terms(self, target, y_pred):
        """The data terms of the training output `y_pred` for the
        objective: log p(target | z) per example; for K samples the
        `(K, batch)` "log_weights" and the "kl" at the first; for the
        semi-supervised model log p(target | y, z) per class-major
        (example, class) row and the "weights"."""
        if self.classifier is not None:
            target = ops.cast(target, "float32")
            rows = ops.tile(target, (self.num_classes,)
                            + (1,) * (len(target.shape) - 1))
            return {
                "log_likelihood": self.likelihood_distribution(
                    y_pred["parameters"]).log_prob(rows),
                "weights": y_pred["weights"],
            }
        if self.objective.num_samples is not None:
            terms = {
                "log_weights": self.log_weights(
                    target, y_pred["z"], y_pred["log_posterior"],
                    y_pred["parameters"]),
                "kl": y_pred["kl"],
            }
            if self.objective.needs_stopped_log_weights:
                terms["stopped_log_weights"] = self.log_weights(
                    target, ops.stop_gradient(y_pred["z"]),
                    ops.stop_gradient(y_pred["log_posterior"]),
                    y_pred["stopped_parameters"])
            return terms
        return super().data_terms(target, y_pred)

    def posterior_parameters(self, x, condition=None, training=None):
        """The encoder's outputs for x (given the condition), a list: the
        latent's `parameter_names`, `[z_mean, z_stddev]` for the Gaussian."""
        if condition is None:
            return self.latent.parameters(self.encoder(x, training=training))
        return self.latent.parameters(self.encoder(
            [tf.convert_to_tensor(x), tf.cast(condition, "int32")],
            training=training,
        ))

    def likelihood_parameters(self, z, condition=None, training=None):
        """The decoder's output, p(x|z)'s parameters, for z (given the
        condition, tiled to z's K * batch rows when there are K samples per
        example)."""
        if condition is None:
            return self.decoder(z, training=training)
        z = tf.convert_to_tensor(z)
        labels = self.conditioning.tile(condition, tf.shape(z)[0])
        return self.decoder([z, labels], training=training)

    def sample_posterior(self, x, condition=None, num_samples=None,
                         training=None):
        """q(z|x), a reparameterised z from it (for the Gaussian latent
        z = mu + sigma * eps) and log q(z|x) at z where the latent computes
        it with the sample (else None).

        z has shape `(batch, latent_dim)`, or `(num_samples, batch,
        latent_dim)` when `num_samples` is given. The noise comes from
        the model's `SeedGenerator`, so training runs are seeded.
        """
        parameters = self.posterior_parameters(x, condition,
                                               training=training)
        z, log_posterior = self.latent.training_sample(
            parameters, num_samples, self.seed_generator)
        return self.latent.posterior(parameters), z, log_posterior

    def predict(self, x, *args, **kwargs):
        """Reconstructions in data space: the mean of p(x | z = mu(x)).

        For a model with a classifier (`objective="semi_supervised"`):
        class probabilities q(y|x) `(batch, num_classes)` of images x
        alone (no labels).
        """
        return super().predict(x, *args, **kwargs)

    def check_predict_inputs(self, x):
        if self.classifier is not None:
            return validation.check_classifier_inputs(self, x)
        return super().check_predict_inputs(x)

    def predict_step(self, data):
        if self.classifier is None:
            return super().predict_step(data)
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.class_probabilities(x)

    # Inference -------------------------------------------------------

    # The methods below take `inputs`: x, or `[x, labels]` for a
    # conditional model.

    def encode(self, inputs):
        """The posterior q(z|x) for a batch, a `tfd.Distribution`."""
        x, condition = self.split_inputs(
            validation.check_model_inputs(self, inputs, "x")
        )
        return self.latent.posterior(self.posterior_parameters(x, condition))

    def classify(self, x):
        """The classifier's q(y|x) for images x (no labels), a
        `tfd.Categorical`; only for a model with a classifier
        (`objective="semi_supervised"`)."""
        x = validation.check_classifier_inputs(self, x)
        return tfd.Categorical(
            logits=self.classifier(ops.convert_to_tensor(x, "float32")))

    def decode(self, latents):
        """The likelihood p(x|z) for latents `z` `(batch, latent_dim)`
        (`[z, labels]` for a conditional model)."""
        z, condition = self.split_inputs(
            validation.check_model_latents(self, latents)
        )
        z = ops.convert_to_tensor(z, "float32")
        return self.likelihood_distribution(
            self.likelihood_parameters(z, condition)
        )

    def compute_reconstruction(self, inputs):
        """`reconstruct` on tensors: E[x | z = mu(x)], the likelihood mean
        at the latent's code of x (`Latent.code`: the posterior mean for the
        Gaussian latent)."""
        x, condition = self.split_inputs(inputs)
        z = self.latent_code(x, condition)
        return self.likelihood_distribution(
            self.likelihood_parameters(z, condition)
        ).mean()

    def sample(self, num_samples, seed=None, labels=None):
        """Generate `num_samples` new examples: decode z ~ p(z) (or the
        fitted ex-post `sampler`'s draws, `fit_sampler`) and return the
        likelihood mean. The same `seed` gives the same samples.

        Args:
            num_samples: int > 0.
            seed: int or None.
            labels: for a conditional model, an int class id for all
                samples, an array of `num_samples` ids, or None (default)
                to draw the classes uniformly with the seed. Refused for an
                unconditional model.
        """
        num_samples = validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "draw more in several calls.",
        )
        seed = stateless_seed(seed)
        labels = self.conditioning.sample_labels(labels, num_samples, seed)
        return self.compute_samples(num_samples, seed, labels)

    def fit_sampler(self, x, sampler="gmm", seed=None, **options):
        """Fit an ex-post sampler to the codes of images `x` and attach it:
        from then on `sample`, the saved model and the exported `sample`
        and `sample_from_noise` signatures decode its draws instead of
        prior draws (`zoo.samplers`).

        The codes are `latent_code(x)` (the z a reconstruction decodes:
        the posterior mean of a Gaussian latent, the code of a
        deterministic one), computed `ENCODE_BATCH_SIZE` images at a time.

        Args:
            x: images `(N, *input_shape)`, e.g. the training set.
            sampler: `"gmm"` (default), `"two_stage"` or `"maf"`
                (`zoo.samplers.SAMPLERS`).
            seed: int or None (default: the model's `seed`), seeds the
                fitting.
            **options: the sampler's options (`OPTIONS` of its class), e.g.
                `num_components=10` for `"gmm"`.

        Returns:
            The fitted sampler, also `model.sampler`.

        Raises:
            ValueError: for a conditional model (its codes depend on the
                labels, an unconditional density over them would ignore
                them), a latent whose codes are not spread over R^d (on
                the sphere, categories), an unknown sampler or option, or
                bad images.
        """
        if self.num_classes is not None:
            raise ValueError(
                "`fit_sampler` fits one density to the codes of all images;"
                " a conditional model (num_classes) decodes codes with their"
                " labels, which it would ignore. Sample the model's prior "
                "with labels instead: model.sample(n, labels=...)."
            )
        self.check_ex_post_sampler()
        x = validation.check_model_images(self, x, "x")
        fitted = samplers.make_sampler(
            sampler, self.latent_dim, seed=self.seed if seed is None else seed,
            **options)
        codes = np.concatenate([
            np.asarray(self.latent_code(ops.convert_to_tensor(
                x[start:start + ENCODE_BATCH_SIZE])))
            for start in range(0, len(x), ENCODE_BATCH_SIZE)
        ])
        fitted = self.checked_sampler(fitted.fit(codes))
        if self.sampler is not None:
            del self.sampler  # untracked, so the new one replaces it
        # Keras locks a built model's state; the sampler joins it here, as
        # if made in `__init__` (a loaded model makes it there).
        self._tracker.unlock()
        self.sampler = fitted
        self._lock_state()
        return fitted

    def checked_sampler(self, sampler):
        """The constructor's `sampler`: None, or a `zoo.samplers.Sampler`
        over codes of `latent_dim` for an unconditional model, frozen:
        fitted ex post, it stays fixed while the model trains on (the
        optimizer, built for the model's weights, never sees its)."""
        if sampler is None:
            return None
        if not isinstance(sampler, samplers.Sampler) or (
                sampler.latent_dim != self.latent_dim):
            raise ValueError(
                "`sampler` must be None or a fitted zoo.samplers sampler "
                f"over codes of latent_dim={self.latent_dim} (see "
                f"`fit_sampler`). Received: sampler={sampler!r}"
            )
        if self.num_classes is not None:
            raise ValueError(
                "A conditional model (num_classes) takes no `sampler`: its "
                "codes are decoded with their labels. Received: "
                f"sampler={sampler!r}"
            )
        self.check_ex_post_sampler()
        sampler.trainable = False
        return sampler

    def check_ex_post_sampler(self):
        """Refuse an ex-post sampler for a latent whose codes a density
        over R^d cannot stand for (`Latent.no_ex_post_sampler`)."""
        reason = self.latent.no_ex_post_sampler
        if reason:
            raise ValueError(
                f"latent={self.latent.registry_name!r} takes no ex-post "
                f"sampler: {reason}. Sample its prior with model.sample(n)."
            )

    def elbo(self, inputs, seed=0):
        """Per-example ELBO (beta = 1) from one posterior sample, in nats.

        Raises:
            ValueError: for a deterministic latent, which has no bound.
        """
        self.check_has_bound("elbo")
        x, condition = self.split_inputs(
            validation.check_model_inputs(self, inputs, "x")
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
        time (`zoo.bounds.chunked_bound`), so memory grows with
        `chunk_size * batch`, not with K.

        Raises:
            ValueError: for a deterministic latent, which has no bound.
        """
        self.check_has_bound("log_likelihood")
        validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "the bound barely tightens past a few thousand samples.",
        )
        validation.check_positive_int(chunk_size, "chunk_size")
        x, condition = self.split_inputs(
            validation.check_model_inputs(self, inputs, "x")
        )
        validation.check_size(
            chunk_size * len(x), "chunk_size * batch", validation.MAX_SAMPLES,
            "pass a smaller chunk_size or fewer examples per call.",
        )
        x = ops.convert_to_tensor(x, "float32")
        return chunked_bound(
            lambda size, seed: self.compute_log_likelihood(
                x, size, seed, condition),
            num_samples, chunk_size, stateless_seed(seed),
        )

    def check_has_bound(self, method):
        """Refuse `method` (a bound on log p(x)) for a latent without one."""
        if not self.latent.has_bound:
            raise ValueError(
                f"`{method}` is a bound on log p(x), and a model with "
                f"latent={self.latent.registry_name!r} has none: its code "
                "is deterministic, with no posterior density or KL. Compare "
                "reconstructions (`reconstruct`), or train a VAE "
                "(latent='gaussian') for a likelihood."
            )

    def marginal_log_likelihood(self, x, num_samples=1000, chunk_size=100,
                                seed=0):
        """For a conditional model: log p(x) = log (1/C) sum_y p(x|y) under
        a uniform p(y), per example, in nats. Each log p(x|y) is the
        importance-weighted bound of `log_likelihood` (C times its cost), so
        this is a lower bound too."""
        if self.num_classes is None:
            raise ValueError(
                "`marginal_log_likelihood` sums over the labels of a "
                "conditional model; this model has none: use "
                "`log_likelihood(x)`."
            )
        x = validation.check_model_images(self, x, "x")
        per_class = [
            self.log_likelihood(
                [x, np.full((len(x),), label)], num_samples=num_samples,
                chunk_size=chunk_size, seed=seed,
            )
            for label in range(self.num_classes)
        ]
        return tf.reduce_logsumexp(tf.stack(per_class), axis=0) - math.log(
            self.num_classes
        )

    # Graph-safe cores of the inference API (tensors in, no checks), used
    # by the methods above, by objectives and by the serving signatures.

    def compute_samples(self, num_samples, seed, condition=None):
        """`sample` on tensors: `seed` is a stateless `(2,)` int seed; a
        conditional model without `condition` draws uniform labels. z is
        drawn from the prior, or from the fitted `sampler`."""
        if condition is None and self.num_classes is not None:
            condition = self.conditioning.draw(num_samples, seed)
        z = self.prior().sample(num_samples, seed=seed) if (
            self.sampler is None) else self.sampler.sample(num_samples, seed)
        parameters = self.likelihood_parameters(z, condition)
        return self.likelihood_distribution(parameters).mean()

    def latent_code(self, x, condition=None):
        """The z a reconstruction decodes, `(batch, latent_dim)`, on
        tensors: the posterior mean for the Gaussian latent (`Latent.code`:
        the mean direction, the mode of the categories, the code)."""
        return self.latent.code(self.posterior_parameters(x, condition))

    def class_probabilities(self, x):
        """q(y|x) `(batch, num_classes)` on tensors (`predict`, the
        `classify` signature)."""
        return ops.softmax(self.classifier(x))

    def compute_elbo(self, x, seed, condition=None):
        """`elbo` on tensors: log p(x|z) - KL(q(z|x) || p(z)) at one
        z ~ q(z|x) drawn with the stateless `seed`."""
        parameters = self.posterior_parameters(x, condition)
        posterior = self.latent.posterior(parameters)
        z, log_posterior = self.latent.sample_and_log_prob(
            parameters, None, seed)
        log_prob = self.likelihood_distribution(
            self.likelihood_parameters(z, condition)).log_prob(x)
        return log_prob - self.kl_divergence(posterior, z, log_posterior)

    def compute_samples_from_noise(self, eps, u=None, condition=None):
        """Images (the likelihood means) of the prior samples made from
        standard normal `eps` `(batch, latent_dim)`: z = eps for the
        standard normal prior, else the learned prior's
        `sample_from_noise` (for a mixture z = mu_k + sigma_k * eps, with
        the component k chosen by the uniform `u` `(batch,)`,
        `zoo.priors.mixture_from_noise`), or the fitted `sampler`'s."""
        z = self.prior_from_noise(eps, u) if self.sampler is None else (
            self.sampler.sample_from_noise(eps, u))
        return self.likelihood_distribution(
            self.likelihood_parameters(z, condition)).mean()

    def compute_scores_from_noise(self, x, eps, condition=None):
        """`{"elbo", "log_likelihood"}` per example from the posterior noise
        `eps` `(K, batch, latent_dim)` (for the Gaussian latent z_k =
        z_mean + z_stddev * eps_k; `Latent.posterior_from_noise`): the ELBO
        (beta = 1) at the first row's sample and the importance-weighted
        bound over all K rows, as `compute_elbo` and
        `compute_log_likelihood` give with their own noise."""
        parameters = self.posterior_parameters(x, condition)
        posterior = self.latent.posterior(parameters)
        z, log_posterior = self.latent.posterior_from_noise(parameters, eps)
        decoded = self.likelihood_parameters(
            tf.reshape(z, (-1, self.latent_dim)), condition
        )
        log_weights = self.log_weights(x, z, log_posterior, decoded)
        first = z[0]
        elbo = self.likelihood_distribution(
            self.likelihood_parameters(first, condition)).log_prob(x) - (
            self.kl_divergence(posterior, first, log_posterior[0]))
        return {
            "elbo": elbo,
            "log_likelihood": importance_weighted_bound(log_weights),
        }

    def compute_log_likelihood(self, x, num_samples, seed, condition=None):
        """The importance-weighted bound with K = `num_samples` in one pass:
        logsumexp_k(log w_k) - log K, per example."""
        return importance_weighted_bound(
            self.log_importance_weights(x, num_samples, seed, condition)
        )

    # Straight-line TensorFlow (no Python control flow on tensors):
    # autograph's conversion of the call tree would only add trace time.
    @tf.function(reduce_retracing=True, autograph=False)
    def log_importance_weights(self, x, num_samples, seed, condition=None):
        """The `(num_samples, batch)` log importance weights of K samples
        z_k ~ q(z|x) drawn with the stateless `(2,)` int `seed`."""
        z, log_posterior = self.latent.sample_and_log_prob(
            self.posterior_parameters(x, condition), num_samples, seed)
        parameters = self.likelihood_parameters(
            tf.reshape(z, (-1, self.latent_dim)), condition
        )
        return self.log_weights(x, z, log_posterior, parameters)

    def log_weights(self, x, z, log_posterior, parameters):
        """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x).

        Args:
            x: targets `(batch, *input_shape)`.
            z: samples `(K, batch, latent_dim)`.
            log_posterior: log q(z_k|x) `(K, batch)`.
            parameters: the decoder's output for z flattened to
                `(K * batch, latent_dim)`.

        Returns:
            `(K, batch)` tensor.

        The parameters are viewed as `(K, batch, ...)` and x broadcast
        against them, so a likelihood with a pass over x alone (the
        autoregressive one's context network) makes it once, not K times.
        """
        parameters = tf.reshape(parameters, tf.concat(
            [tf.shape(z)[:2], tf.shape(parameters)[1:]], 0))
        log_prob = self.likelihood_distribution(parameters).log_prob(
            tf.cast(x, "float32")
        )
        return log_prob + self.prior().log_prob(z) - log_posterior

    # Config ----------------------------------------------------------

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "network": self.network,
            **{key: self.network_options.get(key) for key in (
                "filters", "hidden_units", "output_layer")},
            "encoder": None if self.encoder_body is None else serialize(
                self.encoder_body),
            "decoder": None if self.decoder_body is None else serialize(
                self.decoder_body),
            "objective": serialize(self.objective),
            "latent": serialize(self.latent),
            "prior": self.prior_name,
            "prior_components": self.prior_components,
            "num_classes": self.num_classes,
            "label_embedding_dim": self.conditioning.label_embedding_dim,
            "sampler": None if self.sampler is None else serialize(
                self.sampler),
        }

    @classmethod
    def updated_config(cls, config):
        """Configs of earlier versions: without `output_layer` (saved before
        the option existed, when the conv decoder ended in the
        full-resolution Conv2D), and with `prior_components` beside the
        standard normal prior (the unused default, 10); the nested
        encoder, decoder, objective and latent deserialized (a config
        without a latent, saved before the axis existed, is the Gaussian's,
        the default)."""
        if "output_layer" not in config and networks.builds_conv_decoder(
                config.get("network"), config.get("decoder")):
            config["output_layer"] = networks.conv.LEGACY_OUTPUT_LAYER
        if config.get("prior", "standard_normal") == "standard_normal":
            config.pop("prior_components", None)
        for key in ("encoder", "decoder", "objective", "sampler", "latent"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(
                    config[key]
                )
        return config

    def load_own_variables(self, store):
        """Keras's loading (the model holds no variables of its own), and
        release 0.1's files, whose model held the objective's variables
        (`beta`, `capacity`, the beta-TC weights)."""
        if len(store.keys()):
            release_0_1.load_objective_variables(self.objective, store)


# Release 0.1 saved one class per model (`"zoo>ConvVAE"`, ...); its files
# load as the equivalent `VAE`.
release_0_1.register_classes(VAE)

"""`VQVAE`: a discrete latent, a codebook, and a PixelCNN prior over codes.

The latent structure is a grid of discrete codes: the encoder (one of the
zoo's networks, `zoo.networks.build_grid`) maps x to a grid of vectors
z_e, the quantizer (`zoo.latents.codebook`) replaces each by the nearest of K
learned codes, and the decoder maps the grid of codes z_q to the
likelihood's parameters (`zoo.likelihoods.factorised`). The prior over the code grid
is a gated PixelCNN (`zoo.priors.pixelcnn`), trained after the autoencoder on the
codes of the training set.
"""

import collections

import keras
import tensorflow as tf
from keras import ops

from zoo import conditions
from zoo import networks
from zoo import objectives
from zoo.latents import codebook
from zoo import validation
from zoo.bounds import batch_mean
from zoo.bounds import stateless_seed
from zoo.models import endpoints
from zoo.models.autoencoder import Autoencoder
from zoo.priors.pixelcnn import PixelCNN

#: What `VQVAE.encode` returns: int32 code indices `(batch, h, w)` and
#: their codebook vectors z_q `(batch, h, w, latent_dim)`.
Codes = collections.namedtuple("Codes", ["indices", "vectors"])

#: The most codes a codebook may hold.
MAX_EMBEDDINGS = 2**16


@keras.saving.register_keras_serializable(package="zoo")
class VQVAE(Autoencoder):
    """Vector-quantised VAE with a learned autoregressive prior.

    Mathematical details:

    The posterior is a point mass: q(z|x) = 1 for z = k(x), the grid of
    nearest codes of the encoder's outputs, and 0 elsewhere. Its entropy is
    0, so the ELBO is

        log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z))
                  = log p(x | z_q) + log p_prior(z_q),

    (KL(q || p) = -H(q) - E_q log p(z) = -log p(z_q)). This is a true
    lower bound on log p(x) in nats, comparable with the other models'
    ELBO and importance-weighted bounds: `elbo(x)` and `log_likelihood(x)`
    both return it (with a point-mass posterior every importance sample is
    the same, so more samples cannot tighten it). Here p(x|z_q) is the
    decoder's likelihood and p_prior the PixelCNN (`zoo.priors.pixelcnn`); for a
    prior not yet trained the bound is poor but still a bound.

    Training has two stages, as in van den Oord et al. (2017):

    1. `fit(x)` trains encoder, codebook and decoder on

           loss = -log p(x | z_q) + beta * ||z_e - sg(e)||^2
                  (+ ||sg(z_e) - e||^2 with codebook_update="loss")

       (per example, summed over the grid; `zoo.latents.codebook`), with a
       uniform prior, whose KL is the constant grid size * log K and is
       left out. History: `loss`, `reconstruction`, `commitment` (the
       unweighted ||z_e - e||^2), `perplexity` and `codebook_usage`.
    2. `fit_prior(x)` (or `prior_network.fit(codes, codes)` with
       `codes = encode(x).indices`) fits the PixelCNN by maximum likelihood
       on the codes of the training set.

    `sample(n, seed)` then draws code grids from the PixelCNN ancestrally
    and decodes them.

    Args:
        input_shape: tuple of ints, the shape of one example.
        latent_dim: int > 0, D, the size of each code vector.
        num_embeddings: int > 0, K, the codebook's size (default 128).
        network: `"conv"` (default), `"resnet"` or `"mlp"`. The code grid is
            the convolutional networks' last feature map (`ceil(H / 2^s)` x
            `ceil(W / 2^s)` for s stages), or 4 x 4 for `"mlp"`.
        filters: tuple of ints, the stages of `"conv"` and `"resnet"`.
        hidden_units: tuple of ints, the dense layers of `"mlp"` (the
            convolutional networks have none here: refused).
        likelihood: `"bernoulli"` (default), `"continuous_bernoulli"`,
            `"gaussian"` or `"pixelcnn"` (an autoregressive Bernoulli,
            `zoo.likelihoods.pixelcnn`).
        likelihood_scale: for `"gaussian"`, a fixed standard deviation or
            None (learned).
        commitment_weight: float >= 0, beta (default 0.25); the non-trainable
            variable `model.commitment_weight`.
        codebook_update: `"ema"` (default) or `"loss"`.
        decay: float in [0, 1), the moving averages' decay (None: 0.99);
            refused by the `"loss"` codebook without restarts, which keeps
            no moving average.
        dead_code_restarts: bool (default True): re-seed unused codes from
            encoder outputs.
        restart_threshold: float >= 0, the moving-average count (vectors
            per batch) below which a code is restarted (None: 1.0);
            refused with `dead_code_restarts=False`.
        prior_width: int > 0, the PixelCNN's channels (default 64).
        prior_blocks: int >= 0, its gated blocks (default 4).
        seed: int or None, seeds the codebook and the restarts.
        pixelcnn_blocks: for `likelihood="pixelcnn"` only: int >= 0, the
            gated blocks of its context network over the image (None, the
            default: 3; `prior_blocks` are the code prior's). The context
            at a pixel reads the `2 + pixelcnn_blocks` rows above it.
            Refused with the other likelihoods.
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:

    >>> import numpy as np, zoo
    >>> model = zoo.get("vq_vae", input_shape=(28, 28, 1), latent_dim=8,
    ...                 num_embeddings=32)
    >>> model.compile()
    >>> x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1))
    >>> history = model.fit(x.astype("float32"), epochs=1, verbose=0)
    >>> model.encode(x.astype("float32")).indices.shape
    TensorShape([64, 7, 7])

    References:
        van den Oord, Vinyals & Kavukcuoglu, Neural Discrete Representation
        Learning, NeurIPS 2017, https://arxiv.org/abs/1711.00937.
        Razavi, van den Oord & Vinyals, Generating Diverse High-Fidelity
        Images with VQ-VAE-2, NeurIPS 2019 (EMA codebook).
        van den Oord et al., Conditional Image Generation with PixelCNN
        Decoders, NeurIPS 2016 (the gated PixelCNN prior).
    """

    has_gaussian_posterior = False

    def __init__(
        self,
        input_shape,
        latent_dim,
        num_embeddings=128,
        network="conv",
        filters=None,
        hidden_units=None,
        likelihood="bernoulli",
        likelihood_scale=None,
        commitment_weight=0.25,
        codebook_update="ema",
        decay=None,
        dead_code_restarts=True,
        restart_threshold=None,
        prior_width=64,
        prior_blocks=4,
        seed=None,
        pixelcnn_blocks=None,
        **kwargs,
    ):
        super().__init__(
            input_shape, latent_dim, likelihood, likelihood_scale, seed,
            latent_dim_hint="code vectors have tens to hundreds of "
            "dimensions.", pixelcnn_blocks=pixelcnn_blocks, **kwargs,
        )
        self.num_embeddings = validation.check_size(
            num_embeddings, "num_embeddings", MAX_EMBEDDINGS,
            "codebooks have hundreds to a few thousand codes.",
        )
        if network in ("conv", "resnet") and hidden_units is not None:
            raise ValueError(
                f"A VQ-VAE's network={network!r} maps images to a grid of "
                "codes with convolutions only; it has no dense layers. Drop "
                f"`hidden_units`. Received: hidden_units={hidden_units!r}"
            )
        self.network = network
        self.network_options = networks.check_options(
            network, {"filters": filters, "hidden_units": hidden_units},
            False, False,
        )
        if network in ("conv", "resnet"):
            self.network_options.pop("hidden_units")
        # The grid decoder ends in the full-resolution Conv2D
        # (`conv.grid_decoder`); the option is the VAE's.
        self.network_options.pop("output_layer", None)
        self.conditioning = conditions.get(None, None)
        self.prior_width = validation.check_size(
            prior_width, "prior_width", 4096, "a few hundred channels suffice."
        )
        self.prior_blocks = validation.check_number(
            prior_blocks, "prior_blocks", integer=True, minimum=0, maximum=64)
        self.encoder, self.decoder = networks.build_grid(
            network, self.network_options, self.image_shape, self.latent_dim,
            self.parameter_shape,
        )
        self.grid_shape = networks.grid_shape(self.encoder)
        self.quantizer = codebook.VectorQuantizer(
            self.num_embeddings, self.latent_dim,
            commitment_weight=commitment_weight,
            codebook_update=codebook_update, decay=decay,
            dead_code_restarts=dead_code_restarts,
            restart_threshold=restart_threshold, seed=seed, name="quantizer",
        )
        self.quantizer.build((None, *self.grid_shape, self.latent_dim))
        self.prior_network = PixelCNN(
            self.num_embeddings, self.grid_shape, width=self.prior_width,
            num_blocks=self.prior_blocks, name="prior_network",
        )
        # The base objective: the data term plus what the latent adds (the
        # commitment term). The bound's KL is the constant grid size * log K
        # under the uniform prior of the first stage (class docstring), left
        # out, so there is no KL weight.
        self.objective = objectives.Objective()
        self.track_objective(kl=False)
        self.commitment_tracker = keras.metrics.Mean(name="commitment")
        self.perplexity_tracker = keras.metrics.Mean(name="perplexity")
        self.usage_tracker = keras.metrics.Mean(name="codebook_usage")
        self.built = True  # every part is built above (count_params works)

    @property
    def commitment_weight(self):
        """beta, the commitment term's weight: a non-trainable variable."""
        return self.quantizer.commitment_weight

    @property
    def seed_generator(self):
        """The generator of the training-time randomness (the restarts)."""
        return self.quantizer.seed_generator

    @property
    def num_classes(self):
        """None: a VQ-VAE here is unconditional."""
        return None

    # Training ------------------------------------------------------------

    @property
    def trainable_weights(self):
        """The autoencoder's trainable weights: those of the PixelCNN are
        left out, since `fit` does not train the prior (`fit_prior` does)."""
        prior = {id(weight) for weight in self.prior_network.weights}
        return [weight for weight in super().trainable_weights
                if id(weight) not in prior]

    @property
    def trainable_variables(self):
        return self.trainable_weights

    def call(self, inputs, training=None):
        """Encode, quantise, hand the quantizer's commitment (and codebook)
        term to the objective (through `add_loss`), track the codebook
        metrics; return p(x|z_q)'s parameters."""
        z_e = self.encoder(inputs, training=training)
        z_q, indices, latent_loss = self.quantizer(z_e, training=training)
        distance = ops.sum(
            (ops.cast(z_e, "float32") - z_q) ** 2,
            axis=tuple(range(1, len(z_q.shape))),
        )
        batch = ops.shape(z_q)[0]
        self.add_latent_loss({"kl": None, "latent_loss": latent_loss}, batch)
        self.commitment_tracker.update_state(
            batch_mean(distance), sample_weight=batch
        )
        self.perplexity_tracker.update_state(
            codebook.perplexity(indices, self.num_embeddings)
        )
        self.usage_tracker.update_state(
            codebook.usage(indices, self.num_embeddings)
        )
        return self.decoder(z_q, training=training)

    def fit_prior(self, x, validation_x=None, batch_size=256, **kwargs):
        """Fit the PixelCNN prior to the codes of the images `x`.

        Runs `prior_network.fit(codes, codes, batch_size=..., **kwargs)`
        (compiling it first, Adam and the codes' cross-entropy, if it is
        not compiled); `kwargs` are `fit`'s (`epochs`, `callbacks`, ...).
        `validation_x`: optional images whose codes are the validation
        data. Returns the History; its `loss` is in nats per code.
        """
        if "validation_data" in kwargs:
            raise ValueError(
                "fit_prior trains on codes, not images: pass validation "
                "images as `validation_x=` (their codes are computed), not "
                "`validation_data`."
            )
        codes = self.encode_in_batches(x).numpy()
        if validation_x is not None:
            validation = self.encode_in_batches(validation_x).numpy()
            kwargs["validation_data"] = (validation, validation)
        if not self.prior_network.compiled:
            self.prior_network.compile()
        return self.prior_network.fit(
            codes, codes, batch_size=batch_size, **kwargs
        )

    # Inference -------------------------------------------------------

    def encode(self, inputs):
        """The codes of x: `Codes(indices, vectors)`, int32 indices
        `(batch, h, w)` and their code vectors `(batch, h, w, latent_dim)`
        (the posterior is a point mass at them)."""
        x = validation.check_model_inputs(self, inputs, "x")
        indices = self.compute_codes(ops.convert_to_tensor(x, "float32"))
        return Codes(indices, self.quantizer.lookup(indices))

    def encode_in_batches(self, x, batch_size=1000):
        """`encode(x).indices`, `batch_size` images at a time."""
        x = validation.check_model_inputs(self, x, "x")
        return tf.concat([
            self.compute_codes(tf.constant(x[start:start + batch_size]))
            for start in range(0, len(x), batch_size)
        ], axis=0)

    def decode(self, indices):
        """The likelihood p(x | z_q) for int code indices
        `(batch, h, w)`."""
        indices = validation.check_codes(
            indices, self.grid_shape, self.num_embeddings
        )
        return self.likelihood_distribution(
            self.decoder(self.quantizer.lookup(indices))
        )

    def compute_reconstruction(self, inputs):
        """`reconstruct` on tensors: E[x | z_q(x)], the likelihood mean at
        the codes of x."""
        return self.likelihood_distribution(
            self.decoder(self.quantizer.lookup(self.compute_codes(inputs)))
        ).mean()

    def sample(self, num_samples, seed=None):
        """`num_samples` new examples: code grids drawn from the PixelCNN
        prior, decoded to the likelihood mean. The same `seed` gives the
        same samples."""
        num_samples = validation.check_size(
            num_samples, "num_samples", validation.MAX_SAMPLES,
            "draw more in several calls.",
        )
        return self.compute_samples(
            tf.constant(num_samples, tf.int32), stateless_seed(seed)
        )

    def elbo(self, inputs):
        """The bound log p(x|z_q) + log p_prior(z_q) per example, in nats
        (class docstring: it is the ELBO of the point-mass posterior)."""
        x = validation.check_model_inputs(self, inputs, "x")
        return self.compute_elbo(ops.convert_to_tensor(x, "float32"))

    def log_likelihood(self, inputs):
        """The same lower bound on log p(x) as `elbo`, in nats: with a
        point-mass posterior importance sampling cannot tighten it."""
        return self.elbo(inputs)

    # Graph-safe cores (tensors in, no checks), also used by the serving
    # signatures (`zoo.export`).

    def compute_codes(self, x):
        """The int32 code indices `(batch, h, w)` of images x."""
        return self.quantizer.nearest(self.encoder(x))

    @tf.function(reduce_retracing=True)
    def compute_samples(self, num_samples, seed):
        """`sample` on tensors: `seed` is a stateless `(2,)` int seed."""
        codes = self.prior_network.sample(num_samples, seed)
        parameters = self.decoder(self.quantizer.lookup(codes))
        return self.likelihood_distribution(parameters).mean()

    def compute_elbo(self, x):
        """`elbo` on tensors: log p(x|z_q) + log p_prior(z_q)."""
        codes = self.compute_codes(x)
        parameters = self.decoder(self.quantizer.lookup(codes))
        log_likelihood = self.likelihood_distribution(parameters).log_prob(x)
        return log_likelihood + self.prior_network.log_prob(codes)

    # Serving -----------------------------------------------------------

    #: ONNX and LiteRT conversion is not written for codebook models yet.
    conversion_refused = (
        "a codebook model (vq_vae) is not converted yet: export it for TF "
        "Serving with zoo.export.export_for_serving."
    )

    def serving_signatures(self):
        """`zoo.models.endpoints.CODEBOOK_SIGNATURES`."""
        return dict(endpoints.CODEBOOK_SIGNATURES)

    def serving_endpoints(self, max_samples):
        """The endpoints of the codebook signatures (codes in, codes out)."""
        return endpoints.codebook_endpoints(self, max_samples)

    # Config ----------------------------------------------------------

    def get_config(self):
        layer = self.quantizer
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "network": self.network,
            "filters": self.network_options.get("filters"),
            "hidden_units": self.network_options.get("hidden_units"),
            "commitment_weight": float(
                ops.convert_to_numpy(self.commitment_weight)),
            "codebook_update": layer.codebook_update,
            "decay": layer.decay,
            "dead_code_restarts": layer.dead_code_restarts,
            "restart_threshold": layer.restart_threshold,
            "prior_width": self.prior_width,
            "prior_blocks": self.prior_blocks,
        }

    @classmethod
    def updated_config(cls, config):
        """Configs of earlier versions, which held the defaults of options
        their codebook does not use (`codebook.drop_unused_options`)."""
        return codebook.drop_unused_options(config)

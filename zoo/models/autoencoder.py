"""`Autoencoder`, the base class of every zoo model, and what they share.

`Autoencoder` is the base of `zoo.VAE` (a Gaussian latent), `zoo.VQVAE` (a
discrete codebook latent) and `zoo.HierarchicalVAE` (a hierarchy of
Gaussian groups). It owns:

- the constructor steps every model takes (`input_shape`, `latent_dim`,
  the likelihood, the seed, the `reconstruction` metric);
- the config header (name, `zoo_version`, the shared arguments) and
  `from_config`, which refuses a config written by a newer zoo;
- the hand-over to the objective (`zoo.objectives`), which writes the
  loss from the pieces of the bound the model computes: the latent terms
  in `call` (`add_latent_loss`, entering through `add_loss`) and the data
  terms with the target in `compute_loss` (`data_terms`); the objective's
  metrics are tracked here;
- the checked Keras loop (`compile` without a loss, `fit`, `evaluate`,
  `predict`), every input checked before any weight changes
  (`zoo.validation`), and the condition (`zoo.conditions`).

A subclass adds its own arguments, networks and latent, sets `objective`
and calls `track_objective`, and provides `conditioning`, `reconstruct`
and its `get_config` fields.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo import likelihoods
from zoo import validation
from zoo.models import endpoints
from zoo.models import release_0_1
from zoo.training.distribute import DistributeMixin
from zoo.version import __version__

#: Adam's learning rate when `compile()` is given no optimizer. At the
#: 5-epoch Fashion-MNIST setting (batch 128, `python -m bench.conv_design`,
#: validation split) it gains 1.5 nats of NLL over Keras's 1e-3 on the default
#: `conv_vae`; it is also the peak rate of the shipped 40-epoch recipe.
DEFAULT_LEARNING_RATE = 2e-3


class Autoencoder(DistributeMixin, keras.Model):
    """A zoo model: `compile()` with no loss, checked `fit`, `evaluate` and
    `predict`, and the inputs `x` or `[x, labels]`."""

    #: Whether `encode` gives a Gaussian posterior q(z|x) (for a hierarchy,
    #: of its top group) and `log_likelihood` an importance-weighted bound
    #: that takes `num_samples`; False for a codebook's point mass.
    has_gaussian_posterior = True

    #: Why `zoo.export.convert` refuses this model (a sentence), or None.
    conversion_refused = None

    #: q(y|x), a Keras model giving class logits, for a model that has a
    #: classifier (`zoo.VAE` with `objective="semi_supervised"`); else None.
    classifier = None

    def __init__(self, input_shape, latent_dim, likelihood="bernoulli",
                 likelihood_scale=None, seed=None,
                 latent_dim_hint="VAEs use tens to hundreds of latent "
                 "dimensions.", pixelcnn_blocks=None, **kwargs):
        """The steps every zoo model takes: `input_shape`, `latent_dim`
        and `seed` checked and kept, the likelihood chosen
        (`set_likelihood`, with `likelihood_scale` and `pixelcnn_blocks`),
        the `reconstruction` metric made. `latent_dim_hint` is the fix the
        `latent_dim` message suggests."""
        super().__init__(**kwargs)
        self.image_shape = validation.check_input_shape(input_shape)
        self.latent_dim = validation.check_size(
            latent_dim, "latent_dim", validation.MAX_LATENT_DIM,
            latent_dim_hint,
        )
        self.seed = validation.check_seed(seed)
        self.set_likelihood(likelihood, likelihood_scale, pixelcnn_blocks)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")

    def set_likelihood(self, likelihood, likelihood_scale,
                       pixelcnn_blocks=None):
        """Choose p(x|z): `likelihood`, `likelihood_scale` and
        `pixelcnn_blocks` as given (for the config) and their family
        (`zoo.likelihoods.get_likelihood`), which checks them. An
        autoregressive likelihood's context network
        (`zoo.likelihoods.pixelcnn.PixelContext`, of `pixelcnn_blocks`
        gated blocks) becomes the model's `pixel_context` layer, so its
        weights train and save with the model's; it is None for the other
        likelihoods."""
        self.likelihood = likelihood
        self.likelihood_scale = likelihood_scale
        self.likelihood_family = likelihoods.get_likelihood(
            likelihood, likelihood_scale, self.image_shape, pixelcnn_blocks
        )
        self.pixel_context = getattr(self.likelihood_family, "context", None)
        # For the config: None (the module's default) or the checked int.
        self.pixelcnn_blocks = None if pixelcnn_blocks is None else (
            self.pixel_context.blocks)

    @property
    def parameter_shape(self):
        """Shape of the decoder's output: the likelihood's parameters."""
        channels = self.image_shape[-1] * self.likelihood_family.num_parameters
        return (*self.image_shape[:-1], channels)

    def likelihood_distribution(self, parameters):
        """p(x|z) from the decoder's outputs."""
        return self.likelihood_family.distribution(
            parameters, event_ndims=len(self.image_shape)
        )

    # The objective's pieces -------------------------------------------

    def track_objective(self, kl=True):
        """Make the metrics of the objective's terms: `kl` (for a latent
        with a KL term) and the objective's `metric_names`."""
        names = ("kl",) * kl + tuple(self.objective.metric_names)
        self.objective_trackers = {
            name: keras.metrics.Mean(name=name) for name in names}

    def add_latent_loss(self, terms, batch):
        """Hand the latent terms (`zoo.objectives.objective`) to the
        objective, add the loss it returns with `add_loss` and track its
        metrics, each a value or a `(value, weight)` pair (`batch`: the
        default weight)."""
        loss, metrics = self.objective.latent_loss(terms)
        self.add_loss(loss)
        for name, value in metrics.items():
            value, weight = value if isinstance(value, tuple) else (
                value, batch)
            self.objective_trackers[name].update_state(
                value, sample_weight=weight)

    def data_terms(self, target, y_pred):
        """The data terms for the objective: "log_likelihood", log p(target
        | z) per example from the decoder's output `y_pred`."""
        return {"log_likelihood": self.likelihood_distribution(
            y_pred).log_prob(ops.cast(target, "float32"))}

    def reconstruction_loss(self, target, y_pred):
        """The data term of the loss, the objective's `data_loss` (for the
        ELBO, -mean_batch log p(target | z), in nats per example)."""
        return self.objective.data_loss(self.data_terms(target, y_pred))

    def split_inputs(self, inputs):
        """`(x, condition)` from the model's inputs: `(x, None)` for an
        unconditional model, `(x, labels)` from `[x, labels]` (or a dict
        `{"x": x, "labels": labels}`) for a conditional one."""
        return self.conditioning.split(inputs)

    def condition_spec(self):
        """The `tf.TensorSpec` of the condition the networks take beside x
        and z (exported as an input of every signature), or None."""
        return self.conditioning.spec()

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        """The objective: the reconstruction term plus the `add_loss` terms.

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

    def compile(self, optimizer=None, loss=None, **kwargs):
        """`keras.Model.compile` with a default optimizer: Adam at
        `DEFAULT_LEARNING_RATE` (2e-3) when `optimizer` is None. Any Keras
        optimizer or name works too; `optimizer="adam"` is Keras's Adam at
        its own default, 1e-3.

        The model owns its loss (the objective), so `loss` must stay None.
        """
        if loss is not None:
            raise ValueError(
                "A zoo model owns its loss, the negative ELBO (or its bound);"
                " call "
                f"compile() without `loss`. Received: loss={loss!r}"
            )
        if optimizer is None:
            optimizer = keras.optimizers.Adam(DEFAULT_LEARNING_RATE)
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        """Recompile a loaded model with its saved optimizer."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, with the data checked before any step.

        `fit(x)` trains the model on x; `fit(x_noisy, x_clean)` trains a
        denoising model whose reconstruction target is `x_clean`. A
        `tf.data.Dataset` yielding `x` or `(x, y)` batches works as in
        Keras.
        """
        validation.check_loop_arguments(kwargs)
        x, y = validation.check_model_data(self, x, y)
        if validation.is_stream(x):
            kwargs.setdefault("shuffle", False)  # a stream shuffles itself
        if kwargs.get("validation_data") is not None:
            kwargs["validation_data"] = validation.check_model_validation_data(
                self, kwargs["validation_data"]
            )
        self.create_variables()
        return super().fit(x, y, *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        """`keras.Model.train_on_batch`, the step traced once
        (`create_variables`)."""
        self.create_variables()
        return super().train_on_batch(x, y, *args, **kwargs)

    def create_variables(self):
        """Build the model and create its optimizer's variables before
        `fit` or `train_on_batch` traces the step.

        Keras, with no distribution strategy, leaves an unbuilt model to be
        built and the optimizer's variables to be created inside the first
        trace of the training step, and TensorFlow traces a function that
        creates variables a second time: the first `fit` (or
        `train_on_batch`) would build the step's graph twice.
        `optimizer.build` creates the optimizer's variables first, so the
        step is traced once (the first 1-step `fit` of a small hierarchy,
        6.7 s -> 3.4 s on a 2-core CPU). The zoo's models are built when
        constructed (every part holds its variables from `__init__`); a
        model with a part that builds on its first call (a user's) is
        built here by a symbolic call on `keras.Input`s of its inputs (no
        data, no random draw, no metric update). Done in the model's
        distribution strategy scope, as Keras builds a distributed model.
        (`evaluate` and `predict` trace once already: the model's
        variables exist before them.)
        """
        if not self.compiled:
            return  # Keras's `fit` says to call `compile()` first
        with self.distribute_strategy.scope():
            if not self.built:
                self(self.symbolic_inputs())
            if not self.optimizer.built:
                self.optimizer.build(self.trainable_variables)

    def symbolic_inputs(self):
        """`keras.Input`s of the model's inputs: the images, and the
        labels of a conditional model (`[x, labels]`)."""
        images = keras.Input(shape=self.image_shape, name="x")
        spec = self.condition_spec()
        if spec is None:
            return images
        return [images, keras.Input(shape=spec.shape[1:], dtype=spec.dtype,
                                    name=spec.name)]

    def train_step(self, data):
        """Keras's training step on the batch, checked in the step's graph
        first (`zoo.validation.assert_batch_valid`)."""
        return super().train_step(validation.assert_batch_valid(self, data))

    def test_step(self, data):
        """Keras's test step on the batch, checked first, as in
        `train_step`."""
        return super().test_step(validation.assert_batch_valid(self, data))

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, with the data checked first."""
        validation.check_loop_arguments(kwargs)
        x, y = validation.check_model_data(self, x, y)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """Reconstructions in data space: `reconstruct(x)`, the mean of
        p(x|z) at the encoder's code of x."""
        validation.check_loop_arguments(kwargs)
        if not validation.is_stream(x):
            x = self.check_predict_inputs(x)
        return super().predict(x, *args, **kwargs)

    def check_predict_inputs(self, x):
        """`predict`'s in-memory inputs, checked (`zoo.validation`)."""
        return validation.check_model_inputs(self, x, "x")

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.compute_reconstruction(x)

    def reconstruct(self, inputs):
        """Reconstructions in data space, E[x|z] at the encoder's code of x
        (`compute_reconstruction`), for `inputs` x or `[x, labels]`,
        checked first: images outside the likelihood's support (0..255
        images for a Bernoulli model) are refused."""
        return self.compute_reconstruction(
            validation.check_model_inputs(self, inputs, "x"))

    def fit_sampler(self, x, sampler="gmm", **options):
        """Fit an ex-post sampler to the codes of `x` (`zoo.samplers`):
        only a `zoo.VAE` takes one (`VAE.fit_sampler`).

        Raises:
            ValueError: always, for the other models, with the reason.
        """
        raise ValueError(
            f"An ex-post sampler draws one latent vector per example for the"
            f" decoder; a {type(self).__name__} has no such single code (a "
            "VQVAE decodes a grid of codebook indices, whose PixelCNN prior "
            "is already fitted to the codes; a HierarchicalVAE draws its "
            "lower groups from their conditional priors). Use a zoo.VAE, "
            f"e.g. zoo.get('conv_vae', ...). Received: sampler={sampler!r}"
        )

    # Serving -----------------------------------------------------------

    def serving_signatures(self):
        """The signatures `zoo.export` writes for this model: name ->
        (input names, output names) (`zoo.models.endpoints`)."""
        return endpoints.latent_variable_signatures(self)

    def serving_endpoints(self, max_samples):
        """The exported endpoints: name -> (function, input specs), each
        checking its inputs; at most `max_samples` samples a request."""
        return endpoints.latent_variable_endpoints(self, max_samples)

    # Config ----------------------------------------------------------

    def get_config(self):
        """The config header every zoo model writes: the Keras fields, the
        zoo's version and the arguments `Autoencoder.__init__` takes. A
        subclass adds its own: `{**super().get_config(), ...}`."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "zoo_version": __version__,
            "input_shape": self.image_shape,
            "latent_dim": self.latent_dim,
            "likelihood": self.likelihood,
            "likelihood_scale": self.likelihood_scale,
            "pixelcnn_blocks": self.pixelcnn_blocks,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        """The model from `get_config`; a config written by a newer zoo is
        refused with both versions named (`release_0_1.check_version`),
        and one of an earlier zoo is brought up to date by
        `updated_config`."""
        config = dict(config)
        release_0_1.check_version(config.pop("zoo_version", None))
        return cls(**cls.updated_config(config))

    @classmethod
    def updated_config(cls, config):
        """A subclass's hook for configs of earlier zoo versions: the
        config as this version's constructor takes it."""
        return config

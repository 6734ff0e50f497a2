"""`Objective`, the base class of the zoo's objectives: the loss from the
pieces of the ELBO that a model hands it.

The direction is one way. A model computes the pieces of its bound once,
with its own networks and distributions, and hands them to its objective as
dicts of tensors ("terms"); the objective returns the loss and its metrics
and never calls back into the model. It is handed terms twice a step:

    latent_loss(terms)  in the model's `call` (added with `add_loss`):
        "kl"           KL(q(z|x) || p(z)) per example, `(batch,)`: analytic
                       where TFP registers it, else log q(z|x) - log p(z)
                       at the sample; a list of them, one per latent group,
                       for a hierarchy; None for a latent without a KL term
                       (a VQ-VAE's point mass under a uniform prior: a
                       constant, left out)
        "latent_loss"  what the latent itself adds per example, `(batch,)`
                       (a VQ-VAE's commitment and codebook terms), or absent
        "z", "z_mean", "z_stddev", "log_posterior", "log_prior"
                       the sample, q(z|x)'s parameters and the two log
                       densities at the sample, for objectives whose
                       `needs_sample` is True (beta-TC, FactorVAE,
                       DIP-VAE)
        "prior_sample" as many draws from p(z) as the batch has examples,
                       `(batch, latent_dim)`, reparameterised (a learned
                       prior's parameters get gradients), for objectives
                       whose `needs_prior_sample` is True (WAE, InfoVAE)
    data_loss(terms)    in the model's `compute_loss`, with the target:
        "log_likelihood"  log p(target | z) per example, `(batch,)`
        "log_weights"     for K samples per example (`num_samples`):
                          log p(target|z_k) + log p(z_k) - log q(z_k|x),
                          `(K, batch)`, and "kl" at the first sample
        "stopped_log_weights"
                          the same log weights with the encoder's share
                          stopped: at stop_gradient(z_k), with q's
                          parameters stopped too, so their gradient
                          reaches the decoder and the prior only; for
                          objectives whose `needs_stopped_log_weights` is
                          True (PIWAE)

(the semi-supervised objective takes the same terms per (example, class)
pair; see `SemiSupervised`). So every model's loss is written in one place,
`zoo/objectives/`, and an objective can be tested on fixed tensors alone.
"""

import keras
from keras import ops

from zoo.bounds import batch_mean


class Objective(keras.layers.Layer):
    """Base class: -mean_batch log p(target | z) plus `penalty` of the
    batch-mean KL of each latent group.

    A subclass implements `penalty(kls)`, or overrides `latent_loss` and
    `data_loss` (module docstring: the terms they receive). Its schedulable
    weights are non-trainable float32 variables (`schedulable`), so they
    train, save and load with the model and callbacks assign them without
    retracing.
    """

    #: Posterior samples per example in training; None for one (no axis).
    num_samples = None
    #: The weight on the KL term (a variable), None without one.
    beta = None
    #: The target KL in nats (a variable), None without one.
    capacity = None
    #: Whether the class is a latent variable summed over for unlabelled
    #: examples (the semi-supervised M2); the model then has a classifier.
    sums_over_classes = False
    #: Whether `latent_loss` reads the sample and q(z|x)'s parameters
    #: (module docstring), which the model then computes.
    needs_sample = False
    #: Whether `latent_loss` reads "prior_sample", draws from p(z).
    needs_prior_sample = False
    #: Whether `data_loss` reads "stopped_log_weights" (module docstring).
    needs_stopped_log_weights = False
    #: Whether the objective's penalty is written for p(z) = N(0, I) (the
    #: model refuses a learned prior with it).
    needs_standard_normal_prior = False
    #: The metrics `latent_loss` returns beside `kl`; the model tracks them.
    metric_names = ()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def configure(self, latent_dim):
        """Make what depends on the width of the code z (`latent_dim`);
        the model calls it once, when it is constructed, so that every
        variable exists before the first step is traced. The base makes
        nothing."""

    def schedulable(self, value, name):
        """A float32 non-trainable variable holding `value`."""
        return self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(value)),
            dtype="float32", trainable=False, name=name, autocast=False,
        )

    def latent_loss(self, terms):
        """The loss's latent term and its metrics.

        Returns:
            `(loss, metrics)`: a scalar, `penalty` of the groups' batch-mean
            KLs plus the batch mean of "latent_loss", and `{"kl": the sum
            of the batch-mean KLs}` (empty without a KL).
        """
        loss, metrics = 0.0, {}
        kl = terms.get("kl")
        if kl is not None:
            groups = [batch_mean(group) for group in (
                kl if isinstance(kl, (list, tuple)) else [kl])]
            metrics["kl"] = sum(groups)
            loss = self.penalty(groups)
        if terms.get("latent_loss") is not None:
            loss = loss + batch_mean(terms["latent_loss"])
        return loss, metrics

    def penalty(self, kls):
        """The KL part of the loss from the list of the groups' batch-mean
        KLs (one entry for a single latent)."""
        raise NotImplementedError

    def data_loss(self, terms):
        """-mean_batch log p(target | z): the data term of the ELBO, a
        scalar (the `reconstruction` metric)."""
        return -batch_mean(terms["log_likelihood"])

    def value_of(self, variable):
        return float(ops.convert_to_numpy(variable))

    def load_own_variables(self, store):
        """Keras's loading, except from a file whose model held these
        variables itself (release 0.1's models; the hierarchy's `beta`
        in 0.2): the model assigns them then."""
        if len(store.keys()) == 0:
            return
        super().load_own_variables(store)

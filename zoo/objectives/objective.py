"""The base class of the zoo's objectives: the ELBO's reconstruction term
and a KL penalty, and the checked weight they share."""

import keras
from keras import ops

from zoo.bounds import batch_mean

class Objective(keras.layers.Layer):
    """Base class: the -ELBO's reconstruction term and a KL term.

    Subclasses implement `penalty(kl)` (a function of the batch-mean KL)
    or override `kl_term`; `reconstruction_loss` defaults to the ELBO's
    -mean_batch log p(target | z).
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

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def schedulable(self, value, name):
        """A float32 non-trainable variable holding `value`."""
        return self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(value)),
            dtype="float32", trainable=False, name=name, autocast=False,
        )

    def reconstruction_loss(self, model, target, y_pred):
        """-mean_batch log p(target | z): the data term of the ELBO."""
        log_prob = model.likelihood_distribution(y_pred).log_prob(
            ops.cast(target, "float32")
        )
        return -batch_mean(log_prob)

    def kl_term(self, model, posterior, z):
        """Track the batch-mean KL(q(z|x) || p(z)) as the model's `kl`
        metric and return `penalty(kl)`, the term `add_loss` adds.

        `z` is the sample the Monte Carlo estimate uses when the KL is not
        analytic.
        """
        kl = batch_mean(model.kl_divergence(posterior, z))
        model.kl_tracker.update_state(kl, sample_weight=ops.shape(z)[0])
        return self.penalty(kl)

    def penalty(self, kl):
        raise NotImplementedError

    def value_of(self, variable):
        return float(ops.convert_to_numpy(variable))

    def load_own_variables(self, store):
        """Keras's loading, except from a release-0.1 `.keras` file, whose
        model held these variables itself (the model assigns them then)."""
        if len(store.keys()) == 0:
            return
        super().load_own_variables(store)

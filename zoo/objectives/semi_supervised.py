"""The semi-supervised objective of the M2 model (Kingma et al. 2014)."""

import keras
from keras import ops

from zoo.bounds import batch_mean
from zoo.objectives.elbo import ELBO
from zoo.validation import check_weight

@keras.saving.register_keras_serializable(package="zoo.objectives")
class SemiSupervised(ELBO):
    """The semi-supervised objective of the M2 model (Kingma et al., 2014).

    Mathematical details:

    The model is p(x, y, z) = p(y) p(z) p(x | y, z), with p(y) uniform over
    the C classes, and two inference networks: the classifier q(y|x) and
    the conditional encoder q(z|x, y). For an example whose class y is
    observed, the bound is the conditional VAE's, with the label's prior:

        log p(x, y) >= -L(x, y)
                     = E_q(z|x,y)[log p(x|y,z)] + log p(y)
                       - beta * KL(q(z|x,y) || p(z))          (beta = 1)

    For an unlabelled example, y is a latent variable and the bound sums
    over it, weighted by the classifier:

        log p(x) >= -U(x) = sum_y q(y|x) (-L(x, y)) + H(q(y|x)).

    The classifier appears only in U; to make it learn from the labels
    too, the loss adds its cross-entropy on the labelled examples:

        J^alpha = sum_(x,y) labelled L(x, y) + sum_x unlabelled U(x)
                  + alpha * sum_(x,y) labelled -log q(y|x).

    The zoo minimises the batch mean of each example's term (so `alpha`
    is per labelled example: the paper's alpha = 0.1 * N over the
    expectation of the labelled set is 0.1 * N / N_labelled here, 50 for
    100 labels among MNIST's 50,000 images, the default). To keep the
    zoo's contract, the loss is split as

        reconstruction = mean_i sum_y w_iy * -log p(x_i | y, z_iy)
        add_loss term  = beta * mean_i sum_y w_iy * KL(q(z|x_i,y) || p(z))
                         + log C - mean_i [unlabelled] H(q(y|x_i))
                         + alpha * mean_i [labelled] -log q(y_i|x_i)

    with w_iy the one-hot label of a labelled example and q(y|x_i) for an
    unlabelled one, z_iy one reparameterised sample of q(z|x_i, y) per
    pair. Every example is paired with every class (C times the cost of a
    VAE step); the labelled examples' other pairs get weight 0. Metrics:
    `kl` (the weighted KL), `classification` (the labelled examples'
    -log q(y|x)) and `entropy` (H(q(y|x)) of the unlabelled ones).

    Args:
        alpha: float >= 0, the weight of each labelled example's
            classification loss (default 50.0); a non-trainable variable.
        beta: float >= 0, the KL weight (default 1.0: the bound).

    References:
        Kingma, Rezende, Mohamed & Welling, Semi-Supervised Learning with
        Deep Generative Models, NeurIPS 2014, eq. 6-9,
        https://arxiv.org/abs/1406.5298.
    """

    sums_over_classes = True

    def __init__(self, alpha=50.0, beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.alpha = self.schedulable(check_weight(alpha, "alpha"), "alpha")
        self.classification_tracker = keras.metrics.Mean(name="classification")
        self.entropy_tracker = keras.metrics.Mean(name="entropy")

    @staticmethod
    def label_weights(logits, labels):
        """w `(batch, C)`: the one-hot label where it is observed (>= 0),
        q(y|x) = softmax(logits) where it is -1."""
        num_classes = ops.shape(logits)[-1]
        labels = ops.cast(labels, "int32")
        one_hot = ops.one_hot(ops.maximum(labels, 0), num_classes)
        probabilities = ops.softmax(ops.cast(logits, "float32"))
        return ops.where((labels >= 0)[:, None], one_hot, probabilities)

    @staticmethod
    def per_pair(values, batch):
        """Per-row values of the `C * batch` class-major rows as
        `(batch, C)`."""
        return ops.transpose(ops.reshape(values, (-1, batch)))

    def reconstruction_loss(self, model, target, y_pred):
        """mean_i sum_y w_iy * -log p(target_i | y, z_iy).

        `y_pred` is the model's training output: the decoder's
        `parameters` for the `C * batch` (example, class) pairs and the
        `weights` w `(batch, C)`.
        """
        weights = y_pred["weights"]
        batch = ops.shape(weights)[0]
        target = ops.cast(target, "float32")
        rows = ops.tile(target, (ops.shape(weights)[1],)
                        + (1,) * (len(target.shape) - 1))
        log_prob = model.likelihood_distribution(
            y_pred["parameters"]).log_prob(rows)
        return -batch_mean(ops.sum(weights * self.per_pair(log_prob, batch),
                                   axis=-1))

    def kl_term(self, model, posterior, z, logits=None, labels=None,
                weights=None):
        """beta * the weighted KL, plus log C, minus the unlabelled
        examples' entropy, plus alpha times the labelled examples'
        cross-entropy (all batch means over the examples)."""
        if logits is None:
            raise ValueError(
                "The semi-supervised objective needs the classifier's logits "
                "and the labels: it is the objective of a model built with "
                "objective='semi_supervised' and num_classes."
            )
        batch = ops.shape(logits)[0]
        num_classes = ops.shape(logits)[-1]
        kl = ops.sum(weights * self.per_pair(
            model.kl_divergence(posterior, z), batch), axis=-1)
        log_q = ops.log_softmax(ops.cast(logits, "float32"))
        labels = ops.cast(labels, "int32")
        labelled = ops.cast(labels >= 0, "float32")
        cross_entropy = -ops.sum(
            ops.one_hot(ops.maximum(labels, 0), num_classes) * log_q, -1)
        entropy = -ops.sum(ops.exp(log_q) * log_q, -1)
        count = ops.cast(batch, "float32")
        model.kl_tracker.update_state(batch_mean(kl), sample_weight=count)
        self.classification_tracker.update_state(
            ops.sum(labelled * cross_entropy) / ops.maximum(
                ops.sum(labelled), 1.0),
            sample_weight=ops.sum(labelled))
        self.entropy_tracker.update_state(
            ops.sum((1 - labelled) * entropy) / ops.maximum(
                ops.sum(1 - labelled), 1.0),
            sample_weight=ops.sum(1 - labelled))
        return (
            self.beta * batch_mean(kl)
            + ops.log(ops.cast(num_classes, "float32"))
            - batch_mean((1 - labelled) * entropy)
            + self.alpha * batch_mean(labelled * cross_entropy)
        )

    def get_config(self):
        return {**super().get_config(), "alpha": self.value_of(self.alpha)}

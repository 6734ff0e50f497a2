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
    metric_names = ("classification", "entropy")

    def __init__(self, alpha=50.0, beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.alpha = self.schedulable(check_weight(alpha, "alpha"), "alpha")

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

    def data_loss(self, terms):
        """mean_i sum_y w_iy * -log p(target_i | y, z_iy), from
        "log_likelihood", log p(target_i | y, z_iy) for the `C * batch`
        class-major (example, class) rows, and the "weights" w
        `(batch, C)` of `label_weights`."""
        weights = terms["weights"]
        log_prob = self.per_pair(terms["log_likelihood"], ops.shape(weights)[0])
        return -batch_mean(ops.sum(weights * log_prob, axis=-1))

    def latent_loss(self, terms):
        """beta * the weighted KL, plus log C, minus the unlabelled
        examples' entropy, plus alpha times the labelled examples'
        cross-entropy (all batch means over the examples), from "kl" per
        class-major row, the classifier's "logits" and the "labels" (-1
        unlabelled). Metrics: `kl` (the weighted KL), `classification` and
        `entropy`, each with its weight (the examples it averages)."""
        logits, labels = terms["logits"], ops.cast(terms["labels"], "int32")
        batch = ops.shape(logits)[0]
        num_classes = ops.shape(logits)[-1]
        weights = self.label_weights(logits, labels)
        kl = ops.sum(weights * self.per_pair(terms["kl"], batch), axis=-1)
        log_q = ops.log_softmax(ops.cast(logits, "float32"))
        labelled = ops.cast(labels >= 0, "float32")
        cross_entropy = -ops.sum(
            ops.one_hot(ops.maximum(labels, 0), num_classes) * log_q, -1)
        entropy = -ops.sum(ops.exp(log_q) * log_q, -1)
        count = ops.sum(labelled)
        metrics = {
            "kl": batch_mean(kl),
            "classification": (
                ops.sum(labelled * cross_entropy) / ops.maximum(count, 1.0),
                count),
            "entropy": (
                ops.sum((1 - labelled) * entropy)
                / ops.maximum(ops.sum(1 - labelled), 1.0),
                ops.sum(1 - labelled)),
        }
        loss = (
            self.beta * batch_mean(kl)
            + ops.log(ops.cast(num_classes, "float32"))
            - batch_mean((1 - labelled) * entropy)
            + self.alpha * batch_mean(labelled * cross_entropy)
        )
        return loss, metrics

    def get_config(self):
        return {**super().get_config(), "alpha": self.value_of(self.alpha)}

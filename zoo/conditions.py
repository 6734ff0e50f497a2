"""The condition of a model: none, or a class label for every example.

A condition is the fifth option of a zoo model (`zoo.VAE(num_classes=C)`)
and combines with every network, objective, prior and likelihood.

Mathematical details:

With labels y the model is p(x, z | y) = p(z) p(x | z, y), with the prior
p(z) shared by all classes, and the posterior q(z | x, y). Training
maximises the conditional bound,

    log p(x|y) >= E_q(z|x,y)[log p(x|z,y)] - beta * KL(q(z|x,y) || p(z)),

so z is free to carry what the label does not (style, for a digit's
class). Because p(y) is not modelled, the likelihood reported for a
labelled example is log p(x|y); `VAE.marginal_log_likelihood` gives
log p(x) = log (1/C) sum_y p(x|y) under a uniform class prior.

Inputs are `[x, labels]` (or a dict `{"x": x, "labels": labels}`), labels
being int class ids `(batch,)`; the networks code them one-hot or, with
`label_embedding_dim`, by a learned embedding (`zoo.networks.heads`). A
`tf.data.Dataset` yields `{"x": x, "labels": labels}` batches (a bare
`(x, labels)` pair would read as `(x, y)`).

A semi-supervised model (`objective="semi_supervised"`, the M2 model of
Kingma et al.) takes the same inputs for training, with the label -1
(`UNLABELLED`) marking an example whose class is unknown
(`PartialLabels`): its y is then a latent variable, inferred by the
model's classifier q(y|x) (`zoo.objectives.SemiSupervised`). Every other
method (`encode`, `decode`, `elbo`, `sample`, ...) takes real class ids.

References:
    Sohn, Lee & Yan, Learning Structured Output Representation using Deep
    Conditional Generative Models, NeurIPS 2015.
    Kingma, Rezende, Mohamed & Welling, Semi-Supervised Learning with Deep
    Generative Models, NeurIPS 2014 (the M2 model's p(x|z,y)).
"""

import numpy as np
import tensorflow as tf

from zoo import validation
from zoo.networks import LabelCondition


class Unconditional:
    """No condition: the model takes x alone."""

    num_classes = None
    label_embedding_dim = None
    #: Whether training data may hold unlabelled examples (label -1).
    takes_unlabelled = False

    def network_labels(self):
        """The networks' label input: None."""
        return None

    def split(self, inputs):
        return inputs, None

    def spec(self):
        return None

    def checked(self, inputs, check_x, unlabelled=False):
        return check_x(inputs)

    def assertions(self, labels):
        return []

    def tile(self, labels, num_rows):
        return labels

    def serving_assertions(self, labels):
        return []

    def sample_labels(self, labels, num_samples, seed):
        if labels is not None:
            raise ValueError(
                "`labels` is for a conditional model (built with "
                f"num_classes); this one has none. Received: labels={labels!r}"
            )
        return None


class Labels(Unconditional):
    """Int class ids in [0, num_classes), one per example.

    Args:
        num_classes: int > 0.
        label_embedding_dim: None (one-hot labels) or an int > 0, the size
            of a learned label embedding.
    """

    def __init__(self, num_classes, label_embedding_dim=None):
        self.num_classes = validation.check_positive_int(
            num_classes, "num_classes"
        )
        self.label_embedding_dim = (
            None if label_embedding_dim is None
            else validation.check_positive_int(
                label_embedding_dim, "label_embedding_dim"
            )
        )

    def network_labels(self):
        return LabelCondition(self.num_classes, self.label_embedding_dim)

    def split(self, inputs):
        """`(x, labels)` from `[x, labels]` or `{"x": x, "labels": labels}`."""
        if isinstance(inputs, dict) and set(inputs) == {"x", "labels"}:
            return inputs["x"], inputs["labels"]
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
            return inputs[0], inputs[1]
        raise ValueError(
            "A conditional model takes [x, labels] or {'x': x, 'labels': "
            "labels} ([z, labels] to decode): the examples and their int "
            f"class ids in [0, {self.num_classes}). Received: "
            f"{_describe(inputs)}."
        )

    def spec(self):
        return tf.TensorSpec((None,), tf.int32, name="labels")

    def checked(self, inputs, check_x, unlabelled=False):
        """`[x, labels]` with `check_x(x)` applied and the labels checked.

        `unlabelled=True` (training data) lets a model that takes
        unlabelled examples (`PartialLabels`) have the label -1."""
        x, labels = self.split(inputs)
        x = check_x(x)
        return [x, validation.check_labels(
            labels, self.num_classes, len(x),
            allow_unlabelled=unlabelled and self.takes_unlabelled,
        )]

    def assertions(self, labels):
        """Graph checks of a streamed batch's labels."""
        return self.class_id_assertions(
            labels, f"A dataset batch holds labels outside [0, "
            f"{self.num_classes}); build the model with num_classes above "
            "the largest id.")

    def serving_assertions(self, labels):
        """Graph checks of the labels of a serving request: class ids in
        [0, num_classes) (a served model is given classes, never -1)."""
        return self.class_id_assertions(
            labels, f"`labels` must be class ids in [0, {self.num_classes}),"
            " the classes the model was trained on.")

    def class_id_assertions(self, labels, message):
        """Assertion ops: every label is a class id in [0, num_classes)."""
        labels = tf.cast(labels, "int32")
        return [validation.assert_all_true(
            (labels >= 0) & (labels < self.num_classes), message)]

    def tile(self, labels, num_rows):
        """The labels repeated to `num_rows`: with K samples per example z
        is `(K * batch, latent_dim)`, sample-major, so the labels are tiled
        K times to match."""
        labels = tf.cast(labels, "int32")
        repeats = num_rows // tf.maximum(tf.shape(labels)[0], 1)
        return tf.tile(labels, [repeats])

    def sample_labels(self, labels, num_samples, seed):
        """`sample`'s labels: one id for all, one per sample, or None to
        draw them uniformly with the (2,) stateless `seed`."""
        if labels is None:
            return None
        if np.ndim(labels) == 0:
            labels = np.full((num_samples,), labels)
        return tf.constant(
            validation.check_labels(labels, self.num_classes, num_samples)
        )

    def draw(self, num_samples, seed):
        """Uniform class ids for `num_samples` samples, from `seed`."""
        return tf.random.stateless_uniform(
            [num_samples],
            seed=tf.random.experimental.stateless_fold_in(seed, 1),
            maxval=self.num_classes, dtype=tf.int32,
        )


#: The label of an example whose class is unknown, in the training data of
#: a semi-supervised model.
UNLABELLED = -1


class PartialLabels(Labels):
    """Class ids in [0, num_classes), or -1 (`UNLABELLED`) in training data
    for an example whose class is unknown: the condition of the
    semi-supervised model M2 (`objective="semi_supervised"`).

    The training pass pairs every example with every class
    (`every_class`); the objective weighs the pairs by the observed label
    or, for an unlabelled example, by the classifier's q(y|x).
    """

    takes_unlabelled = True

    def checked(self, inputs, check_x, unlabelled=False):
        """As `Labels.checked`; training data (`unlabelled=True`) must also
        hold at least one labelled example: without one the classifier
        q(y|x) learns nothing, and `fit` would train on in silence."""
        x, labels = super().checked(inputs, check_x, unlabelled)
        if unlabelled and len(labels) and np.all(labels == UNLABELLED):
            raise ValueError(
                "`labels` marks every example unlabelled (-1): a "
                "semi-supervised model learns its classifier q(y|x) from the "
                "labelled ones, so give some examples their class id in "
                f"[0, {self.num_classes}) (or train an unconditional model). "
                f"Received: labels with {len(labels)} values, all -1"
            )
        return [x, labels]

    def assertions(self, labels):
        """Graph checks of a streamed batch's labels: -1 or a class id."""
        labels = tf.cast(labels, "int32")
        message = (
            f"A dataset batch holds labels outside [0, {self.num_classes}) "
            "other than -1 (unlabelled); build the model with num_classes "
            "above the largest id."
        )
        return [validation.assert_all_true(
            (labels >= UNLABELLED) & (labels < self.num_classes), message)]

    def every_class(self, x):
        """`(rows, classes)`: the batch x repeated once per class,
        class-major (`num_classes * batch` rows: all of x with class 0,
        then with class 1, ...), and the class id of each row."""
        x = tf.convert_to_tensor(x)
        batch = tf.shape(x)[0]
        rows = tf.tile(x, tf.concat([[self.num_classes],
                                     tf.ones([tf.rank(x) - 1], "int32")], 0))
        classes = tf.repeat(tf.range(self.num_classes, dtype="int32"), batch)
        return rows, classes


def get(num_classes=None, label_embedding_dim=None, partial=False):
    """The condition for `num_classes` (None: unconditional); `partial`:
    training labels may be -1, unlabelled (the semi-supervised objective).
    """
    if partial:
        if num_classes is None:
            raise ValueError(
                "objective='semi_supervised' treats the class as a latent "
                "variable for unlabelled examples, so it needs the classes: "
                "pass num_classes (e.g. num_classes=10). Received: "
                "num_classes=None"
            )
        return PartialLabels(num_classes, label_embedding_dim)
    if num_classes is None:
        if label_embedding_dim is not None:
            raise ValueError(
                "`label_embedding_dim` codes the labels of a conditional "
                "model; pass `num_classes` too. Received: "
                f"label_embedding_dim={label_embedding_dim!r}"
            )
        return Unconditional()
    return Labels(num_classes, label_embedding_dim)


def _describe(inputs):
    if isinstance(inputs, dict):
        return f"a dict with keys {sorted(inputs)}"
    if isinstance(inputs, (list, tuple)):
        return f"a {type(inputs).__name__} of {len(inputs)} items"
    return f"{type(inputs).__name__} (images without labels?)"

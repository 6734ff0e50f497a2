"""Semi-supervised learning with VAEs: few labelled images, many unlabelled.

Two recipes of Kingma, Rezende, Mohamed & Welling (2014):

- M1: a VAE trained on all the images (labels unused) gives features, the
  posterior means mu(x); a classifier is trained on the labelled images'
  features (`zoo.evaluation.pretraining.encoder_classifier`, frozen or
  fine-tuned).
- M2: one model, `zoo.VAE(num_classes=C, objective="semi_supervised")`,
  trained on labelled and unlabelled images together, in which the class
  is observed for the first and a latent variable for the second; its
  classifier q(y|x) is the result (`model.predict(x)`). M1+M2 trains M2 on
  M1's features instead of the pixels.

M2 trains with a plain `fit([x, labels])`, the label -1 marking an
unlabelled image; `partially_labelled` builds those arrays.

References:
    Kingma, Rezende, Mohamed & Welling, Semi-Supervised Learning with Deep
    Generative Models, NeurIPS 2014, https://arxiv.org/abs/1406.5298.
"""

import numpy as np

from zoo.conditions import UNLABELLED
from zoo.validation import check_number


def partially_labelled(x_labelled, y_labelled, x_unlabelled,
                       labelled_share=0.1, seed=0):
    """`(x, labels)`: the unlabelled images with label -1 and the labelled
    ones, repeated so that they make about `labelled_share` of the
    examples (at least once each), shuffled together.

    With 100 labels among 60,000 images, a batch of 100 would hold a
    labelled image one time in six; repeating them keeps the
    classification loss in every batch (the objective's `alpha` weighs
    each labelled example, so it weighs each repetition).

    Args:
        x_labelled: images `(n, ...)`.
        y_labelled: their int class ids `(n,)`.
        x_unlabelled: images `(m, ...)`, without labels.
        labelled_share: float in (0, 1) (default 0.1).
        seed: int (default 0), the shuffle.

    Returns:
        `(x, labels)`: arrays of `n * repeats + m` examples, labels int32
        with -1 for the unlabelled ones; fit a semi-supervised model on
        `[x, labels]`.

    Raises:
        ValueError: for an empty labelled set, mismatched lengths or a
            share outside (0, 1).
    """
    x_labelled = np.asarray(x_labelled)
    y_labelled = np.asarray(y_labelled).astype("int32").ravel()
    x_unlabelled = np.asarray(x_unlabelled)
    if len(x_labelled) == 0 or len(x_labelled) != len(y_labelled):
        raise ValueError(
            "`x_labelled` and `y_labelled` must hold the same, non-zero "
            f"number of examples; received {len(x_labelled)} and "
            f"{len(y_labelled)}."
        )
    check_number(labelled_share, "labelled_share", minimum=0, maximum=1,
                 above=True, below=True, fix="A fraction, e.g. 0.1.")
    wanted = labelled_share * len(x_unlabelled) / (1 - labelled_share)
    repeats = max(1, int(round(wanted / len(x_labelled))))
    x = np.concatenate([np.repeat(x_labelled, repeats, axis=0), x_unlabelled])
    labels = np.concatenate([
        np.repeat(y_labelled, repeats),
        np.full(len(x_unlabelled), UNLABELLED, "int32"),
    ])
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], labels[order]

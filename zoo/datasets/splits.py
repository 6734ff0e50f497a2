"""`held_out_order`: which examples a held-out split takes.

Holding out the last examples of a folder of class subfolders (read class
by class) would hold out the last class alone: a test split of a class
never trained on. The zoo holds out a seeded random sample instead,
stratified by class when there are labels, so each class keeps its share
in both splits.
"""

import numpy as np

#: The seed of the held-out sample: fixed, so runs with other `--seed`s
#: of the same data are scored on the same images.
SPLIT_SEED = 0


def held_out_order(num_examples, held_out, labels=None, seed=SPLIT_SEED):
    """A permutation of `range(num_examples)` whose last `held_out` indices
    are the held-out sample (the others keep their order before it).

    Args:
        num_examples: int, the number of examples.
        held_out: int in [0, num_examples), how many to hold out.
        labels: optional int labels, one per example: the sample is then
            stratified by class (each class's share is kept, up to
            rounding), and examples labelled -1 (unlabelled) are never held
            out, so the held-out split can be scored with its labels.
        seed: int, the sample's seed (default `SPLIT_SEED`).

    Returns:
        An int64 array, the order to take the examples in.

    Raises:
        ValueError: if fewer than `held_out` examples may be held out.
    """
    rng = np.random.default_rng(seed)
    candidates = np.arange(num_examples)
    if labels is not None:
        labels = np.asarray(labels)
        candidates = np.flatnonzero(labels != -1)
    if held_out > len(candidates):
        raise ValueError(
            f"{held_out} labelled example(s) are held out for testing, and "
            f"the data has {len(candidates)} (the label -1 marks an "
            "unlabelled one); label more examples. Received: "
            f"{len(candidates)} labelled of {num_examples}"
        )
    order = rng.permutation(candidates)
    if labels is not None:
        classes = labels[order]
        position = np.empty(len(order))
        for label in np.unique(classes):
            members = np.flatnonzero(classes == label)
            position[members] = (np.arange(len(members)) + 0.5) / len(members)
        order = order[np.argsort(position, kind="stable")]
    held = order[:held_out]
    kept = np.setdiff1d(np.arange(num_examples), held)
    return np.concatenate([kept, held]).astype("int64")

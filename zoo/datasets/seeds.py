"""Per-batch stateless seeds for random maps inside `tf.data` pipelines."""

import tensorflow as tf


def map_with_seeds(dataset, function, seed):
    """Map `function(element, seed)` over `dataset` with a fresh seed each.

    The seeds come from `tf.data.Dataset.random(seed,
    rerandomize_each_iteration=True)`: a run with the same `seed` draws the
    same sequence, and every new pass over the dataset (every epoch of
    `fit`) draws new seeds, so random maps (dynamic binarization,
    corruption) change from epoch to epoch yet stay reproducible.

    Args:
        dataset: a `tf.data.Dataset`.
        function: called as `function(element, seed)` where `seed` is a
            `(2,)` int64 tensor for the `tf.random.stateless_*` ops.
        seed: int, the seed of the whole sequence.

    Returns:
        The mapped `tf.data.Dataset`.
    """
    seeds = tf.data.Dataset.random(
        seed=seed, rerandomize_each_iteration=True
    ).batch(2)
    return tf.data.Dataset.zip(dataset, seeds).map(
        function, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )

"""Vector quantisation: a codebook of K vectors and the nearest-code map.

The discrete latent structure of `zoo.models.VQVAE`. The encoder gives a
grid of continuous vectors z_e (one per position, D numbers each); each is
replaced by its nearest codebook vector,

    k(z_e) = argmin_k ||z_e - e_k||^2,     z_q = e_k(z_e),

and the decoder sees z_q. The argmin has no gradient, so the layer passes
the decoder's gradient at z_q straight through to z_e (Bengio et al. 2013):
its output is z_e + sg(z_q - z_e), equal to z_q forward and to z_e
backward (sg is stop-gradient).

Mathematical details:

The loss of van den Oord et al. (2017), per example, summed over the grid's
positions and the D dimensions,

    L = -log p(x | z_q) + ||sg(z_e) - e||^2 + beta * ||z_e - sg(e)||^2,

has three terms: the reconstruction (the model's), the codebook term that
moves each code e towards the encoder outputs assigned to it, and the
commitment term, weighted by beta (`commitment_weight`, 0.25 by default),
that keeps the encoder's outputs close to their codes. This layer
computes the last two per example, what the latent adds to the loss; the
model hands them to its objective (`zoo.objectives`).

With `codebook_update="ema"` (default) the codebook term is dropped and the
codes are exponential moving averages of the encoder outputs assigned to
them (van den Oord et al. 2017, appendix A.1; Razavi et al. 2019): with
decay gamma, n_k the number of vectors of the batch assigned to code k and
s_k their sum,

    N_k <- gamma N_k + (1 - gamma) n_k
    m_k <- gamma m_k + (1 - gamma) s_k
    e_k  = m_k / N~_k,   N~_k = (N_k + eps) / (sum_j N_j + K eps) * sum_j N_j

(N~ is N with Laplace smoothing, so a code no vector chose keeps a finite
value). Under `tf.distribute` each replica updates them from its slice of
the batch and the replicas' values are averaged. `codebook_update="loss"`
learns the codes by gradient descent on the codebook term instead.

Dead-code restarts: a code whose moving-average count N_k falls below
`restart_threshold` vectors per batch is re-seeded from a random encoder
output of the current batch (as in Dhariwal et al. 2020), so codes the
encoder never chooses come back into use. The count N_k is kept in both
codebook modes.

Two metrics describe how the codebook is used on a batch, from the
fraction p_k of the batch's vectors assigned to code k:

    perplexity = exp(-sum_k p_k log p_k)      (1 to K; K when all codes are
                                               used equally)
    usage      = #{k : p_k > 0} / K           (the fraction of codes used)

References:
    van den Oord, Vinyals & Kavukcuoglu, Neural Discrete Representation
    Learning, NeurIPS 2017, https://arxiv.org/abs/1711.00937.
    Razavi, van den Oord & Vinyals, Generating Diverse High-Fidelity Images
    with VQ-VAE-2, NeurIPS 2019, https://arxiv.org/abs/1906.00446.
    Bengio, Leonard & Courville, Estimating or Propagating Gradients
    Through Stochastic Neurons, 2013 (the straight-through estimator).
    Dhariwal et al., Jukebox: A Generative Model for Music, 2020 (random
    restarts of unused codes).
"""

import keras
import numpy as np
from keras import ops

from zoo.validation import check_number
from zoo.validation import check_weight

#: How the codebook learns: moving averages or the codebook loss.
CODEBOOK_UPDATES = ("ema", "loss")


def perplexity(indices, num_embeddings):
    """exp(entropy) of the code histogram of `indices` (any shape): a
    float scalar in [1, K]."""
    probabilities = code_frequencies(indices, num_embeddings)
    entropy = -ops.sum(
        probabilities * ops.log(ops.maximum(probabilities, 1e-12))
    )
    return ops.exp(entropy)


def usage(indices, num_embeddings):
    """The fraction of the K codes that occur in `indices` (any shape)."""
    frequencies = code_frequencies(indices, num_embeddings)
    return ops.mean(ops.cast(frequencies > 0, "float32"))


def code_frequencies(indices, num_embeddings):
    """p_k: the fraction of `indices` equal to k, `(K,)` float32."""
    one_hot = ops.one_hot(ops.reshape(indices, (-1,)), num_embeddings)
    return ops.divide_no_nan(
        ops.sum(one_hot, axis=0), ops.cast(ops.shape(one_hot)[0], "float32")
    )


@keras.saving.register_keras_serializable(package="zoo")
class VectorQuantizer(keras.layers.Layer):
    """The nearest of K learned codes for every vector of a grid.

    Call it on encoder outputs z_e `(batch, *grid, D)`; it returns
    `(z_q, indices, latent_loss)`: the quantised vectors with the
    straight-through gradient, `(batch, *grid, D)`, the int32 code indices
    `(batch, *grid)`, and the commitment (and, with
    `codebook_update="loss"`, the codebook) term per example, `(batch,)`.
    In training it also updates the moving averages and the restarts
    (module docstring).

    Args:
        num_embeddings: int > 0, K, the number of codes.
        embedding_dim: int > 0, D, the size of a code.
        commitment_weight: float >= 0, beta (default 0.25); a
            non-trainable variable, so it can be scheduled.
        codebook_update: `"ema"` (default) or `"loss"`.
        decay: float in [0, 1), gamma of the moving averages (None:
            0.99). The `"loss"` codebook keeps moving-average code counts
            only for the restarts, so with `dead_code_restarts=False` it
            has no moving average and refuses `decay`.
        epsilon: float > 0, the Laplace smoothing of the counts of the
            `"ema"` codebook (None: 1e-5); refused with `"loss"`, which has
            no such smoothing.
        dead_code_restarts: bool (default True).
        restart_threshold: float >= 0, a code whose moving-average count
            is below it (vectors per batch) is restarted (None: 1.0);
            refused with `dead_code_restarts=False`.
        seed: int or None, seeds the initial codebook and the restarts.
    """

    def __init__(self, num_embeddings, embedding_dim, commitment_weight=0.25,
                 codebook_update="ema", decay=None, epsilon=None,
                 dead_code_restarts=True, restart_threshold=None, seed=None,
                 **kwargs):
        kwargs.setdefault("dtype", "float32")  # distances in full precision
        super().__init__(**kwargs)
        if codebook_update not in CODEBOOK_UPDATES:
            raise ValueError(
                f"`codebook_update` must be one of {CODEBOOK_UPDATES}. "
                f"Received: codebook_update={codebook_update!r}"
            )
        check_weight(commitment_weight, "commitment_weight")
        if codebook_update == "loss" and not dead_code_restarts:
            if decay is not None:
                raise ValueError(
                    "`decay` sets the moving averages; codebook_update='loss'"
                    " without dead_code_restarts keeps none. Drop `decay`, "
                    f"or set dead_code_restarts=True. Received: decay={decay!r}"
                )
        else:
            decay = check_number(
                0.99 if decay is None else decay, "decay", minimum=0.0,
                maximum=1.0, below=True)
        if not isinstance(dead_code_restarts, (bool, np.bool_)):
            raise ValueError(
                "`dead_code_restarts` must be True or False. "
                f"Received: dead_code_restarts={dead_code_restarts!r}"
            )
        if codebook_update == "ema":
            epsilon = 1e-5 if epsilon is None else epsilon
            check_number(epsilon, "epsilon", minimum=0.0, above=True)
        elif epsilon is not None:
            raise ValueError(
                "`epsilon` smooths the counts of the moving-average codebook;"
                " codebook_update='loss' has none. Drop `epsilon`, or use "
                f"codebook_update='ema'. Received: epsilon={epsilon!r}"
            )
        if dead_code_restarts:
            restart_threshold = (
                1.0 if restart_threshold is None else restart_threshold)
            check_number(restart_threshold, "restart_threshold", minimum=0.0)
        elif restart_threshold is not None:
            raise ValueError(
                "`restart_threshold` sets when a code is restarted, but "
                "dead_code_restarts=False turns restarts off. Drop "
                "`restart_threshold`, or set dead_code_restarts=True. "
                f"Received: restart_threshold={restart_threshold!r}"
            )
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.codebook_update = codebook_update
        self.decay = decay
        self.epsilon = None if epsilon is None else float(epsilon)
        self.dead_code_restarts = bool(dead_code_restarts)
        self.restart_threshold = (
            None if restart_threshold is None else float(restart_threshold))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        shape = (num_embeddings, embedding_dim)
        # Uniform, variance 1/D per coordinate: codes of norm about 1.
        initializer = keras.initializers.VarianceScaling(
            1.0, mode="fan_out", distribution="uniform", seed=seed
        )
        self.codebook = self.add_weight(
            shape=shape, initializer=initializer, name="codebook",
            trainable=codebook_update == "loss", autocast=False,
            aggregation="mean",
        )
        self.commitment_weight = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(
                float(commitment_weight)),
            trainable=False, name="commitment_weight", autocast=False,
        )
        # The moving averages N_k (counts, both modes) and m_k (sums, EMA).
        # They start at one vector per code equal to the code itself, so
        # e_k = m_k / N_k is the initial codebook.
        self.counts = self.add_weight(
            shape=(num_embeddings,), initializer="ones", trainable=False,
            name="ema_counts", autocast=False, aggregation="mean",
        )
        self.sums = self.add_weight(
            shape=shape, initializer="zeros", trainable=False,
            name="ema_sums", autocast=False, aggregation="mean",
        )
        self.sums.assign(self.codebook)

    def build(self, input_shape):
        if input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"The quantizer's codes have {self.embedding_dim} dimensions;"
                f" its input has {input_shape[-1]} in its last axis."
            )
        self.built = True

    def nearest(self, z_e):
        """The index of the nearest code of every vector, `z_e.shape[:-1]`
        int32: argmin_k ||z_e||^2 - 2 z_e . e_k + ||e_k||^2."""
        flat = ops.reshape(z_e, (-1, self.embedding_dim))
        distances = (
            ops.sum(flat**2, axis=1, keepdims=True)
            - 2.0 * ops.matmul(flat, ops.transpose(self.codebook))
            + ops.sum(self.codebook**2, axis=1)[None, :]
        )
        indices = ops.cast(ops.argmin(distances, axis=1), "int32")
        return ops.reshape(indices, ops.shape(z_e)[:-1])

    def lookup(self, indices):
        """The codes e_k of int `indices` (any shape): `(*shape, D)`."""
        return ops.take(self.codebook, ops.cast(indices, "int32"), axis=0)

    def call(self, z_e, training=False):
        z_e = ops.cast(z_e, "float32")
        indices = self.nearest(z_e)
        z_q = self.lookup(indices)
        axes = tuple(range(1, len(z_e.shape)))
        commitment = ops.sum(
            (z_e - ops.stop_gradient(z_q)) ** 2, axis=axes
        )
        latent_loss = self.commitment_weight * commitment
        if self.codebook_update == "loss":
            latent_loss = latent_loss + ops.sum(
                (ops.stop_gradient(z_e) - z_q) ** 2, axis=axes)
        if training and self.decay is not None:  # None: no moving average
            self.update_codebook(z_e, indices)
        z_q = z_e + ops.stop_gradient(z_q - z_e)  # straight through
        return z_q, indices, latent_loss

    def update_codebook(self, z_e, indices):
        """One step of the moving averages, then the restarts (in that
        order; module docstring)."""
        flat = ops.stop_gradient(ops.reshape(z_e, (-1, self.embedding_dim)))
        one_hot = ops.one_hot(ops.reshape(indices, (-1,)),
                              self.num_embeddings)
        batch_counts = ops.sum(one_hot, axis=0)
        batch_sums = ops.matmul(ops.transpose(one_hot), flat)
        gamma = self.decay
        counts = gamma * self.counts + (1.0 - gamma) * batch_counts
        self.counts.assign(counts)
        if self.codebook_update == "ema":
            sums = gamma * self.sums + (1.0 - gamma) * batch_sums
            total = ops.sum(counts)
            smoothed = (counts + self.epsilon) / (
                total + self.num_embeddings * self.epsilon) * total
            self.sums.assign(sums)
            self.codebook.assign(sums / smoothed[:, None])
        if self.dead_code_restarts:
            self.restart_dead_codes(flat)

    def restart_dead_codes(self, flat):
        """Codes with a count below `restart_threshold` take a random
        vector of `flat` (the batch's encoder outputs) and a count of
        `restart_threshold`."""
        dead = self.counts < self.restart_threshold
        picks = keras.random.randint(
            (self.num_embeddings,), 0, ops.shape(flat)[0],
            seed=self.seed_generator,
        )
        fresh = ops.take(flat, picks, axis=0)
        codebook = ops.where(dead[:, None], fresh, self.codebook)
        self.codebook.assign(codebook)
        counts = ops.where(dead, self.restart_threshold, self.counts)
        self.counts.assign(counts)
        self.sums.assign(codebook * counts[:, None])

    def get_config(self):
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "commitment_weight": float(
                ops.convert_to_numpy(self.commitment_weight)),
            "codebook_update": self.codebook_update,
            "decay": self.decay,
            "epsilon": self.epsilon,
            "dead_code_restarts": self.dead_code_restarts,
            "restart_threshold": self.restart_threshold,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        """The layer from `get_config`, including configs written before
        `epsilon` and `restart_threshold` were refused where they do nothing
        (those files hold the unused defaults, dropped here)."""
        return cls(**drop_unused_options(config))


def drop_unused_options(config):
    """`config` (a `VectorQuantizer`'s or a `VQVAE`'s) with the options
    its codebook does not use set to None, where the config has them:
    `epsilon` for the `"loss"` codebook, `restart_threshold` without
    restarts, and `decay` for the `"loss"` codebook without restarts. What
    older configs held there was the default, never used."""
    config = dict(config)
    loss = config.get("codebook_update") == "loss"
    no_restarts = config.get("dead_code_restarts") is False
    for key, unused in (("epsilon", loss), ("restart_threshold", no_restarts),
                        ("decay", loss and no_restarts)):
        if unused and key in config:
            config[key] = None
    return config

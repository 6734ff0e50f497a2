"""Training objectives: the loss a zoo model minimises, one class each.

An objective is one of the four axes of a zoo model
(`zoo.VAE(objective=...)`): a name, or an instance for other settings,

    "elbo"      ELBO()                      -ELBO, beta = 1
    "beta"      ELBO(beta=4.0)              beta-VAE (Higgins et al. 2017)
    "capacity"  Capacity(capacity, gamma)   gamma * |KL - C| (Burgess et al.)
    "iwae"      IWAE(num_samples=5)         -L_K (Burda et al. 2016)
    "beta_tc"   BetaTC(tc_weight=6.0, ...)  beta-TCVAE (Chen et al. 2018)
    "semi_supervised"  SemiSupervised(alpha=50.0)  M2 (Kingma et al. 2014)

Each is a small Keras layer that owns its schedulable non-trainable
variables (`beta`, `capacity`, `tc_weight`, ...), so they train, save and
load with the model and callbacks assign them without retracing
(`model.beta` and `model.capacity` are the objective's). An objective
writes two terms of the loss, from the model's ELBO pieces
(`zoo.models.VAE`: `kl_divergence`, `likelihood_distribution`,
`log_weights`):

    loss = reconstruction_loss(target, y_pred) + kl_term(posterior, z)

the second entering through `add_loss`. `num_samples` says how many
posterior samples per example the model draws in training (None: one, with
no sample axis).
"""

import inspect
import math

import keras
from keras import ops

from zoo import distributions
from zoo import validation
from zoo.bounds import batch_mean
from zoo.bounds import importance_weighted_bound
from zoo.validation import FLOAT32_MAX


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


@keras.saving.register_keras_serializable(package="zoo.objectives")
class ELBO(Objective):
    """The negative ELBO with a weight beta on its KL term.

    Mathematical details:

        loss = -E_q(z|x)[log p(x|z)] + beta * KL(q(z|x) || p(z)),

    estimated with one reparameterised sample; at beta = 1 the negative
    evidence lower bound (Kingma & Welling, 2014), and for beta > 1 the
    beta-VAE objective of Higgins et al. (2017), which trades
    reconstruction for a posterior closer to the factorised prior.

    Args:
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`, that `zoo.callbacks.BetaWarmUp` ramps.

    References:
        Kingma & Welling, Auto-Encoding Variational Bayes, 2014.
        Higgins et al., beta-VAE: Learning Basic Visual Concepts with a
        Constrained Variational Framework, ICLR 2017.
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")

    def penalty(self, kl):
        return self.beta * kl

    def get_config(self):
        return {**super().get_config(), "beta": self.value_of(self.beta)}


@keras.saving.register_keras_serializable(package="zoo.objectives")
class Capacity(Objective):
    """The capacity objective of Burgess et al.: the KL held near a target.

    Mathematical details:

        loss = -E_q[log p(x|z)] + gamma * |KL(q(z|x) || p(z)) - C|,

    where C starts at `capacity` and is raised during training by
    `zoo.callbacks.CapacitySchedule` through the non-trainable variable
    `model.capacity`. The objective has no KL weight: `model.beta` is None.

    Args:
        capacity: float >= 0, the initial capacity C in nats (default 0.0).
        gamma: float > 0, weight of |KL - C| (default 100.0).

    References:
        Burgess et al., Understanding disentangling in beta-VAE, 2018,
        https://arxiv.org/abs/1804.03599.
    """

    def __init__(self, capacity=0.0, gamma=100.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(capacity, bool) or not isinstance(
            capacity, (int, float)
        ) or not 0 <= capacity <= FLOAT32_MAX:
            raise ValueError(
                "`capacity` must be a finite float >= 0 (nats; a float32). "
                f"Received: capacity={capacity!r}"
            )
        if isinstance(gamma, bool) or not isinstance(
            gamma, (int, float)
        ) or not 0 < gamma <= FLOAT32_MAX:
            raise ValueError(
                f"`gamma` must be a finite float > 0 (a float32). "
                f"Received: gamma={gamma!r}"
            )
        self.gamma = float(gamma)
        self.capacity = self.schedulable(capacity, "capacity")

    def penalty(self, kl):
        return self.gamma * ops.abs(kl - self.capacity)

    def get_config(self):
        return {**super().get_config(),
                "capacity": self.value_of(self.capacity), "gamma": self.gamma}


@keras.saving.register_keras_serializable(package="zoo.objectives")
class IWAE(ELBO):
    """The importance-weighted autoencoder's K-sample bound.

    Mathematical details:

    With K = `num_samples` reparameterised samples z_k ~ q(z|x) and weights
    w_k = p(x|z_k) p(z_k) / q(z_k|x), the IWAE maximises

        L_K(x) = log (1/K) sum_k w_k   <=   log p(x),

    which equals the ELBO at K = 1 and tightens as K grows (Burda et al.,
    2016). To keep the zoo's contract (KL through `add_loss`), the loss is
    split as

        loss = [-(L_K(x) + KL(q(z|x) || p(z)))] + beta * KL(q(z|x) || p(z))
             = -L_K(x) + (beta - 1) * KL(q(z|x) || p(z)),

    the bracket being the `reconstruction` term, so that with beta = 1
    (default) the loss is exactly -L_K and its gradient the IWAE estimator;
    beta != 1 adds (beta - 1) * KL to the IW bound (a warm-up from beta = 0
    trains on -L_K - KL, the bound with its KL switched off). KL is the
    model's: analytic for the standard-normal prior, else the Monte Carlo
    estimate at the first of the K samples. At K = 1 the `reconstruction`
    term -(log p(x|z) - KL_sample + KL) is an unbiased estimate of
    -E_q[log p(x|z)], as for the VAE. The weights are computed by
    `VAE.log_weights`, shared with `log_likelihood`.

    Args:
        num_samples: int > 0, the K of the training bound (default 5).
        beta: float >= 0, the KL weight (default 1.0: exactly -L_K).

    References:
        Burda, Grosse & Salakhutdinov, Importance Weighted Autoencoders,
        ICLR 2016, https://arxiv.org/abs/1509.00519.
    """

    def __init__(self, num_samples=5, beta=1.0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.num_samples = validation.check_positive_int(
            num_samples, "num_samples"
        )

    def kl_term(self, model, posterior, z):
        """beta * KL, the KL at the first of the K samples."""
        return super().kl_term(model, posterior, z[0])

    def reconstruction_loss(self, model, target, y_pred):
        """-(L_K(x) + KL), batch mean: the loss beyond the beta * KL term.

        `y_pred` is the model's training output for K samples: a dict of
        the decoder's `parameters` for all of them, `z` and the posterior's
        `z_mean` and `z_stddev`.
        """
        posterior = model.posterior(y_pred["z_mean"], y_pred["z_stddev"])
        log_weights = model.log_weights(
            target, posterior, y_pred["z"], y_pred["parameters"]
        )
        bound = importance_weighted_bound(log_weights)
        return -batch_mean(
            bound + model.kl_divergence(posterior, y_pred["z"][0])
        )

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples}


@keras.saving.register_keras_serializable(package="zoo.objectives")
class BetaTC(Objective):
    """beta-TCVAE: the KL split into mutual information, total correlation
    and dimension-wise KL, each with its own weight.

    Mathematical details:

    Averaged over the data, the ELBO's KL splits into three terms (Chen et
    al., 2018), with q(z) = E_x q(z|x) the aggregate posterior:

        E_x KL(q(z|x) || p(z)) = I_q(x; z)                       (index-code MI)
                               + KL(q(z) || prod_j q(z_j))       (total correlation)
                               + sum_j KL(q(z_j) || p(z_j))      (dimension-wise KL)

    and the loss is

        -E_q[log p(x|z)]
        + beta * (mi_weight * MI + tc_weight * TC + dimension_kl_weight * DWKL).

    `tc_weight` is the beta of Chen et al. (the paper's alpha and gamma are
    `mi_weight` and `dimension_kl_weight`); `beta` is the weight on the
    whole KL term, as in every zoo model, so `BetaWarmUp` ramps all three
    together. With all four weights 1 the penalty is exactly the Monte Carlo
    KL log q(z|x) - log p(z) at the sampled z: the three estimates telescope.
    log q(z) and log q(z_j) are estimated on each batch of M examples from a
    dataset of N with minibatch-weighted sampling:

        log q(z_i) ~= logsumexp_m log q(z_i | x_m) - log(N M),

    and alike per dimension for log q(z_ij). The four weights are
    non-trainable variables; `mutual_information`, `total_correlation` and
    `dimension_wise_kl` are logged as metrics beside the analytic `kl`.

    Args:
        tc_weight: float >= 0, weight of the total correlation (default
            6.0; the paper's beta).
        mi_weight: float >= 0, weight of the mutual information (default
            1.0; the paper's alpha).
        dimension_kl_weight: float >= 0, weight of the dimension-wise KL
            (default 1.0; the paper's gamma).
        beta: float >= 0, weight of the whole KL term (default 1.0).
        dataset_size: int > 0, N in the estimator (default 60000).

    References:
        Chen, Li, Grosse & Duvenaud, Isolating Sources of Disentanglement in
        VAEs, NeurIPS 2018, https://arxiv.org/abs/1802.04942.
    """

    def __init__(self, tc_weight=6.0, mi_weight=1.0, dimension_kl_weight=1.0,
                 beta=1.0, dataset_size=60000, **kwargs):
        super().__init__(**kwargs)
        self.dataset_size = validation.check_positive_int(
            dataset_size, "dataset_size"
        )
        # The order of release 0.1's variables: beta, then the three.
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.tc_weight = self.schedulable(
            check_weight(tc_weight, "tc_weight"), "tc_weight"
        )
        self.mi_weight = self.schedulable(
            check_weight(mi_weight, "mi_weight"), "mi_weight"
        )
        self.dimension_kl_weight = self.schedulable(
            check_weight(dimension_kl_weight, "dimension_kl_weight"),
            "dimension_kl_weight",
        )
        self.mutual_information_tracker = keras.metrics.Mean(
            name="mutual_information"
        )
        self.total_correlation_tracker = keras.metrics.Mean(
            name="total_correlation"
        )
        self.dimension_wise_kl_tracker = keras.metrics.Mean(
            name="dimension_wise_kl"
        )

    def kl_term(self, model, posterior, z):
        normal = posterior.distribution
        # log q(z_i,j | x_m) for every pair (i, m) of the batch: (M, M, D).
        pairwise = distributions.tfd.Normal(
            normal.loc[None], normal.scale[None]
        ).log_prob(z[:, None])
        batch = ops.cast(ops.shape(z)[0], "float32")
        log_normaliser = ops.log(batch) + math.log(self.dataset_size)
        log_q_z = ops.logsumexp(ops.sum(pairwise, -1), axis=1) - log_normaliser
        log_q_z_dims = ops.sum(
            ops.logsumexp(pairwise, axis=1) - log_normaliser, -1
        )
        log_q_z_given_x = posterior.log_prob(z)
        mutual_information = batch_mean(log_q_z_given_x - log_q_z)
        total_correlation = batch_mean(log_q_z - log_q_z_dims)
        dimension_wise_kl = batch_mean(log_q_z_dims - model.prior().log_prob(z))
        for tracker, value in (
            (model.kl_tracker, batch_mean(model.kl_divergence(posterior, z))),
            (self.mutual_information_tracker, mutual_information),
            (self.total_correlation_tracker, total_correlation),
            (self.dimension_wise_kl_tracker, dimension_wise_kl),
        ):
            tracker.update_state(value, sample_weight=ops.shape(z)[0])
        return self.beta * (
            self.mi_weight * mutual_information
            + self.tc_weight * total_correlation
            + self.dimension_kl_weight * dimension_wise_kl
        )

    def get_config(self):
        return {
            **super().get_config(),
            "tc_weight": self.value_of(self.tc_weight),
            "mi_weight": self.value_of(self.mi_weight),
            "dimension_kl_weight": self.value_of(self.dimension_kl_weight),
            "beta": self.value_of(self.beta),
            "dataset_size": self.dataset_size,
        }


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


#: name -> (class, default options): the objectives by name.
OBJECTIVES = {
    "elbo": (ELBO, {}),
    "beta": (ELBO, {"beta": 4.0}),
    "capacity": (Capacity, {}),
    "iwae": (IWAE, {}),
    "beta_tc": (BetaTC, {}),
    "semi_supervised": (SemiSupervised, {}),
}


def options(name):
    """The options the objective `name` takes, sorted."""
    cls = _entry(name)[0]
    names = set()
    for klass in cls.__mro__:
        if klass.__module__ == __name__:
            names.update(
                parameter.name for parameter in inspect.signature(
                    klass.__init__).parameters.values()
                if parameter.kind is parameter.POSITIONAL_OR_KEYWORD
            )
    return sorted(names - {"self"})


def get(identifier, **options_):
    """An objective from its name and options, or an `Objective` as is.

    Raises:
        ValueError: for an unknown name, or an option the objective does
            not take; the message lists the valid ones.
    """
    if isinstance(identifier, Objective):
        if options_:
            raise ValueError(
                f"Options {sorted(options_)} go to the objective's "
                "constructor; received an objective instance already built."
            )
        return identifier
    cls, defaults = _entry(identifier)
    unknown = sorted(set(options_) - set(options(identifier)))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for objective {identifier!r}. "
            f"Valid options: {options(identifier)}."
        )
    return cls(**{**defaults, **options_})


def _entry(name):
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise ValueError(
            f"`objective` must be one of {sorted(OBJECTIVES)} or a "
            "zoo.objectives.Objective instance. "
            f"Received: objective={name!r}"
        )
    return OBJECTIVES[name]


def check_weight(value, name):
    """`value` as a float, or `ValueError` unless it is a finite float >= 0."""
    if isinstance(value, bool) or not isinstance(
        value, (int, float)
    ) or not 0 <= value <= FLOAT32_MAX:
        raise ValueError(
            f"`{name}` must be a finite float >= 0 (at most float32's "
            f"largest, {FLOAT32_MAX:.4g}: weights are float32 variables). "
            f"Received: {name}={value!r}"
        )
    return float(value)

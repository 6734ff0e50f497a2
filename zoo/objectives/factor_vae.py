"""FactorVAE: the ELBO plus a total-correlation penalty estimated by a
discriminator (Kim & Mnih 2018)."""

import keras
from keras import ops

from zoo import validation
from zoo.bounds import batch_mean
from zoo.objectives.objective import Objective
from zoo.validation import check_weight

#: The slope of the discriminator's leaky ReLUs (Kim & Mnih's).
LEAKY_SLOPE = 0.2


def permute_dimensions(z, keys):
    """Each column of z `(batch, latent_dim)` shuffled across the batch on
    its own: column j reordered by `argsort(keys[:, j])`, for uniform
    `keys` of z's shape. A draw from prod_j q(z_j), the product of the
    batch's marginals (Kim & Mnih, Algorithm 1)."""
    order = ops.argsort(keys, axis=0)
    return ops.take_along_axis(z, order, axis=0)


@keras.saving.register_keras_serializable(package="zoo.objectives")
class TotalCorrelationDiscriminator(keras.layers.Layer):
    """The FactorVAE discriminator: an MLP on z giving the logit of
    "z was drawn from q(z)" against "from prod_j q(z_j)".

    Its dense layers are written out (kernels and biases it owns), so that
    `call(z, frozen=True)` can read them through `ops.stop_gradient`: the
    VAE's total-correlation term then moves the encoder but never the
    discriminator. It computes in float32.

    Args:
        hidden_units: tuple of ints > 0, the hidden layers' widths (leaky
            ReLU, slope 0.2), then one logit.
    """

    def __init__(self, hidden_units=(1000,) * 6, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.hidden_units = tuple(
            validation.check_positive_int(units, "discriminator_units")
            for units in hidden_units)

    def build(self, input_shape):
        self.kernels, self.biases = [], []
        width = input_shape[-1]
        for index, units in enumerate((*self.hidden_units, 1)):
            self.kernels.append(self.add_weight(
                shape=(width, units), initializer="glorot_uniform",
                name=f"kernel_{index}"))
            self.biases.append(self.add_weight(
                shape=(units,), initializer="zeros", name=f"bias_{index}"))
            width = units

    def call(self, z, frozen=False):
        """The logits `(batch,)`; `frozen`: the weights read through
        `ops.stop_gradient`."""
        features = ops.cast(z, "float32")
        layers = list(zip(self.kernels, self.biases))
        for index, (kernel, bias) in enumerate(layers):
            if frozen:
                kernel, bias = ops.stop_gradient(kernel), ops.stop_gradient(
                    bias)
            features = ops.matmul(features, kernel) + bias
            if index < len(layers) - 1:
                features = ops.leaky_relu(features, LEAKY_SLOPE)
        return features[:, 0]

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        return {**config, "hidden_units": self.hidden_units}


@keras.saving.register_keras_serializable(package="zoo.objectives")
class FactorVAE(Objective):
    """FactorVAE: the ELBO plus gamma times the total correlation of q(z),
    estimated by a discriminator trained in the same step.

    Mathematical details:

    The total correlation of the aggregate posterior q(z) = E_x q(z|x) is
    TC = KL(q(z) || prod_j q(z_j)). A discriminator D(z) = sigmoid(d(z))
    tells samples of q(z) from samples of prod_j q(z_j); at its optimum
    d(z) = log q(z) / prod_j q(z_j), so (Kim & Mnih 2018, eq. 3)

        TC ~= E_q(z)[log D(z) / (1 - D(z))] = mean_i d(z_i),

    and the VAE minimises

        loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)) + gamma * TC.

    The discriminator minimises its cross-entropy on the batch's samples
    z_i (label 1) and on the same samples with each dimension shuffled
    across the batch on its own (label 0: `permute_dimensions`, a draw
    from prod_j q(z_j)):

        discriminator_loss = 1/2 mean_i [softplus(-d(z_i)) + softplus(d(z~_i))].

    Both train in one Keras step, on one optimizer: the discriminator's
    loss is computed at stop_gradient(z), so it reaches only the
    discriminator's weights, and the TC term reads those weights through
    stop_gradient, so it reaches only the encoder. The discriminator's
    loss enters the sum as `discriminator_loss - stop_gradient(...)`: its
    gradient without its value, so the logged `loss` stays the VAE's.
    `total_correlation` and `discriminator_loss` are logged. (Kim & Mnih
    shuffle a second batch and give the discriminator its own Adam; here
    the batch is shuffled itself and the model's optimizer trains both.)
    The discriminator is a layer of the objective: it saves and loads with
    the model.

    Args:
        gamma: float >= 0, the weight of the TC (default 6.4); a
            non-trainable variable, `model.objective.gamma`.
        beta: float >= 0, the KL weight (default 1.0); a non-trainable
            variable, `model.beta`.
        discriminator_units: tuple of ints > 0, the discriminator's hidden
            widths (default six of 1000, Kim & Mnih's).
        seed: int or None, seeds the dimension shuffles.

    References:
        Kim & Mnih, Disentangling by Factorising, ICML 2018,
        https://arxiv.org/abs/1802.05983.
    """

    needs_sample = True
    metric_names = ("total_correlation", "discriminator_loss")

    def __init__(self, gamma=6.4, beta=1.0, discriminator_units=(1000,) * 6,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.beta = self.schedulable(check_weight(beta, "beta"), "beta")
        self.gamma = self.schedulable(check_weight(gamma, "gamma"), "gamma")
        self.seed = validation.check_seed(seed)
        self.discriminator = TotalCorrelationDiscriminator(
            discriminator_units, name="discriminator")
        self.discriminator_units = self.discriminator.hidden_units
        self.seed_generator = keras.random.SeedGenerator(seed)

    def configure(self, latent_dim):
        """Build the discriminator on codes of `latent_dim`."""
        self.discriminator.build((None, latent_dim))

    def latent_loss(self, terms):
        """beta * KL + gamma * TC, plus the discriminator's loss as a
        gradient only; the metrics are `kl`, `total_correlation` and
        `discriminator_loss`."""
        z = ops.cast(terms["z"], "float32")
        total_correlation = ops.mean(self.discriminator(z, frozen=True))
        stopped = ops.stop_gradient(z)
        shuffled = permute_dimensions(stopped, keras.random.uniform(
            ops.shape(stopped), seed=self.seed_generator))
        discriminator_loss = 0.5 * (
            ops.mean(ops.softplus(-self.discriminator(stopped)))
            + ops.mean(ops.softplus(self.discriminator(shuffled))))
        kl = batch_mean(terms["kl"])
        loss = (self.beta * kl + self.gamma * total_correlation
                + discriminator_loss - ops.stop_gradient(discriminator_loss))
        return loss, {"kl": kl, "total_correlation": total_correlation,
                      "discriminator_loss": discriminator_loss}

    def get_config(self):
        return {**super().get_config(), "gamma": self.value_of(self.gamma),
                "beta": self.value_of(self.beta),
                "discriminator_units": self.discriminator_units,
                "seed": self.seed}

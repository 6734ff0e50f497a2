"""The dense networks of `zoo.HierarchicalVAE(network="gated_mlp")`: a
hierarchy of latent vectors over gated dense layers.

The same interface as the convolutional hierarchy (`hierarchy.py`): a
bottom-up encoder that gives q(z_0|x)'s parameters and the features the
lower groups read, and a top-down layer, `TopDown`, whose `run` gives the
likelihood's parameters and one `hierarchy.Group` per lower group. Here
every group is a vector (no feature maps, no resolutions), and every
hidden layer is a gated linear unit (`gated_mlp.gated_stack`),

    GLU(v) = (W v + b) * sigmoid(V v + c).

Bottom-up: x, flattened -> two GLUs of `width` -> b, the features every
lower group reads, and q(z_0|x) from b (the zoo's posterior head,
`zoo.networks.heads`).

Top-down, with h the state:

    h <- GLU(GLU(z_0))
    for each lower group l (`num_groups` of them, `group_channels` wide):
        prior      p(z_l | z_<l)    = N(mu_p(h), sigma_p(h)^2)
        posterior  q(z_l | x, z_<l) = N(mu_p(h) + dmu(g), (sigma_p(h) * s(g))^2),
                   g = GLU([h, b])
        h <- GLU([h, z_l])
    parameters = Dense(GLU(h)), reshaped to the likelihood's shape

([u, v] is concatenation; the heads are `Dense` layers in float32, scales
softplus plus the floor `SCALE_FLOOR`.) The state h carries z_0 and every
sampled group into the likelihood, as p(x | z_1, z_2) of Tomczak & Welling
(2018) reads both of their groups.

With `width=300`, `latent_dim=40`, `group_channels=40` and one lower group
this is the "HVAE (two stochastic layers)" of the VampPrior paper (their
z_2 is z_0 here, their z_1 our one lower group), except for the posterior
of the lower group: theirs, q(z_1 | x, z_2), is a network of its own
(GLU(x) and GLU(z_2) concatenated -> GLU -> heads), while this one keeps
the zoo's residual parameterisation relative to the prior (NVAE; the
posterior head is zero at initialisation, so a fresh posterior equals its
prior and every lower KL starts at 0), read from the top-down state and
the shared bottom-up features b.

The pass itself draws nothing: `TopDown.run` takes the standard normal
noise of each group (or None for a group's mean).

References:
    Tomczak & Welling, VAE with a VampPrior, AISTATS 2018,
    https://arxiv.org/abs/1705.07120 (the two-layer HVAE).
    Dauphin, Fan, Auli & Grangier, Language Modeling with Gated
    Convolutional Networks, ICML 2017, https://arxiv.org/abs/1612.08083.
    Vahdat & Kautz, NVAE: A Deep Hierarchical Variational Autoencoder,
    NeurIPS 2020, https://arxiv.org/abs/2007.03898.
"""

import math

import keras
from keras import layers
from keras import ops

from zoo.networks.gated_mlp import gated_stack
from zoo.networks.heads import posterior_head
from zoo.networks.hierarchy import draw_group
from zoo.networks.hierarchy import prior_parameters
from zoo.networks.hierarchy import residual_posterior


def gated_block(input_sizes, hidden_units, name):
    """A functional model: vectors of `input_sizes`, concatenated, through
    a GLU per entry of `hidden_units` (`gated_mlp.gated_stack`)."""
    inputs = [keras.Input(shape=(size,), name=f"input_{index}")
              for index, size in enumerate(input_sizes)]
    if len(inputs) == 1:
        return keras.Model(inputs[0], gated_stack(inputs[0], hidden_units),
                           name=name)
    features = layers.Concatenate(name="concatenate")(inputs)
    return keras.Model(inputs, gated_stack(features, hidden_units), name=name)


def bottom_up(input_shape, latent_dim, width):
    """The bottom-up networks: `(encoder, bottom_up)`.

    x, flattened -> two GLUs of `width` -> b -> the zoo's posterior head:
    `encoder` is x -> `[z_mean, z_stddev]` of the top group, and
    `bottom_up`, sharing its layers, is x -> `[b, z_mean, z_stddev]`.
    """
    inputs = keras.Input(shape=input_shape, name="x")
    features = layers.Flatten(name="flatten")(inputs)
    features = gated_stack(features, (width, width))
    encoder = posterior_head(inputs, features, latent_dim, name="encoder")
    return encoder, keras.Model(inputs, [features, *encoder.outputs],
                                name="bottom_up")


class LatentGroup(layers.Layer):
    """One vector group: its prior and posterior heads and the merge of z
    into the top-down state (module docstring)."""

    def __init__(self, width, group_channels, **kwargs):
        super().__init__(**kwargs)
        self.prior_head = layers.Dense(
            2 * group_channels, dtype="float32", name="prior")
        self.posterior_features = gated_block(
            (width, width), (width,), name="posterior_features")
        self.posterior_head = layers.Dense(
            2 * group_channels, dtype="float32", kernel_initializer="zeros",
            name="posterior",
        )
        self.merge = gated_block(
            (width, group_channels), (width,), name="merge")

    def build(self, state_shape):
        self.prior_head.build(state_shape)
        self.posterior_head.build(state_shape)

    def prior(self, h):
        """p(z_l | z_<l)'s `(loc, scale)` from the state h."""
        return prior_parameters(self.prior_head(h))

    def posterior(self, h, features, prior_loc, prior_scale):
        """q(z_l | x, z_<l)'s `(loc, scale)`: residual to the prior."""
        return residual_posterior(
            self.posterior_head(self.posterior_features([h, features])),
            prior_loc, prior_scale)

    def update(self, h, z):
        """The next state: GLU([h, z])."""
        return self.merge([h, ops.cast(z, h.dtype)])


class TopDown(layers.Layer):
    """The top-down decoder: z_0 -> vector groups -> the likelihood's
    parameters.

    `call(z_0)` is the decoder of the contract: every lower group at the
    mean of its prior. `run` is the general pass (noise per group, with or
    without the bottom-up features of x).
    """

    def __init__(self, output_shape, latent_dim, width, num_groups,
                 group_channels, **kwargs):
        super().__init__(**kwargs)
        self.parameter_shape = tuple(output_shape)
        self.width = width
        self.group_channels = group_channels
        self.start = gated_block((latent_dim,), (width, width), name="start")
        self.groups = [
            LatentGroup(width, group_channels, name=f"group_{index}")
            for index in range(num_groups)
        ]
        self.last = gated_block((width,), (width,), name="last")
        self.parameters = layers.Dense(
            math.prod(output_shape), dtype="float32", name="parameters")

    @property
    def group_shapes(self):
        """The shape of each lower group's z, `(group_channels,)`, in the
        pass's order."""
        return [(self.group_channels,) for _ in self.groups]

    def build(self, input_shape):
        for group in self.groups:
            group.build((None, self.width))
        self.parameters.build((None, self.width))

    def call(self, z_top):
        return self.run(z_top)[0]

    def run(self, z_top, features=None, noise=None, temperature=1.0):
        """One top-down pass.

        Args:
            z_top: z_0, `(batch, latent_dim)`.
            features: None (a pass from the priors), or `[b]`, the
                bottom-up features of x (a pass from the posteriors).
            noise: None (every group at its mean), or one standard normal
                tensor per group, `(batch, group_channels)`, None for a
                group at its mean: z_l = loc + scale * eps.
            temperature: float, multiplies the prior's scale (passes
                without `features` only).

        Returns:
            `(parameters, groups)`: the likelihood's parameters and one
            `hierarchy.Group` per lower group.
        """
        h = self.start(z_top)
        groups = []
        for index, group in enumerate(self.groups):
            drawn, h = draw_group(
                group, h, None if features is None else features[0],
                None if noise is None else noise[index], temperature)
            groups.append(drawn)
        parameters = self.parameters(self.last(h))
        return ops.reshape(parameters, (-1, *self.parameter_shape)), groups

"""The networks of `zoo.HierarchicalVAE`: a bottom-up encoder and a
top-down decoder of residual cells, with latent groups along the way.

The bottom-up pass maps x through `scales` stride-2 stages (each a stride-2
convolution and `cells` residual cells) to feature maps at resolutions
H/2, H/4, ... (rounded up), and from the smallest to the top group's
posterior q(z_0|x) (a vector of `latent_dim`, like every zoo model's z).

The top-down pass starts from z_0 (a Dense layer to the smallest grid) and
walks the resolutions back up, smallest first. At each resolution it holds
`groups_per_scale` latent groups z_l of `group_channels` channels on that
grid. For each group, with h the top-down state:

    prior      p(z_l | z_<l)    = N(mu_p(h), sigma_p(h)^2)
    posterior  q(z_l | x, z_<l) = N(mu_p(h) + dmu(h, b), (sigma_p(h) * s(h, b))^2)
    h <- cells(h + Conv1x1(z_l))

where b is the bottom-up feature map at the group's resolution. The
posterior is NVAE's residual parameterisation relative to the prior
(Vahdat & Kautz, 2020): it starts equal to the prior (dmu = 0, s = 1 at
zero pre-activations), so every group's KL starts near 0 and a large KL
takes a deliberate move of the posterior. Scales are softplus with the
floor `SCALE_FLOOR`; every parameter head runs in float32.

A residual cell is h + Conv3x3(silu(Conv3x3(silu(h)))) with the second
convolution initialised to zero, so a deep stack starts as the identity
(`residual=False` drops the skip connection, for the ablation). The last
stage upsamples to H x W (no cells there: at full resolution they would
cost more than the rest of the network) and a 1x1 convolution gives the
likelihood's parameters.

The pass itself draws nothing: `TopDown.run` takes the standard normal
noise of each group (or None for a group's mean), so training, scoring and
the deterministic serving signatures share it.

References:
    Sønderby et al., Ladder Variational Autoencoders, NeurIPS 2016.
    Vahdat & Kautz, NVAE: A Deep Hierarchical Variational Autoencoder,
    NeurIPS 2020, https://arxiv.org/abs/2007.03898.
    Child, Very Deep VAEs Generalize Autoregressive Models and Can
    Outperform Them on Images, ICLR 2021, https://arxiv.org/abs/2011.10650.
"""

import collections
import math

import keras
from keras import layers
from keras import ops

from zoo.latents.gaussian import SCALE_FLOOR
from zoo.networks.heads import posterior_head

#: softplus(UNIT_SHIFT) + SCALE_FLOOR = 1: the posterior's scale factor
#: at zero input, so that a fresh posterior equals its prior exactly.
UNIT_SHIFT = math.log(math.expm1(1.0 - SCALE_FLOOR))

#: One latent group of a top-down pass: its sample z and the parameters of
#: its prior and (None in a pass without x) posterior, each
#: `(batch, h, w, group_channels)`, float32 (`(batch, group_channels)` for
#: the vector groups of `dense_hierarchy`).
Group = collections.namedtuple(
    "Group", ["z", "prior_loc", "prior_scale", "posterior_loc",
              "posterior_scale"]
)


def grids(input_shape, scales):
    """The `(h, w)` of each resolution with latents, largest first:
    H and W halved (rounding up) once per stage."""
    height, width = input_shape[:2]
    result = []
    for _ in range(scales):
        height, width = math.ceil(height / 2), math.ceil(width / 2)
        result.append((height, width))
    return result


def prior_parameters(head_output):
    """A group's prior `(loc, scale)` from its head's output, the last axis
    split in two: loc, and softplus(raw) + `SCALE_FLOOR`."""
    loc, raw = ops.split(head_output, 2, axis=-1)
    return loc, ops.softplus(raw) + SCALE_FLOOR


def residual_posterior(head_output, prior_loc, prior_scale):
    """A group's posterior `(loc, scale)` relative to its prior (NVAE): the
    head's output split into a shift dmu and a raw scale factor,
    `(prior_loc + dmu, prior_scale * (softplus(raw + UNIT_SHIFT) +
    SCALE_FLOOR))`, the prior itself at a zero output."""
    shift, raw = ops.split(head_output, 2, axis=-1)
    factor = ops.softplus(raw + UNIT_SHIFT) + SCALE_FLOOR
    return prior_loc + shift, prior_scale * factor


def draw_group(group, h, features, eps, temperature):
    """One group of a top-down pass (module docstring): its prior from the
    state h; its posterior when `features` (x's bottom-up features at the
    group's resolution) are given, else the prior with its scale times
    `temperature`; z = loc + scale * eps, the mean where `eps` is None.

    Returns:
        `(Group, the next state)`.
    """
    prior_loc, prior_scale = group.prior(h)
    if features is None:
        loc, scale = prior_loc, prior_scale * temperature
        posterior = (None, None)
    else:
        loc, scale = group.posterior(
            h, ops.cast(features, h.dtype), prior_loc, prior_scale)
        posterior = (loc, scale)
    z = loc if eps is None else loc + scale * eps
    return Group(z, prior_loc, prior_scale, *posterior), group.update(h, z)


class ResidualCell(layers.Layer):
    """h + Conv3x3(silu(Conv3x3(silu(h)))), the second convolution
    zero-initialised; without `residual`, silu(Conv3x3(silu(Conv3x3(h))))
    (a plain stack, for the ablation)."""

    def __init__(self, width, residual=True, **kwargs):
        super().__init__(**kwargs)
        self.residual = residual
        self.first = layers.Conv2D(width, 3, padding="same", name="conv_0")
        self.second = layers.Conv2D(
            width, 3, padding="same",
            kernel_initializer="zeros" if residual else "glorot_uniform",
            name="conv_1",
        )

    def build(self, input_shape):
        self.first.build(input_shape)
        self.second.build((*input_shape[:-1], self.first.filters))

    def call(self, h):
        if not self.residual:
            return ops.silu(self.second(ops.silu(self.first(h))))
        return h + self.second(ops.silu(self.first(ops.silu(h))))


def cell_stack(width, cells, residual, name):
    """`cells` residual cells in a `keras.Sequential` (an identity layer
    for none)."""
    if cells == 0:
        return layers.Identity(name=name)
    return keras.Sequential(
        [ResidualCell(width, residual, name=f"cell_{index}")
         for index in range(cells)],
        name=name,
    )


def bottom_up(input_shape, latent_dim, width, scales, cells, residual):
    """The bottom-up networks: `(encoder, bottom_up)`.

    Each stage: Conv2D(3x3, stride 2) to `width` -> `cells` residual cells.
    The smallest map, flattened, gets the zoo's posterior head
    (`zoo.networks.heads`): `encoder` is x -> `[z_mean, z_stddev]` of the
    top group, and `bottom_up`, sharing its layers, is x -> `[b_1, ...,
    b_S, z_mean, z_stddev]`, with the feature map of each resolution,
    largest first.
    """
    inputs = keras.Input(shape=input_shape, name="x")
    features = inputs
    maps = []
    for scale in range(scales):
        features = layers.Conv2D(
            width, 3, strides=2, padding="same", name=f"down_{scale}"
        )(features)
        features = cell_stack(width, cells, residual, f"cells_{scale}")(
            features)
        maps.append(features)
    top = layers.Flatten(name="flatten")(layers.Activation("silu")(features))
    encoder = posterior_head(inputs, top, latent_dim, name="encoder")
    return encoder, keras.Model(inputs, [*maps, *encoder.outputs],
                                name="bottom_up")


class LatentGroup(layers.Layer):
    """One group: its prior and posterior heads and the merge of z into the
    top-down state (module docstring)."""

    def __init__(self, width, group_channels, cells, residual, **kwargs):
        super().__init__(**kwargs)
        self.group_channels = group_channels
        self.prior_head = layers.Conv2D(
            2 * group_channels, 3, padding="same", dtype="float32",
            name="prior",
        )
        self.posterior_head = layers.Conv2D(
            2 * group_channels, 3, padding="same", dtype="float32",
            kernel_initializer="zeros", name="posterior",
        )
        self.merge = layers.Conv2D(width, 1, name="merge")
        self.cells = cell_stack(width, cells, residual, "cells")

    def build(self, state_shape):
        self.prior_head.build(state_shape)
        self.posterior_head.build((*state_shape[:-1], 2 * state_shape[-1]))
        self.merge.build((*state_shape[:-1], self.group_channels))
        self.cells.build(state_shape)

    def prior(self, h):
        """p(z_l | z_<l)'s `(loc, scale)` from the state h."""
        return prior_parameters(self.prior_head(h))

    def posterior(self, h, features, prior_loc, prior_scale):
        """q(z_l | x, z_<l)'s `(loc, scale)`: residual to the prior."""
        return residual_posterior(
            self.posterior_head(ops.concatenate([h, features], axis=-1)),
            prior_loc, prior_scale)

    def update(self, h, z):
        """The next state: cells(h + Conv1x1(z))."""
        return self.cells(h + ops.cast(self.merge(z), h.dtype))


class TopDown(layers.Layer):
    """The top-down decoder: z_0 -> groups -> the likelihood's parameters.

    `call(z_0)` is the decoder of the contract: every lower group at the
    mean of its prior. `run` is the general pass (noise per group, with or
    without the bottom-up features of x).
    """

    def __init__(self, output_shape, latent_dim, width, scales,
                 groups_per_scale, group_channels, cells, residual,
                 **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(output_shape)
        self.latent_dim = latent_dim
        self.width = width
        self.grids = grids(output_shape, scales)
        self.groups_per_scale = groups_per_scale
        self.group_channels = group_channels
        smallest = self.grids[-1]
        self.project = layers.Dense(
            smallest[0] * smallest[1] * width, name="project")
        #: The groups, smallest resolution first: `(scale, LatentGroup)`.
        self.groups = [
            (scale, LatentGroup(width, group_channels, cells, residual,
                                name=f"group_{scale}_{index}"))
            for scale in reversed(range(scales))
            for index in range(groups_per_scale)
        ]
        self.upsample = [
            layers.Conv2DTranspose(width, 3, strides=2, padding="same",
                                   name=f"up_{scale}")
            for scale in range(scales)
        ]
        self.parameters = layers.Conv2D(
            output_shape[-1], 1, dtype="float32", name="parameters")

    @property
    def group_shapes(self):
        """The shape of each lower group's z, `(h, w, group_channels)`, in
        the pass's order (smallest resolution first)."""
        return [(*self.grids[scale], self.group_channels)
                for scale, _ in self.groups]

    def build(self, input_shape):
        self.project.build((None, self.latent_dim))
        for scale, group in self.groups:
            group.build((None, *self.grids[scale], self.width))
        for scale, upsample in enumerate(self.upsample):
            upsample.build((None, *self.grids[scale], self.width))
        self.parameters.build((None, *self.image_shape[:2], self.width))

    def call(self, z_top):
        return self.run(z_top)[0]

    def run(self, z_top, features=None, noise=None, temperature=1.0):
        """One top-down pass.

        Args:
            z_top: z_0, `(batch, latent_dim)`.
            features: None (a pass from the priors), or the bottom-up maps
                `[b_1, ..., b_S]` of x (a pass from the posteriors).
            noise: None (every group at its mean), or one standard normal
                tensor per group, `group_shapes` with the batch first, None
                for a group at its mean: z_l = loc + scale * eps.
            temperature: float, multiplies the prior's scale (passes
                without `features` only).

        Returns:
            `(parameters, groups)`: the likelihood's parameters and one
            `Group` per lower group.
        """
        smallest = self.grids[-1]
        h = ops.reshape(self.project(z_top), (-1, *smallest, self.width))
        groups = []
        scale_now = len(self.grids) - 1
        for index, (scale, group) in enumerate(self.groups):
            while scale_now > scale:
                h = self.up(h, scale_now - 1)
                scale_now -= 1
            drawn, h = draw_group(
                group, h, None if features is None else features[scale],
                None if noise is None else noise[index], temperature)
            groups.append(drawn)
        while scale_now >= 0:
            h = self.up(h, scale_now - 1)
            scale_now -= 1
        return self.parameters(ops.silu(h)), groups

    def up(self, h, scale):
        """Upsample h by 2 to resolution `scale` (-1: the image), cropped
        to that grid exactly."""
        target = self.image_shape[:2] if scale < 0 else self.grids[scale]
        h = self.upsample[scale + 1](ops.silu(h))
        return h[:, :target[0], :target[1], :]

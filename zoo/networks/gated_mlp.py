"""The `"gated_mlp"` network: multilayer perceptrons of gated dense layers.

Each hidden layer is a gated linear unit (Dauphin et al. 2017),

    h = (W x + b) * sigmoid(V x + c),

the linear part passed where the sigmoid gate opens. Two of them, 300
units wide, are the encoder and decoder of the VAE and HVAE rows of the
VampPrior paper (Tomczak & Welling 2018) and of Exemplar VAE's
density-estimation table (Norouzi et al. 2020), which `bench.published_table`
reproduces. Built from Keras's own `Dense` and `Multiply` layers, so a
model saves and loads with no custom object. Otherwise the `"mlp"` network
(`mlp.py`): the same heads, conditions and code grid.

References:
    Dauphin, Fan, Auli & Grangier, Language Modeling with Gated
    Convolutional Networks, ICML 2017, https://arxiv.org/abs/1612.08083.
    Tomczak & Welling, VAE with a VampPrior, AISTATS 2018,
    https://arxiv.org/abs/1705.07120.
"""

import functools

from keras import layers

from zoo.networks import mlp

#: The options of `network="gated_mlp"` and their defaults: the papers'
#: two layers of 300.
DEFAULTS = {"hidden_units": (300, 300)}

#: Whether the network takes flat examples (any input_shape), not only
#: images.
TAKES_FLAT = True


def gated_stack(features, hidden_units):
    """A gated linear unit `(W x + b) * sigmoid(V x + c)` per entry of
    `hidden_units`."""
    for index, units in enumerate(hidden_units):
        linear = layers.Dense(units, name=f"gated_{index}_linear")(features)
        gate = layers.Dense(units, activation="sigmoid",
                            name=f"gated_{index}_gate")(features)
        features = layers.Multiply(name=f"gated_{index}")([linear, gate])
    return features


encoder = functools.partial(mlp.encoder, stack=gated_stack)
decoder = functools.partial(mlp.decoder, stack=gated_stack)
grid_encoder = functools.partial(mlp.grid_encoder, stack=gated_stack)
grid_decoder = functools.partial(mlp.grid_decoder, stack=gated_stack)
#: The code grid of `grid_encoder`, as the `"mlp"` network's.
GRID = mlp.GRID

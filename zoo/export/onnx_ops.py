"""tf2onnx handlers for the TensorFlow ops of zoo graphs that tf2onnx lacks.

TFP's distributions use two ops tf2onnx 1.17 cannot convert:

- `Expm1` (exp(x) - 1; in the KL divergence between Gaussians), written
  here as ONNX `Exp` then `Sub 1`: the same value, with an absolute error
  of float32 rounding (~1e-7) where x is near 0;
- `MulNoNan` (x * y, and 0 where y == 0 even if x is inf or NaN; in the
  Bernoulli log-probability), written as `Mul` then `Where(y == 0, 0, .)`,
  as tf2onnx writes `DivNoNan`.

Importing this module registers both with tf2onnx (`tf2onnx.handler.tf_op`);
`zoo.export.convert` imports it before converting.
"""

import numpy as np
from tf2onnx import utils
from tf2onnx.handler import tf_op


@tf_op("Expm1")
class Expm1:
    """exp(x) - 1."""

    @classmethod
    def version_1(cls, ctx, node, **kwargs):
        dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
        node.type = "Exp"
        one = ctx.make_const(utils.make_name("const_one"),
                             np.array(1, dtype)).output[0]
        minus_one = ctx.make_node("Sub", [node.output[0], one])
        ctx.insert_node_on_output(minus_one, node.output[0])


@tf_op("MulNoNan")
class MulNoNan:
    """x * y, 0 where y == 0."""

    @classmethod
    def version_9(cls, ctx, node, **kwargs):
        dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[1]))
        node.type = "Mul"
        zero = ctx.make_const(utils.make_name("const_zero"),
                              np.array(0, dtype)).output[0]
        is_zero = ctx.make_node("Equal", [node.input[1], zero]).output[0]
        chosen = ctx.make_node("Where", [is_zero, zero, node.output[0]])
        ctx.insert_node_on_output(chosen, node.output[0])

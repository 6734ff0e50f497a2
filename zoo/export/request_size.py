"""How many samples one served request may draw: as many as fit a memory
budget, from the activations one sample needs in the model's decoder.

A signature's `num_samples` is a scalar, so unlike the images of a request
(bounded by the size of the message carrying them) it can ask for any
amount of work. A count alone does not bound it: 20,000 samples of
`hierarchical_vae`'s `score` took 6.7 GB where 20,000 of `dense_vae`'s take
a few MB. So the default limit is the count whose decoder activations fit
`MAX_REQUEST_BYTES`:

    max_samples = min(MAX_SAMPLES, max_request_bytes // sample_bytes(model))

where `sample_bytes` traces the decoder on one latent and adds up the
bytes of every floating-point tensor computed from it. That sum is an upper
bound on the memory one sample holds at once (TensorFlow frees
activations as it goes, so a request's peak is lower), and it grows with
the time a sample takes, so the limit bounds both.
"""

import tensorflow as tf

from zoo.models.endpoints import MAX_SAMPLES

#: The default activation memory one request may need: 2 GiB.
MAX_REQUEST_BYTES = 2**31


def activation_bytes(function, *specs):
    """The bytes of the floating-point tensors `function` computes from its
    inputs, and of the inputs, traced on `specs` (fully defined
    `tf.TensorSpec`s); weights, constants and captured tensors are not
    counted."""
    graph = tf.function(function, autograph=False).get_concrete_function(
        *specs).graph
    captured = {tensor.ref() for tensor in graph.internal_captures}
    computed = {tensor.ref() for tensor in graph.inputs
                if tensor.ref() not in captured}
    total = 0
    for operation in graph.get_operations():
        outputs = [tensor for tensor in operation.outputs
                   if tensor.ref() in computed]
        if any(tensor.ref() in computed for tensor in operation.inputs):
            outputs = operation.outputs
            computed.update(tensor.ref() for tensor in outputs)
        for tensor in outputs:
            if tensor.dtype.is_floating and tensor.shape.is_fully_defined():
                total += tensor.shape.num_elements() * tensor.dtype.size
    return total


def sample_bytes(model):
    """The decoder's activation bytes for one latent of `model` (batch 1 of
    each of its `decoder`'s inputs: the latent, and a conditional model's
    labels)."""
    inputs = model.decoder.inputs
    specs = [tf.TensorSpec((1, *tensor.shape[1:]), tensor.dtype)
             for tensor in inputs]

    def decode(*tensors):
        if len(tensors) == 1:
            return model.decoder(tensors[0])
        return model.decoder({tensor.name: value
                              for tensor, value in zip(inputs, tensors)})

    return max(activation_bytes(decode, *specs), 1)


def samples_within(model, max_request_bytes=MAX_REQUEST_BYTES,
                   max_samples=MAX_SAMPLES):
    """The most samples a request to `model`'s signatures may draw: the
    smaller of `max_samples` and the count whose decoder activations fit
    `max_request_bytes` (at least 1)."""
    return max(1, min(max_samples, max_request_bytes // sample_bytes(model)))

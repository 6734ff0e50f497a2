"""Export a zoo model for TensorFlow Serving, and load it back in-process.

`export_for_serving(model, "saved_models/conv_vae")` writes the next version
of the model, `saved_models/conv_vae/<version>/`, in the layout TF Serving
watches (`saved_model.pb` and `variables/`), with one signature per use:

    signature         inputs                               outputs
    serving_default   x (float32, [batch, *input_shape])   reconstruction
    reconstruct       x                                    reconstruction
    encode            x, seed (int32, [2])                 z_mean, z_stddev, z
    decode            z (float32, [batch, latent_dim])     reconstruction,
                                                           parameters
    sample            num_samples (int32, []),             images
                      seed (int32, [2])
    score             x, num_samples (int32, [])           elbo, log_likelihood
    encode_mean       x                                    z_mean, z_stddev
    sample_from_noise eps (float32, [batch, latent_dim])   images
                      (+ u, float32 [batch], for a mixture
                      prior or a "gmm" ex-post sampler)
    score_from_noise  x, eps (float32, [K, batch,          elbo, log_likelihood
                      latent_dim])

A `zoo.VAE` with another latent (`zoo.latents`) has these signatures with
its latent's parameters in place of z_mean, z_stddev in `encode` and
`encode_mean` (`mean_direction`, `concentration` for the von Mises-Fisher
latent; `logits` for the relaxed categorical; `z_mean`, `z_stddev`,
`logits` for the joint; `z` for the deterministic), and the noise
signatures turn `eps` into its samples (prior samples on the sphere
eps / ||eps||, categories by the Gumbel-max trick from Phi(eps)). A
deterministic latent has no bound, so no `score` or `score_from_noise`;
a von Mises-Fisher model no `score_from_noise` (its sampler is not a
function of normal noise).

A hierarchical model (`zoo.HierarchicalVAE`) has the same signatures:
`encode` and `decode` are about its top group z_0 (`decode` puts every
lower group at its prior's mean), `sample` and `score` draw every group,
`score`'s log_likelihood is the importance-weighted bound over all groups
jointly, and the noise `eps` of the deterministic signatures has
`model.noise_dim` numbers per sample, one for each dimension of every
group (`HierarchicalVAE.split_noise`); with a mixture prior on its top
group (`prior="mixture"` or `"vamp"`), `sample_from_noise` takes `u` too,
which picks z_0's component.

A model with a codebook latent (`zoo.VQVAE`, `vq_vae`) has the five
signatures of `CODEBOOK_SIGNATURES` instead:

    signature         inputs                               outputs
    serving_default   x                                    reconstruction
    reconstruct       x                                    reconstruction
    encode            x                                    indices (int32,
                                                           [batch, h, w]),
                                                           vectors
    decode            indices (int32, [batch, h, w])       reconstruction,
                                                           parameters
    sample            num_samples (int32, []),             images
                      seed (int32, [2])
    score             x                                    elbo, log_likelihood

where `score`'s two outputs are both the bound log p(x|z_q) + log p(z_q)
(`VQVAE.elbo`), and `sample` draws the codes from the PixelCNN prior.

The last three of `SIGNATURES` take their noise as inputs
(`zoo.models.endpoints` says what `eps` and `u` are), so they have no random ops: they are the ones that
convert to ONNX and LiteRT (`zoo.export.convert`).

A conditional model (`num_classes=`) takes one more input in every
signature, `labels` (int32, [batch]): the class ids of the examples, of the
latents (`decode`) or of the images to generate (`sample`, whose
`num_samples` is then the number of labels, so it takes `labels` and `seed`).
A semi-supervised model (`objective="semi_supervised"`) has one more
signature, `classify`: `x` -> `probabilities` (float32, [batch,
num_classes]), its classifier's q(y|x), which takes no labels.

The batch dimension is dynamic. `reconstruction` and `images` are means of
the likelihood p(x|z) in data space; `parameters` are the decoder's outputs
(logits for Bernoulli likelihoods). Random outputs take a stateless `seed`
pair, so a request with the same seed always gets the same answer; `score`
uses the fixed seed (0, 0), like `VAE.elbo` and `VAE.log_likelihood` by
default, so an example always gets the same anomaly score.

A version directory appears whole or not at all (`versions.py`).

The package, one concern a file:

    saved_model.py    export_for_serving
    signatures.py     the ExportArchive of a model's endpoints, each
                      refusing inputs of another shape or an empty batch
    request_size.py   how many samples a request may draw (memory)
    versions.py       claiming, writing and renaming version directories
    loading.py        load_for_serving, ServingModel
    convert.py        ONNX and LiteRT conversion (to_onnx, to_litert)
    onnx_ops.py       tf2onnx handlers for two ops it lacks

Each model supplies its endpoints, what every signature computes and
checks (`zoo.models.endpoints`, `model.serving_endpoints`).
"""

from zoo.export.convert import to_litert
from zoo.export.convert import to_onnx
from zoo.export.loading import ServingModel
from zoo.export.loading import load_for_serving
from zoo.export.request_size import MAX_REQUEST_BYTES
from zoo.export.saved_model import export_for_serving
from zoo.export.signatures import CODEBOOK_SIGNATURES
from zoo.export.signatures import MAX_SAMPLES
from zoo.export.signatures import SCORE_SEED
from zoo.export.signatures import SIGNATURES
from zoo.export.signatures import signatures
from zoo.export.versions import versions

__all__ = ["CODEBOOK_SIGNATURES", "MAX_REQUEST_BYTES", "MAX_SAMPLES",
           "SCORE_SEED", "SIGNATURES", "ServingModel",
           "export_for_serving", "load_for_serving", "signatures",
           "to_litert", "to_onnx", "versions"]

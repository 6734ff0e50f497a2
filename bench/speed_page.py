"""Write docs/speed.md from the JSON of bench.fast_sampling, bench.roofline
and bench.serving (run those first; this only formats their results).

    python -m bench.speed_page
"""

import json
import pathlib

from bench.common import RESULTS
from bench.common import markdown_table

PAGE = pathlib.Path(__file__).parent.parent / "docs" / "speed.md"


def load(name):
    return json.loads((RESULTS / f"{name}.json").read_text())


def source(result):
    machine = result["machine"]
    return (f"`{result['command']}`, {result['date']}; {machine['cpu']}, "
            f"{machine['cores']} cores, TensorFlow {machine['tensorflow']}; "
            f"bench/results/{result['benchmark']}.json")


def sampling_section(result):
    sample = next(row for row in result["rows"]
                  if row["case"].startswith("hierarchical_vae sample"))
    return f"""## Fast sampling

`likelihood="pixelcnn"` (the shipped `hierarchical_vae`) and the VQ-VAE's
PixelCNN prior draw one position at a time: 784 sequential pixel steps for a
28 x 28 image, 49 for the VQ-VAE's 7 x 7 code grid. Every activation of a
stack of masked convolutions at position i depends on the positions before
i only, so once they are drawn it is final. The cached sampler
(`zoo.networks.masked_conv.RasterCache`, after Ramachandran et al. 2017,
"Fast Generation for Convolutional Autoregressive Models") computes, at
step i, every layer at position i alone, from the activations that the
earlier steps cached (one buffer per layer input, in a flat zero-padded
raster layout, so every kernel tap is a fixed offset and the padding is
the convolutions' "same" zero padding). A step then costs one position's
arithmetic instead of a pass of the network over the image (the old
likelihood sampler ran it on the 6 rows the pixel's context reads; the old
prior sampler on the whole grid).

- `PixelContext.draw` (the likelihood) runs its 784-step loop under XLA
  (`jit_compile=True`), which removes the per-op cost of many tiny steps.
  XLA's stateless generator gives other numbers than TensorFlow's, so the
  uniform numbers are drawn before the loop, outside XLA, exactly as the
  old sampler drew them: the same seed gives the same images. The first
  call at a new batch size compiles (about {sample['first_call_seconds']['new']:.1f} s
  here, "first call" below); later calls at that size reuse it.
- `PixelCNN.sample` (the prior) is a graph `tf.while_loop` with the cache,
  drawing with the same `stateless_categorical` and seeds as before.
- The old samplers stay as `PixelContext.draw_uncached` and
  `PixelCNN.sample_uncached`: tests/test_fast_sampling.py checks that the
  cached samplers give the same draws for the same seeds (and the
  distribution against exact probabilities), and the bench times them side
  by side.
- `sample`, `reconstruct`, `predict`, `decode` and the exported signatures
  all reach the samplers through the likelihood and the prior, so they
  all use the cache. The SavedModels in saved_models/ were exported before
  it; re-exporting them picks it up (see "Serving latency").

Old vs cached sampler on the shipped models, one process, arms alternated,
medians of {sample['repetitions']} repetitions (first calls left out); the
outputs are likelihood means along the drawn trajectory, equal up to float
rounding:

{result['markdown']}

Source: {source(result)}.
"""


def roofline_section(result):
    peaks = result["peaks"]
    conv = result["fp32_conv_peak_gflops"]
    arms = {row["arm"]: row for row in result["training"]}
    base = arms["float32, batch 128"]
    peak_table = markdown_table([
        {"operation": row["operation"], "dtype": row["dtype"],
         "GFLOP per call": row["gflop_per_call"],
         "GFLOP/s (median)": row["gflops"]} for row in peaks])
    train_table = markdown_table([
        {"arm": row["arm"], "GFLOP per step": row["gflop_per_step"],
         "ms per step": row["ms_per_step"],
         "images/s": row["images_per_second"], "GFLOP/s": row["gflops"],
         "share of fp32 conv peak": f"{row['share_of_fp32_conv_peak']:.0%}"}
        for row in result["training"]])
    layers = result["profile"]["by_layer"]
    layer_table = markdown_table([
        {"layer group": row["group"], "ms per step": row["ms_per_step"],
         "GFLOP per step": row["gflop_per_step"],
         "GFLOP/s": row["gflops"],
         "share of fp32 conv peak": f"{row['share_of_fp32_conv_peak']:.0%}"}
        for row in layers])
    total = sum(row["ms_per_step"] for row in layers)
    slow = [row for row in layers if row["share_of_fp32_conv_peak"] < 0.3
            and row["ms_per_step"] > 0.05 * total]
    slow_text = "; ".join(
        f"{row['group']} {row['ms_per_step']:.1f} ms "
        f"({row['ms_per_step'] / total:.0%} of the op time) at "
        f"{row['share_of_fp32_conv_peak']:.0%} of peak" for row in slow)
    bf16 = arms["mixed_bfloat16, batch 128"]
    big = arms["float32, batch 512 (lr x4)"]
    xla = arms["float32, batch 128, XLA"]
    big_change = big["ms_per_step"] / 4 / base["ms_per_step"] - 1
    batch_text = (
        "within the noise of this machine" if abs(big_change) < 0.1 else
        "the convolutions use the cores better on 4x larger tensors"
        if big_change < 0 else "slower per image")
    group = {row["group"]: row for row in layers}
    flops_total = sum(row["gflop_per_step"] for row in layers)
    output = [group[name] for name in group
              if name.startswith("decoder/parameters")]
    output_flops = sum(row["gflop_per_step"] for row in output) / flops_total
    output_time = sum(row["ms_per_step"] for row in output) / total
    optimizer = group.get("optimizer", {"ms_per_step": 0})["ms_per_step"]
    forward_share = " and ".join(
        f"{group[name]['share_of_fp32_conv_peak']:.0%} ({name})"
        for name in ("encoder/conv_1 (forward)", "decoder/deconv_0 (forward)")
        if name in group) + " of the peak"
    bf16_conv = next(row["gflops"] for row in peaks
                     if row["operation"].startswith("conv")
                     and row["dtype"] == "bfloat16")
    text = f"""## Roofline: training against the machine's peak

Peaks are measured, not taken from a data sheet: a 2048^3 matmul and a
3 x 3 convolution (batch 32, 56 x 56 x 128 -> 128) in TensorFlow, float32
and bfloat16, FLOPs counted from each graph by TensorFlow's profiler
(`tf.compat.v1.profiler` float_ops). The default `conv_vae`'s training
step (batch 128, the zoo's loss, Adam, in a `tf.function`) is counted the
same way from its concrete graph (forward, gradients and optimizer:
{base['gflop_per_step']:.2f} GFLOP per step).

{peak_table}

**The default conv_vae trains at {base['gflops']:.0f} GFLOP/s, {base['share_of_fp32_conv_peak']:.0%} of the
float32 convolution peak ({conv:.0f} GFLOP/s)**; under Keras's `fit` (its loop,
metrics and callbacks around the same step)
{arms.get('float32, batch 128, Keras fit', base)['share_of_fp32_conv_peak']:.0%}. Levers
tried, alternated in one process:

{train_table}

- bfloat16 (`mixed_bfloat16`): {bf16['ms_per_step'] / base['ms_per_step'] - 1:+.0%} step time, although
  the bfloat16 convolution peak is {bf16_conv / conv:.1f}x the float32 one on the
  large convolution. The model's convolutions are small (7 x 7 and
  14 x 14 maps, 1 to 64 channels), its output layer and loss stay float32,
  and the policy adds casts; which of these eats the gain was not
  profiled.
- Batch 512 (learning rate x 4): {big['ms_per_step'] / 4 / base['ms_per_step'] - 1:+.0%} time per 128 images
  ({big['share_of_fp32_conv_peak']:.0%} of the peak): {batch_text}. This is
  throughput only; whether batch 512 at 4x the learning rate reaches the
  same NLL in fewer seconds was not measured.
- XLA (`jit_compile=True`): {xla['ms_per_step'] / base['ms_per_step'] - 1:+.0%} step time, as
  bench.speed's part 2 also found on this machine.

Where the float32 step's time goes (xprof op self time, grouped by layer,
beside the FLOPs the graph assigns to each group):

{layer_table}

The forward passes of the two large convolutions run at
{forward_share}, their gradients lower. What keeps the step from the
peak: {slow_text}. The output layer (`decoder/parameters`, the
sub-pixel layer: a 3 x 3 convolution from 32 channels to 4 at 14 x 14,
then depth_to_space to one channel at 28 x 28) does {output_flops:.0%} of the
step's FLOPs in {output_time:.0%} of its op time: 4 output channels (and the
1 input channel of the first encoder layer) leave the vectorised
convolution kernels mostly idle. "other" is the loss, the KL and the elementwise ops, with
almost no FLOPs; the optimizer takes {optimizer:.1f} ms. The next lever
is that narrow output layer (for example folding it into the transposed
convolution before it, so that no convolution of the step has a narrow
output; not tried here) and the gradient of the transposed convolution;
bfloat16, a 4x batch and XLA were tried as a whole (the table above),
not profiled layer by layer.
"""
    return text + f"\nSource: {source(result)}.\n"


def first(result, batch):
    """First-call ms of the re-exported hierarchical_vae's `sample`."""
    return next(row["first_call_ms"] for row in result["rows"]
                if row["model"].startswith("hierarchical_vae (")
                and row["signature"] == "sample" and row["batch"] == batch)


def serving_section(result):
    return f"""## Serving latency

p50 / p99 of each SavedModel signature, called with tensors in-process on
this machine's CPU (TensorFlow's default thread pools). Batch is the
number of images (`num_samples` for `sample`); K is `score`'s
`num_samples`. The VQ-VAE's `score` takes no `num_samples`: its posterior
is a point mass (each image's nearest codes), so every importance sample
is the same and more cannot tighten the bound; its one `score` is listed
under K = 1, and K = 100 is n/a. This table was measured on the shipped
versions 1, whose `hierarchical_vae` and `vq_vae` were exported with the
old samplers; their "(re-exported, cached sampler)" rows export the same
model.keras with the cached sampler to a temporary folder, as the versions
2 served since (issue 39) are. A cell makes as many calls as fit in
{result['seconds_per_cell']:g} s (at least 5), so a slow cell's p99 is near
its maximum; the calls per cell are in the JSON. The cached likelihood
sampler compiles its loop with XLA on the first call at each batch size:
the re-exported hierarchical_vae's first `sample` call took
{first(result, 1):.0f} ms at batch 1 and {first(result, 64):.0f} ms at batch 64 (`first_call_ms`),
so a server should warm up the batch sizes it serves.

{result['markdown']}

Source: {source(result)}.
"""


def main(argv=None):
    sections = ["# Speed\n\nHow fast the zoo samples, trains and serves on "
                "a 2-core CPU, and why. Every figure comes from a bench "
                "script's JSON under bench/results/; this page is written by "
                "`python -m bench.speed_page`.\n"]
    for name, section in (("fast_sampling", sampling_section),
                          ("roofline", roofline_section),
                          ("serving", serving_section)):
        if (RESULTS / f"{name}.json").exists():
            sections.append(section(load(name)))
    PAGE.write_text("\n".join(sections))
    print(PAGE)


if __name__ == "__main__":
    main()

"""Denoising: how much closer to the clean image a VAE's output is than
its corrupted input.

Each corruption of `zoo.datasets.corruption` ("gaussian",
"salt_and_pepper", "mask") is applied to clean test images x; the noisy
input x~ and each model's output E[x | z = mu(x~)] (`model.predict`) are
compared with x by

    PSNR(x, x') = 10 log10(MAX^2 / MSE(x, x')),   MAX = 1,
    MSE(x, x')  = (1/D) sum_d (x_d - x'_d)^2       (in dB, higher is better)

and the structural similarity SSIM(x, x') in [-1, 1] (Wang et al., 2004;
luminance, contrast and structure compared in 11x11 Gaussian windows, or
the whole image when it is smaller), both from `tf.image` and averaged
over images. A model trained with `fit(x_noisy, x_clean)` learns to undo
the corruption; one trained on clean data only can still project x~ onto
what it learned, and the noisy input itself is the baseline to beat.
"""

import numpy as np
import tensorflow as tf

from zoo.datasets import corruption

MAX_PSNR = 100.0


def psnr(x, reconstruction):
    """Peak signal-to-noise ratio per image, in dB, for values in [0, 1].

    Identical images (MSE = 0, e.g. a cut-out over empty background) are
    capped at `MAX_PSNR` = 100 dB instead of +inf, so means stay finite.
    """
    values = tf.image.psnr(tf.constant(x, "float32"),
                           tf.constant(reconstruction, "float32"),
                           max_val=1.0).numpy()
    return np.minimum(values, MAX_PSNR)


def ssim(x, reconstruction):
    """Structural similarity per image, for values in [0, 1].

    The Gaussian window is 11 pixels wide, or the image's smaller side
    when that is less (e.g. 8 for 8x8 digits).
    """
    filter_size = min(11, *np.shape(x)[1:3])
    return tf.image.ssim(tf.constant(x, "float32"),
                         tf.constant(reconstruction, "float32"),
                         max_val=1.0, filter_size=filter_size).numpy()


def evaluate_denoising(models, x_clean, kind="gaussian", amount=0.2,
                       seed=0, batch_size=500):
    """PSNR and SSIM of the noisy input and of each model's output.

    Args:
        models: dict, name -> trained VAE (e.g. {"denoising": ...,
            "clean": ...}).
        x_clean: clean images `(N, H, W, C)` in [0, 1].
        kind: the corruption, `"gaussian"` (default), `"salt_and_pepper"`
            or `"mask"`; see `zoo.datasets.corrupt`.
        amount: float, the corruption's strength (default 0.2).
        seed: int (default 0), the corruption's seed.
        batch_size: int, the prediction batch size (default 500).

    Returns:
        A list of dicts, first the noisy input (`output` = "noisy input")
        then one per model (`output` = its name), with keys `corruption`,
        `amount`, `output`, `psnr` and `ssim` (means over images).

    Raises:
        ValueError: for an unknown `kind` or an `amount` out of range
            (from `zoo.datasets.corrupt`).

    Example:

    >>> rows = evaluate_denoising({"clean": vae}, data.x_test, "mask", 0.25)
    >>> [row["output"] for row in rows]
    ['noisy input', 'clean']
    """
    x_noisy, x_clean = corruption.corrupt(x_clean, kind, amount, seed)
    outputs = {"noisy input": x_noisy}
    for name, model in models.items():
        outputs[name] = model.predict(x_noisy, batch_size=batch_size,
                                      verbose=0)
    return [
        {
            "corruption": kind,
            "amount": amount,
            "output": name,
            "psnr": float(np.mean(psnr(x_clean, output))),
            "ssim": float(np.mean(ssim(x_clean, output))),
        }
        for name, output in outputs.items()
    ]

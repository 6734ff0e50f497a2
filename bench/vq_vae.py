"""VQ-VAE side by side, in one run, on statically binarized Fashion-MNIST:

    python -m bench.vq_vae            # full: ~20 min on 2 busy cores
    python -m bench.vq_vae --smoke    # < 2 min on the 8x8 digits

Four models are trained on the same images (the first 20,000 training
images, 5 epochs, to fit the protocol's CPU budget) with the same batch
size and Adam:

- `vq_vae` (EMA codebook, dead-code restarts), then its PixelCNN prior;
- `vq_vae` without dead-code restarts (same seed), for the restarts'
  effect on codebook use;
- "keras-io design": our own re-implementation, from its published
  design, of the keras-io `vq_vae.py` example: encoder Conv(32, s2) ->
  Conv(64, s2) -> Conv1x1(16); 64 codes of 16 numbers initialised
  uniformly in [-0.05, 0.05] and learned by the codebook loss (no moving
  averages, no restarts); commitment 0.25; both terms as means over the
  elements; decoder ConvT(64, s2) -> ConvT(32, s2) -> ConvT(1); the
  reconstruction loss is the mean squared error of the centred images
  (x - 0.5) divided by the training set's variance;
- `conv_vae` (latent 16), the zoo's Gaussian baseline.

Measured on the test images: the reconstruction error (mean squared
error per pixel, images in [0, 1]); codebook perplexity exp(H(p)) of the
codes' histogram and the fraction of codes used; seconds per epoch (the
median epoch); for `vq_vae` and `conv_vae` the likelihood bound in nats
(`vq_vae`: log p(x|z_q) + log p_prior(z_q), exact for its point-mass
posterior; `conv_vae`: the importance-weighted NLL with K samples) and the
sample quality of `bench.uses generation` (the generation CNN's mean max
confidence, entropy and class entropy on the models' samples).

Writes `bench/results/vq_vae.json` (`vq_vae_smoke.json` for `--smoke`)
with the machine and every setting, and prints the Markdown table the
README quotes.
"""

import argparse
import time

import keras
import numpy as np
from keras import layers
from keras import ops

from bench import common
from zoo import datasets
from zoo.latents import codebook as quantizer
from zoo.evaluation import generation
from zoo.evaluation import likelihood
from zoo.models import registry

SETTINGS = {
    "full": {"num_train": 20000, "num_test": 2000, "epochs": 5,
             "prior_epochs": 3, "batch_size": 128, "latent_dim": 16,
             "num_embeddings": 64, "classifier_epochs": 3,
             "num_generated": 1000, "nll_samples": 100, "nll_test": 1000},
    "smoke": {"num_train": 1500, "num_test": 297, "epochs": 2,
              "prior_epochs": 2, "batch_size": 64, "latent_dim": 4,
              "num_embeddings": 16, "classifier_epochs": 5,
              "num_generated": 100, "nll_samples": 10, "nll_test": 297},
}


class EpochTimer(keras.callbacks.Callback):
    """The wall-clock seconds of each epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


# The keras-io design, re-implemented -----------------------------------------


class ExampleQuantizer(layers.Layer):
    """The keras-io example's quantizer, as its design describes it: codes
    from U(-0.05, 0.05), the nearest code with the straight-through
    gradient, and the loss mean(sg(z_e) - e)^2 + beta mean(z_e - sg(e))^2
    over the elements (not summed per example), learned by gradients."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.beta = beta
        self.codebook = self.add_weight(
            shape=(num_embeddings, embedding_dim), name="codebook",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),
        )

    def codes(self, z_e):
        flat = ops.reshape(z_e, (-1, z_e.shape[-1]))
        distances = (ops.sum(flat**2, 1, keepdims=True)
                     - 2 * flat @ ops.transpose(self.codebook)
                     + ops.sum(self.codebook**2, 1))
        return ops.reshape(ops.argmin(distances, 1), ops.shape(z_e)[:-1])

    def call(self, z_e):
        z_q = ops.take(self.codebook, self.codes(z_e), axis=0)
        self.add_loss(
            ops.mean((ops.stop_gradient(z_e) - z_q) ** 2)
            + self.beta * ops.mean((z_e - ops.stop_gradient(z_q)) ** 2)
        )
        return z_e + ops.stop_gradient(z_q - z_e)


class ExampleDesign(keras.Model):
    """Encoder, `ExampleQuantizer`, decoder; loss mse / variance."""

    def __init__(self, input_shape, latent_dim, num_embeddings, variance):
        super().__init__()
        self.variance = variance
        self.encoder = keras.Sequential([
            keras.Input(input_shape),
            layers.Conv2D(32, 3, strides=2, padding="same",
                          activation="relu"),
            layers.Conv2D(64, 3, strides=2, padding="same",
                          activation="relu"),
            layers.Conv2D(latent_dim, 1, padding="same"),
        ])
        self.quantizer = ExampleQuantizer(num_embeddings, latent_dim)
        self.decoder = keras.Sequential([
            layers.Conv2DTranspose(64, 3, strides=2, padding="same",
                                   activation="relu"),
            layers.Conv2DTranspose(32, 3, strides=2, padding="same",
                                   activation="relu"),
            layers.Conv2DTranspose(input_shape[-1], 3, padding="same"),
        ])

    def call(self, x):
        return self.decoder(self.quantizer(self.encoder(x)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        mse = ops.mean((y - y_pred) ** 2) / self.variance
        return mse + super().compute_loss(x, y, y_pred, training=training)

    def indices(self, x):
        return self.quantizer.codes(self.encoder(x))


def crop_to(images, shape):
    """The decoder's output cropped to the images' height and width."""
    return images[:, :shape[0], :shape[1]]


# The study -------------------------------------------------------------------


def codebook_use(indices, num_embeddings):
    return {
        "perplexity": float(quantizer.perplexity(indices, num_embeddings)),
        "codes_used": float(quantizer.usage(indices, num_embeddings)),
    }


def run_vq_vae(data, setting, restarts, fit_prior):
    keras.utils.set_random_seed(0)
    model = registry.get(
        "vq_vae", input_shape=data.image_shape,
        latent_dim=setting["latent_dim"],
        num_embeddings=setting["num_embeddings"],
        dead_code_restarts=restarts, seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    timer = EpochTimer()
    x_train = data.x_train[:setting["num_train"]]
    model.fit(x_train, epochs=setting["epochs"],
              batch_size=setting["batch_size"], callbacks=[timer], verbose=0)
    x_test = data.x_test[:setting["num_test"]]
    indices = model.encode_in_batches(x_test)
    row = {
        "model": "vq_vae" + ("" if restarts else " (no restarts)"),
        "reconstruction_mse": _mse(model.predict(x_test, verbose=0), x_test),
        **codebook_use(indices, model.num_embeddings),
        "seconds_per_epoch": float(np.median(timer.seconds)),
    }
    if fit_prior:
        prior_timer = EpochTimer()
        history = model.fit_prior(
            x_train, epochs=setting["prior_epochs"],
            batch_size=setting["batch_size"], callbacks=[prior_timer],
            verbose=0,
        )
        x_nll = x_test[:setting["nll_test"]]
        bound = np.concatenate([
            model.elbo(x_nll[start:start + 500]).numpy()
            for start in range(0, len(x_nll), 500)
        ])
        row.update({
            "prior_seconds_per_epoch": float(np.median(prior_timer.seconds)),
            "prior_train_nats_per_grid": history.history["loss"][-1]
            * np.prod(model.grid_shape),
            "negative_bound": float(-np.mean(bound)),
        })
    return model, row


def run_example_design(data, setting):
    keras.utils.set_random_seed(0)
    x_train = data.x_train[:setting["num_train"]]
    model = ExampleDesign(data.image_shape, setting["latent_dim"],
                          setting["num_embeddings"],
                          float(np.var(x_train)))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    centred = x_train - 0.5
    timer = EpochTimer()
    model.fit(centred, centred, epochs=setting["epochs"],
              batch_size=setting["batch_size"], callbacks=[timer], verbose=0)
    x_test = data.x_test[:setting["num_test"]]
    output = model.predict(x_test - 0.5, verbose=0) + 0.5
    indices = model.indices(x_test - 0.5)
    return {
        "model": "keras-io design (re-implemented)",
        "reconstruction_mse": _mse(
            np.clip(crop_to(output, data.image_shape), 0, 1), x_test),
        **codebook_use(indices, setting["num_embeddings"]),
        "seconds_per_epoch": float(np.median(timer.seconds)),
    }


def run_conv_vae(data, setting):
    keras.utils.set_random_seed(0)
    model = registry.get("conv_vae", input_shape=data.image_shape,
                         latent_dim=setting["latent_dim"], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    timer = EpochTimer()
    model.fit(data.x_train[:setting["num_train"]], epochs=setting["epochs"],
              batch_size=setting["batch_size"], callbacks=[timer], verbose=0)
    x_test = data.x_test[:setting["num_test"]]
    nll = likelihood.negative_log_likelihood(
        model, x_test[:setting["nll_test"]],
        num_samples=setting["nll_samples"],
    )
    return model, {
        "model": "conv_vae",
        "reconstruction_mse": _mse(model.predict(x_test, verbose=0), x_test),
        "seconds_per_epoch": float(np.median(timer.seconds)),
        "negative_bound": float(np.mean(nll)),
    }


def _mse(reconstruction, x):
    return float(np.mean((np.asarray(reconstruction) - x) ** 2))


def run(setting_name="full", cache_dir=None):
    setting = SETTINGS[setting_name]
    start = time.perf_counter()
    if setting_name == "full":
        grey = datasets.fashion_mnist()
        data = datasets.fashion_mnist(binarize="static")
    else:
        grey = datasets.digits()
        data = datasets.digits(binarize="static")
    classifier, weights = generation.cached_classifier(
        grey.x_train, grey.y_train, grey.name,
        epochs=setting["classifier_epochs"], cache_dir=cache_dir,
    )
    vq, vq_row = run_vq_vae(data, setting, restarts=True, fit_prior=True)
    _, no_restarts_row = run_vq_vae(data, setting, restarts=False,
                                    fit_prior=False)
    example_row = run_example_design(data, setting)
    conv, conv_row = run_conv_vae(data, setting)
    for model, row in ((vq, vq_row), (conv, conv_row)):
        statistics = generation.sample_statistics(
            model, classifier, setting["num_generated"])
        row.update({f"samples_{key}": value
                    for key, value in statistics.items()
                    if key != "max_class_entropy"})
    real = generation.classifier_statistics(
        classifier, data.x_test[:setting["num_test"]])
    rows = [vq_row, no_restarts_row, example_row, conv_row]
    path = common.write_result(
        "vq_vae" if setting_name == "full" else "vq_vae_smoke", {
            "setting": setting_name,
            "data": f"{data.name} (static binarization)",
            "config": setting,
            "rows": rows,
            "real_test_images_classifier": real,
            "classifier_weights": str(weights),
            "markdown": common.markdown_table(rows),
            "wall_seconds": round(time.perf_counter() - start, 1),
        })
    print(common.markdown_table(rows))
    print(f"real test images: {real}")
    print(f"wrote {path}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny setting on the 8x8 digits")
    parser.add_argument("--cache-dir", default=None,
                        help="where the generation CNN is cached "
                             "(default ~/.cache/zoo)")
    arguments = parser.parse_args(argv)
    run("smoke" if arguments.smoke else "full", arguments.cache_dir)


if __name__ == "__main__":
    main()

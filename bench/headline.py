"""The headline benchmark: the reference model and the zoo's models, side by side.

Follows docs/benchmark.md: statically binarized Fashion-MNIST, latent 16,
batch 128, 5 epochs, seed 0, each model's default options, all in ONE process
run so that every speed figure is a ratio measured on the same machine.

For each model: training images per second (median over epochs 2..N), train
wall seconds, test -ELBO (all 10,000 test images, K = 1) and the quick NLL
(K = 100 on the first 2,000). For the models in --track, the quick NLL is also
scored after every epoch (outside the timed region) to give the time to reach
NLL 252 to the epoch; `python -m bench.speed` measures it every 100 steps,
and the fit / bare loop ratio, with alternated repetitions.

A conditional model (conditional_vae) trains on `[x, labels]`; its NLL column
is the marginal -log p(x) = -log (1/C) sum_y p(x|y) (comparable with the
others), and its -ELBO and `test_conditional_nll_quick` are given the label.

    python -m bench.headline                    # writes bench/results/headline.json
    python -m bench.headline --models conv_vae iwae --epochs 5
    python -m bench.headline --final            # also K = 1,000 on all 10,000
    python -m bench.headline --smoke            # seconds; headline_smoke.json
    python -m bench.headline --models conv_vae iwae --no-reference \
        --tag iwae                                # headline_iwae.json
"""

import argparse
import statistics
import time

import keras
import numpy as np

import zoo
from bench import reference
from bench.common import write_result
from zoo.evaluation import likelihood
from zoo.models import registry

TARGET_NLL = 252.0


class EpochClock(keras.callbacks.Callback):
    """Wall seconds of each epoch; `score(epoch)` runs after the clock stops."""

    def __init__(self, score=None):
        super().__init__()
        self.seconds = []
        self.score = score

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        if self.score is not None:
            self.score(epoch, sum(self.seconds))


class Tracker:
    """Quick NLL after each epoch; remembers when it first reached TARGET_NLL."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.curve = []
        self.seconds_to_target = None

    def __call__(self, epoch, elapsed):
        nll = self.scorer()
        self.curve.append({"epoch": epoch + 1, "train_seconds": elapsed,
                           "nll_quick": nll})
        if self.seconds_to_target is None and nll <= TARGET_NLL:
            self.seconds_to_target = elapsed


def images_per_second(seconds, num_images):
    later = seconds[1:] or seconds
    return num_images / statistics.median(later)


def run_reference(data, settings, track):
    keras.utils.set_random_seed(0)
    encoder, decoder = reference.build(settings["latent_dim"])
    x_test, _ = data.split("test")
    tracker = Tracker(
        lambda: reference.negative_elbo_and_nll(
            encoder, decoder, x_test[:settings["nll_examples"]],
            settings["num_samples"])[1],
    )
    dataset = data.as_dataset("train", batch_size=settings["batch_size"], seed=0)
    seconds = reference.train(
        encoder, decoder, dataset, settings["epochs"],
        on_epoch_end=tracker if track else None,
    )
    negative_elbo, _ = reference.negative_elbo_and_nll(
        encoder, decoder, x_test, num_samples=1)
    _, nll = reference.negative_elbo_and_nll(
        encoder, decoder, x_test[:settings["nll_examples"]],
        settings["num_samples"])
    row = _row("reference (TF tutorial CVAE)", seconds, data, negative_elbo,
               nll, tracker if track else None,
               encoder.count_params() + decoder.count_params())
    if settings["final_num_samples"]:
        _, row["test_nll_final"] = reference.negative_elbo_and_nll(
            encoder, decoder, x_test, settings["final_num_samples"])
    print(row, flush=True)
    return row


def run_zoo(name, data, settings, track):
    keras.utils.set_random_seed(0)
    model = zoo.get(name, input_shape=data.image_shape,
                    latent_dim=settings["latent_dim"], seed=0)
    model.compile(optimizer="adam")
    conditional = model.condition_spec() is not None
    x_test, y_test = data.split("test")
    first = slice(0, settings["nll_examples"])
    clock = EpochClock()
    tracker = Tracker(
        lambda: likelihood.negative_log_likelihood(
            model, x_test[first], num_samples=settings["num_samples"]),
    )
    if track:
        clock.score = tracker
    model.fit(data.as_dataset("train", batch_size=settings["batch_size"],
                              seed=0, conditional=conditional),
              epochs=settings["epochs"], callbacks=[clock], verbose=0)
    labels = y_test if conditional else None
    negative_elbo = likelihood.negative_elbo(model, x_test, labels=labels)
    nll = likelihood.negative_log_likelihood(
        model, x_test[first], num_samples=settings["num_samples"])
    row = _row(name, clock.seconds, data, negative_elbo, nll,
               tracker if track else None, model.count_params())
    if conditional:
        row["test_conditional_nll_quick"] = likelihood.negative_log_likelihood(
            model, x_test[first], num_samples=settings["num_samples"],
            labels=y_test[first])
    if settings["final_num_samples"]:
        row["test_nll_final"] = likelihood.negative_log_likelihood(
            model, x_test, num_samples=settings["final_num_samples"])
    print(row, flush=True)
    return row


def _row(name, seconds, data, negative_elbo, nll, tracker, parameters):
    row = {
        "model": name,
        "parameters": parameters,
        "images_per_second": images_per_second(seconds, len(data.x_train)),
        "train_seconds": sum(seconds),
        "epoch_seconds": seconds,
        "test_negative_elbo": negative_elbo,
        "test_nll_quick": nll,
    }
    if tracker is not None:
        row["nll_curve"] = tracker.curve
        row["seconds_to_nll_252"] = tracker.seconds_to_target
    return row


def markdown(rows, reference_row):
    final = all("test_nll_final" in row for row in rows)
    lines = [
        "| model | params | img/s | train s | test −ELBO | NLL (K=100, 2k) | "
        + ("NLL (K=1000, 10k) | " if final else "") + "s to NLL 252 |",
        "|---|---|---|---|---|---|" + ("---|" if final else "") + "---|",
    ]
    conditional = False
    for row in rows:
        name = row["model"]
        if "test_conditional_nll_quick" in row:
            conditional = True
            name += " ¹"
        to_target = row.get("seconds_to_nll_252")
        to_target = "—" if "nll_curve" not in row else (
            f"{to_target:.0f}" if to_target is not None else "not reached")
        lines.append(
            f"| {name} | {row['parameters']:,} | "
            f"{row['images_per_second']:.0f} | {row['train_seconds']:.0f} | "
            f"{row['test_negative_elbo']:.1f} | {row['test_nll_quick']:.1f} | "
            + (f"{row['test_nll_final']:.1f} | " if final else "")
            + f"{to_target} |"
        )
    if conditional:
        lines.append(
            "\n¹ Conditional: NLL is the marginal −log p(x) = −log (1/C) "
            "Σ_y p(x|y); −ELBO is given the label.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="*",
        default=[name for name in zoo.list_models()
                 if registry.model_class(name).has_gaussian_posterior],
        help="default: every model with a Gaussian latent or hierarchy "
             "(vq_vae has its own bench, bench.vq_vae)")
    parser.add_argument("--track", nargs="*", default=["reference", "conv_vae"],
                        help="models scored after every epoch (time to 252)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--final", action="store_true",
                        help="also score the final setting, K = 1,000 on "
                        "all test images (about 16 minutes per model on 2 "
                        "CPU cores)")
    parser.add_argument("--tag", default=None,
                        help="write headline_TAG.json (a partial run) "
                        "instead of headline.json")
    parser.add_argument("--smoke", action="store_true",
                        help="512 training images, 2 epochs, K = 5")
    args = parser.parse_args(argv)
    settings = {"latent_dim": 16, "batch_size": 128, "epochs": args.epochs,
                "num_samples": 100, "nll_examples": 2000, "seed": 0,
                "binarize": "static",
                "final_num_samples": 1000 if args.final else None}
    data = zoo.datasets.fashion_mnist(binarize="static")
    if args.smoke:
        data = zoo.datasets.from_arrays(
            data.x_train[:512], data.y_train[:512], data.x_test[:128],
            data.y_test[:128], name="fashion_mnist_smoke")
        settings.update(epochs=2, num_samples=5, nll_examples=64,
                        final_num_samples=10 if args.final else None)
    rows = []
    if not args.no_reference:
        rows.append(run_reference(data, settings, "reference" in args.track))
    for name in args.models:
        rows.append(run_zoo(name, data, settings, name in args.track))
    result = {"settings": settings, "rows": rows}
    conv = next((row for row in rows if row["model"] == "conv_vae"), None)
    if conv is not None and not args.no_reference:
        result["conv_vae_time_to_252_over_reference"] = _ratio(
            conv.get("seconds_to_nll_252"), rows[0]["train_seconds"])
    table = markdown(rows, rows[0])
    result["markdown"] = table
    name = "headline" + (f"_{args.tag}" if args.tag else "")
    path = write_result(name + ("_smoke" if args.smoke else ""), result)
    print(table)
    print(result.get("conv_vae_time_to_252_over_reference"))
    print(f"written to {path}")


def _ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()

"""The benchmark's final setting for every shipped model, in one table.

For each shipped model (a folder of `saved_models/` with an integer version
and a `model_card.json`; its highest version), the importance-weighted NLL
with K = 1,000 samples and the -ELBO on all 10,000 statically binarized
Fashion-MNIST test images, scored through the SavedModel's `score`
signature (`zoo.export.load_for_serving`): the final setting of
docs/benchmark.md. A model with a codebook latent (`vq_vae`) has a `score`
signature without `num_samples`: its bound log p(x|z_q) + log p_prior(z_q)
draws no samples, so it is scored with `x` alone and the table says so.

Each model's result is written as soon as it is scored, to

    bench/results/final_nll/NAME.json

and after every model the table is rebuilt from whatever has finished:
bench/results/final_nll.md, and docs/results.md (the protocol beside the
table; a model not scored yet is a "pending" row). A rerun skips every model
whose JSON holds its current version, the same K and the same number of
images, so an interrupted run resumes where it stopped.

    python -m bench.final_nll                    # every shipped model
    python -m bench.final_nll --models conv_vae vq_vae
    python -m bench.final_nll --smoke --output-dir /tmp/final_nll_smoke

The final setting takes about 16 minutes for a convolutional model on 2 CPU
cores. Any other setting (--smoke, another --num-samples or --examples)
needs --output-dir, so that it never replaces the final results; its page
is then written to OUTPUT_DIR/results.md instead of docs/results.md.
"""

import argparse
import json
import pathlib
import textwrap
import time

import numpy as np

import zoo
from bench import common
from zoo.training import atomic
from zoo import export

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
SAVED_MODELS = REPOSITORY / "saved_models"
PAGE = REPOSITORY / "docs" / "results.md"

FINAL = {"num_samples": 1000, "examples": 10000}
SMOKE = {"num_samples": 5, "examples": 20, "batch_size": 10}

# Nats per image: the entropy of the static binarization itself, on all
# 10,000 test images (docs/benchmark.md); no model can score below it.
FLOOR = 189.86


def shipped_models():
    """The shipped models' names, sorted: the folders of saved_models/ with
    an exported version and a model card (the set-up's own exports, such as
    saved_models/main_job_conv_vae/, have no card)."""
    return sorted(
        folder.name for folder in SAVED_MODELS.iterdir()
        if export.versions(folder)
        and (folder / "model_card.json").is_file()
    )


def latest_version(name):
    """The highest version of shipped model `name`: the one TF Serving
    serves by default."""
    return export.versions(SAVED_MODELS / name)[-1]


def finished(folder, name, version, num_samples, examples):
    """The record in `folder` of model `name` if it was scored on `version`
    with this K and number of images, else None. A codebook model's record
    has `num_samples` None (its bound draws no samples): it holds for any K."""
    path = folder / f"{name}.json"
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if (record["version"] == version and record["examples"] == examples
            and record["num_samples"] in (num_samples, None)):
        return record
    return None


def score(name, version, x_test, num_samples, batch_size):
    """Mean -ELBO and NLL of `x_test` through the `score` signature of
    version `version` of model `name`, batch by batch, and the seconds the
    scoring took (loading not included). A batch is cut to what the
    version's request limit takes at `num_samples` (the card's `served`
    entry, or the card itself for version 1 of a shipped row of the
    published table; `zoo.export.request_size`)."""
    serving = export.load_for_serving(SAVED_MODELS / name / str(version))
    inputs = serving.signatures["score"].structured_input_signature[1]
    sampled = "num_samples" in inputs
    card = json.loads((SAVED_MODELS / name / "model_card.json").read_text())
    limit = card.get("max_samples_per_request") if version == 1 else None
    if card.get("served", {}).get("version") == version:
        limit = card["served"]["max_samples_per_request"]
    if sampled and limit is not None:
        batch_size = max(1, min(batch_size, limit // num_samples))
    start = time.perf_counter()
    elbo, log_likelihood = [], []
    for first in range(0, len(x_test), batch_size):
        scores = serving.score(x_test[first:first + batch_size],
                               num_samples=num_samples if sampled else None)
        elbo.append(scores["elbo"])
        log_likelihood.append(scores["log_likelihood"])
    return {
        "model": name,
        "version": version,
        "saved_model": f"saved_models/{name}/{version}",
        "signature": "score(x, num_samples)" if sampled else "score(x)",
        "num_samples": num_samples if sampled else None,
        "examples": len(x_test),
        "batch_size": batch_size,
        "test_negative_elbo": -float(np.mean(np.concatenate(elbo))),
        "test_nll": -float(np.mean(np.concatenate(log_likelihood))),
        "seconds": time.perf_counter() - start,
    }


def recipe(card):
    """The training recipe of a model card, in a few words."""
    parts = [f"{card['epochs']} epochs",
             f"{card.get('training_binarization', 'static')} binarization"]
    if card.get("beta_warm_up_epochs"):
        parts.append(f"β warm-up {card['beta_warm_up_epochs']} epochs")
    parts.append(card["optimizer"])
    if "prior_epochs" in card:
        parts.append(f"prior {card['prior_epochs']} epochs")
    return "; ".join(parts)


def options(card):
    """The registry name and the options a model card's model was built
    with (the registry's defaults for the rest)."""
    values = ", ".join(
        f"{key}={tuple(value) if isinstance(value, list) else value}"
        for key, value in card["options"].items()
    )
    return f"`{card.get('registry_name', card['model'])}`: {values}"


def markdown(records, num_samples, examples):
    """The table: one row per shipped model, in name order; "pending" where
    `records[name]` is None. A codebook model's row is marked ¹."""
    lines = [
        "| model | version | recipe | options | parameters | test −ELBO | "
        f"test NLL (K={num_samples:,}, {examples:,} images) | seconds | "
        "date |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, record in records.items():
        card = json.loads((SAVED_MODELS / name / "model_card.json")
                          .read_text())
        cells = [f"`{name}`", str(latest_version(name)), recipe(card),
                 options(card), f"{card['parameters']:,}"]
        if record is None:
            cells += ["pending", "pending", "", ""]
        else:
            mark = " ¹" if record["num_samples"] is None else ""
            cells += [f"{record['test_negative_elbo']:.2f}",
                      f"{record['test_nll']:.2f}{mark}",
                      f"{record['seconds']:,.0f}", record["date"][:10]]
        lines.append("| " + " | ".join(cells) + " |")
    if any(record is not None and record["num_samples"] is None
           for record in records.values()):
        lines += ["", wrap(
            "¹ A codebook model: its `score` signature takes the images "
            "alone and returns the bound log p(x | z_q) + log p_prior(z_q), "
            "which draws no samples (K does not apply), in both columns. It "
            "is an upper bound on −log p(x) from a single code grid, not "
            "comparable in tightness with the importance-weighted NLL of the "
            "other rows.")]
    return "\n".join(lines)


def wrap(text, indent=""):
    """`text` in lines of at most 75 characters, later lines indented by
    `indent` (a list item's)."""
    return textwrap.fill(text, 75, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def describe(machine):
    """A result's machine in one line."""
    return (f"{machine['cpu']}, {machine['cores']} cores, "
            f"{', '.join(machine['gpus']) or 'no GPU'}; Python "
            f"{machine['python']}, TensorFlow {machine['tensorflow']}, Keras "
            f"{machine['keras']}, TensorFlow Probability "
            f"{machine['tensorflow_probability']}")


def grouped(records, key):
    """'VALUE: `a`, `b`; VALUE: `c`': the scored models grouped by
    key(record), or None when none is scored."""
    groups = {}
    for name, record in records.items():
        if record is not None:
            groups.setdefault(key(record), []).append(f"`{name}`")
    return "; ".join(f"{value}: {', '.join(names)}"
                     for value, names in groups.items()) or None


def page(records, table, num_samples, examples):
    """docs/results.md: the status, the protocol and the table. Every
    sentence holds for a partial run: the pending models are named, and the
    machine and batch size are read from the rows that are scored."""
    pending = [name for name, record in records.items() if record is None]
    if pending:
        status = (
            f"{len(records) - len(pending)} of {len(records)} shipped "
            "models are scored so far; pending (not yet scored at this "
            f"setting): {', '.join(f'`{name}`' for name in pending)}. Their "
            "rows fill in as the command below scores them."
        )
    else:
        status = f"All {len(records)} shipped models are scored."
    machines = grouped(records, lambda record: describe(record["machine"]))
    batches = grouped(records,
                      lambda record: f"{record['batch_size']} images")
    unscored = "named here once a model is scored"
    images = ("all 10,000" if examples == 10000
              else f"the first {examples:,} of the 10,000")
    if {"num_samples": num_samples, "examples": examples} == FINAL:
        setting = ("at the final setting of the [benchmark protocol]"
                   "(benchmark.md), K = 1,000 on all 10,000 test images")
    else:
        setting = (f"at K = {num_samples:,} on {images} test images (not "
                   "the final setting of the [benchmark protocol]"
                   "(benchmark.md))")
    introduction = wrap(
        "The test negative log-likelihood of each pretrained model of "
        f"[saved_models/](../saved_models/README.md), {setting}, each "
        f"scored through its SavedModel's `score` signature. {status}")
    machine_line = wrap(f"- Machine: {machines or unscored}.", indent="  ")
    return f"""# Fashion-MNIST NLL of every shipped model

{introduction}

## Protocol

- Data: {images} Fashion-MNIST test images, statically binarized
  once as [the protocol](benchmark.md) describes
  (`numpy.random.default_rng(0)`, the training images' draws first, then
  the test images'; `zoo.datasets.fashion_mnist(binarize="static")`), with
  a Bernoulli likelihood.
- NLL: the importance-weighted bound with K = {num_samples:,} samples
  from q(z|x), log p(x) >= log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x),
  averaged over the images, in nats per image; −ELBO is the evidence
  lower bound at one sample z ~ q(z|x) (K = 1). Both use the `score`
  signature's fixed seed (0, 0), so a rerun draws the same noise.
- Scored through the SavedModel alone: the model's highest version in
  `saved_models/NAME/`, loaded with `zoo.export.load_for_serving` and run
  through its `score` signature, as TF Serving would run it, in batches.
  The noise is drawn per batch, so another batch size gives slightly
  different numbers. Batch size: {batches or unscored}.
- A model with a discrete latent (`vq_vae`) has no samples to draw: its
  `score` signature takes the images alone and returns its bound
  log p(x | z_q) + log p_prior(z_q) (footnote ¹ of the table once scored).
- Floor: no model can score below the entropy of the binarization itself,
  {FLOOR} nats per image on average over the 10,000 test images.
- Seconds: wall-clock time of the scoring (not the loading), on the row's
  machine.
{machine_line}
- Recipe and options come from each model's `model_card.json` (options
  given to the registry; the registry's defaults for the rest, e.g.
  `beta_vae`'s β = 4). [saved_models/README.md](../saved_models/README.md)
  describes the recipes.

## Table

{table}

## Command

    python -m bench.final_nll

scores every shipped model (about 16 minutes for a convolutional model on
2 CPU cores), writing each model's result, with its machine and date, to
`bench/results/final_nll/NAME.json` as it finishes and rebuilding this page
and `bench/results/final_nll.md` after every model. A rerun skips the
models already scored at this setting, so an interrupted run resumes where
it stopped; `--models NAME ...` scores some of them.
"""


def summarize(output_dir, page_path, num_samples, examples):
    """Rebuild OUTPUT_DIR/final_nll.md and the page from the records that
    have finished; return the table."""
    folder = output_dir / "final_nll"
    records = {
        name: finished(folder, name, latest_version(name), num_samples,
                       examples)
        for name in shipped_models()
    }
    table = markdown(records, num_samples, examples)
    atomic.write_text(output_dir / "final_nll.md", table + "\n")
    atomic.write_text(page_path, page(records, table, num_samples, examples))
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", metavar="NAME",
                        help="shipped models to score (default: all)")
    parser.add_argument("--num-samples", type=int,
                        default=FINAL["num_samples"],
                        help="K, importance samples per image")
    parser.add_argument("--examples", type=int, default=FINAL["examples"],
                        help="the first N test images")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--output-dir", type=pathlib.Path,
                        help="folder of the results (default bench/results);"
                        " needed by any setting other than the final one")
    parser.add_argument("--smoke", action="store_true",
                        help="20 images, K = 5, batches of 10: seconds")
    args, _ = parser.parse_known_args(argv)
    if args.smoke:
        parser.set_defaults(**SMOKE)
    args = parser.parse_args(argv)

    shipped = shipped_models()
    models = list(dict.fromkeys(args.models or shipped))
    unknown = [name for name in models if name not in shipped]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; the shipped "
                     f"models are: {', '.join(shipped)}")
    if args.num_samples < 1 or args.batch_size < 1 or not (
            1 <= args.examples <= 10000):
        parser.error("--num-samples and --batch-size must be at least 1, "
                     "--examples between 1 and 10000")
    output_dir = args.output_dir or common.RESULTS
    final_results = output_dir.resolve() == (
        REPOSITORY / "bench" / "results").resolve()
    setting = {"num_samples": args.num_samples, "examples": args.examples}
    if final_results and setting != FINAL:
        parser.error("a setting other than the final one (K = 1000 on 10000"
                     " images) needs --output-dir: it would replace the "
                     "final results in bench/results/final_nll/")
    page_path = PAGE if final_results else output_dir / "results.md"

    x_test, _ = zoo.datasets.fashion_mnist(binarize="static").split("test")
    x_test = x_test[:args.examples]
    folder = output_dir / "final_nll"
    folder.mkdir(parents=True, exist_ok=True)
    for name in models:
        version = latest_version(name)
        path = folder / f"{name}.json"
        if finished(folder, name, version, args.num_samples,
                    args.examples) is not None:
            print(f"{name}: already scored at this setting ({path}), skipped")
        else:
            print(f"{name}: scoring version {version}", flush=True)
            result = score(name, version, x_test, args.num_samples,
                           args.batch_size)
            atomic.write_json(path, common.stamped("final_nll", result))
            print(f"{name}: -ELBO {result['test_negative_elbo']:.2f}, NLL "
                  f"{result['test_nll']:.2f}, {result['seconds']:.0f} s",
                  flush=True)
        table = summarize(output_dir, page_path, args.num_samples,
                          args.examples)
    print(table)
    print(f"written to {folder}/, {output_dir / 'final_nll.md'} and "
          f"{page_path}")


if __name__ == "__main__":
    main()

"""Generate the site's pages that come from the repository itself.

    python docs/generate.py        # write them (docs/build.py and every
                                   # `mkdocs build`/`serve` do it first)

Written on every build, never edited by hand, git-ignored:

- docs/tutorials/NN_name.ipynb: copies of notebooks/*.ipynb (rendered,
  with their committed outputs, by mkdocs-jupyter);
- docs/benchmarks/NAME.md: one page per bench/results/NAME.json (and per
  NAME.md beside a NAME/ folder of JSON files), its tables generated from
  the JSON (or the Markdown the benchmark itself wrote from it), with the
  command that wrote it and the machine it names; the discussion that goes
  with it is docs/benchmark-notes/NAME.md. A result whose command cannot be
  found fails the build (add it to COMMANDS);
- docs/benchmarks/index.md: the list of benchmarks;
- docs/reference/*.md: the API reference, one page per entry of REFERENCE,
  each `::: name` rendered by mkdocstrings from the docstrings;
- docs/contributing.md and docs/saved-models.md: CONTRIBUTING.md and
  saved_models/README.md, their links made to work on the site.

`nav()` gives the generated pages' navigation entries (docs/hooks.py puts
them into mkdocs.yml's nav).
"""

import ast
import json
import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RESULTS = ROOT / "bench" / "results"
NOTES = DOCS / "benchmark-notes"
NOTEBOOKS = ROOT / "notebooks"
GENERATED = ("tutorials", "benchmarks", "reference")

# The command that writes each result, where it is not `python -m bench.NAME`.
COMMANDS = {
    "anomaly": "python -m bench.uses anomaly",
    "denoising": "python -m bench.uses denoising",
    "generation": "python -m bench.uses generation",
    "pretraining": "python -m bench.uses pretraining",
    "reduction": "python -m bench.uses reduction",
    "headline_hierarchical": ("python -m bench.headline --models hierarchical_vae"
                              " --no-reference --tag hierarchical"),
    "headline_iwae": ("python -m bench.headline --models conv_vae iwae"
                      " --no-reference --tag iwae"),
    "headline_refactor": ("python -m bench.headline --models conv_vae"
                          " --no-reference --tag refactor"),
    "disentanglement_short": "python -m bench.disentanglement --setting short",
    "published_table": "python -m bench.published_table --report",
}

# Page title of each benchmark, where its notes do not give one.
TITLES = {
    "headline_iwae": "Headline: the corrected IWAE beside conv_vae",
    "headline_refactor": "Headline: conv_vae after the refactor",
    "refactor_speed": "The refactor: same weights, same loss, same speed",
    "disentanglement_short": "Disentanglement on sprites, 12 epochs",
    "headline_hierarchical": "Headline: the hierarchical VAE",
    "final_nll": "NLL of every shipped model (final setting)",
}
# The order of the benchmark pages; the others follow by name.
ORDER = ["headline", "headline_iwae", "headline_hierarchical",
         "headline_refactor", "final_nll", "speed", "speed_options",
         "conv_design", "latency"]
SKIP_KEYS = {"benchmark", "date", "machine", "markdown"}

# API reference: (page, title, names). A package's names are expanded by
# `public_names` (its __all__, else what its __init__ imports, else its
# modules), so new public names appear without editing this list.
REFERENCE = [
    ("zoo.VAE", "zoo.VAE", ["zoo.VAE"]),
    ("zoo.VQVAE", "zoo.VQVAE", ["zoo.VQVAE"]),
    ("zoo.HierarchicalVAE", "zoo.HierarchicalVAE", ["zoo.HierarchicalVAE"]),
    ("registry", "Registry and presets",
     ["zoo.get", "zoo.list_models", "zoo.from_preset", "zoo.list_presets",
      "zoo.preset_card"]),
    ("zoo.objectives", "zoo.objectives", ["zoo.objectives"]),
    ("zoo.priors", "zoo.priors", ["zoo.priors"]),
    ("zoo.likelihoods", "zoo.likelihoods", ["zoo.likelihoods"]),
    ("zoo.networks", "zoo.networks", ["zoo.networks"]),
    ("zoo.latents", "zoo.latents", ["zoo.latents"]),
    ("zoo.export", "zoo.export", ["zoo.export", "zoo.export.convert"]),
    ("zoo.datasets", "zoo.datasets", ["zoo.datasets"]),
    ("zoo.samplers", "zoo.samplers", ["zoo.samplers"]),
    ("zoo.evaluation", "zoo.evaluation", ["zoo.evaluation"]),
    ("zoo.training.callbacks", "zoo.training.callbacks",
     ["zoo.training.callbacks"]),
    ("zoo.training", "zoo.training (run folders, distribute)",
     ["zoo.training.runs", "zoo.training.distribute"]),
]


def write(path, text):
    """Write `text` to `path` only if it differs (so `mkdocs serve`, which
    watches docs/, does not rebuild for ever), atomically (two builds at
    once, e.g. two test workers, never read a half-written page)."""
    write_bytes(path, text.encode())


def write_bytes(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def copy(source, target):
    write_bytes(target, source.read_bytes())


# Tutorials ---------------------------------------------------------------


def notebook_title(path):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def tutorials():
    """[(title, page)] for every notebook, copied into docs/tutorials/."""
    entries = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        copy(path, DOCS / "tutorials" / path.name)
        entries.append((notebook_title(path), f"tutorials/{path.name}"))
    return entries


# Benchmarks --------------------------------------------------------------


def results():
    """{name: the JSON record that names its date and machine}: every
    bench/results/NAME.json, and every NAME.md written beside a NAME/
    folder of JSON files (the folder's first record)."""
    found = {path.stem: json.loads(path.read_text())
             for path in sorted(RESULTS.glob("*.json"))}
    for path in sorted(RESULTS.glob("*.md")):
        folder = RESULTS / path.stem
        if path.stem not in found and folder.is_dir():
            records = sorted(folder.glob("*.json"))
            if records:
                record = json.loads(records[0].read_text())
                record["dates"] = sorted(
                    json.loads(r.read_text()).get("date", "")[:10]
                    for r in records)
                found[path.stem] = record
    return found


def command(name):
    if name in COMMANDS:
        return COMMANDS[name]
    if (ROOT / "bench" / f"{name}.py").exists():
        return f"python -m bench.{name}"
    raise SystemExit(
        f"bench/results/{name}.json: no command known for it; add it to "
        "COMMANDS in docs/generate.py (or name the JSON after its bench "
        "module)"
    )


def machine_line(record):
    machine = record.get("machine") or {}
    if not machine:
        raise SystemExit(f"{record.get('benchmark')}: the result names no machine")
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    return (f"{machine.get('cpu', 'unknown CPU')}, {machine.get('cores', '?')} "
            f"cores, {gpus}; Python {machine.get('python', '?')}, TensorFlow "
            f"{machine.get('tensorflow', '?')}, Keras {machine.get('keras', '?')}, "
            f"TensorFlow Probability {machine.get('tensorflow_probability', '?')}")


def cell(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1000 else str(value)
    if isinstance(value, list) and all(
            not isinstance(item, (dict, list)) for item in value):
        text = ", ".join(cell(item) for item in value[:6])
        return f"[{text}{f', … ({len(value)} values)' if len(value) > 6 else ''}]"
    if isinstance(value, (dict, list)):
        return "…"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(rows, first=None):
    """Markdown table of `rows` (dicts); `first` names a key column."""
    columns = list(dict.fromkeys(
        key for row in rows for key, value in row.items()
        if not isinstance(value, dict)
        and not (isinstance(value, list) and any(isinstance(v, (dict, list))
                                                 for v in value))))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(key, "")) for key in columns)
                     + " |")
    return "\n".join(lines)


def scalar(value):
    return not isinstance(value, (dict, list)) or (
        isinstance(value, list) and all(not isinstance(v, (dict, list))
                                        for v in value))


def tables(value, title, depth=3):
    """Markdown sections rendering `value` (from a result JSON) as tables:
    lists of records and records of records first, settings after."""
    heading = "#" * min(depth, 6)
    name = title or "settings"
    out = []
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out.append(f"{heading} {name}\n\n{table(value)}\n")
        for index, row in enumerate(value):
            for key, nested in row.items():
                if not scalar(nested) and depth < 5:
                    out += tables(nested, f"{title}[{index}].{key}", depth + 1)
    elif isinstance(value, dict):
        flat = {k: v for k, v in value.items() if scalar(v)}
        nested = {k: v for k, v in value.items() if not scalar(v)}
        prefix = f"{title}." if title else ""
        for k, v in nested.items():
            if depth >= 5:
                break
            rows = {key: row for key, row in v.items() if isinstance(row, dict)
                    and any(scalar(x) for x in row.values())} if isinstance(
                        v, dict) else {}
            if len(rows) >= 2:
                table_rows = [{"": key, **row} for key, row in rows.items()]
                out.append(f"{heading} {prefix}{k}\n\n{table(table_rows)}\n")
                for key, row in rows.items():
                    inner = {a: b for a, b in row.items() if not scalar(b)}
                    if inner:
                        out += tables(inner, f"{prefix}{k}.{key}", depth + 1)
                rest = {key: x for key, x in v.items() if key not in rows}
                if rest:
                    out += tables(rest, f"{prefix}{k}", depth + 1)
            else:
                out += tables(v, f"{prefix}{k}", depth + 1 if title else depth)
        if flat:
            label = (f"{title}: values" if nested else title) if title else "settings"
            out.append(f"{heading} {label}\n\n" + table(
                [{"key": k, "value": v} for k, v in flat.items()]) + "\n")
    return out


def notes(name):
    path = NOTES / f"{name}.md"
    return path.read_text() if path.exists() else ""


def benchmark_page(name, record):
    text = notes(name)
    match = re.match(r"# (.+)\n", text)
    title = match.group(1) if match else TITLES.get(
        name, name.replace("_", " ").capitalize())
    body = text[match.end():] if match else text
    date = record.get("date", "")[:16].replace("T", " ")
    if "dates" in record:
        date = f"{record['dates'][0]} to {record['dates'][-1]}"
    lines = [
        f"# {title}",
        "",
        "<!-- Generated by docs/generate.py from bench/results: do not edit. -->",
        "",
        f"- **Command:** `{command(name)}`",
        f"- **Result:** `bench/results/{name}.json`" if (RESULTS / f"{name}.json").exists()
        else f"- **Results:** `bench/results/{name}.md`, `bench/results/{name}/*.json`",
        f"- **Date:** {date}",
        f"- **Machine:** {machine_line(record)}",
        "",
    ]
    generated_md = RESULTS / f"{name}.md"
    summary = None
    if generated_md.exists():
        summary = (f"As `{command(name)}` wrote them from its JSON "
                   f"(`bench/results/{name}.md`):\n\n{generated_md.read_text()}")
    elif "markdown" in record:
        summary = (f"As `{command(name)}` wrote them into its JSON:\n\n"
                   f"{record['markdown']}")
    sections = []
    if (RESULTS / f"{name}.json").exists():
        sections = tables({k: v for k, v in record.items() if k not in SKIP_KEYS},
                          "", depth=3)
    generic = (f"Generated from `bench/results/{name}.json`; floats to 4 "
               "significant digits.\n\n" + "\n".join(sections))
    if summary:
        lines += ["## Results", "", summary, ""]
    elif sections:
        lines += ["## Results", "", generic, ""]
    if body.strip():
        lines += [body.strip(), ""]
    if summary and sections:
        lines += ["## Every value in the JSON", "",
                  '??? note "The tables, generated from the JSON"', "",
                  "    " + generic.replace("\n", "\n    "), ""]
    return title, "\n".join(lines)


def benchmarks():
    """[(title, page)]: one page per result, its figures copied along."""
    for figure in sorted(RESULTS.rglob("*.png")):
        copy(figure, DOCS / "benchmarks" / "img" / figure.relative_to(RESULTS))
    entries, index = [], [
        "# Benchmarks",
        "",
        "<!-- Generated by docs/generate.py from bench/results: do not edit. -->",
        "",
        "Every benchmark writes a JSON file to `bench/results/`; each page "
        "here is generated from one of them by `docs/generate.py`, with the "
        "command that wrote it and the machine it ran on. No number on these "
        "pages is typed by hand. The protocol is [Benchmark protocol]"
        "(../benchmark.md), the shipped models' NLLs are in [NLL of every "
        "shipped model](../results.md).",
        "",
        "Most ran on a 2-core VM without a GPU (an Intel Xeon or an AMD EPYC: "
        "each page names it), often shared with other jobs, so seconds are "
        "rough unless a page compares them side by side in one process; "
        "quality numbers are not affected.",
        "",
        "| benchmark | command | date | machine |",
        "|---|---|---|---|",
    ]
    found = results()
    order = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    for name in order:
        record = found[name]
        title, text = benchmark_page(name, record)
        write(DOCS / "benchmarks" / f"{name}.md", text)
        entries.append((title, f"benchmarks/{name}.md"))
        machine = record.get("machine", {})
        index.append(f"| [{title}]({name}.md) | `{command(name)}` | "
                     f"{record.get('date', '')[:10] or record['dates'][-1]} | "
                     f"{machine.get('cpu')}, {machine.get('cores')} cores |")
    write(DOCS / "benchmarks" / "index.md", "\n".join(index) + "\n")
    stray = sorted(path.stem for path in NOTES.glob("*.md")
                   if path.stem not in results())
    if stray:
        raise SystemExit(f"docs/benchmark-notes: no result for {stray}")
    return entries


# API reference -------------------------------------------------------------


def module_path(name):
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


# Names in a package's __all__ that are other libraries' (re-exported for
# convenience), not the zoo's.
NOT_DOCUMENTED = {"tfd"}


def public_names(name):
    """The names to document for `name`: itself unless it is a package;
    a package's __all__, else the names its __init__ imports from inside
    itself, else its public modules."""
    path = module_path(name)
    if not path.exists() or path.name != "__init__.py":
        return [name]
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "__all__" for t in node.targets):
            names = ast.literal_eval(node.value)
            modules = {alias.asname or alias.name for node in tree.body
                       if isinstance(node, ast.Import) for alias in node.names}
            return [f"{name}.{n}" for n in names if n not in modules
                    and n not in NOT_DOCUMENTED]
    imported = [alias.asname or alias.name
                for node in tree.body if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith(name)
                for alias in node.names]
    if imported:
        return [f"{name}.{n}" for n in imported if not n.startswith("_")]
    return [f"{name}.{p.stem}" for p in sorted(path.parent.glob("*.py"))
            if not p.stem.startswith("_")]


def reference():
    entries = []
    index = ["# API reference", "",
             "<!-- Generated by docs/generate.py: do not edit. -->", "",
             "Every public name, rendered from its docstring. Formulas in the "
             "docstrings are plain text in indented blocks, shown as code.", ""]
    for page, title, names in REFERENCE:
        lines = [f"# {title}", "",
                 "<!-- Generated by docs/generate.py: do not edit. -->", ""]
        for name in names:
            for member in public_names(name):
                lines += [f"::: {member}", ""]
        write(DOCS / "reference" / f"{page}.md", "\n".join(lines))
        entries.append((title, f"reference/{page}.md"))
        index.append(f"- [{title}]({page}.md)")
    write(DOCS / "reference" / "index.md", "\n".join(index) + "\n")
    return [("Overview", "reference/index.md")] + entries


# Tables from the code ------------------------------------------------------


def signatures_table():
    """The exported signatures (zoo/models/endpoints.py's SIGNATURES and
    CODEBOOK_SIGNATURES), read without importing TensorFlow."""
    tree = ast.parse((ROOT / "zoo" / "models" / "endpoints.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name in ("SIGNATURES", "CODEBOOK_SIGNATURES", "CLASSIFY"):
                found[name] = ast.literal_eval(node.value)
    lines = ["| signature | inputs | outputs | models |", "|---|---|---|---|"]

    def names(items):
        return ", ".join(f"`{item}`" for item in items)

    for kind, label in (("SIGNATURES", "Gaussian latent (`zoo.VAE`, "
                         "`zoo.HierarchicalVAE`)"),
                        ("CODEBOOK_SIGNATURES", "codebook (`zoo.VQVAE`)")):
        for signature, (inputs, outputs) in found[kind].items():
            lines.append(f"| `{signature}` | {names(inputs)} | "
                         f"{names(outputs)} | {label} |")
    inputs, outputs = found["CLASSIFY"]
    lines.append(f"| `classify` | {names(inputs)} | {names(outputs)} | "
                 "with a classifier (`objective=\"semi_supervised\"`) |")
    return "\n".join(lines)


# Generated inside hand-written pages: marker -> function.
SNIPPETS = {"<!-- generated: signatures -->": signatures_table}


def fill_snippets(markdown):
    for marker, function in SNIPPETS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, function())
    return markdown


# Pages from files outside docs/ -------------------------------------------


def outside_pages():
    write(DOCS / "contributing.md", "<!-- Generated from CONTRIBUTING.md -->\n\n"
          + (ROOT / "CONTRIBUTING.md").read_text())
    text = (ROOT / "saved_models" / "README.md").read_text()
    text = text.replace("](../docs/", "](")
    write(DOCS / "saved-models.md",
          "<!-- Generated from saved_models/README.md -->\n\n" + text)


def generate():
    """Write every generated page; return the generated nav sections."""
    outside_pages()
    return {
        "Tutorials": tutorials(),
        "Benchmarks": benchmarks(),
        "API reference": reference(),
    }


def nav(config_nav, generated):
    """mkdocs.yml's nav with each generated section's entries appended."""
    out = []
    for item in config_nav:
        if isinstance(item, dict):
            (title, value), = item.items()
            if title in generated:
                value = list(value or []) + [{t: p} for t, p in generated[title]]
            item = {title: value}
        out.append(item)
    return out


# The README's numbers ------------------------------------------------------

README = ROOT / "README.md"
BLOCK = "<!-- generated by docs/generate.py --readme: {} -->"
END = "<!-- end of generated block -->"


def _machine_short(record):
    machine = record["machine"]
    return f"{machine['cpu']}, {machine['cores']} cores"


def readme_blocks():
    """{name: Markdown} for the README's generated blocks."""
    headline = json.loads((RESULTS / "headline.json").read_text())
    iwae = json.loads((RESULTS / "headline_iwae.json").read_text())
    hierarchical = json.loads((RESULTS / "headline_hierarchical.json").read_text())
    rows = {row["model"]: (row, headline) for row in headline["rows"]}
    # release 0.1's IWAE objective was wrong; its corrected run replaces it
    rows["iwae"] = next((r, iwae) for r in iwae["rows"] if r["model"] == "iwae")
    for row in hierarchical["rows"]:
        rows[row["model"]] = (row, hierarchical)
    lines = ["| model | test NLL (K=100, 2k images) | test −ELBO | img/s | result |",
             "|---|---|---|---|---|"]
    for model, (row, record) in sorted(rows.items(),
                                       key=lambda item: item[1][0]["test_nll_quick"]):
        name = model if model.startswith("reference") else f"`{model}`"
        lines.append(
            f"| {name} | {row['test_nll_quick']:.1f} | "
            f"{row['test_negative_elbo']:.1f} | {row['images_per_second']:,.0f} | "
            f"[`{record['benchmark']}.json`](bench/results/{record['benchmark']}.json), "
            f"{record['date'][:10]}, {_machine_short(record)} |")
    blocks = {"headline": "\n".join(lines)}
    lines = ["| preset | test NLL (K=1,000, 10k images) | test −ELBO | scored |",
             "|---|---|---|---|"]
    for path in sorted((RESULTS / "final_nll").glob("*.json")):
        record = json.loads(path.read_text())
        lines.append(
            f"| `{record['model']}` | {record['test_nll']:.2f} | "
            f"{record['test_negative_elbo']:.2f} | "
            f"[`final_nll/{path.name}`](bench/results/final_nll/{path.name}), "
            f"{record['date'][:10]}, {_machine_short(record)} |")
    blocks["presets"] = "\n".join(lines)
    return blocks


def readme_with_blocks(text):
    """The README `text` with every generated block made current."""
    for name, block in readme_blocks().items():
        start = BLOCK.format(name)
        if start not in text:
            raise SystemExit(f"README.md lacks the line {start!r}")
        head, rest = text.split(start, 1)
        _, tail = rest.split(END, 1)
        text = f"{head}{start}\n{block}\n{END}{tail}"
    return text


if __name__ == "__main__":
    import sys

    if "--readme" in sys.argv:
        README.write_text(readme_with_blocks(README.read_text()))
        print("README.md: generated blocks written")
        sys.exit()
    generated = generate()
    for section, entries in generated.items():
        print(f"{section}: {len(entries)} pages")

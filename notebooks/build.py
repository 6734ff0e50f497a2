"""Build the tutorial notebooks from their sources, and run them.

Each tutorial is written once, as a Python file in the percent format of
jupytext (`notebooks/src/NN_name.py`): a line `# %%` opens a code cell,
`# %% [markdown]` a text cell whose lines are Markdown behind `# `. This
script turns every source into `notebooks/NN_name.ipynb`:

    python notebooks/build.py               # write the notebooks, no outputs
    python notebooks/build.py --execute     # ... and run them (full budget)
    python notebooks/build.py --execute 03  # only the sources matching 03

Notebooks are never edited by hand: change the source, then rebuild.
Executed notebooks are committed with their outputs so that they read well
on a web page; CI runs them again with `ZOO_NOTEBOOK_BUDGET=small`
(`tests/test_notebooks.py`).
"""

import argparse
import pathlib
import re
import time

import nbformat

NOTEBOOKS = pathlib.Path(__file__).parent
SOURCES = NOTEBOOKS / "src"
CELL_MARKER = "# %%"
# Seconds a single cell may run before the execution fails.
CELL_TIMEOUT = 600
# TensorFlow's C++ start-up log (oneDNN, CUDA drivers), which
# TF_CPP_MIN_LOG_LEVEL does not silence: machine noise, not tutorial output.
STARTUP_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\).*"
    r"|[IWE]\d{4} .*)\n?", re.M
)


def cells_from_source(text):
    """The notebook cells of a percent-format source, in order."""
    cells = []
    kind, lines = None, []
    for line in text.splitlines() + [CELL_MARKER]:
        if line.startswith(CELL_MARKER):
            body = "\n".join(lines).strip("\n")
            if kind == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(body))
            elif kind == "code" and body:
                cells.append(nbformat.v4.new_code_cell(body))
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind == "markdown":
            lines.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        elif kind is not None:
            lines.append(line)
    return cells


def notebook_from_source(path):
    """A `nbformat.NotebookNode` built from the source file `path`."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells_from_source(pathlib.Path(path).read_text())
    notebook.metadata = {
        "kernelspec": {
            "display_name": "Python 3", "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    return notebook


def execute(notebook, working_directory, kernel=None):
    """Run every cell of `notebook` in place with a fresh kernel started in
    `working_directory`, or in `kernel` (a started
    `jupyter_client.KernelManager`, left running; its working directory is
    the caller's to set)."""
    import nbclient

    nbclient.NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", km=kernel,
        resources={"metadata": {"path": str(working_directory)}},
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                output for output in map(_without_startup_log, cell.outputs)
                if output is not None
            ]


def _without_startup_log(output):
    """`output` less TensorFlow's start-up log lines; None if empty."""
    if output.get("name") != "stderr":
        return output
    output.text = STARTUP_LOG.sub("", output.text)
    return output if output.text.strip() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("match", nargs="?", default="",
                        help="build only the sources whose name contains it")
    parser.add_argument("--execute", action="store_true",
                        help="run each notebook and keep its outputs")
    args = parser.parse_args()
    sources = sorted(
        path for path in SOURCES.glob("*.py") if args.match in path.name
    )
    if not sources:
        parser.error(f"no source in {SOURCES} matches {args.match!r}")
    for source in sources:
        notebook = notebook_from_source(source)
        start = time.perf_counter()
        if args.execute:
            execute(notebook, NOTEBOOKS)
        target = NOTEBOOKS / f"{source.stem}.ipynb"
        nbformat.write(notebook, target)
        print(f"{target} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

"""The tutorial notebooks: built from their sources, and they run.

Each `notebooks/NN_name.ipynb` must hold exactly the cells that
`notebooks/build.py` makes from `notebooks/src/NN_name.py`, and must execute
without error in the small budget (`ZOO_NOTEBOOK_BUDGET=small`, a few
thousand images and one epoch), as CI runs it: in one kernel per test
process, each notebook from an empty namespace (`fresh_start`).
"""

import importlib.util
import pathlib

import nbformat
import pytest

NOTEBOOKS = pathlib.Path(__file__).parent.parent / "notebooks"
SOURCES = sorted((NOTEBOOKS / "src").glob("*.py"))


def load_build():
    spec = importlib.util.spec_from_file_location(
        "build", NOTEBOOKS / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()


def committed(source):
    return nbformat.read(NOTEBOOKS / f"{source.stem}.ipynb", as_version=4)


def test_there_are_tutorials():
    assert len(SOURCES) >= 6


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_is_built_from_its_source(source):
    expected = build.notebook_from_source(source)
    cells = [(cell.cell_type, cell.source) for cell in committed(source).cells]
    assert cells == [(cell.cell_type, cell.source) for cell in expected.cells], (
        f"{source.stem}.ipynb is out of date; run `python notebooks/build.py "
        f"--execute {source.stem}`"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_is_committed_with_its_outputs(source):
    """Every code cell ran (`python notebooks/build.py --execute NN`): the
    site renders the committed outputs, and a tutorial without them reads
    as an empty page of code."""
    cells = [cell for cell in committed(source).cells if cell.cell_type == "code"]
    unexecuted = [index for index, cell in enumerate(cells)
                  if cell.get("execution_count") is None]
    assert not unexecuted, (
        f"{source.stem}.ipynb has code cells that never ran ({unexecuted}); "
        f"run `python notebooks/build.py --execute {source.stem[:2]}`")
    assert sum(len(cell.outputs) for cell in cells) > 0, (
        f"{source.stem}.ipynb has no outputs")


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_source_has_the_tutorial_shape(source):
    text = source.read_text()
    for part in ("**Author:** zoo authors", "**Date created:**",
                 "**Description:**", "## Setup", "ZOO_NOTEBOOK_BUDGET"):
        assert part in text, f"{source.name} lacks {part!r}"


@pytest.fixture(scope="module")
def kernel():
    """One Python kernel for the notebooks this test process runs, started
    with the small budget in its environment. A kernel spends ~10 s of
    CPU importing TensorFlow and the zoo; in one kernel the notebooks after
    the first find those modules imported. Each notebook still starts from
    an empty namespace (`fresh_start`), so a name it uses without defining
    or importing it fails as in a new kernel."""
    import jupyter_client

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_NOTEBOOK_BUDGET", "small")
        patch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
        manager = jupyter_client.KernelManager(kernel_name="python3")
        manager.start_kernel()
    try:
        yield manager
    finally:
        manager.shutdown_kernel(now=True)


def fresh_start(working_directory):
    """A first cell that gives the kernel a new notebook's state: Keras's
    global state cleared, the working directory `working_directory`, and
    every name the previous notebook defined deleted (`%reset -f`)."""
    return nbformat.v4.new_code_cell(
        "import os, keras\n"
        "keras.backend.clear_session()\n"
        f"os.chdir({str(working_directory)!r})\n"
        "%reset -f")


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_runs_in_the_small_budget(source, kernel, tmp_path):
    notebook = committed(source)
    notebook.cells.insert(0, fresh_start(tmp_path))
    # raises CellExecutionError on an error
    build.execute(notebook, tmp_path, kernel=kernel)
    assert all(
        output.output_type != "error"
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.outputs
    )

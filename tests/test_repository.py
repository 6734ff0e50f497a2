"""The repository stands alone: no file points outside it."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIPPED_DIRECTORIES = {".git", "__pycache__", ".pytest_cache",
                       ".ipynb_checkpoints"}
# A folder beside the checkout, and design notes that were never part of
# the repository (the protocol is docs/benchmark.md, the contract
# CONTRIBUTING.md). Built from pieces so this file does not match itself.
OUTSIDE = re.compile(re.escape("..") + r"/shared\b|\b(?:BENCHMARK|DESIGN|STYLE)"
                     + re.escape(".md"))


def repository_files():
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & SKIPPED_DIRECTORIES and not any(
            part.endswith(".egg-info") for part in parts
        ):
            yield path


def test_no_file_points_outside_the_repository():
    offenders = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files: SavedModels, figures
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert not offenders, "\n".join(offenders)


def test_the_docs_that_replace_them_exist():
    for name in ("docs/benchmark.md", "CONTRIBUTING.md"):
        assert (ROOT / name).stat().st_size > 1000, name

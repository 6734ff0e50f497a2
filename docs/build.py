"""Build the documentation site into site/, warnings as errors.

    python docs/build.py            # generate the pages, then mkdocs build --strict
    mkdocs serve                    # serve it at http://127.0.0.1:8000 (live reload)

`mkdocs build --strict` alone does the same (docs/hooks.py generates the
tutorial, benchmark and API pages on every build); this script is the
one command CI and the README name.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # NO_MKDOCS_2_WARNING: Material's banner about MkDocs 2, not a warning
    # about this site.
    return subprocess.call(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *argv], cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


if __name__ == "__main__":
    sys.exit(main())

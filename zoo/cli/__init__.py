"""The `zoo` command: train, evaluate, sample from and export VAEs.

    main.py   the commands and their arguments (`zoo.cli.main.main`)
    data.py   reading the user's data for `zoo train --data`
    quiet.py  TensorFlow's start-up logs hidden for the command

`zoo.cli.main` is the module main.py, and calling it runs the command (the
console script's entry point, `zoo.cli:main`), so `from zoo.cli import
main` gives the module whether or not it was imported before. None of
these modules imports TensorFlow at import time.
"""

from zoo.cli import main  # noqa: F401  (a callable module, see main.py)

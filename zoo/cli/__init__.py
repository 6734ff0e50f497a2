"""The `zoo` command: train, evaluate, sample from and export VAEs.

    main.py   the commands and their arguments (`zoo.cli.main.main`)
    data.py   reading the user's data for `zoo train --data`
    quiet.py  TensorFlow's start-up logs hidden for the command
"""


def main(argv=None):
    """Run the `zoo` command (`zoo.cli.main.main`)."""
    from zoo.cli.main import main as run

    return run(argv)

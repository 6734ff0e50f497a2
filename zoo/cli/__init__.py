"""The `zoo` command: train, evaluate, sample from and export VAEs.

    commands.py  the commands and their arguments
    data.py      reading the user's data for `zoo train --data`
"""


def main(argv=None):
    """Run the `zoo` command (`zoo.cli.commands.main`)."""
    from zoo.cli.commands import main as run

    return run(argv)

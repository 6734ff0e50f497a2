"""Print every result under bench/results/ as the Markdown the README quotes.

    python -m bench.report [NAME ...]
"""

import argparse
import json

from bench.common import RESULTS
from bench.common import markdown_table


def report(name):
    result = json.loads((RESULTS / f"{name}.json").read_text())
    machine = result["machine"]
    print(f"### {name} ({result['date']}; {machine['cpu']}, "
          f"{machine['cores']} cores, TensorFlow {machine['tensorflow']})\n")
    if "markdown" in result:
        print(result["markdown"])
    elif "modes" in result:
        print(markdown_table([
            {"mode": mode, "mean": values["mean"], "std": values["std"]}
            for mode, values in result["modes"].items()
        ]))
    elif "rows" in result or "candidates" in result:
        print(markdown_table([
            {key: value for key, value in row.items()
             if isinstance(value, (int, float, str))}
            for row in result.get("rows") or result["candidates"]
        ]))
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=sorted(
        path.stem for path in RESULTS.glob("*.json")))
    for name in parser.parse_args(argv).names:
        report(name)


if __name__ == "__main__":
    main()

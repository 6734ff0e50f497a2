"""Memory and time when training from a dataset streamed from disk.

Replicates Fashion-MNIST's 60,000 training images 1x, 4x and 16x into
`zoo.datasets.write_stream` files (written chunk by chunk, never whole in
memory), then, in a fresh process per size, trains one epoch of the default
dense_vae from `read_stream` and reports the process's peak resident memory
(VmHWM) and seconds per 10,000 images. Flat memory and a constant time per
image mean memory does not grow with the dataset and time grows linearly.

    python -m bench.scale [--factors 1 4 16] [--directory /tmp/zoo_scale]
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import sys

WORKER = """
import json, sys, time
import zoo
stream = zoo.datasets.read_stream(sys.argv[1], batch_size=128)
model = zoo.get("dense_vae", input_shape=(28, 28, 1), latent_dim=16, seed=0)
model.compile()
start = time.perf_counter()
model.fit(stream, epochs=1, verbose=0)
seconds = time.perf_counter() - start
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024}))
"""


class Replicated:
    """`factor` copies of an array, sliceable along axis 0 without copying
    the whole: what `write_stream` needs to write it chunk by chunk."""

    def __init__(self, array, factor):
        self.array = array
        self.factor = factor

    def __len__(self):
        return len(self.array) * self.factor

    def __getitem__(self, index):
        rows = range(*index.indices(len(self)))
        return self.array[[row % len(self.array) for row in rows]]


def main(argv=None):
    import zoo
    from bench.common import write_result

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="*", default=[1, 4, 16])
    parser.add_argument("--directory", default="/tmp/zoo_scale")
    args = parser.parse_args(argv)
    x_train = zoo.datasets.fashion_mnist().x_train
    rows = []
    for factor in args.factors:
        directory = pathlib.Path(args.directory) / f"x{factor}"
        shutil.rmtree(directory, ignore_errors=True)
        zoo.datasets.write_stream(directory, Replicated(x_train, factor))
        output = subprocess.run(
            [sys.executable, "-c", WORKER, str(directory)], check=True,
            capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        measured = json.loads(output)
        images = len(x_train) * factor
        row = {"factor": factor, "images": images,
               "peak_rss_mb": measured["peak_rss_mb"],
               "seconds": measured["seconds"],
               "seconds_per_10k_images": measured["seconds"] / images * 1e4}
        print(row, flush=True)
        rows.append(row)
        shutil.rmtree(directory, ignore_errors=True)
    write_result("scale", {"model": "dense_vae (default options)",
                           "batch_size": 128, "rows": rows})


if __name__ == "__main__":
    main()

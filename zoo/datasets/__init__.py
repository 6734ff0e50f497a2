"""Image data for VAEs: loaders, binarization, corruption, streaming.

Every loader returns an `ImageDataset` (float32 images in [0, 1], shape
`(N, H, W, C)`, labels alongside) whose `as_dataset()` builds the `tf.data`
pipeline that `model.fit` takes.

Loaders (image shape; where the data comes from; network needed?):

- `fashion_mnist()`: (28, 28, 1); `data_dir`, Debian package, Keras cache,
  else Keras download; a network only for the download.
- `mnist()`: (28, 28, 1); `data_dir`, Keras cache, else Keras download.
- `digits()`: (8, 8, 1); bundled with scikit-learn; no network.
- `from_arrays()`, `from_directory()`: your arrays or image files.
- `write_stream()` / `read_stream()`: `.npy` files streamed from disk.
"""

from zoo.datasets.arrays import from_arrays
from zoo.datasets.binarization import binarize_dynamic
from zoo.datasets.binarization import binarize_static
from zoo.datasets.corruption import corrupt
from zoo.datasets.corruption import corrupt_dataset
from zoo.datasets.digits import digits
from zoo.datasets.directory import from_directory
from zoo.datasets.idx import read_idx
from zoo.datasets.image_dataset import ImageDataset
from zoo.datasets.mnist_datasets import fashion_mnist
from zoo.datasets.mnist_datasets import mnist
from zoo.datasets.streaming import read_stream
from zoo.datasets.streaming import write_stream

"""Reading the idx format of MNIST and Fashion-MNIST, gzipped or not.

An idx file is a big-endian header followed by raw values:

    bytes 0-1: 0, 0
    byte 2:    the value type (0x08: unsigned byte)
    byte 3:    the number of dimensions d (3 for images, 1 for labels)
    then d big-endian uint32 sizes, then prod(sizes) bytes, row-major.

so images start with the magic number 2051 (0x00000803) and labels with
2049 (0x00000801).
"""

import gzip
import pathlib
import struct
import zlib

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def read_idx(path, magic):
    """Read one idx file (`.gz` or uncompressed) into a uint8 array.

    Args:
        path: str or `pathlib.Path` of the file.
        magic: the expected magic number: `IMAGES_MAGIC` (2051) for images
            `(N, rows, columns)` or `LABELS_MAGIC` (2049) for labels `(N,)`.

    Returns:
        A uint8 numpy array of the shape the header gives.

    Raises:
        ValueError: naming the file, if it is not valid gzip, has the wrong
            magic number or is truncated; the fix is to fetch it again.
    """
    path = pathlib.Path(path)
    fix = (
        "The file is damaged or not what its name says: delete it and get "
        "it again (reinstall the Debian package, or let Keras download it)."
    )
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as file:
                content = file.read()
        else:
            content = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"Cannot decompress {path}: {error}. {fix} "
            f"Received: path={str(path)!r}"
        ) from None
    expected_dims = magic & 0xFF
    if len(content) < 4 + 4 * expected_dims:
        raise ValueError(
            f"{path} is too short for an idx header ({len(content)} bytes). "
            f"{fix} Received: path={str(path)!r}"
        )
    (found,) = struct.unpack(">I", content[:4])
    if found != magic:
        raise ValueError(
            f"{path} has idx magic number {found}; expected {magic} "
            f"({'images' if magic == IMAGES_MAGIC else 'labels'}). {fix} "
            f"Received: path={str(path)!r}"
        )
    shape = struct.unpack(
        f">{expected_dims}I", content[4:4 + 4 * expected_dims]
    )
    offset = 4 + 4 * expected_dims
    size = int(np.prod(shape))
    if len(content) - offset != size:
        raise ValueError(
            f"{path} holds {len(content) - offset} bytes of data; its header "
            f"{shape} needs {size}: the file is truncated. {fix} "
            f"Received: path={str(path)!r}"
        )
    return np.frombuffer(content, np.uint8, offset=offset).reshape(shape)

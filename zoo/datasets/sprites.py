"""Sprites: binary images generated from known factors of variation.

A procedural stand-in for dSprites (Matthey et al., 2017): every image is a
white shape on a black background, fully determined by five discrete
factors,

    factor        values  meaning
    shape              3  square, ellipse, heart
    scale              6  linspace(0.5, 1, 6) times the largest size
    orientation       40  2 pi k / 40, k = 0..39 (counter-clockwise)
    position_x        32  linspace(0.17, 0.83, 32) of the width, from the left
    position_y        32  linspace(0.17, 0.83, 32) of the height, from the top

so the full grid holds 3 * 6 * 40 * 32 * 32 = 737,280 images, the same
count as dSprites. Images are rendered, not stored: each shape is an
implicit function f(p) <= 0 evaluated at every pixel centre u after the
inverse transform

    p = R(-theta) (u - c) / (scale * 0.16),

with c the position and R the 2-D rotation, vectorized over a batch.

Rotational symmetry: a square looks the same after a quarter turn and an
ellipse after a half turn, so orientations k and k + 10 (square) or
k + 20 (ellipse) render the same image. `ROTATIONAL_SYMMETRY` gives the
order of each shape's symmetry; the renderer maps k to k modulo
40 / order, so equal-looking images are bitwise equal.

Example:

>>> from zoo.datasets.sprites import Sprites
>>> sprites = Sprites(image_size=32)
>>> sprites.num_examples
737280
>>> images, factors = sprites.sample(100, seed=0)
>>> images.shape, factors.shape
((100, 32, 32, 1), (100, 5))
>>> bool((sprites.factors_from_index(sprites.index_from_factors(factors))
...       == factors).all())
True
"""

import math

import numpy as np

from zoo.validation import check_number

SHAPES = ("square", "ellipse", "heart")
ROTATIONAL_SYMMETRY = {"square": 4, "ellipse": 2, "heart": 1}
# Radius of the largest shape (scale 1) as a fraction of the image size.
SHAPE_RADIUS = 0.16


class GroundTruthDataset:
    """Images indexed by a grid of discrete ground-truth factors.

    A subclass sets `factor_names` and `factor_sizes` and implements
    `images_from_factors`. Factors are integer class indices: a `(n,
    num_factors)` array whose column i lies in `[0, factor_sizes[i])`. Grid
    index and factors convert row-major (the last factor varies fastest),
    the order of dSprites.
    """

    factor_names = ()
    factor_sizes = ()

    @property
    def num_factors(self):
        return len(self.factor_sizes)

    @property
    def num_examples(self):
        """The size of the full factor grid: the product of factor_sizes."""
        return math.prod(self.factor_sizes)

    def factors_from_index(self, index):
        """Factors `(n, num_factors)` of grid indices `index` `(n,)`."""
        index = np.asarray(index)
        if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer) or (
            index.size and not 0 <= index.min() <= index.max()
            < self.num_examples
        ):
            raise ValueError(
                "`index` must be a 1-D integer array with values in "
                f"[0, {self.num_examples}). Received: index with shape "
                f"{index.shape}, dtype {index.dtype}"
            )
        return np.stack(
            np.unravel_index(index, self.factor_sizes), axis=1
        ).astype(np.int64)

    def index_from_factors(self, factors):
        """Grid indices `(n,)` of `factors` `(n, num_factors)`."""
        factors = self.check_factors(factors)
        return np.ravel_multi_index(factors.T, self.factor_sizes)

    def factor_grid(self, batch_size=4096):
        """Enumerate the full grid lazily: yields factor arrays of up to
        `batch_size` rows, in index order."""
        for start in range(0, self.num_examples, batch_size):
            stop = min(start + batch_size, self.num_examples)
            yield self.factors_from_index(np.arange(start, stop))

    def sample_factors(self, num_samples, seed=None):
        """`num_samples` factor rows drawn uniformly from the grid.

        Args:
            num_samples: int >= 0.
            seed: int, None, or a `numpy.random.Generator` (which is
                advanced); the same int gives the same factors.
        """
        rng = np.random.default_rng(seed)
        return np.stack(
            [rng.integers(size, size=num_samples)
             for size in self.factor_sizes],
            axis=1,
        ).astype(np.int64)

    def images_from_factors(self, factors):
        """Images `(n, height, width, 1)` float32 for `factors`."""
        raise NotImplementedError

    def sample(self, num_samples, seed=None):
        """Training arrays: `(images, factors)` for `num_samples` factor
        rows drawn uniformly (see `sample_factors`)."""
        factors = self.sample_factors(num_samples, seed)
        return self.images_from_factors(factors), factors

    def check_factors(self, factors):
        """Return `factors` as an int64 array, or raise a ValueError that
        says what was expected."""
        factors = np.asarray(factors)
        sizes = np.asarray(self.factor_sizes)
        if (
            factors.ndim != 2
            or factors.shape[1] != self.num_factors
            or not np.issubdtype(factors.dtype, np.integer)
            or (factors < 0).any()
            or (factors >= sizes).any()
        ):
            raise ValueError(
                f"`factors` must be an integer array (n, {self.num_factors}) "
                f"whose columns {self.factor_names} lie in [0, size) for "
                f"sizes {self.factor_sizes}. Received: factors with shape "
                f"{factors.shape}, dtype {factors.dtype}"
            )
        return factors.astype(np.int64)


class Sprites(GroundTruthDataset):
    """Procedural dSprites: 3 shapes x 6 scales x 40 orientations x 32 x 32
    positions, rendered on demand (see the module docstring).

    Args:
        image_size: int >= 16, the height and width in pixels (default 64,
            as dSprites). At small sizes neighbouring positions, scales or
            orientations can render the same image (positions are 0.68 *
            image_size / 31 pixels apart).
        batch_size: int > 0, images rendered per vectorized step (default
            1024); bounds the renderer's temporary memory.

    Raises:
        ValueError: for an `image_size` below 16 or a non-positive
            `batch_size`.
    """

    factor_names = (
        "shape", "scale", "orientation", "position_x", "position_y"
    )
    factor_sizes = (3, 6, 40, 32, 32)

    def __init__(self, image_size=64, batch_size=1024):
        for name, value, minimum in (("image_size", image_size, 16),
                                     ("batch_size", batch_size, 1)):
            check_number(value, name, integer=True, minimum=minimum)
        self.image_size = int(image_size)
        self.batch_size = int(batch_size)
        self.factor_values = (
            np.arange(len(SHAPES)),
            np.linspace(0.5, 1.0, 6),
            np.arange(40) * 2 * np.pi / 40,
            np.linspace(0.17, 0.83, 32),
            np.linspace(0.17, 0.83, 32),
        )
        self._pixel_centres = (
            (np.arange(self.image_size) + 0.5) / self.image_size
        ).astype(np.float32)

    def images_from_factors(self, factors):
        """Render `factors` `(n, 5)` to float32 images `(n, S, S, 1)` in
        {0, 1}, `batch_size` images at a time."""
        factors = self.check_factors(factors)
        size = self.image_size
        images = np.empty((len(factors), size, size, 1), np.float32)
        for start in range(0, len(factors), self.batch_size):
            batch = factors[start:start + self.batch_size]
            images[start:start + len(batch), ..., 0] = self._render(batch)
        return images

    def _render(self, factors):
        shape, scale, orientation, position_x, position_y = factors.T
        # Fold each orientation into the shape's symmetry period.
        period = 40 // np.array(
            [ROTATIONAL_SYMMETRY[name] for name in SHAPES]
        )[shape]
        theta = self.factor_values[2][orientation % period]
        radius = SHAPE_RADIUS * self.factor_values[1][scale]
        cos = (np.cos(theta) / radius).astype(np.float32)[:, None, None]
        sin = (np.sin(theta) / radius).astype(np.float32)[:, None, None]
        grid = self._pixel_centres
        # Columns run along x; rows run down the image, so y points up.
        dx = (grid[None, None, :]
              - self.factor_values[3][position_x][:, None, None])
        dy = (self.factor_values[4][position_y][:, None, None]
              - grid[None, :, None])
        dx, dy = dx.astype(np.float32), dy.astype(np.float32)
        inside = np.empty((len(factors), self.image_size, self.image_size),
                          bool)
        for index, name in enumerate(SHAPES):
            rows = shape == index
            if rows.any():
                # p = R(-theta) (u - c) / radius
                px = cos[rows] * dx[rows] + sin[rows] * dy[rows]
                py = cos[rows] * dy[rows] - sin[rows] * dx[rows]
                inside[rows] = _SHAPE_FUNCTIONS[name](px, py)
        return inside


def _square(x, y):
    """max(|x|, |y|) <= 0.7: corners on the unit circle."""
    return np.maximum(np.abs(x), np.abs(y)) <= 0.7


def _ellipse(x, y):
    """x^2 + (y / 0.6)^2 <= 1: semi-axes 1 and 0.6."""
    return x * x + (y / 0.6) ** 2 <= 1.0


def _heart(x, y):
    """(q_x^2 + q_y^2 - 1)^3 <= q_x^2 q_y^3 with q = 1.3 p + (0, 0.12): the
    classic heart curve, centred and scaled into the unit circle."""
    x = 1.3 * x
    y = 1.3 * y + 0.12
    x2 = x * x
    return (x2 + y * y - 1.0) ** 3 <= x2 * y * y * y


_SHAPE_FUNCTIONS = {"square": _square, "ellipse": _ellipse, "heart": _heart}


class DSprites(GroundTruthDataset):
    """The official dSprites images, served through the same API as
    `Sprites`. Build it with `dsprites(path)`.

    Args:
        images: uint8 array `(num_examples, 64, 64)` in grid order.
        factor_sizes: tuple of 5 ints, the grid's shape.
    """

    factor_names = Sprites.factor_names

    def __init__(self, images, factor_sizes):
        self.images = images
        self.factor_sizes = tuple(int(size) for size in factor_sizes)
        self.image_size = images.shape[1]

    def images_from_factors(self, factors):
        """Look up `factors` `(n, 5)`; returns float32 `(n, 64, 64, 1)`."""
        index = self.index_from_factors(factors)
        return self.images[index, ..., None].astype(np.float32)


def dsprites(path):
    """Load the official dSprites file
    (`dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`).

    The file holds `imgs` `(737280, 64, 64)` and `latents_classes`
    `(737280, 6)` whose first column (colour) has a single value; it is
    dropped, leaving the five factors of `Sprites`. Rows may come in any
    order as long as they cover the full grid once.

    Args:
        path: path to the .npz file.

    Returns:
        A `DSprites` dataset.

    Raises:
        ValueError: if the file lacks `imgs` or `latents_classes`, or its
            rows do not cover the factor grid exactly once.
    """
    with np.load(path) as data:
        missing = {"imgs", "latents_classes"} - set(data.files)
        if missing:
            raise ValueError(
                f"`path` must be a dSprites .npz holding `imgs` and "
                f"`latents_classes`; missing {sorted(missing)}. "
                f"Received: path={str(path)!r}"
            )
        images = data["imgs"]
        factors = data["latents_classes"][:, 1:].astype(np.int64)
    factor_sizes = tuple(factors.max(axis=0) + 1)
    index = np.ravel_multi_index(factors.T, factor_sizes)
    if len(index) != math.prod(factor_sizes) or len(np.unique(index)) != len(
        index
    ):
        raise ValueError(
            "`path` must hold every combination of the factors exactly once; "
            f"found {len(np.unique(index))} distinct of "
            f"{math.prod(factor_sizes)} for sizes {factor_sizes}. "
            f"Received: path={str(path)!r}"
        )
    order = np.empty_like(index)
    order[index] = np.arange(len(index))
    return DSprites(images[order].astype(np.uint8), factor_sizes)

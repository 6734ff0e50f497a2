"""The procedural sprites dataset: grid, determinism, rendering, dSprites."""

import numpy as np
import pytest

from zoo.datasets.sprites import ROTATIONAL_SYMMETRY
from zoo.datasets.sprites import SHAPES
from zoo.datasets.sprites import Sprites
from zoo.datasets.sprites import dsprites


def test_grid_size_matches_definition():
    sprites = Sprites(image_size=16)
    assert sprites.factor_sizes == (3, 6, 40, 32, 32)
    assert sprites.num_examples == 3 * 6 * 40 * 32 * 32 == 737280
    assert [len(values) for values in sprites.factor_values] == list(
        sprites.factor_sizes
    )


def test_index_factors_round_trip():
    sprites = Sprites(image_size=16)
    index = np.concatenate([
        [0, sprites.num_examples - 1],
        np.random.default_rng(0).integers(sprites.num_examples, size=1000),
    ])
    factors = sprites.factors_from_index(index)
    np.testing.assert_array_equal(factors[0], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(factors[1], [2, 5, 39, 31, 31])
    np.testing.assert_array_equal(sprites.index_from_factors(factors), index)
    # Row-major: the next index moves the last factor, position_y.
    np.testing.assert_array_equal(
        sprites.factors_from_index(np.array([1, 32])),
        [[0, 0, 0, 0, 1], [0, 0, 0, 1, 0]],
    )


def test_factor_grid_enumerates_every_index_once():
    sprites = Sprites(image_size=16)
    blocks = list(sprites.factor_grid(batch_size=100000))
    assert len(blocks) == 8
    factors = np.concatenate(blocks)
    np.testing.assert_array_equal(
        sprites.index_from_factors(factors), np.arange(sprites.num_examples)
    )


def test_same_seed_same_images():
    sprites = Sprites(image_size=32)
    images, factors = sprites.sample(64, seed=3)
    again, factors_again = sprites.sample(64, seed=3)
    other, _ = sprites.sample(64, seed=4)
    np.testing.assert_array_equal(factors, factors_again)
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)


@pytest.mark.parametrize("image_size", [16, 32, 64])
def test_images_are_binary_and_never_empty(image_size):
    sprites = Sprites(image_size=image_size, batch_size=100)
    # The smallest shape of each kind in every corner of the position grid.
    factors = np.array([[shape, 0, orientation, x, y]
                        for shape in range(3)
                        for orientation in (0, 5, 13)
                        for x in (0, 31) for y in (0, 31)])
    images = sprites.images_from_factors(factors)
    assert images.shape == (len(factors), image_size, image_size, 1)
    assert images.dtype == np.float32
    assert set(np.unique(images)) == {0.0, 1.0}
    assert images.sum(axis=(1, 2, 3)).min() > 0


def test_every_factor_value_changes_the_image():
    """At 64 x 64, sweeping one factor over all its values gives distinct
    images, except orientations equal modulo a shape's rotational symmetry
    (a quarter turn for squares, a half turn for ellipses), which give
    bitwise-equal images. (At 32 x 32 and below, neighbouring positions,
    scales or orientations can render alike.)"""
    sprites = Sprites(image_size=64)
    bases = sprites.sample_factors(6, seed=0)
    bases[:3, 0] = [0, 1, 2]  # every shape at least once
    for base in bases:
        for factor, size in enumerate(sprites.factor_sizes):
            sweep = np.repeat(base[None], size, axis=0)
            sweep[:, factor] = np.arange(size)
            images = sprites.images_from_factors(sweep).reshape(size, -1)
            distinct = len(np.unique(images, axis=0))
            if sprites.factor_names[factor] == "orientation":
                symmetry = ROTATIONAL_SYMMETRY[SHAPES[base[0]]]
                period = size // symmetry
                assert distinct == period, (base, factor)
                np.testing.assert_array_equal(
                    images[:period], images[(symmetry - 1) * period:]
                )
            else:
                assert distinct == size, (base, factor)


def test_invalid_arguments_are_named():
    with pytest.raises(ValueError, match="Received: image_size=8"):
        Sprites(image_size=8)
    with pytest.raises(ValueError, match="batch_size"):
        Sprites(batch_size=0)
    sprites = Sprites(image_size=16)
    with pytest.raises(ValueError, match="`factors`.*Received"):
        sprites.images_from_factors([[0, 6, 0, 0, 0]])
    with pytest.raises(ValueError, match="`factors`"):
        sprites.images_from_factors(np.zeros((2, 4), int))
    with pytest.raises(ValueError, match="`index`"):
        sprites.factors_from_index([sprites.num_examples])


def _write_dsprites(path, drop_last=False):
    """A tiny dSprites-format file: a 2 x 2 x 2 x 2 x 2 grid in shuffled
    order, each image stamped with its factors in its first row."""
    rng = np.random.default_rng(0)
    sizes = (1, 2, 2, 2, 2, 2)
    classes = np.stack(
        np.unravel_index(np.arange(32), sizes), axis=1
    )[rng.permutation(32)]
    images = np.zeros((32, 64, 64), np.uint8)
    images[:, 0, :5] = classes[:, 1:]
    if drop_last:
        classes, images = classes[:-1], images[:-1]
    np.savez_compressed(path, imgs=images, latents_classes=classes,
                        latents_values=classes.astype(float))


def test_dsprites_loader(tmp_path):
    path = tmp_path / "dsprites.npz"
    _write_dsprites(path)
    data = dsprites(path)
    assert data.factor_sizes == (2, 2, 2, 2, 2)
    assert data.num_examples == 32
    factors = data.sample_factors(16, seed=0)
    images = data.images_from_factors(factors)
    assert images.shape == (16, 64, 64, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images[:, 0, :5, 0], factors)


def test_dsprites_loader_rejects_incomplete_grid(tmp_path):
    path = tmp_path / "partial.npz"
    _write_dsprites(path, drop_last=True)
    with pytest.raises(ValueError, match="exactly once"):
        dsprites(path)
    np.savez(tmp_path / "other.npz", images=np.zeros(3))
    with pytest.raises(ValueError, match="latents_classes"):
        dsprites(tmp_path / "other.npz")

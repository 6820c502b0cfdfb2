"""Tiles: bounded in size, covering the picture, and owning each line centre exactly once."""

from __future__ import annotations

import itertools

import pytest

from lookaloud.core.perception.tiles import MAX_TILE_AREA, MAX_TILE_SIDE, OVERLAP, plan_tiles


def test_a_screen_that_fits_is_one_tile() -> None:
    (tile,) = plan_tiles(1920, 1080)
    assert (tile.x0, tile.y0, tile.x1, tile.y1) == (0, 0, 1920, 1080)
    assert tile.owns(0, 0) and tile.owns(1919.5, 1079.5)


@pytest.mark.parametrize("size", [(1280, 6000), (60, 6000), (6000, 60), (7680, 4320), (2001, 3)])
def test_tiles_are_bounded_and_cover_everything(size: tuple[int, int]) -> None:
    width, height = size
    tiles = plan_tiles(width, height)
    for tile in tiles:
        w, h = tile.x1 - tile.x0, tile.y1 - tile.y0
        assert w <= MAX_TILE_SIDE and h <= MAX_TILE_SIDE and w * h <= MAX_TILE_AREA
    for x, y in itertools.product(range(0, width, 37), range(0, height, 41)):
        owners = [t for t in tiles if t.owns(x + 0.5, y + 0.5)]
        assert len(owners) == 1, (x, y)
        (owner,) = owners
        assert owner.x0 <= x < owner.x1 and owner.y0 <= y < owner.y1


def test_a_line_owned_by_a_tile_lies_whole_inside_it() -> None:
    tiles = plan_tiles(1280, 6000)
    assert len(tiles) > 1
    half = OVERLAP // 2
    for tile in tiles:
        _, _, top, bottom = tile.core
        assert top - half >= tile.y0 or tile.y0 == 0
        assert bottom + half <= tile.y1 or tile.y1 == 6000

"""Cutting a screenshot into overlapping tiles that OCR reads at native resolution.

Shrinking a 1280×6000 page until it fits the detector turns 13 px text into 4 px smudges, and
scaling a 60×6000 strip up until its short side fits made 736×73600 pixels (57 s, 7.5 GB). Tiles
of bounded area keep every pixel as drawn and bound the detector's memory whatever the aspect
ratio. Neighbouring tiles overlap by more than a line of UI text is tall, so every line lies whole
inside at least one tile; each line is kept only from the tile whose *core* holds its centre (the
cores split the picture without overlap), which drops the duplicate and the cut-off copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_TILE_SIDE = 2000
"""RapidOCR shrinks anything longer itself; a tile never is."""
MAX_TILE_AREA = 2_100_000
"""Pixels per tile: a 1920×1080 screen is one tile; the detector needs about 250 MB per million
pixels, so a tile stays well under the 1 GB budget."""
OVERLAP = 128
"""Pixels shared by neighbouring tiles: more than any line of UI text is tall."""


@dataclass(frozen=True)
class Tile:
    """A tile's rectangle and its core (left, right, top, bottom: the part whose line centres it
    owns), in picture pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    core: tuple[float, float, float, float]

    def owns(self, centre_x: float, centre_y: float) -> bool:
        left, right, top, bottom = self.core
        return left <= centre_x < right and top <= centre_y < bottom


def plan_tiles(width: int, height: int) -> list[Tile]:
    """Tiles covering a ``width``×``height`` picture, row by row; one tile when it fits."""
    tile_w, tile_h = _tile_size(width, height)
    columns, rows = _spans(width, tile_w), _spans(height, tile_h)
    return [
        Tile(x0, y0, x1, y1, (*_core(columns, i, width), *_core(rows, j, height)))
        for j, (y0, y1) in enumerate(rows)
        for i, (x0, x1) in enumerate(columns)
    ]


def _tile_size(width: int, height: int) -> tuple[int, int]:
    tile_w, tile_h = min(width, MAX_TILE_SIDE), min(height, MAX_TILE_SIDE)
    if tile_w * tile_h > MAX_TILE_AREA:  # cut across the longer side, keep the shorter whole
        if tile_h >= tile_w:
            tile_h = max(4 * OVERLAP, MAX_TILE_AREA // tile_w)
        else:
            tile_w = max(4 * OVERLAP, MAX_TILE_AREA // tile_h)
    return tile_w, tile_h


def _spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Equal overlapping spans of at most ``tile`` pixels covering ``0..length``."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - OVERLAP) / (tile - OVERLAP))
    step = (length - OVERLAP) / count
    return [(round(i * step), min(length, round(i * step + step + OVERLAP))) for i in range(count)]


def _core(spans: list[tuple[int, int]], index: int, length: int) -> tuple[float, float]:
    """The middle of the overlaps on either side: the first and last reach the picture's edge."""
    start = 0.0 if index == 0 else (spans[index - 1][1] + spans[index][0]) / 2
    end = float(length) if index == len(spans) - 1 else (spans[index][1] + spans[index + 1][0]) / 2
    return start, end

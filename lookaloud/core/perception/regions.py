"""Cut an image into named parts so each can be captioned and described in reading order."""

from __future__ import annotations

from PIL import Image

from lookaloud.core.pipeline.facts import Detail

_THIRDS = ("left", "centre", "right")
_GRID = (
    ("top-left", "top-centre", "top-right"),
    ("middle-left", "centre", "middle-right"),
    ("bottom-left", "bottom-centre", "bottom-right"),
)


Box = tuple[int, int, int, int]  # left, top, right, bottom in pixels


def region_crops(image: Image.Image, detail: Detail) -> list[tuple[str, Image.Image]]:
    """Named crops in reading order: none (brief), vertical thirds (standard), 3×3 (detailed)."""
    return [(name, image.crop(box)) for name, box in region_boxes(image.size, detail)]


def region_boxes(size: tuple[int, int], detail: Detail) -> list[tuple[str, Box]]:
    """The named parts of a picture of ``size`` pixels, as :func:`region_crops` cuts them."""
    if detail == Detail.BRIEF:
        return []
    if detail == Detail.STANDARD:
        return [(name, _cell(size, column, 0, rows=1)) for column, name in enumerate(_THIRDS)]
    return [
        (name, _cell(size, column, row, rows=3))
        for row, names in enumerate(_GRID)
        for column, name in enumerate(names)
    ]


def _cell(size: tuple[int, int], column: int, row: int, *, rows: int) -> Box:
    x0, x1 = _span(size[0], column, parts=3)
    y0, y1 = _span(size[1], row, parts=rows)
    return x0, y0, x1, y1


def _span(length: int, index: int, *, parts: int) -> tuple[int, int]:
    # Every cell gets at least one pixel, so even a 2-pixel-wide image yields croppable parts.
    start = min(round(index * length / parts), max(length - 1, 0))
    end = max(round((index + 1) * length / parts), start + 1)
    return start, end

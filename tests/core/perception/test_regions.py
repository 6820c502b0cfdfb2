from __future__ import annotations

import pytest
from PIL import Image

from lookaloud.core.perception.regions import region_crops
from lookaloud.core.pipeline.facts import Detail

GRID_NAMES = [
    "top-left", "top-centre", "top-right",
    "middle-left", "centre", "middle-right",
    "bottom-left", "bottom-centre", "bottom-right",
]  # fmt: skip


def painted_grid(width: int, height: int, columns: int, rows: int) -> Image.Image:
    """An image whose cells each have their own colour, so a crop shows where it came from."""
    image = Image.new("RGB", (width, height))
    for row in range(rows):
        for column in range(columns):
            colour = (40 + 60 * column, 40 + 60 * row, 200)
            box = (column * width // columns, row * height // rows,
                   (column + 1) * width // columns, (row + 1) * height // rows)  # fmt: skip
            image.paste(colour, box)
    return image


def test_brief_has_no_regions() -> None:
    assert region_crops(Image.new("RGB", (90, 60)), Detail.BRIEF) == []


def test_standard_is_vertical_thirds_left_to_right() -> None:
    image = painted_grid(90, 60, columns=3, rows=1)
    crops = region_crops(image, Detail.STANDARD)
    assert [name for name, _ in crops] == ["left", "centre", "right"]
    for column, (_, crop) in enumerate(crops):
        assert crop.size == (30, 60)
        assert crop.getpixel((15, 30)) == (40 + 60 * column, 40, 200)


def test_detailed_is_three_by_three_in_reading_order() -> None:
    image = painted_grid(90, 60, columns=3, rows=3)
    crops = region_crops(image, Detail.DETAILED)
    assert [name for name, _ in crops] == GRID_NAMES
    for index, (_, crop) in enumerate(crops):
        row, column = divmod(index, 3)
        assert crop.size == (30, 20)
        assert crop.getpixel((15, 10)) == (40 + 60 * column, 40 + 60 * row, 200)


def test_uneven_sizes_cover_the_whole_width() -> None:
    crops = region_crops(Image.new("RGB", (100, 7)), Detail.DETAILED)
    assert sum(crop.width for _, crop in crops[:3]) == 100
    assert sum(crop.height for _, crop in crops[::3]) == 7


@pytest.mark.parametrize("size", [(1, 1), (2, 2)])
def test_tiny_images_still_give_non_empty_crops(size: tuple[int, int]) -> None:
    crops = region_crops(Image.new("RGB", size), Detail.DETAILED)
    assert len(crops) == 9
    assert all(crop.width >= 1 and crop.height >= 1 for _, crop in crops)

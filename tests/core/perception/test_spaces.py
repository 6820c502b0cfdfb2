"""Spaces put back from the gaps in a line's pixels, on real rendered text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from helpers.render import require_font
from lookaloud.core.perception.spaces import with_spaces


def _rendered(text: str, size: int = 12) -> tuple[np.ndarray, list[float]]:
    """A grey crop of ``text`` and the true centres of its characters."""
    font = ImageFont.truetype(str(require_font("latin")), size)
    image = Image.new("L", (round(font.getlength(text)) + 8, size * 2), 245)
    ImageDraw.Draw(image).text((4, size // 3), text, font=font, fill=25)
    centres = [
        4 + (font.getlength(text[:i]) + font.getlength(text[: i + 1])) / 2 for i in range(len(text))
    ]
    return np.asarray(image), centres


@pytest.mark.parametrize(
    "printed",
    ["Don't Save", "ticket 017 zebra", "backup export", "3.5 MB, done.", "Wireless search version"],
)
@pytest.mark.parametrize("size", [11, 13, 16])
def test_dropped_spaces_come_back(printed: str, size: int) -> None:
    crop, centres = _rendered(printed, size)
    squashed = printed.replace(" ", "")
    kept = [c for c, ch in zip(centres, printed, strict=True) if ch != " "]
    assert with_spaces(squashed, kept, crop) == printed


def test_spaces_already_read_are_kept_and_none_added_inside_words() -> None:
    crop, centres = _rendered("Settings 10:45 e-mail (beta)")
    assert (
        with_spaces("Settings 10:45 e-mail (beta)", centres, crop) == "Settings 10:45 e-mail (beta)"
    )


def test_chinese_is_left_without_spaces() -> None:
    font = ImageFont.truetype(str(require_font("cjk")), 16)
    image = Image.new("L", (120, 30), 255)
    ImageDraw.Draw(image).text((4, 4), "保存  取消", font=font, fill=0)
    centres = [4 + 8 + 16 * i for i in range(2)] + [4 + 8 + 16 * i for i in range(4, 6)]
    assert with_spaces("保存取消", centres, np.asarray(image)) == "保存取消"


def test_mismatched_positions_or_an_empty_crop_change_nothing() -> None:
    crop, centres = _rendered("Don't Save")
    assert with_spaces("Don'tSave", centres, crop) == "Don'tSave"  # one centre too many
    assert with_spaces("ab", [1.0, 5.0], np.zeros((0, 0), np.uint8)) == "ab"

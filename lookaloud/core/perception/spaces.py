"""Putting back the spaces that the recognizer drops between words of small UI text.

PP-OCR's recognizer sees each line squeezed to 48 pixels high and reads one column per 8 of
them, so the 3–4 pixel space of 12 px text is less than one column wide: "Don'tSave",
"backupexport". The picture still shows the gap. A line's blank pixel columns are found in its
crop, and a gap as wide as a space (measured against the line's own recognised spaces where it has
some, else against its ascender height) becomes a space between the two recognised characters on
either side of it, whose positions the recognizer reports. Characters the gap does not separate
(a dot, an apostrophe) are never split apart, numbers need a wider gap than words, and Chinese
text, written without spaces, is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

SPACE_SHARE = (0.22, 0.32, 0.40)
"""Narrowest word gap as a share of the line's ascender height (top of the ink to the baseline,
about 0.73 of the font size whether or not the line has descenders): never below the first, the
second when the recognizer gave no space to learn from, never above the third, which is also the
bar between two characters of a number. Rendered with DejaVu and Liberation at 10–18 px, 98 % of
gaps between words are 0.30 ascender heights or more and 99 % of gaps inside words 0.30 or less
(0.38 inside numbers, whose narrow ``1`` is padded to the width of every digit)."""
KNOWN_SPACE_SHARE = 0.7
"""A gap counts as a space when it is at least this share of the line's recognised spaces."""
MIN_CONTRAST = 48
"""Grey-level difference from the background below which a crop holds no readable ink."""
_NUMBER = frozenset("0123456789.,:%")
INK_SHARE = 0.35
"""A pixel is ink when it differs from the background by this share of the crop's contrast."""


def with_spaces(text: str, centres: Sequence[float], crop: NDArray[np.uint8]) -> str:
    """``text`` with a space wherever a word gap in ``crop`` separates two of its characters.

    ``centres`` are the characters' horizontal centres in the crop's pixels, one per character
    of ``text`` (spaces included); ``crop`` is the line's grey image. When the two do not match,
    ``text`` comes back unchanged.
    """
    ink = _ink(crop) if len(centres) == len(text) and len(text) > 1 and crop.size else None
    if ink is None:
        return text
    gaps = _boundary_gaps(text, centres, ink)
    least, widest = _least_word_gap(text, gaps, _ascender_height(ink))
    splits = {
        left
        for left, width in gaps.items()
        if not _spaced(text, left) and width >= (widest if _numeric(text, left) else least)
    }
    return "".join(c + (" " if i in splits else "") for i, c in enumerate(text))


def _numeric(text: str, left: int) -> bool:
    """Digits have one width each, so a narrow ``1`` stands between wide gaps ("017", "3.5"):
    between two characters of a number only the widest gap counts as a space."""
    return text[left] in _NUMBER and text[left + 1] in _NUMBER


def _boundary_gaps(text: str, centres: Sequence[float], ink: NDArray[np.bool_]) -> dict[int, int]:
    """The widest blank gap between each character and the next non-space one, by the index of
    the first; characters with no gap between them (or wide ones, Chinese) are left out."""
    columns: NDArray[np.bool_] = np.asarray(ink.any(axis=0))
    inked = np.flatnonzero(columns)
    if inked.size < 2:
        return {}
    widths: dict[int, int] = {}
    for start, end in _blank_runs(columns[inked[0] : inked[-1] + 1], int(inked[0])):
        left = _divides(text, centres, (start + end) / 2)
        if left is not None:
            widths[left] = max(widths.get(left, 0), end - start)
    return widths


def _divides(text: str, centres: Sequence[float], middle: float) -> int | None:
    """The index of the character a gap at ``middle`` follows, if the next one comes after it."""
    before = [i for i, c in enumerate(text) if not c.isspace() and centres[i] < middle]
    if not before:
        return None
    left = before[-1]
    right = next((i for i in range(left + 1, len(text)) if not text[i].isspace()), None)
    if right is None or centres[right] <= middle or _is_wide(text[left]) or _is_wide(text[right]):
        return None
    return left


def _spaced(text: str, left: int) -> bool:
    return left + 1 < len(text) and text[left + 1].isspace()


def _least_word_gap(text: str, gaps: dict[int, int], height: int) -> tuple[float, float]:
    """The narrowest gap that is a space in this line, and the widest that never needs to be."""
    low, default, high = (max(2.0, share * height) for share in SPACE_SHARE)
    known = [width for left, width in gaps.items() if _spaced(text, left)]
    if not known:
        return default, high
    return min(high, max(low, KNOWN_SPACE_SHARE * float(np.median(known)))), high


def _is_wide(char: str) -> bool:
    """Chinese, Japanese and full-width characters, which are written without spaces."""
    return ord(char) >= 0x2E80


def _ascender_height(ink: NDArray[np.bool_]) -> int:
    """From the top of the ink to the baseline: the last of the rows holding at least half as
    much ink as the fullest one (the band of lower-case letters ends there)."""
    per_row = ink.sum(axis=1)
    if not per_row.any():
        return 0
    band = np.flatnonzero(per_row >= 0.5 * per_row.max())
    return int(band[-1] - np.flatnonzero(per_row)[0] + 1)


def _ink(crop: NDArray[np.uint8]) -> NDArray[np.bool_] | None:
    background = float(np.median(crop))
    difference = np.abs(crop.astype(np.int16) - background)
    contrast = float(np.percentile(difference, 99.5))
    if contrast < MIN_CONTRAST:
        return None
    ink: NDArray[np.bool_] = difference > INK_SHARE * contrast
    # A button's border or an underline crossing the crop would join every word: leave out rows
    # that are ink almost all the way across.
    kept: NDArray[np.bool_] = ink[ink.mean(axis=1) < 0.8]
    return kept


def _blank_runs(columns: NDArray[np.bool_], offset: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of False in ``columns``, shifted by ``offset``."""
    edges = np.diff(np.concatenate(([1], columns.astype(np.int8), [1])))
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    return [(int(s) + offset, int(e) + offset) for s, e in zip(starts, ends, strict=True)]

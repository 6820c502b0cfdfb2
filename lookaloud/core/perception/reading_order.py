"""Putting OCR lines in the order a sighted reader takes them, grouped into blocks.

The page is cut recursively where a gap runs right across it (an XY-cut): a wide empty band
across the whole width separates sections, read top to bottom; an empty band down the whole
height separates columns or a sidebar, read left to right, each whole before the next. What no cut
divides is one block, read in rows: top to bottom, and left to right within a row.

A column gap is not a cut when the two sides are rows of one table: the labels and values of a
form, a menu's items and their shortcuts, a row of buttons. Their lines pair up one to one at the
same height, so the page is read row by row ("Name:" "Ada Lovelace", "Born:" "1815"). Two columns
of running text also line up on one grid; they are told apart by being dense stacks of long lines.

Within a block, two lines share a row when their vertical centres are within half the median line
height of the row's centre. Centres (not top edges) are compared so that a slightly skewed line,
whose box grows taller but keeps its middle, and text of different sizes centred on one bar (a big
label next to a small button) still land in the same row.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lookaloud.core.pipeline.facts import TextLine

ROW_TOLERANCE = 0.5
"""Largest centre distance, as a share of the median line height, for lines of one row."""
SECTION_GAP = 1.5
"""An empty band across the page at least this many line heights tall is cut before columns."""
LINE_GAP = 0.8
"""Narrower empty bands across are line spacing within a paragraph, not a cut."""
COLUMN_GAP = 1.5
"""An empty band down the page must be at least this many line heights wide to part columns."""
COLUMN_REACH = 0.5
"""Each side of a column cut reaches over at least this share of the height being cut: a lone
menu title beside a tall list is a row above it, not a column."""
PAIRED_SHARE = 0.7
"""Sides whose lines pair up at the same height this often (both ways) are rows of a table."""
PROSE_WIDTH = 12.0
"""A column of running text: its lines are this many line heights long (median) or more…"""
PROSE_SPACING = 0.8
"""…and the gaps between them at most this many line heights (median)."""

Block = list[TextLine]


@dataclass
class _Row:
    lines: list[TextLine] = field(default_factory=list)

    @property
    def centre_y(self) -> float:
        return statistics.fmean(line.box.centre_y for line in self.lines)


def sort_reading_order(lines: Sequence[TextLine]) -> list[TextLine]:
    """Return ``lines`` in reading order, block by block and each block row by row, every line
    numbered with its block (:attr:`TextLine.block`)."""
    blocks = reading_blocks(lines)
    return [replace(line, block=number) for number, block in enumerate(blocks) for line in block]


def reading_blocks(lines: Sequence[TextLine]) -> list[Block]:
    """``lines`` grouped into blocks (a column, a sidebar, a paragraph, a form row), each in
    reading order, the blocks in the order they are read."""
    if len(lines) < 2:
        return [list(lines)] if lines else []
    height = max(1.0, statistics.median(line.box.height for line in lines))
    return _blocks(list(lines), height)


def _blocks(lines: list[TextLine], height: float) -> list[Block]:
    parts = _cut(lines, height)
    if parts is None:
        return [_rows(lines, height)]
    return [block for part in parts for block in _blocks(part, height)]


def _cut(lines: list[TextLine], height: float) -> tuple[Block, Block] | None:
    """Split at the wider of a section gap and a column gap, else at any gap between lines."""
    across = _widest_gap(lines, _vertical) or (0.0, 0.0)
    columns = _column_cut(lines, height)
    if columns is not None and (across[0] < SECTION_GAP * height or columns[0] >= across[0]):
        return columns[1]
    if across[0] >= LINE_GAP * height:
        return _split(lines, _vertical, across[1])
    return None


def _column_cut(lines: list[TextLine], height: float) -> tuple[float, tuple[Block, Block]] | None:
    """The widest gap down the page, with its two sides, when they are columns."""
    down = _widest_gap(lines, _horizontal)
    if down is None or down[0] < COLUMN_GAP * height:
        return None
    sides = _split(lines, _horizontal, down[1])
    return (down[0], sides) if _are_columns(*sides, height) else None


Span = Callable[[TextLine], tuple[float, float]]


def _vertical(line: TextLine) -> tuple[float, float]:
    return line.box.y0, line.box.y1


def _horizontal(line: TextLine) -> tuple[float, float]:
    return line.box.x0, line.box.x1


def _widest_gap(lines: Sequence[TextLine], span: Span) -> tuple[float, float] | None:
    """``(width, middle)`` of the widest empty band between the lines' spans, if any."""
    best: tuple[float, float] | None = None
    reach = float("-inf")
    for start, end in sorted(span(line) for line in lines):
        if reach > float("-inf") and start > reach and (best is None or start - reach > best[0]):
            best = (start - reach, (start + reach) / 2)
        reach = max(reach, end)
    return best


def _split(lines: Sequence[TextLine], span: Span, middle: float) -> tuple[Block, Block]:
    before = [line for line in lines if span(line)[1] < middle]
    return before, [line for line in lines if span(line)[1] >= middle]


def _are_columns(left: Block, right: Block, height: float) -> bool:
    top = min(line.box.y0 for line in left + right)
    bottom = max(line.box.y1 for line in left + right)
    if min(_reach(left), _reach(right)) < COLUMN_REACH * (bottom - top):
        return False
    if not _paired(left, right, height):
        return True
    return _is_prose(left, height) and _is_prose(right, height)


def _reach(lines: Block) -> float:
    return max(line.box.y1 for line in lines) - min(line.box.y0 for line in lines)


def _paired(left: Block, right: Block, height: float) -> bool:
    """Whether most lines on each side have their own partner at the same height on the other."""
    free = sorted(right, key=lambda line: line.box.centre_y)
    pairs = 0
    for line in sorted(left, key=lambda line: line.box.centre_y):
        partner = min(
            free, key=lambda other: abs(other.box.centre_y - line.box.centre_y), default=None
        )
        if (
            partner is not None
            and abs(partner.box.centre_y - line.box.centre_y) <= ROW_TOLERANCE * height
        ):
            free.remove(partner)
            pairs += 1
    return pairs >= PAIRED_SHARE * len(left) and pairs >= PAIRED_SHARE * len(right)


def _is_prose(lines: Block, height: float) -> bool:
    if len(lines) < 3:
        return False
    stack = sorted(lines, key=lambda line: line.box.y0)
    spacing = statistics.median(b.box.y0 - a.box.y1 for a, b in itertools.pairwise(stack))
    width = statistics.median(line.box.x1 - line.box.x0 for line in lines)
    return width >= PROSE_WIDTH * height and spacing <= PROSE_SPACING * height


def _rows(lines: Sequence[TextLine], height: float) -> Block:
    """One block's lines row by row, top to bottom, each row left to right."""
    tolerance = max(1.0, ROW_TOLERANCE * height)
    rows = _group_rows(sorted(lines, key=lambda line: line.box.centre_y), tolerance)
    rows.sort(key=lambda row: row.centre_y)
    return [line for row in rows for line in sorted(row.lines, key=_left_then_top)]


def _group_rows(lines_by_centre: Sequence[TextLine], tolerance: float) -> list[_Row]:
    """Sweep down the page, starting a new row when a line is too far below the current one."""
    rows: list[_Row] = []
    for line in lines_by_centre:
        if rows and abs(line.box.centre_y - rows[-1].centre_y) <= tolerance:
            rows[-1].lines.append(line)
        else:
            rows.append(_Row([line]))
    return rows


def _left_then_top(line: TextLine) -> tuple[float, float]:
    return line.box.x0, line.box.y0

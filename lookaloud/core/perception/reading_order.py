"""Putting OCR lines in the order a sighted reader would take them: rows top to bottom, then left
to right within each row.

Two lines share a row when their vertical centres are within half the median line height of the
row's centre. Centres (not top edges) are compared so that a slightly skewed line, whose box grows
taller but keeps its middle, and text of different sizes centred on one bar (a big label next to a
small button) still land in the same row. The order is row-major on purpose: for screenshots,
label/value pairs and button rows matter more than newspaper-style columns.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from lookaloud.core.pipeline.facts import TextLine

ROW_TOLERANCE = 0.5
"""Largest centre distance, as a share of the median line height, for lines of one row."""


@dataclass
class _Row:
    lines: list[TextLine] = field(default_factory=list)

    @property
    def centre_y(self) -> float:
        return statistics.fmean(line.box.centre_y for line in self.lines)


def sort_reading_order(lines: Sequence[TextLine]) -> list[TextLine]:
    """Return ``lines`` in reading order: rows top to bottom, each row left to right."""
    if len(lines) < 2:
        return list(lines)
    tolerance = _row_tolerance(lines)
    rows = _group_rows(sorted(lines, key=lambda line: line.box.centre_y), tolerance)
    rows.sort(key=lambda row: row.centre_y)
    return [line for row in rows for line in sorted(row.lines, key=_left_then_top)]


def _row_tolerance(lines: Sequence[TextLine]) -> float:
    median_height = statistics.median(line.box.height for line in lines)
    # Zero-height boxes would make every line its own row; a pixel keeps equal centres together.
    return max(1.0, ROW_TOLERANCE * median_height)


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

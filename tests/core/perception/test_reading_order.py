"""Reading order on synthetic OCR lines: sections and columns whole, rows within a block."""

from __future__ import annotations

import random

from lookaloud.core.perception.reading_order import reading_blocks, sort_reading_order
from lookaloud.core.pipeline.facts import Box, TextLine


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> TextLine:
    return TextLine(text=text, box=Box(x0, y0, x1, y1), confidence=0.9)


def _texts(lines: list[TextLine]) -> list[str]:
    return [line.text for line in lines]


def _shuffled(lines: list[TextLine], seed: int = 5) -> list[TextLine]:
    copy = list(lines)
    random.Random(seed).shuffle(copy)
    return copy


def test_empty_and_single() -> None:
    assert sort_reading_order([]) == []
    only = _line("Only", 10, 10, 80, 30)
    assert sort_reading_order([only]) == [only]


def test_two_columns_are_read_row_by_row() -> None:
    lines = [
        _line("Name:", 20, 100, 90, 120),
        _line("Ada Lovelace", 200, 101, 360, 121),
        _line("Born:", 20, 140, 85, 160),
        _line("1815", 200, 139, 260, 159),
        _line("Job:", 20, 180, 70, 200),
        _line("Mathematician", 200, 182, 380, 202),
    ]
    expected = ["Name:", "Ada Lovelace", "Born:", "1815", "Job:", "Mathematician"]
    assert _texts(sort_reading_order(_shuffled(lines))) == expected


def test_right_column_slightly_higher_stays_in_its_row() -> None:
    # The value is 6 px higher than its label (less than half a 20 px line), yet read after it.
    lines = [_line("Total", 20, 50, 80, 70), _line("42 EUR", 300, 44, 380, 64)]
    assert _texts(sort_reading_order(lines)) == ["Total", "42 EUR"]


def test_skewed_lines_keep_their_rows() -> None:
    # Each line rises 8 px from left to right, so its box is 28 px tall for 20 px text; the second
    # word of a line starts higher than the first word ends.
    lines = [
        _line("first-a", 10, 108, 200, 136),
        _line("first-b", 210, 100, 400, 128),
        _line("second-a", 10, 148, 200, 176),
        _line("second-b", 210, 140, 400, 168),
        _line("third", 10, 188, 200, 216),
    ]
    expected = ["first-a", "first-b", "second-a", "second-b", "third"]
    assert _texts(sort_reading_order(_shuffled(lines))) == expected


def test_lines_of_different_heights() -> None:
    lines = [
        _line("Big title", 20, 10, 400, 70),
        _line("Close", 700, 30, 760, 50),  # small button centred on the title bar
        _line("body one", 20, 100, 300, 118),
        _line("body two", 20, 130, 280, 148),
        _line("footnote", 20, 170, 120, 180),
    ]
    expected = ["Big title", "Close", "body one", "body two", "footnote"]
    assert _texts(sort_reading_order(_shuffled(lines))) == expected


def test_rows_are_ordered_top_to_bottom_even_when_given_bottom_up() -> None:
    lines = [
        _line(f"row {index}", 20, 400 - index * 40, 200, 420 - index * 40) for index in range(8)
    ]
    assert _texts(sort_reading_order(lines)) == [f"row {index}" for index in range(7, -1, -1)]


def test_zero_height_boxes_do_not_crash_or_merge_distinct_rows() -> None:
    lines = [_line("b", 50, 20, 60, 20), _line("a", 10, 20, 20, 20), _line("c", 10, 40, 20, 40)]
    assert _texts(sort_reading_order(lines)) == ["a", "b", "c"]


def test_sorting_twice_changes_nothing() -> None:
    lines = [
        _line("x", 300, 12, 340, 30),
        _line("y", 10, 10, 60, 28),
        _line("z", 10, 60, 200, 80),
    ]
    once = sort_reading_order(lines)
    assert sort_reading_order(once) == once
    assert _texts(once) == ["y", "x", "z"]


def _column(name: str, left: float, top: float, count: int, width: float = 440) -> list[TextLine]:
    """``count`` long lines of running text, 20 px tall with 8 px between them."""
    return [
        _line(f"{name}{i}", left, top + 28 * i, left + width, top + 28 * i + 20)
        for i in range(count)
    ]


def test_two_columns_of_running_text_are_read_one_after_the_other() -> None:
    title = _line("Title", 40, 20, 300, 50)
    left, right = _column("L", 40, 100, 8), _column("R", 560, 100, 8)
    order = _texts(sort_reading_order(_shuffled([title, *left, *right])))
    assert order == ["Title", *_texts(left), *_texts(right)]
    blocks = reading_blocks([title, *left, *right])
    assert [_texts(block) for block in blocks] == [["Title"], _texts(left), _texts(right)]
    numbers = [line.block for line in sort_reading_order([title, *left, *right])]
    assert numbers == [0] + [1] * len(left) + [2] * len(right)


def test_a_sidebar_is_read_before_the_page_beside_it() -> None:
    sidebar = [_line(f"nav{i}", 20, 30 + 50 * i, 140, 50 + 50 * i) for i in range(10)]
    page = [_line("Heading", 260, 30, 600, 60), *_column("P", 260, 90, 15, width=700)]
    order = _texts(sort_reading_order(_shuffled(sidebar + page)))
    assert order == _texts(sidebar) + _texts(page)


def test_a_form_with_a_wide_gap_between_labels_and_values_is_read_row_by_row() -> None:
    lines = []
    for row, (label, value) in enumerate([("Name:", "Ada"), ("Born:", "1815"), ("Job:", "Maths")]):
        lines += [_line(label, 20, 40 + row * 28, 90, 60 + row * 28)]
        lines += [_line(value, 400, 41 + row * 28, 470, 61 + row * 28)]
    assert _texts(sort_reading_order(_shuffled(lines))) == [
        "Name:", "Ada", "Born:", "1815", "Job:", "Maths"
    ]  # fmt: skip


def test_a_menu_title_beside_a_long_list_stays_a_row_above_it() -> None:
    bar = [_line("File", 20, 4, 60, 22), _line("Help", 600, 4, 650, 22)]
    items = [_line(f"item{i}", 20, 40 + 28 * i, 200, 60 + 28 * i) for i in range(8)]
    keys = [_line(f"Ctrl+{i}", 300, 40 + 28 * i, 360, 60 + 28 * i) for i in range(8)]
    rows = [text for pair in zip(_texts(items), _texts(keys), strict=True) for text in pair]
    assert _texts(sort_reading_order(_shuffled(bar + items + keys))) == ["File", "Help", *rows]


def test_blocks_of_nothing_and_of_one_line() -> None:
    only = _line("Only", 10, 10, 80, 30)
    assert reading_blocks([]) == []
    assert reading_blocks([only]) == [[only]]

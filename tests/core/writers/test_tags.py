from __future__ import annotations

import pytest

from lookaloud.core.writers.tags import ThinkTagFilter, strip_tags


def run_filter(pieces: list[str], hold_back_chars: int = 0) -> str:
    tag_filter = ThinkTagFilter(hold_back_chars=hold_back_chars)
    return "".join(tag_filter.feed(piece) for piece in pieces) + tag_filter.flush()


def every_two_piece_split(text: str) -> list[list[str]]:
    return [[text[:cut], text[cut:]] for cut in range(len(text) + 1)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A red car.", "A red car."),
        ("<think>count the cars</think>A red car.", "A red car."),
        ("<think>\n\n</think>\n\nA red car.", "A red car."),
        ("planning the answer</think>A red car.", "A red car."),
        ("<answer>A red car.</answer>", "A red car."),
        ("<think>hmm</think><answer>A red car.</answer>", "A red car."),
        ("A red car.<think>unfinished reasoning", "A red car."),
        ("<THINK>loud</THINK>Quiet.", "Quiet."),
        ("1 < 2 and x<y.", "1 < 2 and x<y."),
        ("Ends with <", "Ends with <"),
        ("", ""),
    ],
)
def test_strip_tags_whole_text(raw: str, expected: str) -> None:
    assert strip_tags(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "<think>count the cars</think>A red car.",
        "Intro <answer>A red car.</answer> outro",
        "A red car.<think>never closed",
        "Text with < and <b> but no tags.",
        "一辆红色的汽车。<think>思考</think>在左边。",
    ],
)
def test_tags_split_anywhere_give_the_same_result(raw: str) -> None:
    expected = strip_tags(raw)
    for pieces in every_two_piece_split(raw):
        assert run_filter(pieces).strip() == expected, pieces


def test_one_character_at_a_time() -> None:
    raw = "<think>the user wants a caption</think>\n\nA <answer>red</answer> car."
    assert run_filter(list(raw)) == "A red car."


def test_split_opening_tag_is_not_leaked() -> None:
    tag_filter = ThinkTagFilter()
    pieces = ["Hello <thi", "nk>secret</thi", "nk> world"]
    shown = [tag_filter.feed(piece) for piece in pieces]
    assert shown == ["Hello ", "", " world"]
    assert tag_filter.flush() == ""


def test_text_is_released_as_it_streams() -> None:
    tag_filter = ThinkTagFilter()
    assert tag_filter.feed("A red ") == "A red "
    assert tag_filter.feed("car") == "car"


def test_partial_tag_is_held_until_it_can_be_decided() -> None:
    tag_filter = ThinkTagFilter()
    assert tag_filter.feed("A red car <") == "A red car "
    assert tag_filter.feed("3 blue ones") == "<3 blue ones"


def test_trailing_partial_tag_is_released_on_flush() -> None:
    tag_filter = ThinkTagFilter()
    assert tag_filter.feed("Score: <ans") == "Score: "
    assert tag_filter.flush() == "<ans"


def test_unterminated_think_drops_the_rest_across_pieces() -> None:
    assert run_filter(["Fine.", "<think>", "still thinking", " and more"]) == "Fine."


def test_dangling_close_drops_held_reasoning() -> None:
    pieces = ["The user wants ", "a short", " description.</th", "ink>\n", "A red car."]
    assert run_filter(pieces, hold_back_chars=200) == "A red car."


def test_dangling_close_cannot_recall_released_text() -> None:
    # Without hold-back the reasoning was already released; the tag itself still never shows.
    assert run_filter(["reasoning ", "</think>", "answer"]) == "reasoning answer"


def test_hold_back_releases_once_past_the_limit() -> None:
    tag_filter = ThinkTagFilter(hold_back_chars=5)
    assert tag_filter.feed("abc") == ""
    assert tag_filter.feed("defg") == "abcdefg"
    assert tag_filter.feed("h") == "h"


def test_leading_whitespace_of_reply_is_dropped_but_inner_kept() -> None:
    assert run_filter(["\n\n", "  A", " car.\n\nA bus."]) == "A car.\n\nA bus."


def test_filter_can_be_reused_after_flush() -> None:
    tag_filter = ThinkTagFilter()
    tag_filter.feed("<think>abandoned")
    tag_filter.flush()
    assert tag_filter.feed("Next reply.") == "Next reply."

from __future__ import annotations

import pytest

from helpers.samples import DIALOG
from lookaloud.core.errors import SettingsError
from lookaloud.core.pipeline.facts import Box, Detail, Facts, ImageKind, RegionCaption, TextLine
from lookaloud.core.pipeline.prompt import (
    build_messages,
    facts_block,
    grid_position,
    prompt_version,
    text_runs,
)


def test_facts_are_delimited_and_text_keeps_reading_order_with_positions() -> None:
    block = facts_block(DIALOG, "en")
    assert block.startswith("<facts>") and block.endswith("</facts>")
    order = [block.index(t) for t in ('"Save changes?"', '"Save"', '"Cancel"', '"Version 2024.3"')]
    assert order == sorted(order)
    assert '- bottom left: "Version 2024.3"' in block
    assert "a computer screen with a dialog box" in block


def test_region_captions_appear_with_their_positions() -> None:
    facts = Facts(900, 300, ImageKind.PHOTO, "a street", (RegionCaption("left", "a red car"),))
    assert "- left part: a red car" in facts_block(facts, "en")
    assert "- 左侧部分：a red car" in facts_block(facts, "zh")


@pytest.mark.parametrize("detail", list(Detail))
def test_each_detail_level_has_its_own_length_anchor(detail: Detail) -> None:
    system = build_messages(DIALOG, "en", detail, simple=False)[0].content
    anchors = {"brief": "one sentence", "standard": "60 to 100 words", "detailed": "150 to 250"}
    assert anchors[detail.value] in system


def test_prompt_states_the_blind_reader_rules() -> None:
    system, user = build_messages(DIALOG, "en", Detail.STANDARD, simple=False)
    assert system.role == "system" and user.role == "user"
    for rule in ("top to bottom", "One thing per sentence", "one-sentence summary", "metaphors"):
        assert rule in system.content
    assert "brand names" in system.content and "Write in English" in system.content
    assert "<facts>" in user.content


def test_chinese_prompt_is_in_chinese() -> None:
    system, user = build_messages(DIALOG, "zh", Detail.BRIEF, simple=False)
    assert "简体中文" in system.content and "一句话" in system.content
    assert "“Save changes?”" in user.content


def test_simple_retry_prompt_is_shorter() -> None:
    full = build_messages(DIALOG, "en", Detail.STANDARD, simple=False)[0].content
    simple = build_messages(DIALOG, "en", Detail.STANDARD, simple=True)[0].content
    assert len(simple) < len(full) / 2


def test_prompt_version_names_template_and_language() -> None:
    assert prompt_version("en") == "blind-reader-5/en"
    assert prompt_version("zh") == "blind-reader-5/zh"


def test_neighbouring_lines_in_one_part_share_one_line_of_facts() -> None:
    lines = tuple(
        TextLine(text, Box(x, y, x + 40, y + 12), 0.9)
        for text, x, y in (
            ("Save", 300, 150),
            ("Cancel", 360, 150),
            ("OK", 20, 20),
            ("Help", 330, 160),
        )
    )
    block = facts_block(Facts(900, 300, ImageKind.SCREENSHOT, text_lines=lines), "en")
    assert '- centre: "Save", "Cancel"\n- top left: "OK"\n- centre: "Help"' in block
    zh = facts_block(Facts(900, 300, ImageKind.SCREENSHOT, text_lines=lines[:2]), "zh")
    assert "- 中央：“Save”、“Cancel”" in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_after_a_first_sentence_the_writer_is_asked_for_the_rest_not_a_summary(lang: str) -> None:
    plain = build_messages(DIALOG, lang, Detail.STANDARD, simple=False)
    heard = build_messages(DIALOG, lang, Detail.STANDARD, simple=False, heard="FIRST.")
    assert heard[0] == plain[0]  # the system turn, and its kept state, do not change
    assert heard[1].content.startswith(facts_block(DIALOG, lang))
    assert "FIRST." in heard[1].content and "FIRST." not in plain[1].content
    summary = {"en": "one-sentence summary", "zh": "先用一句话概括"}[lang]
    assert summary in plain[1].content and summary not in heard[1].content


def test_unknown_language_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="fr"):
        build_messages(DIALOG, "fr", Detail.BRIEF, simple=False)


def test_grid_positions() -> None:
    assert grid_position(Box(0, 0, 10, 10), 300, 300) == "top-left"
    assert grid_position(Box(140, 140, 160, 160), 300, 300) == "centre"
    assert grid_position(Box(290, 290, 300, 300), 300, 300) == "bottom-right"


def test_an_animation_or_a_multipage_file_is_said_to_be_one() -> None:
    from dataclasses import replace as changed

    from lookaloud.core.pipeline.facts import Facts, ImageKind
    from lookaloud.core.pipeline.prompt import facts_block

    still = Facts(400, 300, ImageKind.PHOTO, caption="a cat")
    assert "frames" not in facts_block(still, "en") and "pages" not in facts_block(still, "en")
    animated = changed(still, frames=12, animated=True)
    assert "Animated, 12 frames; these facts are from the first frame." in facts_block(
        animated, "en"
    )
    assert "动画，共 12 帧" in facts_block(animated, "zh")
    scanned = changed(still, frames=3)
    assert "3 pages; these facts are from the first page." in facts_block(scanned, "en")


def _sidebar_page() -> Facts:
    """A 1280×800 screen: five entries down a sidebar (block 0), a heading and two lines of the
    page beside it (block 1)."""
    sidebar = tuple(
        TextLine(text, Box(24, 40 + 150 * i, 150, 60 + 150 * i), 0.9, block=0)
        for i, text in enumerate(("Inbox", "Drafts", "Sent", "Spam", "Trash"))
    )
    page = tuple(
        TextLine(text, Box(300, y, 1100, y + 20), 0.9, block=1)
        for text, y in (("Welcome back", 40), ("You have 3 new messages", 80))
    )
    return Facts(1280, 800, ImageKind.SCREENSHOT, text_lines=sidebar + page)


def test_a_sidebar_is_one_run_on_the_left_not_cut_into_thirds() -> None:
    runs = text_runs(_sidebar_page().text_lines, 1280, 800)
    assert [(position, [line.text for line in run]) for position, run in runs] == [
        ("left", ["Inbox", "Drafts", "Sent", "Spam", "Trash"]),
        ("top-centre", ["Welcome back", "You have 3 new messages"]),
    ]
    block = facts_block(_sidebar_page(), "en")
    assert '- left part: "Inbox", "Drafts", "Sent", "Spam", "Trash"\n- top centre:' in block


def test_a_short_or_wide_block_keeps_the_grid_cells_of_its_lines() -> None:
    wide = tuple(
        TextLine(text, Box(20, y, 1260, y + 20), 0.9, block=0)
        for text, y in (("First", 20), ("Second", 700))
    )
    runs = text_runs(wide, 1280, 800)
    assert [position for position, _ in runs] == ["top-centre", "bottom-centre"]

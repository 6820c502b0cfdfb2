from __future__ import annotations

from helpers.samples import DIALOG
from lookaloud.core.pipeline.facts import Box, Facts, ImageKind, RegionCaption, TextLine
from lookaloud.core.pipeline.fallback import blank_description, colour_words, facts_only_description


def test_facts_only_description_is_marked_and_keeps_text_order() -> None:
    text = facts_only_description(DIALOG, "en")
    assert text.startswith("Automatic description unavailable")
    assert "a computer screen with a dialog box" in text
    positions = [text.index(f'"{t}"') for t in ("Save changes?", "Save", "Cancel")]
    assert positions == sorted(positions)


def test_facts_only_with_regions_and_no_text() -> None:
    facts = Facts(10, 10, ImageKind.PHOTO, "a park", (RegionCaption("left", "a bench"),))
    text = facts_only_description(facts, "en")
    assert "left part, a bench" in text and "Text on the image" not in text


def test_facts_only_with_nothing_still_says_something_true() -> None:
    text = facts_only_description(Facts(10, 10, ImageKind.PHOTO), "en")
    assert "No caption could be made and no text was found." in text


def test_facts_only_in_chinese() -> None:
    text = facts_only_description(DIALOG, "zh")
    assert text.startswith("无法自动生成描述") and "“Cancel”" in text


def test_blank_sentences() -> None:
    assert blank_description("en", "dark grey", screen=True) == (
        "The screen is almost entirely dark grey; no objects or text found."
    )
    assert blank_description("en", "white", screen=False).startswith("The image is almost")
    assert blank_description("zh", colour_words("black", "zh"), screen=False).startswith(
        "这张图片几乎全是黑"
    )


def test_facts_only_reads_a_sidebar_apart_from_the_page() -> None:
    sidebar = tuple(
        TextLine(text, Box(24, 40 + 150 * i, 150, 60 + 150 * i), 0.9, block=0)
        for i, text in enumerate(("Inbox", "Drafts", "Sent", "Spam", "Trash"))
    )
    page = (TextLine("Welcome back", Box(300, 40, 1100, 60), 0.9, block=1),)
    facts = Facts(1280, 800, ImageKind.SCREENSHOT, text_lines=sidebar + page)
    text = facts_only_description(facts, "en")
    assert (
        'Text on the image, part by part. Left part: "Inbox"; "Drafts"; "Sent"; "Spam"; '
        '"Trash". Top centre: "Welcome back".'
    ) in text
    assert "左侧部分：“Inbox”；“Drafts”" in facts_only_description(facts, "zh")

"""Layer 2: one test per rule with a realistic bad output, and good outputs that pass."""

from __future__ import annotations

import pytest

from helpers.samples import DIALOG, EN, GOOD_EN, GOOD_ZH, ZH
from lookaloud.core.pipeline.check.rules import RULES, CheckContext, check_output, check_sentence
from lookaloud.core.pipeline.facts import Box, Detail, Facts, ImageKind, TextLine


def rules_broken(text: str, ctx: CheckContext = EN) -> set[str]:
    return {violation.rule for violation in check_output(text, ctx)}


def test_good_english_description_passes_every_rule() -> None:
    assert check_output(GOOD_EN, EN) == []


def test_good_chinese_description_passes_every_rule() -> None:
    assert check_output(GOOD_ZH, ZH) == []


def test_every_rule_has_a_test_below() -> None:
    tested = {"empty", "punctuation_only", "leftover_tags", "placeholder", "refusal", "garbled"}
    tested |= {"wrong_language", "invented_numbers", "repetition", "length"}
    assert {rule.name for rule in RULES} == tested


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_reply(text: str) -> None:
    assert "empty" in rules_broken(text)


@pytest.mark.parametrize("text", ["...", "!!! ??? ---", "。。。", "1. 2. 3."])
def test_reply_with_only_punctuation(text: str) -> None:
    assert "punctuation_only" in rules_broken(text)


@pytest.mark.parametrize(
    "text",
    [
        "<think>The user wants a description.</think> A dialog asks to save changes.",
        "A dialog asks to save changes.<|im_end|>",
        "<answer>A dialog asks to save changes.</answer>",
        "The facts say: </facts> a dialog.",
    ],
)
def test_leftover_tags(text: str) -> None:
    assert "leftover_tags" in rules_broken(text)


@pytest.mark.parametrize(
    "text",
    [
        "[Insert a one-sentence summary here] The dialog has two buttons.",
        "Image description here: a dialog with buttons.",
        "A {kind} showing a dialog.",
        "Lorem ipsum dolor sit amet, a dialog with a Save button.",
    ],
)
def test_placeholder_phrases(text: str) -> None:
    assert "placeholder" in rules_broken(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't describe images. I am a text-based model.",
        "As an AI language model, I cannot see the picture you sent.",
        "I cannot help with that request.",
    ],
)
def test_refusals(text: str) -> None:
    assert "refusal" in rules_broken(text)


def test_refusal_in_chinese() -> None:
    assert "refusal" in rules_broken("抱歉，我无法查看图片，只能处理文字。", ZH)


def test_quoted_screen_text_that_sounds_like_a_refusal_is_not_one() -> None:
    facts = Facts(
        800,
        600,
        ImageKind.SCREENSHOT,
        text_lines=(TextLine("I can't connect", Box(0, 0, 9, 9), 1),),
    )
    ctx = CheckContext(facts, "en", Detail.BRIEF)
    assert check_sentence('An error banner at the top reads "I can\'t connect".', ctx) is None


def test_garbled_bytes() -> None:
    assert "garbled" in rules_broken(
        "A dialog \ufffd\ufffd with a Save button and a Cancel button."
    )


def test_english_requested_but_reply_in_chinese() -> None:
    assert "wrong_language" in rules_broken(GOOD_ZH, EN)


def test_chinese_requested_but_reply_in_english() -> None:
    assert "wrong_language" in rules_broken(GOOD_EN, ZH)


def test_english_reply_quoting_chinese_screen_text_is_still_english() -> None:
    facts = Facts(
        800, 600, ImageKind.SCREENSHOT, text_lines=(TextLine("保存更改", Box(0, 0, 9, 9), 1),)
    )
    ctx = CheckContext(facts, "en", Detail.BRIEF)
    assert check_sentence("A window titled 保存更改 fills the top half of the screen.", ctx) is None


def test_invented_numbers() -> None:
    text = GOOD_EN + " The document was last saved at 14:35 and is 128 pages long."
    assert "invented_numbers" in rules_broken(text)


def test_numbers_from_the_screen_are_allowed() -> None:
    assert "invented_numbers" not in rules_broken(GOOD_EN)


@pytest.mark.parametrize(
    "text",
    [
        "A dialog box. " + "The Save button is on the left. " * 4,
        "The dialog shows the the the the the the the the the the the the the the",
        "A dialog with a Save button " + "!" * 30,
        "A dialog asks to save changes and the dialog asks to save changes and the dialog asks to "
        "save changes and the dialog asks to save changes and the dialog asks to save changes.",
    ],
)
def test_repetition_loops(text: str) -> None:
    assert "repetition" in rules_broken(text)


def test_far_too_long_for_brief() -> None:
    ctx = CheckContext(DIALOG, "en", Detail.BRIEF)
    assert "length" in rules_broken(GOOD_EN + " " + GOOD_EN.replace("dialog", "window"), ctx)


def test_far_too_short_for_detailed() -> None:
    ctx = CheckContext(DIALOG, "en", Detail.DETAILED)
    assert "length" in rules_broken("A dialog with two buttons.", ctx)


def test_a_single_sentence_is_fine_for_brief() -> None:
    ctx = CheckContext(DIALOG, "en", Detail.BRIEF)
    assert check_output('A dialog asks "Save changes?" with Save and Cancel buttons.', ctx) == []


def test_per_sentence_check_stops_a_bad_first_sentence() -> None:
    violation = check_sentence("As an AI, I cannot see images.", EN)
    assert violation is not None and violation.rule == "refusal"

"""Layer 3: the quality score separates grounded descriptions from fluent nonsense."""

from __future__ import annotations

from helpers.samples import DIALOG, GOOD_EN, GOOD_ZH
from lookaloud.core.pipeline.check.score import concreteness, coverage, repetition, score
from lookaloud.core.pipeline.facts import Facts, ImageKind


def test_grounded_description_scores_high() -> None:
    result = score(GOOD_EN, DIALOG, "en")
    assert result.total >= 0.8
    assert result.coverage >= 0.8


def test_fluent_text_that_ignores_the_facts_scores_low() -> None:
    text = "A beautiful landscape with mountains and a lake at sunset. Birds fly in the sky."
    result = score(text, DIALOG, "en")
    assert result.coverage < 0.2
    assert result.total < 0.5


def test_random_model_gibberish_scores_low() -> None:
    text = "quantum forest lever tide 电 spoon mirror enter wand slope orbit."
    assert score(text, DIALOG, "en").total < 0.5


def test_chinese_description_is_judged_on_screen_text() -> None:
    assert coverage(GOOD_ZH, DIALOG, "zh") >= 0.8


def test_caption_words_count_for_photos() -> None:
    facts = Facts(640, 480, ImageKind.PHOTO, caption="a brown dog sitting on a red couch")
    assert coverage("A brown dog sits on a red couch in a living room.", facts, "en") == 1.0
    assert coverage("A white cat sleeps on a windowsill.", facts, "en") == 0.0


def test_nothing_to_cover_is_not_a_penalty() -> None:
    assert coverage("A plain scene.", Facts(10, 10, ImageKind.PHOTO), "en") == 1.0


def test_repetition_measure() -> None:
    assert repetition("one two three four five six", "en") == 1.0
    assert repetition("red box red box red box red box red box", "en") < 0.5


def test_concreteness_rewards_positions_and_colours_and_penalises_hedging() -> None:
    assert concreteness("A red button at the top left.") == 1.0
    assert concreteness("Maybe something, perhaps various things, probably stuff.") < 0.3

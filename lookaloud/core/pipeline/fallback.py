"""Descriptions that need no language model: blank images and the facts-only fallback.

Both are always true because they only restate what perception found; the user hears them when
the writer is missing or every attempt was rejected, so there is never silence.
"""

from __future__ import annotations

from collections.abc import Sequence

from lookaloud.core.pipeline.facts import Facts, TextLine
from lookaloud.core.pipeline.opening import Opening
from lookaloud.core.pipeline.prompt import position_words, templates, text_runs
from lookaloud.core.pipeline.sentences import join_sentences

_LIST_SEPARATOR = {"en": "; ", "zh": "；"}


def colour_words(colour_name: str, lang: str) -> str:
    """The colour word for ``lang``; detection names colours in English."""
    if lang == "zh":
        from lookaloud.core.pipeline.load import COLOUR_NAMES_ZH

        return COLOUR_NAMES_ZH.get(colour_name, colour_name)
    return colour_name


def blank_description(lang: str, colour: str, *, screen: bool) -> str:
    """The honest sentence for a near-uniform image, e.g. "The screen is almost entirely grey…"."""
    spoken = templates(lang).section("spoken")
    key = "blank_screen" if screen else "blank"
    return spoken[key].format(colour=colour)


def facts_only_description(facts: Facts, lang: str, heard: Opening | None = None) -> str:
    """Caption, region captions and text in reading order, marked as not written by a model.

    What ``heard`` (the first sentence, already spoken) said is not said again.
    """
    spoken = templates(lang).section("spoken")
    parts = [spoken["fallback_intro"]]
    if facts.caption and not (heard and heard.caption):
        parts.append(spoken["fallback_caption"].format(caption=facts.caption))
    regions = _regions_sentence(facts, lang)
    if regions:
        parts.append(regions)
    lines = [line for line in facts.text_lines if not (heard and line.text == heard.quoted)]
    parts += _text_sentences(lines, facts, lang)
    if len(parts) == 1 and heard is None:
        parts.append(spoken["fallback_nothing"])
    return join_sentences(parts, lang)


def _regions_sentence(facts: Facts, lang: str) -> str:
    spoken = templates(lang).section("spoken")
    items = [
        spoken["fallback_region"].format(
            position=position_words(r.position, lang), caption=r.caption
        )
        for r in facts.regions
        if r.caption
    ]
    if not items:
        return ""
    return spoken["fallback_regions"].format(regions=_LIST_SEPARATOR[lang].join(items))


def _text_sentences(lines: Sequence[TextLine], facts: Facts, lang: str) -> list[str]:
    """The text in reading order: one sentence, or one per part of the picture when it lies in
    several ("Left part: "Inbox"; "Drafts"."), so a sidebar is heard apart from the page."""
    spoken = templates(lang).section("spoken")
    runs = text_runs(lines, facts.width, facts.height)
    if len(runs) < 2:
        return [spoken["fallback_text"].format(text=_quoted_text(lines, lang))] if lines else []
    return [spoken["fallback_text_parts"]] + [
        spoken["fallback_text_run"].format(
            position=_capitalised(position_words(position, lang)), text=_quoted_text(run, lang)
        )
        for position, run in runs
    ]


def _capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


def _quoted_text(lines: Sequence[TextLine], lang: str) -> str:
    if lang == "zh":
        return "；".join(f"“{line.text}”" for line in lines)
    return "; ".join(f'"{line.text}"' for line in lines)

"""Layer 2: rules that reject a written description outright.

Each rule looks at the text (and the facts it was written from) and returns a short reason when
the text must not be given to the user. Rules marked ``per_sentence`` can already judge a single
finished sentence, so a bad attempt is stopped before its first sentence is spoken.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from lookaloud.core.i18n import N_, tr
from lookaloud.core.pipeline.check.text import (
    cjk_count,
    facts_text,
    latin_words,
    length_units,
    normalise,
    without_quotes_and_facts_text,
)
from lookaloud.core.pipeline.facts import Detail, Facts
from lookaloud.core.pipeline.sentences import split_sentences


@dataclass(frozen=True)
class CheckContext:
    facts: Facts
    lang: str
    detail: Detail


@dataclass(frozen=True)
class Violation:
    rule: str
    reason: str


RuleFn = Callable[[str, CheckContext], str | None]


@dataclass(frozen=True)
class Rule:
    name: str
    check: RuleFn
    per_sentence: bool


_PLACEHOLDERS = re.compile(
    r"\[(insert|description|image|caption|your)[^\]]*\]|lorem ipsum|\{(facts|length|kind|"
    r"description|caption)\}|<description>|description goes here|image description here|"
    r"placeholder|\bTODO\b|\bxxx+\b|此处(填写|插入)|【描述】",
    re.IGNORECASE,
)
_LEFTOVER_TAGS = re.compile(r"</?\s*(think|answer|facts)\s*>|<\|[a-z_]+\|>", re.IGNORECASE)
_REFUSALS = re.compile(
    r"\bI(?:'m| am)? (?:sorry|unable|not able)\b|\bI (?:cannot|can't|can not)\b|as an ai\b|"
    r"as a (?:large )?language model|\bI don't have (?:the ability|access)|"
    r"抱歉|对不起|我无法|我不能|作为(?:一个)?(?:人工智能|AI|语言模型)",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_CHAR_RUN = re.compile(r"(.)\1{11,}")
_GARBLE = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
_NUMBER = re.compile(r"\d[\d.,:/-]*\d")

# Word counts (English-word equivalents) outside which a text is "far" off its detail level.
_LENGTH_LIMITS = {Detail.BRIEF: (3, 60), Detail.STANDARD: (15, 260), Detail.DETAILED: (40, 520)}


def _empty(text: str, ctx: CheckContext) -> str | None:
    return (
        tr("the reply is empty", "why a description was turned down") if not text.strip() else None
    )


def _punctuation_only(text: str, ctx: CheckContext) -> str | None:
    if text.strip() and not _LETTERS.search(text):
        return tr(
            "the reply has no words, only punctuation or digits",
            "why a description was turned down",
        )
    return None


def _placeholder(text: str, ctx: CheckContext) -> str | None:
    match = _PLACEHOLDERS.search(text)
    return (
        tr("the reply contains a placeholder ({found!r})", found=match.group(0)) if match else None
    )


def _leftover_tags(text: str, ctx: CheckContext) -> str | None:
    match = _LEFTOVER_TAGS.search(text)
    return tr("the reply contains markup ({found!r})", found=match.group(0)) if match else None


def _refusal(text: str, ctx: CheckContext) -> str | None:
    match = _REFUSALS.search(without_quotes_and_facts_text(text, ctx.facts))
    return tr("the reply is a refusal ({found!r})", found=match.group(0)) if match else None


def _garbled(text: str, ctx: CheckContext) -> str | None:
    return (
        tr("the reply contains broken characters", "why a description was turned down")
        if _GARBLE.search(text)
        else None
    )


def _repetition(text: str, ctx: CheckContext) -> str | None:
    if _CHAR_RUN.search(text):
        return tr(
            "the reply repeats one character over and over", "why a description was turned down"
        )
    units = _units(text, ctx.lang)
    grams = Counter(tuple(units[i : i + 4]) for i in range(len(units) - 3))
    if grams and grams.most_common(1)[0][1] >= 4:
        return tr(
            "the reply repeats the same phrase in a loop", "why a description was turned down"
        )
    sentences = Counter(normalise(s) for s in split_sentences(text) if len(s) > 12)
    if sentences and sentences.most_common(1)[0][1] >= 3:
        return tr("the reply repeats the same sentence", "why a description was turned down")
    return None


def _units(text: str, lang: str) -> list[str]:
    if lang == "zh":
        return [c for c in text if not c.isspace()]
    return latin_words(text)


def _wrong_language(text: str, ctx: CheckContext) -> str | None:
    own = without_quotes_and_facts_text(text, ctx.facts)
    cjk, latin = cjk_count(own), len(latin_words(own)) * 1.5
    if cjk + latin < 3:
        return None
    cjk_share = cjk / (cjk + latin)
    if ctx.lang == "en" and cjk_share > 0.25:
        return tr("the reply is not in English", "why a description was turned down")
    if ctx.lang == "zh" and cjk_share < 0.5:
        return tr("the reply is not in Chinese", "why a description was turned down")
    return None


def _length(text: str, ctx: CheckContext) -> str | None:
    low, high = _LENGTH_LIMITS[ctx.detail]
    units = length_units(text)
    if units < low:
        return tr(
            "the reply is far too short for the {level} level ({units:.0f} words)",
            level=tr(ctx.detail.value),
            units=units,
        )
    if units > high:
        return tr(
            "the reply is far too long for the {level} level ({units:.0f} words)",
            level=tr(ctx.detail.value),
            units=units,
        )
    return None


def _invented_numbers(text: str, ctx: CheckContext) -> str | None:
    known = facts_text(ctx.facts)
    for number in _NUMBER.findall(text):
        if number not in known:
            return tr(
                "the reply gives the number {number}, which is not in the facts", number=number
            )
    return None


RULES: tuple[Rule, ...] = (
    Rule("empty", _empty, per_sentence=False),
    Rule("punctuation_only", _punctuation_only, per_sentence=False),
    Rule("leftover_tags", _leftover_tags, per_sentence=True),
    Rule("placeholder", _placeholder, per_sentence=True),
    Rule("refusal", _refusal, per_sentence=True),
    Rule("garbled", _garbled, per_sentence=True),
    Rule("wrong_language", _wrong_language, per_sentence=True),
    Rule("invented_numbers", _invented_numbers, per_sentence=True),
    Rule("repetition", _repetition, per_sentence=False),
    Rule("length", _length, per_sentence=False),
)


def check_sentence(sentence: str, ctx: CheckContext) -> Violation | None:
    """The first per-sentence rule the sentence breaks, if any."""
    for rule in RULES:
        if rule.per_sentence and (reason := rule.check(sentence, ctx)):
            return Violation(rule.name, reason)
    return None


def check_output(text: str, ctx: CheckContext) -> list[Violation]:
    """Every rule the whole text breaks; empty when it may be given to the user."""
    return [Violation(rule.name, reason) for rule in RULES if (reason := rule.check(text, ctx))]


# The detail levels as reasons name them (translated there).
LEVEL_NAMES = (
    N_("brief", "a detail level"),
    N_("standard", "a detail level"),
    N_("detailed", "a detail level"),
)

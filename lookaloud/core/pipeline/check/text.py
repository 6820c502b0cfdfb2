"""Small text measures shared by the output rules (L2) and the quality score (L3)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lookaloud.core.pipeline.facts import Facts

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|「[^」]*」|(?<!\w)'[^'\n]+'(?!\w)")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def latin_words(text: str) -> list[str]:
    return [w.lower() for w in _LATIN_WORD.findall(text)]


def length_units(text: str) -> float:
    """Length in English-word equivalents: a Chinese character counts as half a word."""
    return len(latin_words(text)) + cjk_count(text) / 2


def without_quotes_and_facts_text(text: str, facts: Facts) -> str:
    """The writer's own words: quoted passages and verbatim OCR text removed.

    Quoted screen text may be in any language and may say anything ("I can't connect"), so the
    language and refusal rules must not judge it.
    """
    own = _QUOTED.sub(" ", text)
    for line in sorted(facts.text_lines, key=lambda line: -len(line.text)):
        if len(line.text) >= 2:
            own = own.replace(line.text, " ")
    return own


def facts_text(facts: Facts) -> str:
    """Every string perception produced, joined, for "does this come from the facts" tests."""
    parts: Iterable[str] = (
        [facts.caption]
        + [r.caption for r in facts.regions]
        + [line.text for line in facts.text_lines]
        + [f"{facts.width} {facts.height}"]
    )
    return "\n".join(parts)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()

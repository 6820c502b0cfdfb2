"""Layer 3: a quality score between 0 and 1 for a description that passed the rules.

The score is deliberately simple and explainable: does the text mention what perception found
(coverage), does it avoid saying the same thing twice (repetition), and is it concrete (positions,
colours, no hedging filler)? Each part is reported so logs show why an attempt scored low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lookaloud.core.pipeline.check.text import latin_words, normalise
from lookaloud.core.pipeline.facts import Facts

_STOPWORDS = frozenset(
    (
        "a an the of in on at with and or to is are it its this that there some image picture "
        "photo photograph screenshot view close up front back side top bottom left right center "
        "centre middle background foreground"
    ).split()
)
_VAGUE = re.compile(
    r"\b(something|things?|stuff|various|some kind of|sort of|maybe|perhaps|possibly|"
    r"seems? to|appears? to|probably)\b|某种|一些东西|可能|似乎|好像",
    re.IGNORECASE,
)
_POSITION = re.compile(
    r"\b(top|bottom|left|right|cent(?:re|er)|middle|above|below|beside|next to|corner|"
    r"upper|lower)\b|[上下左右中]方|左|右|中央|顶部|底部|旁边",
    re.IGNORECASE,
)
_COLOUR = re.compile(
    r"\b(black|white|grey|gray|red|green|blue|yellow|orange|purple|pink|brown|dark|light|"
    r"wooden|metal|glass|plastic)\b|[黑白灰红绿蓝黄橙紫粉棕]色",
    re.IGNORECASE,
)
_WEIGHTS = (0.6, 0.2, 0.2)  # coverage, repetition, concreteness


@dataclass(frozen=True)
class QualityScore:
    total: float
    coverage: float
    repetition: float
    concreteness: float

    def to_dict(self) -> dict[str, float]:
        return {
            "total": round(self.total, 3),
            "coverage": round(self.coverage, 3),
            "repetition": round(self.repetition, 3),
            "concreteness": round(self.concreteness, 3),
        }


def score(text: str, facts: Facts, lang: str) -> QualityScore:
    parts = (coverage(text, facts, lang), repetition(text, lang), concreteness(text))
    total = sum(weight * part for weight, part in zip(_WEIGHTS, parts, strict=True))
    return QualityScore(round(total, 3), *parts)


def coverage(text: str, facts: Facts, lang: str) -> float:
    """Share of the important facts the text mentions; 1.0 when there is nothing to mention."""
    parts = [p for p in (_text_coverage(text, facts), _caption_coverage(text, facts, lang)) if p]
    return sum(value for value, _ in parts) / len(parts) if parts else 1.0


def _text_coverage(text: str, facts: Facts) -> tuple[float, int] | None:
    lines = [line.text for line in facts.text_lines if len(line.text.strip()) >= 2][:8]
    if not lines:
        return None
    said = normalise(text)
    found = sum(1 for line in lines if _line_mentioned(line, said))
    return found / len(lines), len(lines)


def _line_mentioned(line: str, said: str) -> bool:
    if normalise(line) in said:
        return True
    words = [w for w in latin_words(line) if len(w) > 2]
    return bool(words) and sum(w in said for w in words) / len(words) >= 0.5


def _caption_coverage(text: str, facts: Facts, lang: str) -> tuple[float, int] | None:
    # Captions are English; a Chinese description cannot be matched word for word.
    words = {w for w in latin_words(facts.caption) if w not in _STOPWORDS and len(w) > 2}
    if lang != "en" or not words:
        return None
    said = {_stem(w) for w in latin_words(text)}
    return sum(_stem(w) in said for w in words) / len(words), len(words)


def _stem(word: str) -> str:
    """A crude stem so "sitting", "sits" and "sit" match; enough for coverage counting."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]
    return word[:6]


def repetition(text: str, lang: str) -> float:
    """Share of distinct three-unit sequences: 1.0 when nothing repeats."""
    units = [c for c in text if not c.isspace()] if lang == "zh" else latin_words(text)
    grams = [tuple(units[i : i + 3]) for i in range(len(units) - 2)]
    return len(set(grams)) / len(grams) if grams else 1.0


def concreteness(text: str) -> float:
    """Rewards positions and colours or materials, penalises hedging filler."""
    value = 0.5 + 0.25 * bool(_POSITION.search(text)) + 0.25 * bool(_COLOUR.search(text))
    return max(0.0, value - 0.1 * len(_VAGUE.findall(text)))

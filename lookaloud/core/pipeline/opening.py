"""The first sentence, made from the facts the moment the text or the caption is known.

The writer needs seconds before its first word; OCR of a screenshot takes under one. So as soon
as the text has been read (a screenshot) or the whole picture has been captioned (a photo), one
sentence is said that only restates what perception found: the picture's kind and its most
prominent text (a dialog's question, else the largest text at the top: a title), or what the
picture looks like to the captioning model. The writer is then told what was heard and carries
on from there, and the facts-only fallback leaves out what the sentence already said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lookaloud.core.pipeline.facts import ImageKind, TextLine
from lookaloud.core.pipeline.prompt import templates

# OCR below this confidence is often a misreading; a first sentence must be right.
MIN_CONFIDENCE = 0.8
# Lines at least this share of the tallest line's height count as the largest text. Letters that
# reach below the line (p, g, y) make a box taller: in 13-pixel text read by OCR a line with them
# was 21 pixels high and one without 17–18, at the same size; a heading is 1.3× or more.
LARGEST_SHARE = 0.8
# Fewer letters than this ("OK", "12:45") say little about the picture as a whole.
MIN_LETTERS = 3
# A longer line is a paragraph, not a title or a question; it is left to the writer.
MAX_WORDS = 14
_QUESTION_ENDS = ("?", "？")
# BLIP often opens with the kind itself ("a screenshot of …"), which the sentence already says.
_KIND_WORDS = re.compile(r"^(?:a|an)\s+(?:screenshot|picture|image|photo)\s+of\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Opening:
    """The sentence said first, and which fact it used (so nothing says it twice)."""

    text: str
    quoted: str = ""  # the text line it quotes
    caption: str = ""  # the caption it restates


def opening_sentence(
    kind: ImageKind, caption: str | None, lines: Sequence[TextLine] | None, lang: str
) -> Opening | None:
    """The first sentence from what is known so far; None while it must wait for more.

    ``None`` for ``caption`` or ``lines`` means that stage has not finished. A screenshot is
    opened with its text when there is any; a photo with its caption.
    """
    if kind is ImageKind.SCREENSHOT:
        line = prominent_line(lines or ())
        if line is not None:
            return _quoting(line, lang)
        return _from_caption(kind, caption, lang) if lines is not None else None
    if caption:
        return _from_caption(kind, caption, lang)
    line = prominent_line(lines or ())
    if line is not None and caption is not None:
        return _quoting(line, lang, photo=True)
    return None


def prominent_line(lines: Sequence[TextLine]) -> TextLine | None:
    """A dialog's question if there is one, else the topmost of the largest lines."""
    legible = [line for line in lines if _legible(line)]
    if not legible:
        return None
    questions = [line for line in legible if line.text.rstrip().endswith(_QUESTION_ENDS)]
    if questions:
        return max(questions, key=lambda line: line.box.height)
    tallest = max(line.box.height for line in legible)
    largest = [line for line in legible if line.box.height >= LARGEST_SHARE * tallest]
    return min(largest, key=lambda line: (line.box.y0, line.box.x0))


def _legible(line: TextLine) -> bool:
    text = line.text.strip()
    return (
        line.confidence >= MIN_CONFIDENCE
        and sum(ch.isalpha() for ch in text) >= MIN_LETTERS
        and len(text.split()) <= MAX_WORDS
    )


def _quoting(line: TextLine, lang: str, *, photo: bool = False) -> Opening:
    opening = templates(lang).section("opening")
    text = line.text.strip()
    if photo:
        key = "photo_text"
    else:
        key = "question" if text.endswith(_QUESTION_ENDS) else "screenshot_text"
    return Opening(opening[key].format(text=text), quoted=line.text)


def _from_caption(kind: ImageKind, caption: str | None, lang: str) -> Opening | None:
    if not caption:
        return None
    opening = templates(lang).section("opening")
    seen = _KIND_WORDS.sub("", caption.strip()).rstrip(".")
    key = "screenshot_caption" if kind is ImageKind.SCREENSHOT else "photo_caption"
    return Opening(opening[key].format(caption=seen), caption=caption)

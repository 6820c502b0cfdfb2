"""Remove reasoning and answer tags from model output before anyone hears it.

Qwen3 and other "thinking" models may wrap private reasoning in ``<think>…</think>`` and sometimes
the reply in ``<answer>…</answer>``. A blind user must hear neither the tags nor the reasoning, and
must hear the reply as it streams, so the filter works piece by piece and copes with a tag split
across pieces (``"<thi"`` then ``"nk>"``).

Rules:

* ``<think>…</think>`` is dropped with everything inside it; an unterminated ``<think>`` at the
  end drops everything after it.
* A ``</think>`` with no opener means the opener was in the prompt, so everything before it was
  reasoning: the filter drops all text it has not yet released. Text it has already released
  cannot be recalled; callers that expect this case set ``hold_back_chars`` so the opening of
  the stream is held until it is known to be safe. :func:`strip_tags` always applies the rule
  to the whole text.
* ``<answer>`` and ``</answer>`` are dropped; the text between them is kept.
* Leading whitespace of the reply is dropped (an empty think block leaves blank lines behind).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_OPEN_THINK = "<think>"
_CLOSE_THINK = "</think>"
_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_TAG_PATTERN = re.compile("|".join(re.escape(tag) for tag in _TAGS), re.IGNORECASE)
_CLOSE_THINK_PATTERN = re.compile(re.escape(_CLOSE_THINK), re.IGNORECASE)


class ThinkTagFilter:
    """Streaming filter: ``feed`` each piece, then ``flush`` once at the end of the stream."""

    def __init__(self, hold_back_chars: int = 0) -> None:
        self._hold_back_chars = hold_back_chars
        self._pending = ""  # the end of the last piece, if it may be the start of a tag
        self._held = ""  # text kept back until it is known to be safe to release
        self._inside_think = False
        self._released_any = False

    def feed(self, chunk: str) -> str:
        """Take the next piece of model output; return the part that is safe to show now."""
        text = self._pending + chunk
        self._pending = ""
        while text:
            text = self._step_inside(text) if self._inside_think else self._step_outside(text)
        return self._release(final=False)

    def flush(self) -> str:
        """End of stream: return what is still held back, and get ready for a new stream."""
        if not self._inside_think:
            # A trailing "<th" that never became a tag is ordinary text.
            self._keep(self._pending)
        released = self._release(final=True)
        self._reset()
        return released

    def _reset(self) -> None:
        self._pending = ""
        self._held = ""
        self._inside_think = False
        self._released_any = False

    def _step_inside(self, text: str) -> str:
        match = _CLOSE_THINK_PATTERN.search(text)
        if match is None:
            self._pending = _partial_tag_suffix(text, (_CLOSE_THINK,))
            return ""
        self._inside_think = False
        return text[match.end() :]

    def _step_outside(self, text: str) -> str:
        match = _TAG_PATTERN.search(text)
        if match is None:
            self._pending = _partial_tag_suffix(text, _TAGS)
            self._keep(text[: len(text) - len(self._pending)])
            return ""
        self._keep(text[: match.start()])
        self._on_tag(match.group().lower())
        return text[match.end() :]

    def _on_tag(self, tag: str) -> None:
        if tag == _OPEN_THINK:
            self._inside_think = True
        elif tag == _CLOSE_THINK:
            self._held = ""  # the opener was in the prompt: all of this was reasoning

    def _keep(self, text: str) -> None:
        self._held += text
        if not self._released_any:
            self._held = self._held.lstrip()

    def _release(self, *, final: bool) -> str:
        if not (final or self._released_any or len(self._held) > self._hold_back_chars):
            return ""
        released, self._held = self._held, ""
        self._released_any = self._released_any or bool(released)
        return released


def strip_tags(text: str) -> str:
    """Whole-text version of :class:`ThinkTagFilter`, trimmed of surrounding whitespace."""
    tag_filter = ThinkTagFilter(hold_back_chars=len(text))
    return (tag_filter.feed(text) + tag_filter.flush()).strip()


def _partial_tag_suffix(text: str, tags: tuple[str, ...]) -> str:
    """The longest end of ``text`` that could be the start of one of ``tags``."""
    for size in range(min(len(text), max(len(tag) for tag in tags) - 1), 0, -1):
        if any(tag.startswith(text[-size:].lower()) for tag in tags):
            return text[-size:]
    return ""


def without_tags(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces with every reasoning or answer tag filtered out, as they stream."""
    tag_filter = ThinkTagFilter()
    for piece in pieces:
        shown = tag_filter.feed(piece)
        if shown:
            yield shown
    tail = tag_filter.flush()
    if tail:
        yield tail

"""A writer that replays scripted replies: the stand-in where a test needs exact model output.

Real tiny models write random text, which exercises retries and fallbacks but cannot produce a
specific good or bad reply on demand; this class can, and records what it was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from lookaloud.core.cancel import CancelToken
from lookaloud.core.writers.base import ChatMessage, GenerationParams

Reply = str | BaseException | Iterable[str]


@dataclass
class ScriptedWriter:
    replies: list[Reply]
    calls: list[tuple[list[ChatMessage], GenerationParams]] = field(default_factory=list)
    cancel_tokens: list[CancelToken] = field(default_factory=list)
    backend: str = "scripted"
    model_name: str = "scripted"

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        self.calls.append((list(messages), params))
        self.cancel_tokens.append(cancel)
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        if isinstance(reply, BaseException):
            raise reply
        pieces = _words(reply) if isinstance(reply, str) else reply
        for piece in pieces:
            cancel.raise_if_cancelled()
            yield piece


def _words(text: str) -> Iterator[str]:
    # Stream word by word, as a tokenizer would, so sentence cutting is exercised.
    for index, word in enumerate(text.split(" ")):
        yield word if index == 0 else " " + word

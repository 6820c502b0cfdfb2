"""Layer 1: when and how long to wait before trying a failed writer call again."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from lookaloud.core.errors import WriterTimeout, WriterUnavailable


class Sleeper(Protocol):
    def __call__(self, seconds: float) -> None: ...


class Clock(Protocol):
    def __call__(self) -> float: ...


def real_sleeper(seconds: float) -> None:
    time.sleep(seconds)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: 1 s, then ×1.5 per retry, capped; a server's Retry-After wins."""

    initial_s: float = 1.0
    factor: float = 1.5
    max_s: float = 30.0

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_s)
        return min(self.initial_s * self.factor ** max(retry_number - 1, 0), self.max_s)


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying with the same prompt: timeouts, lost connections, 429 and 5xx."""
    return isinstance(exc, WriterTimeout | WriterUnavailable)


def retry_after_of(exc: BaseException) -> float | None:
    return exc.retry_after if isinstance(exc, WriterUnavailable) else None

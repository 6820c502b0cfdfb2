"""The speaker interface every speech backend implements."""

from __future__ import annotations

from typing import Protocol


class Speaker(Protocol):
    """Speaks queued sentences in order without blocking the caller.

    ``say`` queues and returns at once, so the pipeline can hand over the first sentence while
    the model is still writing the second. ``stop`` silences speech within 200 ms and drops
    the queue. ``wait`` blocks until everything queued has been spoken (or ``timeout``).
    """

    @property
    def name(self) -> str: ...

    def say(self, text: str) -> None: ...

    def stop(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def close(self) -> None: ...

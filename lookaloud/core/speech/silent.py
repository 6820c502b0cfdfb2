"""The silent speaker: the end of every fallback chain, and a recorder for tests."""

from __future__ import annotations

import threading


class SilentSpeaker:
    """Says nothing, but remembers what it was asked to say and how often it was stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: list[str] = []
        self.stop_count = 0
        self.closed = False

    @property
    def name(self) -> str:
        return "silent"

    @classmethod
    def check(cls) -> bool:
        return True

    @property
    def said(self) -> list[str]:
        """Every sentence passed to ``say``, in order (a copy)."""
        with self._lock:
            return list(self._said)

    def say(self, text: str) -> None:
        with self._lock:
            self._said.append(text)

    def stop(self) -> None:
        with self._lock:
            self.stop_count += 1

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

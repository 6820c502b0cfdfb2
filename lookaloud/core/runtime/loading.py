"""What loading any model has in common: one copy per process, and one kind of failure.

Loading BLIP or Qwen3 takes seconds and hundreds of megabytes, so each is loaded once per process
and shared (:class:`ProcessCache`, whose lock makes two first uses load once). Damaged or
unexpected files fail in many ways inside transformers and safetensors; :func:`load_failures`
turns each of them into a :class:`ModelLoadFailed` with the sentence the caller gives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from safetensors import SafetensorError

from lookaloud.core.errors import ModelLoadFailed

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# How broken, incomplete or mismatched model files show up while they are read.
LOAD_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    KeyError,
    RuntimeError,
    TypeError,
    SafetensorError,
)


class ProcessCache(Generic[K, V]):
    """One value per key for the whole process, built on first use."""

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]


@contextmanager
def load_failures(message: str) -> Iterator[None]:
    """Raises ModelLoadFailed(``message``) for any of LOAD_ERRORS inside the block."""
    try:
        yield
    except LOAD_ERRORS as exc:
        raise ModelLoadFailed(message) from exc

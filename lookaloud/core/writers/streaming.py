"""One ``generate`` call on the compute thread, read as text pieces on the caller's thread.

What the local writers share: a ``TextIteratorStreamer`` the model feeds, a stopping criterion
that polls the :class:`CancelToken` (so a cancel stops the model after its current token), and
the hand-over of a failure inside ``generate`` to the reading thread as a :class:`WriterError`.
A token is not the only long step: a vision tower or the prompt's prefill can take a second at
real size, so :func:`stop_between_layers` also checks between the layers of those passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from typing import Any

import torch
from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, WriterError
from lookaloud.core.runtime.compute import compute_thread

# After a cancel the model stops within one token; this only bounds waiting for a stuck thread.
JOIN_TIMEOUT_S = 5.0


class CancelCriterion(StoppingCriteria):
    """Stops generation once the user cancels or the reader has gone away."""

    def __init__(self, cancel: CancelToken, abandoned: threading.Event) -> None:
        self._cancel = cancel
        self._abandoned = abandoned

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        stop = self._cancel.cancelled or self._abandoned.is_set()
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)  # type: ignore[return-value]


class StreamedGeneration:
    """Runs a ``generate`` call on the compute thread and yields what it writes.

    ``failure`` is the sentence the reader gets (as a WriterError) when the call fails.
    """

    def __init__(self, tokenizer: Any, cancel: CancelToken, failure: str) -> None:
        self.abandoned = threading.Event()
        self.streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.stopping = StoppingCriteriaList([CancelCriterion(cancel, self.abandoned)])
        self._cancel = cancel
        self._failure = failure
        self._error: Exception | None = None
        self._done: Future[None] | None = None

    @property
    def should_stop(self) -> bool:
        return self._cancel.cancelled or self.abandoned.is_set()

    def start(self, generate: Callable[[], None]) -> None:
        self._done = compute_thread().submit(lambda: self._guarded(generate))

    def stop(self) -> None:
        """Ask the model to stop (a no-op if it has finished) and wait for it."""
        self.abandoned.set()
        self._wait()

    def pieces(self) -> Iterator[str]:
        """Decoded pieces; then raises Cancelled or WriterError if the run did not finish well."""
        for piece in self.streamer:
            if self._cancel.cancelled:
                break
            if piece:
                yield piece
        self._wait()
        self._cancel.raise_if_cancelled()
        if self._error is not None:
            raise WriterError(self._failure) from self._error

    def _wait(self) -> None:
        if self._done is not None:
            futures_wait([self._done], timeout=JOIN_TIMEOUT_S)

    def _guarded(self, generate: Callable[[], None]) -> None:
        try:
            generate()
        # Any failure must cross to the reading thread, which re-raises it as a WriterError.
        except Exception as exc:  # noqa: BLE001
            self._error = exc
            # Wake the reader: generate() failed before reaching its own end().
            self.streamer.end()  # type: ignore[no-untyped-call]


@contextmanager
def stop_between_layers(
    layers: Iterable[torch.nn.Module], should_stop: Callable[[], bool]
) -> Iterator[None]:
    """Within the block, each of ``layers`` raises Cancelled before it runs once
    ``should_stop()`` is true: a long forward pass ends within one layer, not at its end."""

    def check(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        if should_stop():
            raise Cancelled()

    handles = [layer.register_forward_pre_hook(check) for layer in layers]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()

"""A cancellation flag shared between the caller and a running pipeline."""

from __future__ import annotations

import threading

from lookaloud.core.errors import Cancelled


class CancelToken:
    """Set once by whoever wants the work stopped; checked by the work between steps.

    ``child()`` gives a token that is also cancelled when this one is, so one attempt can be
    abandoned on its own while the user's "stop" still reaches everything.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._children: list[CancelToken] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            children = list(self._children)
        for child in children:
            child.cancel()

    def child(self) -> CancelToken:
        token = CancelToken()
        with self._lock:
            self._children.append(token)
            if self._event.is_set():
                token.cancel()
        return token

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking at once on cancellation; True if cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

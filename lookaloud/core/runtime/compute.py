"""One thread for all of the process's PyTorch work.

PyTorch's CPU kernels run in OpenMP thread teams, and every thread that starts parallel work
gets a team of its own that stays alive. When captioning ran on the pipeline's thread and the
writer on a thread of its own, the captioner's idle team slowed the writer's decoding on two
cores from about 16.5 to 12.5 tokens per second (the same happened after any 1.5 s of 2-thread
PyTorch work on another thread, and not when that thread had ended first). Running every model
call on this one long-lived thread keeps a single team.

The thread is a daemon, so a description still being written never holds up the process's exit.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

THREAD_NAME = "lookaloud-compute"

_Job = tuple[Future[Any], Callable[[], Any]]


class ComputeThread:
    """A daemon thread that runs submitted calls one at a time, in order."""

    def __init__(self, name: str = THREAD_NAME) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue ``call``; its result or exception arrives through the returned future."""
        future: Future[T] = Future()
        self._ensure_running()
        self._jobs.put((future, call))
        return future

    def run(self, call: Callable[[], T]) -> T:
        """``call()`` on the compute thread, waiting for it (directly, if already there)."""
        if threading.current_thread() is self._thread:
            return call()
        return self.submit(call).result()

    def stream(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """The items of ``make()``, iterated on the compute thread and yielded here as they
        come; what it raises is raised here. Closing this iterator early stops the other one
        at its next item (and closes it), and returns once the compute thread is free again."""
        if threading.current_thread() is self._thread:
            yield from make()
            return
        items: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        abandoned = threading.Event()
        done = self.submit(lambda: _feed(make, items, abandoned))
        try:
            while True:
                more, item = items.get()
                if not more:
                    if item is not None:
                        raise item
                    return
                yield item
        finally:
            abandoned.set()
            done.result()

    def _ensure_running(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child inherits the queue but not the thread
                self._pid, self._jobs, self._thread = os.getpid(), queue.SimpleQueue(), None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            future, call = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            # Whatever the call raised belongs to whoever waits on the future.
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)
            else:
                future.set_result(result)


def _feed(
    make: Callable[[], Iterator[T]],
    items: queue.SimpleQueue[tuple[bool, Any]],
    abandoned: threading.Event,
) -> None:
    """Runs on the compute thread: each item to ``items`` as (True, item), then (False, None)
    at the end or (False, the exception) on a failure."""
    try:
        pieces = make()
        try:
            for piece in pieces:
                if abandoned.is_set():
                    break
                items.put((True, piece))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
    # Whatever the iterator raised belongs to the reader on the other thread.
    except BaseException as exc:  # noqa: BLE001
        items.put((False, exc))
    else:
        items.put((False, None))


_COMPUTE = ComputeThread()


def compute_thread() -> ComputeThread:
    """The process's one compute thread."""
    return _COMPUTE

"""All model work runs on one compute thread, in order, with results and errors passed back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.perception.captioner import BlipCaptioner
from lookaloud.core.runtime.compute import THREAD_NAME, ComputeThread, compute_thread
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.local import LocalQwenWriter

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")


def test_calls_run_in_order_on_one_named_daemon_thread() -> None:
    worker = ComputeThread(name="test-compute")
    seen: list[tuple[int, str]] = []
    futures = [
        worker.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
        for n in range(5)
    ]
    for future in futures:
        future.result(timeout=5)
    assert seen == [(n, "test-compute") for n in range(5)]
    thread = next(t for t in threading.enumerate() if t.name == "test-compute")
    assert thread.daemon  # a description being written never holds up the exit


def test_results_and_errors_reach_the_caller() -> None:
    worker = ComputeThread(name="test-compute-errors")
    assert worker.run(lambda: 6 * 7) == 42

    def fail() -> None:
        raise ValueError("broken model")

    with pytest.raises(ValueError, match="broken model"):
        worker.run(fail)
    assert worker.run(lambda: "still serving") == "still serving"


def test_a_call_made_on_the_compute_thread_runs_at_once() -> None:
    worker = ComputeThread(name="test-compute-nested")
    # Waiting on the queue from inside the thread would never return; run() calls directly.
    assert worker.run(lambda: worker.run(lambda: "inner")) == "inner"


def test_a_stream_is_iterated_on_the_compute_thread_and_read_here() -> None:
    worker = ComputeThread(name="test-compute-stream")

    def pieces() -> Iterator[str]:
        for n in range(3):
            yield f"{n}:{threading.current_thread().name}"

    assert list(worker.stream(pieces)) == [f"{n}:test-compute-stream" for n in range(3)]


def test_a_stream_s_error_is_raised_to_its_reader() -> None:
    worker = ComputeThread(name="test-compute-stream-error")

    def pieces() -> Iterator[str]:
        yield "first"
        raise ValueError("the model broke")

    read: list[str] = []
    with pytest.raises(ValueError, match="the model broke"):
        read.extend(worker.stream(pieces))
    assert read == ["first"]


def test_a_stream_closed_early_stops_and_closes_its_source() -> None:
    worker = ComputeThread(name="test-compute-stream-close")
    made: list[int] = []
    closed = threading.Event()

    def pieces() -> Iterator[int]:
        try:
            for n in range(1000):
                made.append(n)
                time.sleep(0.001)
                yield n
        finally:
            closed.set()

    stream = worker.stream(pieces)
    assert next(stream) == 0
    stream.close()  # returns once the compute thread is free again
    assert closed.is_set() and len(made) < 1000
    assert worker.run(lambda: "free") == "free"


def test_captioner_and_writer_compute_on_the_compute_thread(
    tiny_blip_dir: Path, tiny_qwen_dir: Path
) -> None:
    captioner = BlipCaptioner(str(tiny_blip_dir), hub=OFFLINE)
    writer = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE)
    captioner.load()
    assert captioner._loaded is not None
    threads: set[str] = set()

    def note(*_: Any, **__: Any) -> None:
        threads.add(threading.current_thread().name)

    hooks = [
        captioner._loaded.model.register_forward_pre_hook(note),
        writer.load().model.register_forward_pre_hook(note),
    ]
    try:
        captioner.caption([Image.new("RGB", (64, 64), (30, 120, 200))], max_new_tokens=4)
        chat = [ChatMessage("user", "Describe a blue square.")]
        "".join(writer.stream(chat, GenerationParams(max_new_tokens=4), CancelToken()))
    finally:
        for hook in hooks:
            hook.remove()
    assert threads == {THREAD_NAME}
    assert compute_thread().run(lambda: threading.current_thread().name) == THREAD_NAME

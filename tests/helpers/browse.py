"""Parts for the browse-mode tests: folders of distinct pictures, a writer that waits for a
turn, a pipeline that records which pictures the model thread worked on, a timed speaker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers.desktop import DESCRIPTION
from helpers.render import photo_like_image
from helpers.results import described
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.files import file_sha256
from lookaloud.core.pipeline.result import EventSink, Result, ignore_events
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer


def picture_folder(
    folder: Path, count: int, names: Sequence[str] = (), *, first_seed: int = 1
) -> list[Path]:
    """``count`` small pictures, each different (so each has its own cache entry); folders
    made with other ``first_seed`` values hold other pictures."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        name = names[index] if index < len(names) else f"p{index}.png"
        path = folder / name
        photo_like_image(size=(160, 120), seed=index + first_seed).save(path)
        paths.append(path)
    return paths


def first_sentence(index: int) -> str:
    return f"Picture number {index} shows a wide field under a pale sky."


def cache_descriptions(
    cache: DescriptionCache, fingerprint: str, pictures: Sequence[Path], **texts: str
) -> None:
    """Stores a distinct description for each picture; ``texts`` maps a name to its own."""
    for index, path in enumerate(pictures):
        description = texts.get(
            path.stem, f"{first_sentence(index)} A fence runs along the bottom edge."
        )
        result = described(
            image=str(path), sha256=file_sha256(path), description=description, caption="a field"
        )
        cache.put(result, fingerprint)


def untouchable_models(loads: list[str]) -> Models:
    """Models that note any attempt to load them and refuse."""

    def refuse(role: str) -> Writer:
        loads.append(role)
        raise AssertionError(f"the {role} must not be loaded for a cached picture")

    return Models(
        ModelSlot(lambda: refuse("captioner")),  # type: ignore[arg-type, return-value]
        ModelSlot(lambda: refuse("reader")),  # type: ignore[arg-type, return-value]
        ModelSlot(lambda: refuse("writer")),
        backend="untouchable",
    )


class RecordingPipeline(Pipeline):
    """A writer-only pipeline that records, in order, the pictures it was started on."""

    def __init__(self, writer: Writer) -> None:
        super().__init__(
            Models(None, None, ModelSlot(lambda: writer), backend="scripted"),
            PipelineConfig(max_attempts=1),
        )
        self.runs: list[str] = []
        self.cancelled: list[str] = []

    def run(
        self,
        source: Path | bytes,
        *,
        name: str | None = None,
        cancel: CancelToken | None = None,
        on_event: EventSink = ignore_events,
        from_screen: bool = False,
    ) -> Result:
        label = source.name if isinstance(source, Path) else "bytes"
        self.runs.append(label)
        try:
            return super().run(
                source, name=name, cancel=cancel, on_event=on_event, from_screen=from_screen
            )
        except Cancelled:
            self.cancelled.append(label)
            raise


@dataclass
class TurnstileWriter:
    """Writes only when given a turn (``let_one``): each call waits for its own permit."""

    text: str = DESCRIPTION
    backend: str = "turnstile"
    model_name: str = "turnstile"
    calls: int = 0
    _permits: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def let_one(self, count: int = 1) -> None:
        self._permits.release(count)

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        with self._lock:
            self.calls += 1
        while not self._permits.acquire(timeout=0.01):
            cancel.raise_if_cancelled()
        for index, word in enumerate(self.text.split(" ")):
            cancel.raise_if_cancelled()
            yield word if index == 0 else " " + word


class TimedSpeaker(SilentSpeaker):
    """Remembers when each sentence was handed over, by the performance counter."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, str]] = []

    def say(self, text: str) -> None:
        self.times.append((time.perf_counter(), text))
        super().say(text)

    def said_at(self, text: str, after: float) -> float | None:
        return next((t for t, said in self.times if said == text and t >= after), None)

"""The describe pipeline: load → perceive → facts → prompt → write (streamed) → check → result.

One :class:`Pipeline` serves many images; models are loaded on first need through
:class:`ModelSlot` and kept. ``run`` reports progress through an event sink (phase changes,
each sentence as soon as it passed the checks, retries, the result) and can be cancelled from
another thread through a :class:`CancelToken`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, TypeVar

from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.checks.rules import CheckContext
from lookaloud.core.errors import Cancelled, ImageError, LookaloudError, ModelError
from lookaloud.core.events import (
    Event,
    EventSink,
    Phase,
    PhaseEvent,
    Result,
    ResultEvent,
    SentenceEvent,
    ignore_events,
)
from lookaloud.core.facts import BlankInfo, Detail, Facts, RegionCaption, TextLine
from lookaloud.core.fallback import blank_description, colour_words
from lookaloud.core.images import LoadedImage, detect_blank, downscale, image_kind, load_image
from lookaloud.core.memory import return_free_memory
from lookaloud.core.perception.base import Captioner, TextReader
from lookaloud.core.perception.reading_order import sort_reading_order
from lookaloud.core.perception.regions import region_crops
from lookaloud.core.prompts import prompt_version
from lookaloud.core.retry import Backoff, Clock, Sleeper
from lookaloud.core.writers.base import Writer
from lookaloud.core.writing import WriteLoop, WriteOutcome

log = logging.getLogger(__name__)

T = TypeVar("T")

# OCR results below this confidence are mostly noise on textured backgrounds.
MIN_TEXT_CONFIDENCE = 0.5
# Regions are cropped from a copy this size so each crop still has detail for the captioner.
REGION_SOURCE_SIDE = 1152
DEFAULT_BACKOFF = Backoff()


class ModelSlot(Generic[T]):
    """Builds a model once, on first need, and remembers a failure so it is reported once."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._error: ModelError | None = None
        # Images described in parallel (remote backends) must not build a model twice.
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._value is None:
                try:
                    self._value = self._factory()
                except ModelError as exc:
                    self._error = exc
                    raise
            return self._value


@dataclass(frozen=True)
class PipelineConfig:
    lang: str = "en"
    detail: Detail = Detail.STANDARD
    ocr: bool = True
    max_attempts: int = 3
    max_image_side: int = 1600
    caption_image_side: int = 384
    max_new_tokens: int = 0
    temperature: float = 0.7
    min_quality: float = 0.5
    seed: int | None = None
    # Read the text on a second thread while captioning. Off by default: on two cores it gained
    # nothing (3.05 s either way, `python -m benchmarks --set parallel_perception=true`) and
    # with both libraries at two threads it lost up to 1.4 s; machines with more cores may gain.
    parallel_perception: bool = False


@dataclass
class _Run:
    """Mutable bookkeeping for one image: timings and notices gathered along the way."""

    name: str
    cancel: CancelToken
    emit: EventSink
    clock: Clock
    started: float
    from_screen: bool = False
    timings_ms: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def timed(self, phase: str, began: float) -> None:
        self.timings_ms[phase] = round((self.clock() - began) * 1000)


@dataclass(frozen=True)
class Models:
    captioner: ModelSlot[Captioner] | None
    reader: ModelSlot[TextReader] | None
    writer: ModelSlot[Writer] | None
    backend: str = "local"
    # Takes over when a remote writer fails for good (the local model), if it can be loaded.
    fallback_writer: ModelSlot[Writer] | None = None
    # Told with every result, e.g. that images cross the network unencrypted.
    notices: tuple[str, ...] = ()
    # Local models (captioning, OCR) work on one image at a time, even when remote writing of
    # several images runs in parallel.
    local_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


class Pipeline:
    def __init__(
        self,
        models: Models,
        config: PipelineConfig,
        *,
        clock: Clock = time.perf_counter,
        sleeper: Sleeper | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.models = models
        self.config = config
        self._clock = clock
        self._sleeper = sleeper
        self._backoff = backoff

    def with_config(self, config: PipelineConfig) -> Pipeline:
        """The same loaded models under other settings (language, detail…)."""
        return Pipeline(
            self.models, config, clock=self._clock, sleeper=self._sleeper, backoff=self._backoff
        )

    def run(
        self,
        source: Path | bytes,
        *,
        name: str | None = None,
        cancel: CancelToken | None = None,
        on_event: EventSink = ignore_events,
        from_screen: bool = False,
    ) -> Result:
        """Describe one image. Raises only :class:`Cancelled`; every other failure is a Result.

        ``from_screen`` marks a screen capture, so a blank one is called "the screen".
        """
        label = name or (str(source) if isinstance(source, Path) else "image")
        run = _Run(
            label, cancel or CancelToken(), on_event, self._clock, self._clock(), from_screen
        )
        run.notices.extend(self.models.notices)
        try:
            result = self._describe(source, run)
        except ImageError as exc:
            result = self._failed(run, exc)
        except Cancelled:
            raise
        except LookaloudError as exc:
            log.warning("describe failed for %s: %s", label, exc.message)
            result = self._failed(run, exc)
        run.emit(ResultEvent(result))
        run.emit(PhaseEvent(Phase.DONE))
        # Between descriptions the app should hold its models, not the last one's buffers.
        return_free_memory()
        return result

    def _failed(self, run: _Run, exc: LookaloudError) -> Result:
        run.timed("total", run.started)
        return Result(
            image=run.name,
            ok=False,
            error=exc,
            backend=self.models.backend,
            prompt_version=prompt_version(self.config.lang),
            timings_ms=run.timings_ms,
            notices=tuple(run.notices),
        )

    def _describe(self, source: Path | bytes, run: _Run) -> Result:
        loaded = self._load(source, run)
        blank = detect_blank(loaded.image)
        if blank.blank:
            return self._blank_result(loaded, blank, run)
        with self.models.local_lock:
            facts = self._perceive(loaded, run)
        outcome = self._write(facts, run, loaded.image)
        return self._result(loaded, facts, outcome, run)

    def _load(self, source: Path | bytes, run: _Run) -> LoadedImage:
        run.emit(PhaseEvent(Phase.LOADING_IMAGE))
        began = self._clock()
        loaded = load_image(source, name=run.name)
        run.timed("load_image", began)
        run.cancel.raise_if_cancelled()
        return loaded

    def _blank_result(self, loaded: LoadedImage, blank: BlankInfo, run: _Run) -> Result:
        facts = Facts(
            loaded.width,
            loaded.height,
            image_kind(loaded.image),
            blank=True,
            blank_colour=blank.colour_name,
        )
        colour = colour_words(blank.colour_name, self.config.lang)
        description = blank_description(self.config.lang, colour, screen=run.from_screen)
        run.emit(SentenceEvent(description, attempt=0))
        run.timed("first_sentence", run.started)
        return self._result(loaded, facts, WriteOutcome(description), run)

    def _perceive(self, loaded: LoadedImage, run: _Run) -> Facts:
        caption, regions, lines = self._look(loaded.image, run)
        return Facts(
            width=loaded.width,
            height=loaded.height,
            kind=image_kind(loaded.image),
            caption=caption,
            regions=tuple(regions),
            text_lines=tuple(lines),
            notices=tuple(run.notices),
        )

    def _look(
        self, image: Image.Image, run: _Run
    ) -> tuple[str, list[RegionCaption], list[TextLine]]:
        """Caption, then read the text — or read it on a second thread meanwhile. Either way
        the phases are announced from this thread, in the same order."""
        if not self.config.parallel_perception:
            caption, regions = self._caption(image, run)
            self._announce_reading(run)
            return caption, regions, self._read_text(image, run)
        reading = _Background(lambda: self._read_text(image, run))
        try:
            caption, regions = self._caption(image, run)
            self._announce_reading(run)
        finally:
            lines = reading.result()  # waits; a failure to read is raised here
        return caption, regions, lines

    def _announce_reading(self, run: _Run) -> None:
        if self.config.ocr and self.models.reader is not None:
            run.emit(PhaseEvent(Phase.READING_TEXT))

    def _caption(self, image: Image.Image, run: _Run) -> tuple[str, list[RegionCaption]]:
        captioner = self._get(self.models.captioner, run)
        if captioner is None:
            return "", []
        run.emit(PhaseEvent(Phase.CAPTIONING))
        began = self._clock()
        crops = region_crops(downscale(image, REGION_SOURCE_SIDE), self.config.detail)
        side = self.config.caption_image_side
        batch = [downscale(image, side)] + [downscale(crop, side) for _, crop in crops]
        captions = captioner.caption(batch)
        run.timed("caption", began)
        run.cancel.raise_if_cancelled()
        regions = [
            RegionCaption(pos, text) for (pos, _), text in zip(crops, captions[1:], strict=True)
        ]
        return captions[0], regions

    def _read_text(self, image: Image.Image, run: _Run) -> list[TextLine]:
        """May run on a second thread; ``_look`` announces the phase."""
        reader = self._get(self.models.reader, run) if self.config.ocr else None
        if reader is None:
            return []
        began = self._clock()
        lines = reader.read(image)
        run.timed("ocr", began)
        run.cancel.raise_if_cancelled()
        return sort_reading_order([ln for ln in lines if ln.confidence >= MIN_TEXT_CONFIDENCE])

    def _get(self, slot: ModelSlot[T] | None, run: _Run) -> T | None:
        """The slot's model, loading it on first use; a missing model becomes a notice."""
        if slot is None:
            return None
        run.emit(PhaseEvent(Phase.LOADING_MODELS))
        began = self._clock()
        try:
            return slot.get()
        except ModelError as exc:
            if exc.message not in run.notices:
                run.notices.append(exc.message)
            return None
        finally:
            run.timings_ms["load_models"] = run.timings_ms.get("load_models", 0) + round(
                (self._clock() - began) * 1000
            )

    def _write(self, facts: Facts, run: _Run, image: Image.Image | None = None) -> WriteOutcome:
        writer = self._get(self.models.writer, run)
        ctx = CheckContext(facts, self.config.lang, self.config.detail)
        loop = WriteLoop(
            writer,
            ctx,
            self.config,
            clock=self._clock,
            sleeper=self._sleeper,
            backoff=self._backoff,
            image=image,
            fallback_writer=self._fallback_writer(run),
        )
        began = self._clock()
        outcome = loop.run(
            run.cancel, run.emit, on_first_sentence=lambda: run.timed("first_sentence", run.started)
        )
        run.timed("write", began)
        return outcome

    def _fallback_writer(self, run: _Run) -> Callable[[], Writer | None] | None:
        """Loads the local writer only when a remote one has failed (it costs seconds)."""
        slot = self.models.fallback_writer
        if slot is None:
            return None
        return lambda: self._get(slot, run)

    def _result(self, loaded: LoadedImage, facts: Facts, out: WriteOutcome, run: _Run) -> Result:
        run.timed("total", run.started)
        notices = tuple(dict.fromkeys([*run.notices, *out.notices]))
        return Result(
            image=run.name,
            ok=True,
            description=out.description,
            facts=replace(facts, notices=notices),
            attempts=out.attempts,
            fallback=out.fallback,
            backend=self.models.backend,
            quality=out.quality,
            prompt_version=prompt_version(self.config.lang),
            timings_ms=run.timings_ms,
            notices=notices,
            rejected=out.rejected,
            sha256=loaded.sha256,
            written_by=out.written_by,
            images=out.images,
        )


class _Background(Generic[T]):
    """Runs ``work`` on a thread of its own at once; ``result`` waits for it and re-raises."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="perception", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work()
        # Crosses to the waiting thread, which raises it there (Cancelled included).
        except BaseException as exc:  # noqa: BLE001
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def emit_to(sinks: list[EventSink]) -> EventSink:
    """One sink that forwards every event to several."""

    def forward(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return forward

"""The orchestrator: load → perceive → facts → prompt → write (streamed) → check → result.

Each stage is a module of this package; this one only runs them in order for one image. One
:class:`Pipeline` serves many images; models are loaded on first need through the slots of
:mod:`lookaloud.core.runtime.models` and kept. ``run`` reports progress through an event sink
(phase changes, each sentence as soon as it passed the checks, retries, the result) and can be
cancelled from another thread through a :class:`CancelToken`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ImageError, LookaloudError, ModelError
from lookaloud.core.pipeline.check.rules import CheckContext
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import BlankInfo, Facts, ImageKind, TextLine
from lookaloud.core.pipeline.fallback import blank_description, colour_words
from lookaloud.core.pipeline.load import (
    LoadedImage,
    detect_blank,
    image_kind,
    load_image,
)
from lookaloud.core.pipeline.opening import Opening, opening_sentence
from lookaloud.core.pipeline.perceive import Perception
from lookaloud.core.pipeline.prompt import prompt_version, system_message
from lookaloud.core.pipeline.result import (
    Event,
    EventSink,
    Phase,
    PhaseEvent,
    Result,
    ResultEvent,
    RunState,
    SentenceEvent,
    ignore_events,
)
from lookaloud.core.pipeline.retry import Backoff, Clock, Sleeper
from lookaloud.core.pipeline.watchdog import Watchdog
from lookaloud.core.pipeline.write import WriteLoop, WriteOutcome
from lookaloud.core.runtime.memory import return_free_memory
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.writers.base import ImageWriter, SystemTurnHolder, Writer, engine_of

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BACKOFF = Backoff()


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
        self._perception = Perception(models, config, self._get, clock)
        self._clock = clock
        self._sleeper = sleeper
        self._backoff = backoff

    def with_config(self, config: PipelineConfig) -> Pipeline:
        """The same loaded models under other settings (language, detail…)."""
        return Pipeline(
            self.models, config, clock=self._clock, sleeper=self._sleeper, backoff=self._backoff
        )

    def hold_system_turn(self) -> None:
        """Has a local writer read the system turn of this language and detail level now (the
        app calls it while warming up), so the first picture is as quick as the ones after it.
        Raises ModelError when the writer cannot be loaded."""
        slot = self.models.writer
        writer = slot.get() if slot is not None else None
        if isinstance(writer, SystemTurnHolder):
            vision = isinstance(writer, ImageWriter)
            config = self.config
            system = system_message(config.lang, config.detail, simple=False, vision=vision)
            writer.hold_system_turn(system)

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
        asked = cancel or CancelToken()
        token = asked.child()  # the watchdog stops this image only, never the caller's work
        watchdog = Watchdog(token, self.config.phase_budget_s)

        def emit(event: Event) -> None:
            watchdog.observe(event)
            on_event(event)

        run = RunState(label, token, emit, self._clock, self._clock(), from_screen)
        run.notices.extend([*self.models.notices, *self.models.first_notices.take()])
        try:
            result = self._describe(source, run)
        except ImageError as exc:
            result = self._failed(run, exc)
        except Cancelled:
            if asked.cancelled or watchdog.expired is None:
                raise
            log.warning("describe of %s stopped: %s took too long", label, watchdog.expired)
            result = self._failed(run, watchdog.error())
        except LookaloudError as exc:
            log.warning("describe failed for %s: %s", label, exc.message)
            result = self._failed(run, exc)
        finally:
            watchdog.stop()
        run.emit(ResultEvent(result))
        run.emit(PhaseEvent(Phase.DONE))
        # Between descriptions the app should hold its models, not the last one's buffers.
        return_free_memory()
        return result

    def _failed(self, run: RunState, exc: LookaloudError) -> Result:
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

    def _describe(self, source: Path | bytes, run: RunState) -> Result:
        loaded = self._load(source, run)
        blank = detect_blank(loaded.image)
        if blank.blank:
            return self._blank_result(loaded, blank, run)
        opening = _FirstSentence(image_kind(loaded.image), self.config, run)
        with self.models.local_lock:
            facts = self._perceive(loaded, run, opening)
        outcome = self._write(facts, run, loaded.image, opening.said)
        return self._result(loaded, facts, outcome, run)

    def _load(self, source: Path | bytes, run: RunState) -> LoadedImage:
        run.emit(PhaseEvent(Phase.LOADING_IMAGE))
        began = self._clock()
        loaded = load_image(source, name=run.name, max_bytes=self.config.max_file_bytes)
        run.timed("load_image", began)
        run.cancel.raise_if_cancelled()
        return loaded

    def _blank_result(self, loaded: LoadedImage, blank: BlankInfo, run: RunState) -> Result:
        facts = Facts(
            loaded.width,
            loaded.height,
            image_kind(loaded.image),
            blank=True,
            blank_colour=blank.colour_name,
            frames=loaded.frames,
            animated=loaded.animated,
        )
        colour = colour_words(blank.colour_name, self.config.lang)
        description = blank_description(self.config.lang, colour, screen=run.from_screen)
        run.emit(SentenceEvent(description, attempt=0))
        run.timed("first_sentence", run.started)
        return self._result(loaded, facts, WriteOutcome(description), run)

    def _perceive(self, loaded: LoadedImage, run: RunState, opening: _FirstSentence) -> Facts:
        caption, regions, lines = self._perception.look(
            loaded.image,
            run,
            text_first=opening.wants_text_first,
            on_partial=opening.offer,
        )
        return Facts(
            width=loaded.width,
            height=loaded.height,
            kind=opening.kind,
            caption=caption,
            regions=tuple(regions),
            text_lines=tuple(lines),
            notices=tuple(run.notices),
            frames=loaded.frames,
            animated=loaded.animated,
        )

    def _get(self, slot: ModelSlot[T] | None, run: RunState) -> T | None:
        """The slot's model, loading it on first use; a missing model becomes a notice."""
        if slot is None:
            return None
        if not slot.settled:  # "Loading the models" only while something is being loaded
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

    def _write(
        self,
        facts: Facts,
        run: RunState,
        image: Image.Image | None = None,
        opening: Opening | None = None,
    ) -> WriteOutcome:
        writer = self._get(self.models.writer, run)
        ctx = CheckContext(facts, self.config.lang, self.config.detail)
        loop = WriteLoop(
            writer,
            ctx,
            self.config.writing,
            clock=self._clock,
            sleeper=self._sleeper,
            backoff=self._backoff,
            image=image,
            fallback_writer=self._fallback_writer(run),
            opening=opening,
        )
        began = self._clock()
        outcome = loop.run(
            run.cancel, run.emit, on_first_sentence=lambda: run.timed("first_sentence", run.started)
        )
        run.timed("write", began)
        return replace(outcome, engine=outcome.engine or engine_of(writer))

    def _fallback_writer(self, run: RunState) -> Callable[[], Writer | None] | None:
        """Loads the local writer only when a remote one has failed (it costs seconds)."""
        slot = self.models.fallback_writer
        if slot is None:
            return None
        return lambda: self._get(slot, run)

    def _result(
        self, loaded: LoadedImage, facts: Facts, out: WriteOutcome, run: RunState
    ) -> Result:
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
            engine=out.engine,
            images=out.images,
            chat=out.chat,
        )


class _FirstSentence:
    """Says the first sentence from the facts once perception knows enough (see
    :mod:`.opening`), and keeps it for the writer."""

    def __init__(self, kind: ImageKind, config: PipelineConfig, run: RunState) -> None:
        self.kind = kind
        self.said: Opening | None = None
        self._config = config
        self._run = run

    @property
    def wants_text_first(self) -> bool:
        """A screenshot's first sentence comes from its text, so it is read before captioning."""
        return self._config.first_sentence_from_facts and self.kind is ImageKind.SCREENSHOT

    def offer(self, caption: str | None, lines: list[TextLine] | None) -> None:
        if self.said is not None or not self._config.first_sentence_from_facts:
            return
        self.said = opening_sentence(self.kind, caption, lines, self._config.lang)
        if self.said is not None:
            self._run.emit(SentenceEvent(self.said.text, attempt=0))
            self._run.timed("first_sentence", self._run.started)


def emit_to(sinks: list[EventSink]) -> EventSink:
    """One sink that forwards every event to several."""

    def forward(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return forward

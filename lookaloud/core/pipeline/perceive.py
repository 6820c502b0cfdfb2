"""Stage 2, perceive: the captioner describes the picture and its parts, OCR reads its text.

The parts themselves (BLIP, RapidOCR, crops, reading order) live in
:mod:`lookaloud.core.perception`; this stage runs them for one image, announcing each phase,
timing it and honouring a cancel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from PIL import Image

from lookaloud.core.perception.base import Captioner, TextReader
from lookaloud.core.perception.reading_order import sort_reading_order
from lookaloud.core.perception.regions import Box, region_boxes
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import RegionCaption, TextLine
from lookaloud.core.pipeline.load import downscale
from lookaloud.core.pipeline.result import Phase, PhaseEvent, RunState
from lookaloud.core.pipeline.retry import Clock
from lookaloud.core.runtime.models import Models, ModelSlot

T = TypeVar("T")

# OCR results below this confidence are mostly noise on textured backgrounds.
MIN_TEXT_CONFIDENCE = 0.5
# Regions are cropped from a copy this size so each crop still has detail for the captioner.
REGION_SOURCE_SIDE = 1152
# Parts are captioned at BLIP's pre-training size: the whole picture at 384 px and the three
# parts at 224 px took 1.69-1.91 s against 2.30-2.46 s for all four at 384 (benchmark models,
# 2-core AMD EPYC), and a part needs less detail than the whole.
REGION_CAPTION_SIDE = 224
# A part of a screenshot where OCR read this many lines is told by its text, not captioned:
# BLIP's caption of a bit of interface at 224 px says little ("a screen shot of a computer")
# and costs about half a second per part on two cores, and its words lengthen the prompt.
LINES_THAT_TELL_A_PART = 3


PartialFacts = Callable[[str | None, list[TextLine] | None], None]
"""Hears the caption and the text lines known so far; None for a step not finished yet."""


class ModelGetter(Protocol):
    """Gives a slot's model for this run (loading it on first use), or None when it is missing."""

    def __call__(self, slot: ModelSlot[T] | None, run: RunState) -> T | None: ...


class Perception:
    """Captions and text lines for one image at a time."""

    def __init__(
        self, models: Models, config: PipelineConfig, model_of: ModelGetter, clock: Clock
    ) -> None:
        self._models = models
        self._config = config
        self._model_of = model_of
        self._clock = clock

    def look(
        self,
        image: Image.Image,
        run: RunState,
        *,
        text_first: bool = False,
        on_partial: PartialFacts = lambda caption, lines: None,
    ) -> tuple[str, list[RegionCaption], list[TextLine]]:
        """Caption and read the text, one after the other — ``text_first`` for a screenshot,
        whose text is its most telling fact — or read it on a second thread meanwhile. Either
        way the phases are announced from this thread, in the same order.

        ``on_partial`` hears what is known after each step, ``None`` for what is not known yet,
        so a first sentence can be said before the slower step ends.
        """
        if self._config.parallel_perception:
            reading = _Background(lambda: self._read_text(image, run))
            try:
                caption, regions = self._caption(image, run)
                self._announce_reading(run)
            finally:
                lines = reading.result()  # waits; a failure to read is raised here
        elif text_first:
            self._announce_reading(run)
            lines = self._read_text(image, run)
            on_partial(None, lines)
            caption, regions = self._caption(image, run, read=lines)
        else:
            caption, regions = self._caption(image, run)
            on_partial(caption, None)
            self._announce_reading(run)
            lines = self._read_text(image, run)
        on_partial(caption, lines)
        return caption, regions, lines

    def _announce_reading(self, run: RunState) -> None:
        if self._config.ocr and self._models.reader is not None:
            run.emit(PhaseEvent(Phase.READING_TEXT))

    def _caption(
        self, image: Image.Image, run: RunState, read: list[TextLine] | None = None
    ) -> tuple[str, list[RegionCaption]]:
        """The whole picture's caption and its parts', leaving out the parts that the lines
        ``read`` already tell (see LINES_THAT_TELL_A_PART)."""
        captioner: Captioner | None = self._model_of(self._models.captioner, run)
        if captioner is None:
            return "", []
        run.emit(PhaseEvent(Phase.CAPTIONING))
        began = self._clock()
        source = downscale(image, REGION_SOURCE_SIDE)
        scale = source.width / image.width
        crops = [
            (name, source.crop(box))
            for name, box in region_boxes(source.size, self._config.detail)
            if read is None or not _told_by_text(box, read, scale)
        ]
        side = self._config.caption_image_side
        whole = captioner.caption([downscale(image, side)])[0]
        run.cancel.raise_if_cancelled()
        part_side = min(side, REGION_CAPTION_SIDE)
        parts = [downscale(crop, part_side) for _, crop in crops]
        texts = captioner.caption(parts, side=part_side) if parts else []
        run.timed("caption", began)
        run.cancel.raise_if_cancelled()
        regions = [RegionCaption(pos, text) for (pos, _), text in zip(crops, texts, strict=True)]
        return whole, regions

    def _read_text(self, image: Image.Image, run: RunState) -> list[TextLine]:
        """May run on a second thread; ``look`` announces the phase."""
        reader: TextReader | None = (
            self._model_of(self._models.reader, run) if self._config.ocr else None
        )
        if reader is None:
            return []
        began = self._clock()
        lines = reader.read(image)
        run.timed("ocr", began)
        run.cancel.raise_if_cancelled()
        return sort_reading_order([ln for ln in lines if ln.confidence >= MIN_TEXT_CONFIDENCE])


def _told_by_text(part: Box, lines: list[TextLine], scale: float) -> bool:
    """Whether OCR read enough lines inside ``part`` (in pixels ``scale`` times the lines')."""
    left, top, right, bottom = part
    inside = 0
    for line in lines:
        x = (line.box.x0 + line.box.x1) / 2 * scale
        y = line.box.centre_y * scale
        inside += left <= x < right and top <= y < bottom
    return inside >= LINES_THAT_TELL_A_PART


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

"""Reading the text while captioning: both run at once, and failures still arrive in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from helpers.render import DIALOG_LINES, render_dialog
from helpers.scripted import ScriptedWriter
from lookaloud.core.errors import PerceptionError
from lookaloud.core.perception.ocr import RapidOcrReader
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import TextLine
from lookaloud.core.pipeline.result import Event, Phase, PhaseEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot

REPLY = 'A dialog asks "Save changes?" above three buttons. It has "Save" and "Cancel".'
WAIT_S = 20.0


class MeetingCaptioner:
    """Captions only once the text reader has started too: proof that the two overlap."""

    def __init__(self, reader_started: threading.Event, wait_s: float = WAIT_S) -> None:
        self.reader_started = reader_started
        self.wait_s = wait_s
        self.met = False
        self.finished_at = 0.0

    def caption(
        self, images: Sequence[Image.Image], max_new_tokens: int = 30, side: int | None = None
    ) -> list[str]:
        self.met = self.reader_started.wait(self.wait_s)
        self.finished_at = time.perf_counter()
        return ["a dialog box on a grey screen"] * len(images)


class SignallingReader:
    """The real RapidOCR reader, announcing when it starts and noting when it finished."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.started_at = 0.0
        self._reader = RapidOcrReader()

    def read(self, image: Image.Image) -> list[TextLine]:
        self.started_at = time.perf_counter()
        self.started.set()
        return self._reader.read(image)


class FailingReader:
    def read(self, image: Image.Image) -> list[TextLine]:
        raise PerceptionError("Reading the text in this picture failed; try again.")


def pipeline(captioner: object, reader: object, *, parallel: bool) -> Pipeline:
    models = Models(
        captioner=ModelSlot(lambda: captioner),  # type: ignore[arg-type,return-value]
        reader=ModelSlot(lambda: reader),  # type: ignore[arg-type,return-value]
        writer=ModelSlot(lambda: ScriptedWriter([REPLY])),
    )
    return Pipeline(models, PipelineConfig(parallel_perception=parallel))


def test_text_is_read_while_captioning(tmp_path: Path) -> None:
    reader = SignallingReader()
    captioner = MeetingCaptioner(reader.started)
    events: list[Event] = []
    result = pipeline(captioner, reader, parallel=True).run(
        render_dialog(tmp_path / "dialog.png"), on_event=events.append
    )
    assert captioner.met, "the captioner never saw the text reader running beside it"
    assert result.ok and result.facts is not None
    texts = [line.text for line in result.facts.text_lines]
    assert texts[:2] == list(DIALOG_LINES[:2])  # title, then body: read by the real OCR
    assert result.facts.caption == "a dialog box on a grey screen"
    phases = [e.phase for e in events if isinstance(e, PhaseEvent)]
    assert phases.index(Phase.CAPTIONING) < phases.index(Phase.READING_TEXT)


def test_one_after_the_other_by_default(tmp_path: Path) -> None:
    assert not PipelineConfig().parallel_perception  # measured: no gain on two cores
    reader = SignallingReader()
    captioner = MeetingCaptioner(reader.started, wait_s=0.2)
    result = pipeline(captioner, reader, parallel=False).run(render_dialog(tmp_path / "d.png"))
    assert result.ok and not captioner.met
    assert captioner.finished_at <= reader.started_at


def test_a_failing_text_reader_still_fails_the_description(tmp_path: Path) -> None:
    captioner = MeetingCaptioner(threading.Event())
    captioner.reader_started.set()
    for parallel in (True, False):
        result = pipeline(captioner, FailingReader(), parallel=parallel).run(
            render_dialog(tmp_path / "dialog.png")
        )
        assert not result.ok and isinstance(result.error, PerceptionError)
        assert "Reading the text in this picture failed" in result.error.message

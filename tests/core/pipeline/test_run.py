"""The pipeline end to end on real image files, with real OCR and the tiny real models."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from helpers.render import DIALOG_LINES, render_blank, render_dialog, text_image
from helpers.scripted import ScriptedWriter
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ModelMissing
from lookaloud.core.perception.base import Captioner
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.pipeline.result import Event, Phase, PhaseEvent, ResultEvent, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.writers.base import ChatMessage, Writer

GOOD_DIALOG = (
    'A dialog box asks "Save changes?" in the centre of the screen. '
    'Below the title, a line reads "Your document has unsaved changes." '
    'At the bottom there are three buttons from left to right: "Save", "Don\'t Save" and '
    '"Cancel". The dialog is light grey with dark text.'
)


@pytest.fixture(scope="module")
def real_models(tiny_blip_dir: Path, tiny_qwen_dir: Path) -> Models:
    return models_for(ModelChoice(str(tiny_blip_dir), str(tiny_qwen_dir)))


def with_writer(models: Models, writer: Writer | None) -> Models:
    slot: ModelSlot[Writer] | None = ModelSlot(lambda: writer) if writer else None
    return Models(models.captioner, models.reader, slot, backend="local")


def run(pipeline: Pipeline, source: Path, cancel: CancelToken | None = None) -> tuple:
    events: list[Event] = []
    result = pipeline.run(source, cancel=cancel, on_event=events.append)
    return result, events


def test_dialog_goes_through_every_phase_in_order(real_models: Models, tmp_path: Path) -> None:
    writer = ScriptedWriter([GOOD_DIALOG])
    pipeline = Pipeline(with_writer(real_models, writer), PipelineConfig())
    result, events = run(pipeline, render_dialog(tmp_path / "dialog.png"))
    phases = [e.phase for e in events if isinstance(e, PhaseEvent)]
    order = [Phase.LOADING_IMAGE, Phase.CAPTIONING, Phase.READING_TEXT, Phase.DESCRIBING]
    assert [p for p in phases if p in order] == order and phases[-1] is Phase.DONE
    assert isinstance(events[-2], ResultEvent) and result.ok and result.attempts == 1
    assert result.description.startswith('A dialog box asks "Save changes?"')
    assert result.summary == 'A dialog box asks "Save changes?" in the centre of the screen.'
    for phase in (
        "load_image",
        "load_models",
        "caption",
        "ocr",
        "write",
        "first_sentence",
        "total",
    ):
        assert phase in result.timings_ms


def test_dialog_facts_hold_text_in_reading_order_and_three_regions(
    real_models: Models, tmp_path: Path
) -> None:
    pipeline = Pipeline(with_writer(real_models, ScriptedWriter([GOOD_DIALOG])), PipelineConfig())
    result, _ = run(pipeline, render_dialog(tmp_path / "dialog.png"))
    assert result.facts is not None
    texts = [line.text for line in result.facts.text_lines]
    found = [t for t in DIALOG_LINES if any(t.lower() in x.lower() for x in texts)]
    assert len(found) >= 4
    assert [t for t in found] == [t for t in DIALOG_LINES if t in found]
    assert [r.position for r in result.facts.regions] == ["left", "centre", "right"]
    assert result.facts.caption  # tiny BLIP writes random words, but it writes some


def test_detailed_level_captions_a_three_by_three_grid(real_models: Models, tmp_path: Path) -> None:
    config = PipelineConfig(detail=Detail.DETAILED, ocr=False)
    pipeline = Pipeline(with_writer(real_models, None), config)
    result, _ = run(pipeline, render_dialog(tmp_path / "dialog.png"))
    assert result.facts is not None and len(result.facts.regions) == 9
    assert result.facts.regions[0].position == "top-left"


def test_blank_image_is_described_honestly_without_any_model(tmp_path: Path) -> None:
    def must_not_load() -> Writer:
        raise AssertionError("a blank image must not load the writer")

    models = Models(None, None, ModelSlot(must_not_load))
    result, events = run(Pipeline(models, PipelineConfig()), render_blank(tmp_path / "b.png"))
    assert result.ok and result.facts is not None and result.facts.blank
    assert result.description == "The image is almost entirely dark grey; no objects or text found."
    assert [e.text for e in events if isinstance(e, SentenceEvent)] == [result.description]


def test_not_an_image_is_a_failed_result_not_an_exception(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: eggs, milk\n")
    result, _ = run(Pipeline(Models(None, None, None), PipelineConfig()), notes)
    assert not result.ok and result.error is not None
    assert result.error.code == "not_an_image" and "notes.txt" in result.error.message


def test_missing_writer_model_gives_the_facts_and_names_the_model(
    real_models: Models, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-model"
    models = models_for(ModelChoice(str(missing), str(missing)))
    models = Models(real_models.captioner, real_models.reader, models.writer)
    result, _ = run(Pipeline(models, PipelineConfig()), render_dialog(tmp_path / "d.png"))
    assert result.ok and result.fallback and result.attempts == 0
    assert "Save changes?" in result.description
    assert any(str(missing) in n or "no-such-model" in n for n in result.notices)


def test_missing_model_error_is_remembered_not_retried() -> None:
    calls = []

    def factory() -> Writer:
        calls.append(1)
        raise ModelMissing("The writing model X is not on this computer.")

    slot: ModelSlot[Writer] = ModelSlot(factory)
    for _ in range(2):
        with pytest.raises(ModelMissing):
            slot.get()
    assert calls == [1]


def test_gibberish_from_the_tiny_writer_is_retried_then_falls_back(
    real_models: Models, tmp_path: Path
) -> None:
    config = PipelineConfig(max_attempts=2, max_new_tokens=60, seed=1)
    result, _ = run(Pipeline(real_models, config), render_dialog(tmp_path / "dialog.png"))
    assert result.ok and result.fallback and result.attempts == 2
    assert len(result.rejected) == 2
    assert result.description.startswith("Automatic description unavailable")
    assert "Save changes?" in result.description


class CancelOnFirstPiece:
    """Wraps the real tiny writer: cancels the run as soon as generation has produced a piece."""

    def __init__(self, inner: Writer, cancel: CancelToken) -> None:
        self.inner, self.cancel = inner, cancel
        self.backend, self.model_name = inner.backend, inner.model_name
        self.cancelled_at = 0.0

    def stream(self, messages, params, cancel):  # type: ignore[no-untyped-def]
        for _piece in self.inner.stream(messages, params, cancel):
            if not self.cancelled_at:
                self.cancelled_at = time.monotonic()
                self.cancel.cancel()
        yield from ()


def test_cancel_mid_generation_stops_quickly(real_models: Models, tmp_path: Path) -> None:
    assert real_models.writer is not None
    cancel = CancelToken()
    writer = CancelOnFirstPiece(real_models.writer.get(), cancel)
    config = PipelineConfig(max_new_tokens=4000, ocr=False)
    pipeline = Pipeline(with_writer(real_models, writer), config)
    with pytest.raises(Cancelled):
        pipeline.run(render_dialog(tmp_path / "d.png"), cancel=cancel)
    assert writer.cancelled_at and time.monotonic() - writer.cancelled_at < 2.0


def test_a_first_time_notice_comes_with_the_first_result_only(tmp_path: Path) -> None:
    from lookaloud.core.runtime.models import FirstTimeNotices

    writer = ScriptedWriter([GOOD_DIALOG])
    models = Models(
        None,
        None,
        ModelSlot(lambda: writer),
        notices=("every time",),
        first_notices=FirstTimeNotices(("the slower engine writes",)),
    )
    pipeline = Pipeline(models, PipelineConfig(min_quality=0.0))
    image = render_dialog(tmp_path / "dialog.png")
    first, again = pipeline.run(image), pipeline.with_config(PipelineConfig()).run(image)
    assert first.notices == ("every time", "the slower engine writes")
    assert again.notices == ("every time",)


class CountingCaptioner:
    """The tiny BLIP, counting the pictures it is asked to caption."""

    def __init__(self, captioner: Captioner) -> None:
        self._captioner = captioner
        self.pictures = 0

    def caption(
        self, images: Sequence[Image.Image], max_new_tokens: int = 30, side: int | None = None
    ) -> list[str]:
        self.pictures += len(images)
        return self._captioner.caption(images, max_new_tokens, side)


def test_a_screenshot_part_its_text_already_tells_is_not_captioned(
    real_models: Models, tmp_path: Path
) -> None:
    # A sidebar of short entries: all its lines lie in the left third of the screenshot.
    shot = text_image(("Inbox", "Drafts", "Sent", "Archive"), width=900)
    path = tmp_path / "sidebar.png"
    shot.save(path)
    assert real_models.captioner is not None
    counting = CountingCaptioner(real_models.captioner.get())
    slot: ModelSlot[Captioner] = ModelSlot(lambda: counting)
    models = Models(slot, real_models.reader, ModelSlot(lambda: ScriptedWriter([GOOD_DIALOG])))
    pipeline = Pipeline(models, PipelineConfig(first_sentence_from_facts=True))
    result, _ = run(pipeline, path)
    assert result.facts is not None
    assert [line.text for line in result.facts.text_lines] == ["Inbox", "Drafts", "Sent", "Archive"]
    assert [r.position for r in result.facts.regions] == ["centre", "right"]
    assert counting.pictures == 3  # the whole picture and the two parts without text


class HoldingWriter(ScriptedWriter):
    """A scripted writer that can hold a system turn, as the llama.cpp writers can."""

    def __init__(self) -> None:
        super().__init__([GOOD_DIALOG])
        self.held: list[ChatMessage] = []

    def hold_system_turn(self, system: ChatMessage) -> None:
        self.held.append(system)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_system_turn_held_ahead_is_the_one_every_description_starts_with(
    real_models: Models, tmp_path: Path, lang: str
) -> None:
    writer = HoldingWriter()
    config = PipelineConfig(lang=lang, detail=Detail.DETAILED, max_attempts=1)
    pipeline = Pipeline(with_writer(real_models, writer), config)
    pipeline.hold_system_turn()
    pipeline.run(render_dialog(tmp_path / "dialog.png"))
    assert writer.held == [writer.calls[0][0][0]]
    assert writer.held[0].role == "system" and writer.held[0].content


def test_a_writer_that_cannot_hold_a_system_turn_is_not_asked_to_write_instead(
    real_models: Models,
) -> None:
    writer = ScriptedWriter([GOOD_DIALOG])
    Pipeline(with_writer(real_models, writer), PipelineConfig()).hold_system_turn()
    assert writer.calls == []

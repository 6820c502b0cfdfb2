"""The pipeline with the local vision model: nothing captioned, the OCR text given with the
picture, the first sentence from the facts, one look per picture for the description and its
follow-up questions, and the facts read when the model is missing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from helpers.render import DIALOG_LINES, render_dialog
from helpers.vlm_probes import PromptReads
from lookaloud.core.assembly import ModelChoice, models_for, output_fingerprint
from lookaloud.core.cancel import CancelToken
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.result import Event, Phase, PhaseEvent, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.session import Session
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.local_vlm import LocalVlmWriter


def local_vision(folder: str) -> ModelChoice:
    # The captioner and the writer named here do not exist: neither may be loaded.
    return ModelChoice("no-such-captioner", "no-such-writer", backend="local-vlm", vlm_model=folder)


class Recording:
    """The local vision writer, keeping every chat it was sent and counting its looks."""

    def __init__(self, writer: LocalVlmWriter) -> None:
        self._stream = writer.stream  # the writer's own, before the test puts this in its place
        self.chats: list[Sequence[ChatMessage]] = []
        self.looks = 0
        loaded = writer.load()
        loaded.seen.clear()  # the model is shared by the whole test run: forget its pictures
        self.hook = loaded.model.model.visual.register_forward_hook(self._looked)

    def _looked(self, *args: object) -> None:
        self.looks += 1

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        self.chats.append(messages)
        return self._stream(messages, params, cancel)


@pytest.fixture
def pipeline(tiny_qwen3_vl_dir: Path) -> Pipeline:
    config = PipelineConfig(seed=5, first_sentence_from_facts=True)
    return Pipeline(models_for(local_vision(str(tiny_qwen3_vl_dir))), config)


@pytest.fixture
def recorded(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LocalVlmWriter, Recording]]:
    """The pipeline's vision writer, recording what it is sent and how often it looks."""
    assert pipeline.models.writer is not None
    writer = pipeline.models.writer.get()
    assert isinstance(writer, LocalVlmWriter)
    recording = Recording(writer)
    monkeypatch.setattr(writer, "stream", recording.stream)
    yield writer, recording
    recording.hook.remove()


def test_only_the_vision_model_and_ocr_are_used(pipeline: Pipeline) -> None:
    models = pipeline.models
    assert models.backend == "local-vlm"
    assert models.captioner is None and models.fallback_writer is None
    assert models.reader is not None and models.writer is not None


def test_a_screenshot_is_described_from_the_picture_and_its_text(
    pipeline: Pipeline, recorded: tuple[LocalVlmWriter, Recording], tmp_path: Path
) -> None:
    writer, recording = recorded
    events: list[Event] = []
    result = pipeline.run(render_dialog(tmp_path / "dialog.png"), on_event=events.append)
    session = Session.from_result(result, "en")
    assert session is not None
    for question in ("What does the right button say?", "What colour is the dialog?"):
        session.ask(question, writer)

    assert result.ok and result.backend == "local-vlm" and result.error is None
    assert result.written_by in ("local-vlm", "facts") and result.engine == "transformers"
    phases = [e.phase for e in events if isinstance(e, PhaseEvent)]
    assert Phase.CAPTIONING not in phases and Phase.DESCRIBING in phases
    assert result.facts is not None and not result.facts.caption  # nothing was captioned
    # The first sentence comes from the text read, before the model writes.
    sentences = [e for e in events if isinstance(e, SentenceEvent)]
    assert sentences and "Save changes?" in sentences[0].text
    # Every attempt was shown the same picture, and the OCR text as grounding.
    user = recording.chats[0][1]
    assert len(user.images) == 1 and user.images[0].mime_type == "image/png"
    assert DIALOG_LINES[0] in user.content
    assert {chat[1].images for chat in recording.chats} == {user.images}

    # Two follow-up questions were asked about the same picture, which was looked at once:
    # for the description, its retries and both questions.
    assert session.images == user.images
    asked = recording.chats[result.attempts :]
    assert len(asked) >= 2 and "What colour is the dialog?" in asked[-1][-1].content
    assert recording.looks == 1


def test_a_question_after_the_description_reads_only_itself(
    pipeline: Pipeline, recorded: tuple[LocalVlmWriter, Recording], tmp_path: Path
) -> None:
    writer, recording = recorded
    result = pipeline.run(render_dialog(tmp_path / "dialog.png"))
    # The random model's words fail the checks, so the pipeline read the facts; here the
    # model's own answer to the chat it was sent stands in for an accepted description.
    described = tuple(recording.chats[0])
    answer = "".join(writer.stream(described, GenerationParams(24, 0.0), CancelToken()))
    chat = (*described, ChatMessage("assistant", answer))
    assert result.facts is not None
    looks = recording.looks
    with PromptReads(writer) as carried_on:
        Session(result.facts, answer, "en", images=result.images, chat=chat).ask(
            "What does the right button say?", writer
        )
    assert recording.looks == looks  # not looked at again
    writer.load().conversation.kept = None
    with PromptReads(writer) as anew:
        Session(result.facts, answer, "en", images=result.images, chat=chat).ask(
            "What does the right button say?", writer
        )
    kept = writer.load().conversation.kept
    assert kept is not None
    picture_tokens = kept.ids.count(writer.load().model.config.image_token_id)
    assert picture_tokens > 200  # the 1280×800 dialog at the standard budget
    # The system turn, the picture and its facts were already held: only the question was read.
    assert carried_on.longest < anew.longest - picture_tokens


def test_a_missing_vision_model_is_one_sentence_and_the_facts_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    pipeline = Pipeline(models_for(local_vision("Qwen/Qwen3-VL-2B-Instruct")), PipelineConfig())
    result = pipeline.run(render_dialog(tmp_path / "dialog.png"))

    assert result.ok and result.fallback and result.written_by == "facts"
    assert "Save changes?" in result.description
    missing = [n for n in result.notices if "Qwen/Qwen3-VL-2B-Instruct" in n]
    assert len(missing) == 1
    assert "`lookaloud models pull --backend local-vlm`" in missing[0]


def test_the_cache_fingerprint_tells_the_vision_model_apart(tiny_qwen3_vl_dir: Path) -> None:
    config = PipelineConfig()
    vision = output_fingerprint(local_vision(str(tiny_qwen3_vl_dir)), config)
    other_vision = output_fingerprint(local_vision("/elsewhere/qwen3-vl"), config)
    local = output_fingerprint(ModelChoice("no-such-captioner", "no-such-writer"), config)
    assert len({vision, other_vision, local}) == 3


def test_a_chinese_description_is_asked_for_in_chinese(
    tiny_qwen3_vl_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = PipelineConfig(lang="zh", max_attempts=1, seed=1)
    pipeline = Pipeline(models_for(local_vision(str(tiny_qwen3_vl_dir))), config)
    assert pipeline.models.writer is not None
    writer = pipeline.models.writer.get()
    assert isinstance(writer, LocalVlmWriter)
    recording = Recording(writer)
    monkeypatch.setattr(writer, "stream", recording.stream)
    try:
        result = pipeline.run(render_dialog(tmp_path / "dialog.png"))
    finally:
        recording.hook.remove()
    assert result.ok and result.backend == "local-vlm"
    system, user = recording.chats[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in system.content + user.content)
    assert DIALOG_LINES[0] in user.content and user.images

"""The first sentence from the facts: what it picks, in both languages, and how the pipeline
says it before the writer, tells the writer, and keeps the fallback from saying it twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.render import render_dialog
from helpers.scripted import ScriptedWriter
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import Box, Facts, ImageKind, TextLine
from lookaloud.core.pipeline.fallback import facts_only_description
from lookaloud.core.pipeline.opening import opening_sentence, prominent_line
from lookaloud.core.pipeline.result import Event, Phase, PhaseEvent, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot

CONTINUATION = (
    'Below the question, a line reads "Your document has unsaved changes." At the bottom '
    'there are three buttons from left to right: "Save", "Don\'t Save" and "Cancel". The '
    "dialog is light grey with dark text."
)


def line(text: str, top: float, height: float, confidence: float = 0.95) -> TextLine:
    return TextLine(text, Box(10, top, 300, top + height), confidence)


TITLE = line("Quarterly report - Editor", 5, 30)
MENU = line("File Edit View", 40, 18)
BODY = line("Sales grew in every region", 120, 18)


def test_a_dialogs_question_comes_first_even_below_a_larger_title() -> None:
    question = line("Save changes?", 200, 22)
    assert prominent_line([TITLE, MENU, question, BODY]) == question


def test_without_a_question_the_topmost_of_the_largest_lines_is_taken() -> None:
    second_title = line("Trash", 300, 29)
    assert prominent_line([MENU, BODY, second_title, TITLE]) == TITLE


def test_letters_below_the_line_do_not_make_a_line_of_the_same_size_larger() -> None:
    """Boxes OCR gave for three lines of 13-pixel text: only the last has p's and a comma."""
    heading = line("Open tickets", 6, 18)
    lines = [heading, line("ticket 017 zebra", 29, 17), line("backup export 3.5 MB, done.", 50, 21)]
    assert prominent_line(lines) == heading


def test_unsure_short_or_paragraph_lines_are_never_quoted() -> None:
    unsure = line("Save changes?", 5, 40, confidence=0.6)
    paragraph = line(" ".join(["word"] * 20), 50, 40)
    assert prominent_line([unsure, paragraph, line("OK", 90, 40), line("12:45", 95, 40)]) is None


def test_a_screenshot_is_opened_with_its_text_as_soon_as_it_is_read() -> None:
    opening = opening_sentence(ImageKind.SCREENSHOT, None, [line("Save changes?", 9, 20)], "en")
    assert opening is not None
    assert opening.text == 'A screenshot with the question "Save changes?"'
    assert opening.quoted == "Save changes?"
    title = opening_sentence(ImageKind.SCREENSHOT, None, [TITLE, BODY], "en")
    assert title is not None
    assert title.text == 'A screenshot; its most prominent text reads "Quarterly report - Editor".'


def test_a_screenshot_without_text_waits_for_its_caption() -> None:
    assert opening_sentence(ImageKind.SCREENSHOT, None, [], "en") is None
    opening = opening_sentence(ImageKind.SCREENSHOT, "a screenshot of a file manager", [], "en")
    assert opening is not None
    assert opening.text == "A screenshot that looks like a file manager."
    assert opening.caption == "a screenshot of a file manager"


def test_a_photo_is_opened_with_its_caption_and_zh_speaks_chinese() -> None:
    opening = opening_sentence(ImageKind.PHOTO, "a dog on a red sofa", None, "en")
    assert opening is not None and opening.text == "A picture that looks like a dog on a red sofa."
    zh = opening_sentence(ImageKind.SCREENSHOT, None, [line("保存更改？", 9, 20)], "zh")
    assert zh is not None and zh.text == "这是一张截图，上面问：“保存更改？”"
    assert opening_sentence(ImageKind.PHOTO, "", None, "en") is None  # still waiting for text
    sign = opening_sentence(ImageKind.PHOTO, "", [line("Platform 4 closed", 9, 20)], "en")
    assert sign is not None and sign.text == 'A picture with the text "Platform 4 closed".'


def test_the_fallback_leaves_out_what_the_first_sentence_said() -> None:
    question = line("Save changes?", 9, 20)
    facts = Facts(800, 400, ImageKind.SCREENSHOT, "a dialog box", text_lines=(question, BODY))
    heard = opening_sentence(ImageKind.SCREENSHOT, None, [question, BODY], "en")
    said = facts_only_description(facts, "en", heard=heard)
    assert '"Save changes?"' not in said and '"Sales grew in every region"' in said
    assert "a dialog box" in said  # the caption was not said yet
    photo = Facts(640, 480, ImageKind.PHOTO, "a dog on a sofa")
    heard = opening_sentence(ImageKind.PHOTO, "a dog on a sofa", None, "en")
    assert "a dog on a sofa" not in facts_only_description(photo, "en", heard=heard)


@pytest.fixture(scope="module")
def real_parts(tiny_blip_dir: Path, tiny_qwen_dir: Path) -> Models:
    return models_for(ModelChoice(str(tiny_blip_dir), str(tiny_qwen_dir)))


def pipeline_with(models: Models, writer: ScriptedWriter | None, **config: object) -> Pipeline:
    slot = ModelSlot(lambda: writer) if writer is not None else None
    parts = Models(models.captioner, models.reader, slot, backend="local")
    return Pipeline(parts, PipelineConfig(first_sentence_from_facts=True, **config))  # type: ignore[arg-type]


def test_the_dialogs_question_is_said_after_reading_before_captioning_and_writing(
    real_parts: Models, tmp_path: Path
) -> None:
    writer = ScriptedWriter([CONTINUATION])
    events: list[Event] = []
    result = pipeline_with(real_parts, writer).run(
        render_dialog(tmp_path / "dialog.png"), on_event=events.append
    )
    first = next(i for i, e in enumerate(events) if isinstance(e, SentenceEvent))
    before = [e.phase for e in events[:first] if isinstance(e, PhaseEvent)]
    assert Phase.READING_TEXT in before and Phase.CAPTIONING not in before
    opening = events[first]
    assert isinstance(opening, SentenceEvent)
    assert opening.text == 'A screenshot with the question "Save changes?"'
    # The writer heard it, at the end of its user turn, and its text follows it.
    user = writer.calls[0][0][-1].content
    assert user.endswith(
        'Already said: A screenshot with the question "Save changes?" Describe the rest of '
        "this screenshot for a blind reader; do not repeat that or sum up again."
    )
    assert result.ok and not result.fallback
    assert result.description.startswith('A screenshot with the question "Save changes?" Below')
    spoken = [e.text for e in events if isinstance(e, SentenceEvent)]
    assert spoken.count(opening.text) == 1 and len(spoken) == 4
    assert (
        result.timings_ms["first_sentence"]
        <= result.timings_ms["caption"] + result.timings_ms["ocr"]
    )


def test_with_no_writer_the_facts_follow_the_first_sentence_without_repeating_it(
    real_parts: Models, tmp_path: Path
) -> None:
    events: list[Event] = []
    result = pipeline_with(real_parts, None).run(
        render_dialog(tmp_path / "dialog.png"), on_event=events.append
    )
    assert result.fallback
    assert result.description.count("Save changes?") == 1
    spoken = [e.text for e in events if isinstance(e, SentenceEvent)]
    assert spoken[0] == 'A screenshot with the question "Save changes?"'
    assert spoken[1].startswith("Automatic description unavailable")


def test_switched_off_nothing_is_said_before_the_writer(real_parts: Models, tmp_path: Path) -> None:
    writer = ScriptedWriter([CONTINUATION])
    slot = ModelSlot(lambda: writer)
    pipeline = Pipeline(
        Models(real_parts.captioner, real_parts.reader, slot, backend="local"), PipelineConfig()
    )
    result = pipeline.run(render_dialog(tmp_path / "dialog.png"))
    assert result.description == CONTINUATION
    assert "Already said" not in writer.calls[0][0][-1].content

"""Follow-up questions: the session keeps facts and conversation and checks short answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.fault_server import fault_server, stream, words
from helpers.render import render_dialog
from helpers.samples import DIALOG, GOOD_EN
from helpers.scripted import ScriptedWriter
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ImageNotFound, WriterError, WriterUnavailable
from lookaloud.core.pipeline.result import Event, PhaseEvent, Result, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.retry import Backoff
from lookaloud.core.session import MAX_ANSWER_WORDS, Session, SessionOptions
from lookaloud.core.writers.local import LocalQwenWriter
from lookaloud.core.writers.openai_api import Endpoint
from lookaloud.core.writers.remote_vlm import RemoteVlmWriter

# Distinct made-up words, so only the length rule can object to it.
LONG_REPLY = " ".join(f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(130)) + "."
CANCEL_ANSWER = 'The button on the right reads "Cancel". It closes the dialog without saving.'


def session(lang: str = "en", **options: object) -> tuple[Session, list[float]]:
    slept: list[float] = []
    opts = SessionOptions(**options)  # type: ignore[arg-type]
    return Session(DIALOG, GOOD_EN, lang, options=opts, sleeper=slept.append), slept


def sentences(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, SentenceEvent)]


def test_messages_carry_facts_description_and_the_question_last() -> None:
    s, _ = session()
    chat = s.messages("What does the right button say?")
    assert [m.role for m in chat] == ["system", "user", "assistant", "user"]
    assert "<facts>" in chat[0].content and '"Cancel"' in chat[0].content
    assert chat[2].content == GOOD_EN
    assert chat[-1].content == "What does the right button say?"


def test_good_answer_is_streamed_sentence_by_sentence_and_remembered() -> None:
    s, _ = session()
    writer = ScriptedWriter([CANCEL_ANSWER, 'The title reads "Save changes?".'])
    events: list[Event] = []
    answer = s.ask("What does the right button say?", writer, on_event=events.append)
    assert sentences(events) == [
        'The button on the right reads "Cancel".',
        "It closes the dialog without saving.",
    ]
    assert answer.text == CANCEL_ANSWER and answer.attempts == 1 and not answer.fallback
    s.ask("And the title?", writer)
    second_chat = writer.calls[1][0]
    assert [m.content for m in second_chat[-3:]] == [
        "What does the right button say?",
        CANCEL_ANSWER,
        "And the title?",
    ]
    assert [t.question for t in s.turns] == ["What does the right button say?", "And the title?"]


def test_answers_are_short_and_literal() -> None:
    s, _ = session()
    writer = ScriptedWriter([CANCEL_ANSWER])
    s.ask("What does the right button say?", writer)
    params = writer.calls[0][1]
    assert params.max_new_tokens <= 240 and params.temperature <= 0.3


def test_refusal_is_rejected_before_it_is_spoken_and_retried() -> None:
    s, _ = session()
    writer = ScriptedWriter(["I cannot see images.", CANCEL_ANSWER])
    events: list[Event] = []
    answer = s.ask("What does the right button say?", writer, on_event=events.append)
    assert "I cannot see images." not in sentences(events)
    assert answer.attempts == 2 and answer.text == CANCEL_ANSWER
    assert answer.rejected[0].startswith("refusal")
    assert any(isinstance(e, RetryEvent) and e.rule == "refusal" for e in events)
    assert writer.calls[1][1].temperature == 0.0


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("The dialog was saved 42 times.", "invented_numbers"),
        ("...", "punctuation_only"),
        ("The dialog is grey. " * 60, "repetition"),
        (LONG_REPLY, "length"),
    ],
)
def test_bad_answers_fall_back_to_the_facts(reply: str, rule: str) -> None:
    assert len(LONG_REPLY.split()) > MAX_ANSWER_WORDS
    s, _ = session()
    answer = s.ask("What is in the dialog?", ScriptedWriter([reply]))
    assert answer.fallback and answer.attempts == 2
    assert any(r.startswith(rule) for r in answer.rejected), answer.rejected
    assert answer.text.startswith("No reliable answer could be written for that question.")
    assert '"Save changes?"' in answer.text  # the facts themselves, never silence


def test_a_busy_server_is_retried_after_its_retry_after() -> None:
    s, slept = session(max_attempts=3, backoff=Backoff(initial_s=1.0))
    busy = WriterUnavailable("The server is busy; try again.", retry_after=2.5)
    answer = s.ask("What does the right button say?", ScriptedWriter([busy, CANCEL_ANSWER]))
    assert slept == [2.5] and answer.text == CANCEL_ANSWER and answer.attempts == 2


def test_a_broken_writer_gives_the_facts_and_says_why() -> None:
    s, _ = session()
    broken = WriterError("The writing model failed while writing; try again.")
    answer = s.ask("What does the right button say?", ScriptedWriter([broken]))
    assert answer.fallback and answer.notices == (broken.message,)


def test_without_a_writer_the_facts_answer() -> None:
    s, _ = session()
    events: list[Event] = []
    answer = s.ask("What is this?", None, on_event=events.append)
    assert answer.fallback and answer.attempts == 0
    assert " ".join(sentences(events)) == answer.text


def test_cancel_stops_the_answer_and_forgets_the_question() -> None:
    s, _ = session()
    cancel = CancelToken()

    def cancel_on_first_sentence(event: Event) -> None:
        if isinstance(event, SentenceEvent):
            cancel.cancel()

    with pytest.raises(Cancelled):
        s.ask(
            "What does the right button say?",
            ScriptedWriter([CANCEL_ANSWER]),
            cancel=cancel,
            on_event=cancel_on_first_sentence,
        )
    assert s.turns == ()


def test_empty_question_is_a_programming_error() -> None:
    s, _ = session()
    with pytest.raises(ValueError, match="question"):
        s.ask("   ", ScriptedWriter([CANCEL_ANSWER]))


def test_chinese_session_answers_in_chinese() -> None:
    s, _ = session("zh")
    writer = ScriptedWriter(["右边的按钮上写着“Cancel”。"])
    answer = s.ask("右边的按钮写着什么？", writer)
    assert answer.text == "右边的按钮上写着“Cancel”。" and not answer.fallback
    assert "回答" in writer.calls[0][0][0].content


def test_only_described_images_have_a_session() -> None:
    failed = Result(image="x.png", ok=False, error=ImageNotFound("There is no file x.png."))
    assert Session.from_result(failed, "en") is None
    described = Result(image="d.png", ok=True, description=GOOD_EN, facts=DIALOG)
    made = Session.from_result(described, "en")
    assert made is not None and made.facts is DIALOG and made.description == GOOD_EN


def test_the_local_model_streams_an_answer(tiny_qwen_dir: Path) -> None:
    s, _ = session(seed=7)
    events: list[Event] = []
    answer = s.ask(
        "What does the right button say?",
        LocalQwenWriter(str(tiny_qwen_dir)),
        on_event=events.append,
    )
    # The tiny model writes random words: either its answer passed the checks and was streamed,
    # or every attempt was rejected and the facts were read; either way the model really ran.
    assert answer.attempts >= 1 and answer.text
    assert any(isinstance(e, PhaseEvent) for e in events)
    final = [
        e.text for e in events if isinstance(e, SentenceEvent) and e.attempt == answer.attempts
    ]
    assert " ".join(final) == answer.text


def vlm_question(source: Path | None, reply: str) -> tuple[list[dict[str, object]], str]:
    """Asks a session made from a cached answer (which keeps no picture) through a loopback
    vision-model server; the chat the server saw and the answer's text."""
    cached = Result(image="dialog.png", ok=True, description=GOOD_EN, facts=DIALOG, cached=True)
    chat = Session.from_result(cached, "en", source=source)
    assert chat is not None and chat.images == ()
    with fault_server([stream(words(reply))]) as server:
        answer = chat.ask(
            "What does the right button say?", RemoteVlmWriter(Endpoint(server.url, "m"))
        )
        requests = server.chat_requests()
    assert len(requests) == 1
    return list((requests[0].body or {})["messages"]), answer.text


def test_a_vision_model_is_shown_the_file_even_after_a_cached_answer(tmp_path: Path) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    messages, answer = vlm_question(image, CANCEL_ANSWER)
    assert answer == CANCEL_ANSWER
    content = messages[1]["content"]
    assert isinstance(content, list)
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_a_picture_gone_since_is_left_out_and_the_question_still_answered(tmp_path: Path) -> None:
    messages, answer = vlm_question(tmp_path / "deleted.png", CANCEL_ANSWER)
    assert answer == CANCEL_ANSWER
    assert isinstance(messages[1]["content"], str)  # text only: no picture part

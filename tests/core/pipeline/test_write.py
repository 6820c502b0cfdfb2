"""The three check layers around a writer, with scripted replies so each path is exact."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from helpers.samples import DIALOG, EN, GOOD_EN
from helpers.scripted import ScriptedWriter
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, WriterError, WriterTimeout, WriterUnavailable
from lookaloud.core.pipeline.config import WriteSettings
from lookaloud.core.pipeline.result import Event, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.retry import Backoff
from lookaloud.core.pipeline.write import WriteLoop, WriteOutcome

REFUSAL = "I'm sorry, but as an AI I cannot see images. Please describe it yourself."


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.sleeps: list[float] = []
        self.first_sentence_calls = 0

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def first(self) -> None:
        self.first_sentence_calls += 1

    @property
    def sentences(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, SentenceEvent)]

    @property
    def retries(self) -> list[RetryEvent]:
        return [e for e in self.events if isinstance(e, RetryEvent)]


def write(
    writer: ScriptedWriter | None,
    rec: Recorder,
    cancel: CancelToken | None = None,
    attempts: int = 3,
) -> WriteOutcome:
    loop = WriteLoop(
        writer,
        EN,
        WriteSettings(max_attempts=attempts),
        clock=lambda: 0.0,
        sleeper=rec.sleep,
        backoff=Backoff(),
    )
    return loop.run(cancel or CancelToken(), rec, rec.first)


def test_good_first_attempt_is_spoken_sentence_by_sentence() -> None:
    rec = Recorder()
    outcome = write(ScriptedWriter([GOOD_EN]), rec)
    assert outcome.attempts == 1 and not outcome.fallback
    assert outcome.quality is not None and outcome.quality.total >= 0.8
    assert rec.sentences[0] == "A dialog box asks whether to save changes to a document."
    assert len(rec.sentences) == 5 and rec.first_sentence_calls == 1


def test_refusal_is_stopped_before_it_is_spoken_and_retried_with_the_simple_prompt() -> None:
    rec, writer = Recorder(), ScriptedWriter([REFUSAL, GOOD_EN])
    outcome = write(writer, rec)
    assert outcome.attempts == 2 and not outcome.fallback
    assert not any("sorry" in s for s in rec.sentences)
    assert [r.rule for r in rec.retries] == ["refusal"]
    first_system, retry_system = (call[0][0].content for call in writer.calls)
    assert len(retry_system) < len(first_system)
    assert writer.calls[1][1].temperature < writer.calls[0][1].temperature
    assert outcome.rejected[0].startswith("refusal:")


def test_every_attempt_bad_falls_back_to_the_facts() -> None:
    rec, writer = Recorder(), ScriptedWriter([REFUSAL])
    outcome = write(writer, rec)
    assert len(writer.calls) == 3 and outcome.attempts == 3
    assert outcome.fallback and outcome.description.startswith("Automatic description unavailable")
    assert rec.sentences[0] == "Automatic description unavailable; these are the facts found."
    assert len(outcome.rejected) == 3


def test_low_quality_text_is_rejected_by_the_score() -> None:
    off_topic = (
        "A sunny beach stretches along the coast at the top of the view. Waves roll onto white "
        "sand near the centre. A green palm tree stands on the left side. Blue sky fills the "
        "upper part and a red boat floats on the right."
    )
    rec = Recorder()
    outcome = write(ScriptedWriter([off_topic, GOOD_EN]), rec)
    assert [r.rule for r in rec.retries] == ["quality"] and outcome.attempts == 2


def test_the_end_of_a_draft_waits_for_the_checks_of_the_whole_text() -> None:
    # Off topic: every sentence passes its own rules, the whole fails the score. The sentences
    # finished while streaming were said; the last one (flushed at the end) never reached
    # the user, and neither did an unfinished one.
    off_topic = (
        "A sunny beach stretches along the coast at the top of the view. Waves roll onto white "
        "sand near the centre. A red boat floats on the right and"
    )
    rec = Recorder()
    outcome = write(ScriptedWriter([off_topic, GOOD_EN]), rec)
    assert [r.rule for r in rec.retries] == ["quality"] and outcome.attempts == 2
    assert not any("boat" in sentence for sentence in rec.sentences)
    assert rec.sentences[-1] == GOOD_EN.split(". ")[-1]  # an accepted text is said to its end


def test_transient_errors_back_off_honouring_retry_after() -> None:
    rec = Recorder()
    writer = ScriptedWriter(
        [WriterUnavailable("busy", retry_after=2), WriterTimeout("slow"), GOOD_EN]
    )
    outcome = write(writer, rec)
    assert outcome.attempts == 3 and not outcome.fallback
    assert rec.sleeps == [2, 1.5]


def test_permanent_writer_error_falls_back_at_once_and_says_why() -> None:
    rec, writer = Recorder(), ScriptedWriter([WriterError("The server refused the API key.")])
    outcome = write(writer, rec)
    assert len(writer.calls) == 1 and outcome.fallback
    assert outcome.notices == ("The server refused the API key.",)


def test_no_writer_means_facts_only_without_attempts() -> None:
    rec = Recorder()
    outcome = write(None, rec)
    assert outcome.fallback and outcome.attempts == 0 and rec.sentences


def test_runaway_loop_is_cut_before_the_token_budget() -> None:
    def endless() -> Iterator[str]:
        yield "A dialog"
        yield from itertools.repeat(" and a button")

    rec, writer = Recorder(), ScriptedWriter([endless(), GOOD_EN])
    outcome = write(writer, rec)
    assert rec.retries[0].rule == "repetition" and outcome.attempts == 2
    assert writer.cancel_tokens[0].cancelled


def test_cancel_during_streaming_raises_cancelled() -> None:
    cancel = CancelToken()

    def cancelled_midway() -> Iterator[str]:
        yield "A dialog box asks whether to save. "
        cancel.cancel()
        yield "More text."

    with pytest.raises(Cancelled):
        write(ScriptedWriter([cancelled_midway()]), Recorder(), cancel)


def test_scripted_facts_are_the_dialog() -> None:
    # Guards the sample data the tests above rely on.
    assert DIALOG.text_lines[0].text == "Save changes?"

"""Attempts, checks and retries around the writer — the three layers of DESIGN.md.

L1: transient writer errors (timeouts, lost connections, 429/5xx) are retried with backoff and
the same prompt. L2: rules reject an output; per-sentence rules stop an attempt before its bad
sentence is spoken. L3: a quality score below the threshold rejects an output. A rejected
attempt is retried with the simpler prompt; when every attempt fails, the facts-only
description is used, so the user always hears something true.

A remote writer that fails for good (an error that is not transient, or transient errors until
the last attempt) hands over to the fallback writer — the local model — when one is given and
can be loaded; otherwise the facts are read. A notice says which happened, and
``WriteOutcome.written_by`` records who wrote the text. A writer that sees images (a remote
vision-language model) is given the image with the prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.checks.rules import CheckContext, Violation, check_output, check_sentence
from lookaloud.core.checks.score import QualityScore, score
from lookaloud.core.errors import Cancelled, WriterError
from lookaloud.core.events import EventSink, Phase, PhaseEvent, RetryEvent, SentenceEvent
from lookaloud.core.fallback import facts_only_description
from lookaloud.core.prompts import build_messages, templates, token_budget
from lookaloud.core.retry import Backoff, Clock, Sleeper, is_transient, retry_after_of
from lookaloud.core.sentences import SentenceSplitter, split_sentences
from lookaloud.core.writers.base import GenerationParams, ImagePart, ImageWriter, Writer

if TYPE_CHECKING:
    from lookaloud.core.pipeline import PipelineConfig

log = logging.getLogger(__name__)

# Retries are more literal: a lower temperature keeps a small model on the facts.
RETRY_TEMPERATURE = 0.3
# While a sentence is still open, look for a runaway loop every this many characters.
LOOP_CHECK_CHARS = 240
# The rule name of a RetryEvent for a lost connection or a timeout (L1), not a rejected text.
CONNECTION_RULE = "connection"
FACTS = "facts"

# Gives the writer to use when the main one failed for good; None when there is none.
FallbackWriter = Callable[[], "Writer | None"]


@dataclass(frozen=True)
class WriteOutcome:
    description: str
    attempts: int = 0
    fallback: bool = False
    quality: QualityScore | None = None
    rejected: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    written_by: str = ""  # the backend that wrote it, or "facts" for the facts-only fallback
    images: tuple[ImagePart, ...] = ()  # what the writer was shown, for follow-up questions


@dataclass
class _Attempt:
    number: int
    simple: bool
    sentences: list[str] = field(default_factory=list)
    violation: Violation | None = None


class _RejectedError(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.reason)
        self.violation = violation


class WriteLoop:
    def __init__(
        self,
        writer: Writer | None,
        ctx: CheckContext,
        config: PipelineConfig,
        *,
        clock: Clock,
        sleeper: Sleeper | None,
        backoff: Backoff,
        image: Image.Image | None = None,
        fallback_writer: FallbackWriter | None = None,
    ) -> None:
        self._writer = writer
        self._ctx = ctx
        self._config = config
        self._clock = clock
        self._sleeper = sleeper
        self._backoff = backoff
        self._image = image
        self._fallback_writer = fallback_writer
        self._rejected: list[str] = []
        self._notices: list[str] = []
        self._spoke = False
        self._made = 0  # attempts made so far, by every writer
        self._failure: WriterError | None = None
        self._part: ImagePart | None = None

    def run(
        self, cancel: CancelToken, emit: EventSink, on_first_sentence: Callable[[], None]
    ) -> WriteOutcome:
        self._emit = emit
        self._on_first_sentence = on_first_sentence
        if self._writer is None:
            return self._fallback(0)
        emit(PhaseEvent(Phase.DESCRIBING))
        outcome = self._attempts(self._writer, cancel)
        return outcome if outcome is not None else self._writer_failed(cancel)

    def _attempts(self, writer: Writer, cancel: CancelToken) -> WriteOutcome | None:
        """The accepted outcome, the facts after rejected texts, or None if the writer failed."""
        simple, transient_retries = False, 0
        for number in range(1, self._config.max_attempts + 1):
            self._made += 1
            attempt = _Attempt(self._made, simple)
            try:
                outcome = self._attempt(writer, attempt, cancel)
            except WriterError as exc:
                if not is_transient(exc) or number == self._config.max_attempts:
                    self._failure = exc
                    return None
                transient_retries += 1
                self._emit(RetryEvent(attempt.number, CONNECTION_RULE, exc.message))
                self._wait(self._backoff.delay(transient_retries, retry_after_of(exc)), cancel)
                continue
            if outcome is not None:
                return replace(outcome, written_by=writer.backend, images=self._shown(writer))
            simple = True
        return self._fallback(self._made)

    def _writer_failed(self, cancel: CancelToken) -> WriteOutcome:
        """After the writer failed for good: the fallback writer if there is one, else the facts."""
        assert self._failure is not None
        self._notices.append(self._failure.message)
        if self._fallback_writer is None:
            return self._fallback(self._made)
        spoken = templates(self._ctx.lang).section("spoken")
        local = self._fallback_writer()
        if local is None:
            self._notices.append(spoken["writer_failed_facts"])
            return self._fallback(self._made)
        self._fallback_writer, self._failure = None, None
        outcome = self._attempts(local, cancel)
        if outcome is None:
            return self._writer_failed(cancel)
        said = "writer_failed_local" if outcome.written_by != FACTS else "writer_failed_rejected"
        return replace(outcome, notices=(*outcome.notices, spoken[said]))

    def _wait(self, seconds: float, cancel: CancelToken) -> None:
        if self._sleeper is not None:
            self._sleeper(seconds)
        elif cancel.wait(seconds):
            raise Cancelled()

    def _attempt(
        self, writer: Writer, attempt: _Attempt, cancel: CancelToken
    ) -> WriteOutcome | None:
        """One writer call; the outcome when accepted, None when rejected."""
        attempt_cancel = cancel.child()
        try:
            text = self._stream(writer, attempt, attempt_cancel)
        except _RejectedError as rejected:
            attempt_cancel.cancel()
            cancel.raise_if_cancelled()
            self._reject(attempt, rejected.violation)
            return None
        return self._judge(text, attempt)

    def _stream(self, writer: Writer, attempt: _Attempt, cancel: CancelToken) -> str:
        splitter, text = SentenceSplitter(), ""
        for piece in self._pieces(writer, attempt, cancel):
            text += piece
            for sentence in splitter.feed(piece):
                self._release(sentence, attempt)
            self._check_runaway(text, attempt)
        for sentence in splitter.flush():
            self._release(sentence, attempt)
        return text

    def _pieces(self, writer: Writer, attempt: _Attempt, cancel: CancelToken) -> Iterator[str]:
        messages = build_messages(
            self._ctx.facts,
            self._ctx.lang,
            self._ctx.detail,
            simple=attempt.simple,
            image=self._image_part(writer),
        )
        return writer.stream(messages, self._params(attempt), cancel)

    def _image_part(self, writer: Writer) -> ImagePart | None:
        """The encoded image for a writer that sees images, made once per image."""
        if self._image is None or not isinstance(writer, ImageWriter):
            return None
        if self._part is None:
            self._part = writer.prepare_image(self._image)
        return self._part

    def _shown(self, writer: Writer) -> tuple[ImagePart, ...]:
        part = self._image_part(writer)
        return (part,) if part is not None else ()

    def _params(self, attempt: _Attempt) -> GenerationParams:
        budget = self._config.max_new_tokens or token_budget(self._ctx.detail, self._ctx.lang)
        temperature = RETRY_TEMPERATURE if attempt.simple else self._config.temperature
        return GenerationParams(
            max_new_tokens=budget, temperature=temperature, seed=self._config.seed
        )

    def _release(self, sentence: str, attempt: _Attempt) -> None:
        """Speak a finished sentence unless a per-sentence rule rejects it (and the attempt)."""
        violation = check_sentence(sentence, self._ctx)
        if violation is not None:
            raise _RejectedError(violation)
        attempt.sentences.append(sentence)
        if not self._spoke:
            self._spoke = True
            self._on_first_sentence()
        self._emit(SentenceEvent(sentence, attempt.number))

    def _check_runaway(self, text: str, attempt: _Attempt) -> None:
        # A model stuck in a loop may never end a sentence; catch it before max_new_tokens.
        if len(text) // LOOP_CHECK_CHARS != (len(text) - 1) // LOOP_CHECK_CHARS:
            for violation in check_output(text, self._ctx):
                if violation.rule == "repetition":
                    raise _RejectedError(violation)

    def _judge(self, text: str, attempt: _Attempt) -> WriteOutcome | None:
        self._emit(PhaseEvent(Phase.CHECKING))
        description = (
            " ".join(attempt.sentences) if self._ctx.lang == "en" else "".join(attempt.sentences)
        )
        violations = check_output(description, self._ctx)
        if violations:
            self._reject(attempt, violations[0])
            return None
        quality = score(description, self._ctx.facts, self._ctx.lang)
        if quality.total < self._config.min_quality:
            reason = f"the quality score {quality.total:.2f} is below {self._config.min_quality}"
            self._reject(attempt, Violation("quality", reason))
            return None
        return WriteOutcome(
            description,
            attempt.number,
            quality=quality,
            rejected=tuple(self._rejected),
            notices=tuple(self._notices),
        )

    def _reject(self, attempt: _Attempt, violation: Violation) -> None:
        log.info("attempt %d rejected: %s", attempt.number, violation.reason)
        self._rejected.append(f"{violation.rule}: {violation.reason}")
        self._emit(RetryEvent(attempt.number, violation.rule, violation.reason))

    def _fallback(self, attempts: int) -> WriteOutcome:
        description = facts_only_description(self._ctx.facts, self._ctx.lang)
        for sentence in split_sentences(description):
            if not self._spoke:
                self._spoke = True
                self._on_first_sentence()
            self._emit(SentenceEvent(sentence, attempt=attempts))
        return WriteOutcome(
            description,
            attempts,
            fallback=True,
            rejected=tuple(self._rejected),
            notices=tuple(self._notices),
            written_by=FACTS,
        )

"""Stage 5, write: the writer's attempts at a description, checked (stage 6) and retried.

The attempts run in the one attempt loop of :mod:`.attempts`, under the description's policy.
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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import WriterError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.attempts import (
    CONNECTION_RULE,
    Accepted,
    AttemptLoop,
    AttemptPolicy,
    Judgement,
)
from lookaloud.core.pipeline.check.rules import (
    CheckContext,
    Violation,
    check_output,
    check_sentence,
)
from lookaloud.core.pipeline.check.score import QualityScore, score
from lookaloud.core.pipeline.config import WriteSettings
from lookaloud.core.pipeline.fallback import facts_only_description
from lookaloud.core.pipeline.opening import Opening
from lookaloud.core.pipeline.prompt import build_messages, templates, token_budget
from lookaloud.core.pipeline.result import EventSink, Phase, PhaseEvent
from lookaloud.core.pipeline.retry import Backoff, Clock, Sleeper
from lookaloud.core.pipeline.sentences import join_sentences, split_sentences
from lookaloud.core.writers.base import (
    ChatMessage,
    GenerationParams,
    ImagePart,
    ImageWriter,
    Writer,
    engine_of,
)

__all__ = ["CONNECTION_RULE", "FACTS", "WriteLoop", "WriteOutcome"]

# Retries are more literal: a lower temperature keeps a small model on the facts.
RETRY_TEMPERATURE = 0.3
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
    engine: str = ""  # what ran the local writer that wrote it (see writers.base.engine_of)
    images: tuple[ImagePart, ...] = ()  # what the writer was shown, for follow-up questions
    # The chat with a writer that sees images, its accepted answer last: a follow-up question
    # carries it on, so a local vision model reads only the question (see writers.local_vlm).
    chat: tuple[ChatMessage, ...] = ()


class WriteLoop:
    def __init__(
        self,
        writer: Writer | None,
        ctx: CheckContext,
        settings: WriteSettings,
        *,
        clock: Clock,
        sleeper: Sleeper | None,
        backoff: Backoff,
        image: Image.Image | None = None,
        fallback_writer: FallbackWriter | None = None,
        opening: Opening | None = None,
    ) -> None:
        """``opening`` is the first sentence, already spoken from the facts: the writer is told
        so and carries on, and the description begins with it."""
        self._writer = writer
        self._opening = opening
        self._ctx = ctx
        self._settings = settings
        self._clock = clock
        self._sleeper = sleeper
        self._backoff = backoff
        self._image = image
        self._fallback_writer = fallback_writer
        self._notices: list[str] = []
        self._part: ImagePart | None = None
        self._asked: Sequence[ChatMessage] = ()

    def run(
        self, cancel: CancelToken, emit: EventSink, on_first_sentence: Callable[[], None]
    ) -> WriteOutcome:
        self._loop = AttemptLoop(
            self._policy(),
            emit,
            cancel,
            self._backoff,
            self._sleeper,
            on_first_sentence=on_first_sentence,
            spoke=self._opening is not None,
        )
        if self._writer is None:
            return self._fallback()
        emit(PhaseEvent(Phase.DESCRIBING))
        return self._written_by(self._writer)

    def _written_by(self, writer: Writer) -> WriteOutcome:
        """The writer's accepted description; after it failed for good, the fallback writer's
        if there is one; the facts after rejected texts."""
        ended = self._loop.run(writer)
        if isinstance(ended, Accepted):
            return self._accepted(ended, writer)
        if ended is None:
            return self._fallback()
        return self._writer_failed(ended)

    def _writer_failed(self, failure: WriterError) -> WriteOutcome:
        self._notices.append(failure.message)
        if self._fallback_writer is None:
            return self._fallback()
        spoken = templates(self._ctx.lang).section("spoken")
        local, self._fallback_writer = self._fallback_writer(), None
        if local is None:
            self._notices.append(spoken["writer_failed_facts"])
            return self._fallback()
        ended = self._loop.run(local)
        if isinstance(ended, WriterError):  # the local writer failed too: the facts
            self._notices.append(ended.message)
            return self._fallback()
        if ended is None:
            outcome, said = self._fallback(), "writer_failed_rejected"
        else:
            outcome, said = self._accepted(ended, local), "writer_failed_local"
        return replace(outcome, notices=(*outcome.notices, spoken[said]))

    def _policy(self) -> AttemptPolicy:
        return AttemptPolicy(
            max_attempts=self._settings.max_attempts,
            lang=self._ctx.lang,
            messages=self._messages,
            params=self._params,
            check_sentence=lambda sentence: check_sentence(sentence, self._ctx),
            judge=self._judge,
            runaway=self._runaway,
        )

    def _messages(self, writer: Writer, simple: bool) -> Sequence[ChatMessage]:
        self._asked = build_messages(
            self._ctx.facts,
            self._ctx.lang,
            self._ctx.detail,
            simple=simple,
            image=self._image_part(writer),
            heard=self._opening.text if self._opening else "",
        )
        return self._asked

    def _image_part(self, writer: Writer) -> ImagePart | None:
        """The encoded image for a writer that sees images, made once per image."""
        if self._image is None or not isinstance(writer, ImageWriter):
            return None
        if self._part is None:
            self._part = writer.prepare_image(self._image, self._ctx.detail)
        return self._part

    def _params(self, number: int, simple: bool) -> GenerationParams:
        settings = self._settings
        budget = settings.max_new_tokens or token_budget(self._ctx.detail, self._ctx.lang)
        temperature = RETRY_TEMPERATURE if simple else settings.temperature
        return GenerationParams(max_new_tokens=budget, temperature=temperature, seed=settings.seed)

    def _runaway(self, text: str) -> Violation | None:
        loops = [v for v in check_output(text, self._ctx) if v.rule == "repetition"]
        return loops[0] if loops else None

    def _judge(self, written: str) -> Judgement:
        """The rules judge what the writer wrote; the score, what the user hears in the end
        (the first sentence already covers some of the facts)."""
        violations = check_output(written, self._ctx)
        if violations:
            return Judgement(violations[0])
        quality = score(self._after_opening(written), self._ctx.facts, self._ctx.lang)
        if quality.total < self._settings.min_quality:
            reason = tr(
                "the quality score {total:.2f} is below {min_quality}",
                total=quality.total,
                min_quality=self._settings.min_quality,
            )
            return Judgement(Violation("quality", reason), quality)
        return Judgement(quality=quality)

    def _accepted(self, accepted: Accepted, writer: Writer) -> WriteOutcome:
        part = self._image_part(writer)
        return WriteOutcome(
            self._after_opening(accepted.text),
            accepted.attempt,
            quality=accepted.quality,
            rejected=tuple(self._loop.rejected),
            notices=self._all_notices(),
            written_by=writer.backend,
            engine=engine_of(writer),
            images=(part,) if part is not None else (),
            # The accepted text answered the last chat built (attempts run one after another).
            chat=(*self._asked, ChatMessage("assistant", accepted.text)) if part else (),
        )

    def _all_notices(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self._notices, *self._loop.notices]))

    def _after_opening(self, text: str) -> str:
        if self._opening is None:
            return text
        return join_sentences([self._opening.text, text], self._ctx.lang)

    def _fallback(self) -> WriteOutcome:
        facts = facts_only_description(self._ctx.facts, self._ctx.lang, heard=self._opening)
        for sentence in split_sentences(facts):
            self._loop.say(sentence, self._loop.made)
        return WriteOutcome(
            self._after_opening(facts),
            self._loop.made,
            fallback=True,
            rejected=tuple(self._loop.rejected),
            notices=self._all_notices(),
            written_by=FACTS,
            # A follow-up question is still about the picture the writer was shown.
            images=(self._part,) if self._part is not None else (),
        )

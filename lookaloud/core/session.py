"""Follow-up questions about the image just described, without running perception again.

A :class:`Session` keeps what the pipeline found (the facts), the description the user heard,
and the questions and answers since. ``ask`` sends all of it to any :class:`Writer` — the local
model or a remote server — and streams the answer sentence by sentence, checked like a
description but with the rules that suit a short answer: no empty or punctuation-only reply,
no leftover tags, placeholders, refusals, broken characters, wrong language, invented numbers
or loops, and no essay. L1 errors (timeouts, 429/5xx) are retried with backoff; a rejected
answer is retried once more literally; when nothing passes, the user hears that no reliable
answer could be written, followed by the facts themselves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.attempts import Accepted, AttemptLoop, AttemptPolicy, Judgement
from lookaloud.core.pipeline.check.rules import RULES, CheckContext, Violation, check_sentence
from lookaloud.core.pipeline.check.text import length_units
from lookaloud.core.pipeline.facts import Detail, Facts
from lookaloud.core.pipeline.fallback import facts_only_description
from lookaloud.core.pipeline.load import load_image
from lookaloud.core.pipeline.prompt import facts_block, templates
from lookaloud.core.pipeline.result import (
    EventSink,
    Phase,
    PhaseEvent,
    Result,
    ignore_events,
)
from lookaloud.core.pipeline.retry import Backoff, Clock, Sleeper
from lookaloud.core.pipeline.sentences import join_sentences, split_sentences
from lookaloud.core.writers.base import (
    ChatMessage,
    GenerationParams,
    ImagePart,
    ImageWriter,
    Writer,
)

# Rules from the description checks that also make sense for a one-to-three-sentence answer;
# "length" is left out because its limits are for descriptions (see MAX_ANSWER_WORDS).
ANSWER_RULES = frozenset(
    {
        "empty",
        "punctuation_only",
        "leftover_tags",
        "placeholder",
        "refusal",
        "garbled",
        "wrong_language",
        "invented_numbers",
        "repetition",
    }
)
MAX_ANSWER_WORDS = 120  # English-word equivalents; an answer longer than this is an essay
ANSWER_TOKENS = {"en": 160, "zh": 240}
ANSWER_TEMPERATURE = 0.3  # answers should stay literal: a low temperature keeps to the facts
KEPT_TURNS = 4  # earlier questions sent along; small models lose the thread in long chats
DEFAULT_ATTEMPTS = 2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    attempts: int
    fallback: bool = False
    rejected: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionOptions:
    max_attempts: int = DEFAULT_ATTEMPTS
    seed: int | None = None
    backoff: Backoff = field(default_factory=Backoff)


class Session:
    """The last image's facts, its description and the conversation about it."""

    def __init__(
        self,
        facts: Facts,
        description: str,
        lang: str,
        *,
        options: SessionOptions | None = None,
        clock: Clock = time.perf_counter,
        sleeper: Sleeper | None = None,
        images: tuple[ImagePart, ...] = (),
        source: Path | None = None,
        chat: tuple[ChatMessage, ...] = (),
    ) -> None:
        self.facts = facts
        self.description = description
        self.lang = lang
        # The picture a remote vision model was shown; it is sent again with every question.
        self.images = images
        # The file described, so a vision model asked about an answer that came from the cache
        # (which keeps no picture) is still shown it.
        self._source = source
        # The chat in which a writer that sees images described the picture (see messages).
        self.chat = chat
        self._options = options or SessionOptions()
        self._clock = clock
        self._sleeper = sleeper
        self._turns: list[Turn] = []

    @classmethod
    def from_result(
        cls,
        result: Result,
        lang: str,
        options: SessionOptions | None = None,
        source: Path | None = None,
    ) -> Session | None:
        """A session for a described image; None for a failed one (nothing to ask about).

        ``source`` is the file the result describes, when there is one.
        """
        if not result.ok or result.facts is None:
            return None
        return cls(
            result.facts,
            result.description,
            lang,
            options=options,
            images=result.images,
            source=source,
            chat=result.chat,
        )

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    def messages(self, question: str) -> list[ChatMessage]:
        """The chat sent to the writer: the facts, the description, recent turns, the question.

        After a writer that saw the picture, its own chat is carried on instead, each question
        a user turn that restates the answering rules: the picture and the facts stay where
        the writer read them, so a local vision model answers from the state it kept and reads
        only the question (a remote server with a prefix cache gains the same way).
        """
        if self.chat:
            return self._carried_on(question)
        section = templates(self.lang).section("followup")
        kind = templates(self.lang).section("kind")[self.facts.kind.value]
        chat = [
            ChatMessage("system", section["system"].strip().format(facts=self._facts_text())),
            ChatMessage("user", section["describe"].format(kind=kind), self.images),
            ChatMessage("assistant", self.description),
        ]
        for turn in self._turns[-KEPT_TURNS:]:
            chat += [ChatMessage("user", turn.question), ChatMessage("assistant", turn.answer)]
        return [*chat, ChatMessage("user", question)]

    def _carried_on(self, question: str) -> list[ChatMessage]:
        ask = templates(self.lang).section("followup")["ask"]
        chat = list(self.chat)
        for turn in self._turns[-KEPT_TURNS:]:
            asked = ask.format(question=turn.question)
            chat += [ChatMessage("user", asked), ChatMessage("assistant", turn.answer)]
        return [*chat, ChatMessage("user", ask.format(question=question))]

    def ask(
        self,
        question: str,
        writer: Writer | None,
        *,
        cancel: CancelToken | None = None,
        on_event: EventSink = ignore_events,
    ) -> Answer:
        """Answers ``question``, raising only Cancelled; with no writer, the facts answer."""
        question = question.strip()
        if not question:
            raise ValueError("ask() needs a question")
        self._show_picture_to(writer)
        loop = _AnswerLoop(self, question, cancel or CancelToken(), on_event)
        answer = loop.run(writer)
        self._turns.append(Turn(question, answer.text))
        on_event(PhaseEvent(Phase.DONE))
        return answer

    def _show_picture_to(self, writer: Writer | None) -> None:
        """Encodes the described file for a writer that sees images, if it has not seen it.

        A picture that can no longer be read is left out: the facts and the description still
        ground the answer.
        """
        if self.images or self._source is None or not isinstance(writer, ImageWriter):
            return
        try:
            loaded = load_image(self._source)
        except LookaloudError as exc:
            log.info("the picture for a follow-up question could not be read: %s", exc.message)
            return
        self.images = (writer.prepare_image(loaded.image),)

    def _facts_text(self) -> str:
        return facts_block(self.facts, self.lang)

    # Read by _AnswerLoop, which belongs to this module.
    @property
    def options(self) -> SessionOptions:
        return self._options

    @property
    def sleeper(self) -> Sleeper | None:
        return self._sleeper


class _AnswerLoop:
    """The attempts for one question, in the one attempt loop under the answers' policy."""

    def __init__(
        self, session: Session, question: str, cancel: CancelToken, emit: EventSink
    ) -> None:
        self._session = session
        self._question = question
        self._emit = emit
        self._ctx = CheckContext(session.facts, session.lang, Detail.BRIEF)
        options = session.options
        self._loop = AttemptLoop(self._policy(), emit, cancel, options.backoff, session.sleeper)

    def run(self, writer: Writer | None) -> Answer:
        if writer is None:
            return self._fallback(())
        self._emit(PhaseEvent(Phase.DESCRIBING))
        ended = self._loop.run(writer)
        if isinstance(ended, Accepted):
            return Answer(
                self._question,
                ended.text,
                ended.attempt,
                rejected=tuple(self._loop.rejected),
            )
        failure = (ended.message,) if ended is not None else ()
        return self._fallback(tuple(dict.fromkeys([*self._loop.notices, *failure])))

    def _policy(self) -> AttemptPolicy:
        return AttemptPolicy(
            max_attempts=self._session.options.max_attempts,
            lang=self._session.lang,
            messages=lambda _writer, _simple: self._session.messages(self._question),
            params=self._params,
            check_sentence=lambda sentence: check_sentence(sentence, self._ctx),
            judge=lambda text: Judgement(check_answer(text, self._ctx)),
        )

    def _params(self, number: int, simple: bool) -> GenerationParams:
        seed = self._session.options.seed
        return GenerationParams(
            max_new_tokens=ANSWER_TOKENS.get(self._session.lang, 160),
            temperature=ANSWER_TEMPERATURE if number == 1 else 0.0,
            seed=None if seed is None else seed + number,
        )

    def _fallback(self, notices: tuple[str, ...]) -> Answer:
        lang = self._session.lang
        intro = templates(lang).section("followup")["fallback"]
        facts = facts_only_description(self._session.facts, lang)
        for sentence in [intro, *split_sentences(facts)]:
            self._loop.say(sentence, self._loop.made)
        return Answer(
            self._question,
            join_sentences([intro, facts], lang),
            self._loop.made,
            fallback=True,
            rejected=tuple(self._loop.rejected),
            notices=notices,
        )


def check_answer(text: str, ctx: CheckContext) -> Violation | None:
    """The first short-answer rule ``text`` breaks, or None when it may be given to the user."""
    for rule in RULES:
        if rule.name in ANSWER_RULES and (reason := rule.check(text, ctx)):
            return Violation(rule.name, reason)
    words = length_units(text)
    if words > MAX_ANSWER_WORDS:
        return Violation(
            "length",
            tr(
                "the answer is far too long for a reply ({words:.0f} words)",
                words=words,
            ),
        )
    return None

"""The one attempt loop: L1 retries with backoff, L2 rules per sentence and on the whole, L3 judge.

Descriptions (:mod:`.write`) and follow-up answers (:mod:`lookaloud.core.session`) both run it;
what differs between them is an :class:`AttemptPolicy`: the chat to send, the generation
parameters of each try, the rules a sentence and the whole text must pass. A sentence reaches
the event sink only after it has passed the sentence rules, so nothing unchecked is spoken.

``run`` ends in one of three ways: an :class:`Accepted` text; the :class:`WriterError` that made
the writer give up (not transient, or transient on the last try), for the caller to hand over
to another writer; or None when every try was rejected, for the caller to read the facts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, WriterError, WriterReasoningOnly
from lookaloud.core.pipeline.check.rules import Violation
from lookaloud.core.pipeline.check.score import QualityScore
from lookaloud.core.pipeline.result import EventSink, Phase, PhaseEvent, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.retry import Backoff, Sleeper, is_transient, retry_after_of
from lookaloud.core.pipeline.sentences import SentenceSplitter, join_sentences
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer

log = logging.getLogger(__name__)

# The rule name of a RetryEvent for a lost connection or a timeout (L1), not a rejected text.
CONNECTION_RULE = "connection"
# While a sentence is still open, look for a runaway loop every this many characters.
LOOP_CHECK_CHARS = 240
# The rule of a reply that was all reasoning (a <think> block, or reasoning_content only).
THINK_ONLY_RULE = "think_only"
# After such a reply, the next try also says so in words: Qwen3 and its kind switch thinking
# off for a turn that ends with this, even where the server ignores enable_thinking.
NO_THINK_HINT = " /no_think"


@dataclass(frozen=True)
class Judgement:
    """What the checks of a whole text found: the first rule it broke, and its quality score."""

    violation: Violation | None = None
    quality: QualityScore | None = None


@dataclass(frozen=True)
class AttemptPolicy:
    """What one kind of writing asks of its attempts."""

    max_attempts: int
    lang: str
    # The chat for a writer; ``simple`` after a rejected try (a more literal prompt).
    messages: Callable[[Writer, bool], Sequence[ChatMessage]]
    # The generation parameters of a writer's try ``number`` (1, 2, …) and ``simple``.
    params: Callable[[int, bool], GenerationParams]
    check_sentence: Callable[[str], Violation | None]
    judge: Callable[[str], Judgement]
    # A runaway loop in the text so far (checked while a sentence is still open), or None.
    runaway: Callable[[str], Violation | None] = lambda _text: None


@dataclass(frozen=True)
class Accepted:
    text: str
    attempt: int  # its number among all tries of this loop, every writer counted
    quality: QualityScore | None = None


class _RejectedError(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.reason)
        self.violation = violation


@dataclass
class AttemptLoop:
    """The attempts for one text, possibly with several writers one after the other."""

    policy: AttemptPolicy
    emit: EventSink
    cancel: CancelToken
    backoff: Backoff
    sleeper: Sleeper | None = None
    on_first_sentence: Callable[[], None] = lambda: None
    rejected: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # for the user, once each
    made: int = 0  # tries so far, by every writer
    spoke: bool = False
    no_think: bool = False  # a reply was all reasoning: ask more firmly
    # The end of a reply (what the splitter flushes: an unfinished or last sentence) waits for
    # the checks of the whole text, so a draft they turn down has not been said in full.
    held: list[str] = field(default_factory=list)

    def run(self, writer: Writer) -> Accepted | WriterError | None:
        simple, transient_retries = False, 0
        for number in range(1, self.policy.max_attempts + 1):
            self.made += 1
            try:
                accepted = self._attempt(writer, number, simple)
            except WriterError as exc:
                if not is_transient(exc) or number == self.policy.max_attempts:
                    return exc
                transient_retries += 1
                self.emit(RetryEvent(self.made, CONNECTION_RULE, exc.message))
                self._wait(self.backoff.delay(transient_retries, retry_after_of(exc)))
                continue
            if accepted is not None:
                return accepted
            simple = True
        return None

    def say(self, sentence: str, attempt: int) -> None:
        """Hands a checked sentence (or one of the facts) to the user."""
        if not self.spoke:
            self.spoke = True
            self.on_first_sentence()
        self.emit(SentenceEvent(sentence, attempt))

    def _wait(self, seconds: float) -> None:
        if self.sleeper is not None:
            self.sleeper(seconds)
        elif self.cancel.wait(seconds):
            raise Cancelled()

    def _attempt(self, writer: Writer, number: int, simple: bool) -> Accepted | None:
        """One writer call; the accepted text, or None when it was rejected."""
        attempt_cancel = self.cancel.child()
        self.held = []
        try:
            sentences = list(self._checked_sentences(writer, number, simple, attempt_cancel))
        except _RejectedError as rejected:
            attempt_cancel.cancel()
            self.cancel.raise_if_cancelled()
            self._reject(rejected.violation)
            return None
        except WriterReasoningOnly as exc:  # L2 like any other bad reply, not a broken server
            self.no_think = True
            if exc.message not in self.notices:
                self.notices.append(exc.message)
            self._reject(Violation(THINK_ONLY_RULE, exc.message))
            return None
        return self._judge(sentences)

    def _checked_sentences(
        self, writer: Writer, number: int, simple: bool, cancel: CancelToken
    ) -> Iterator[str]:
        """Each sentence as soon as it is complete and has passed the sentence rules."""
        splitter, text = SentenceSplitter(), ""
        messages = list(self.policy.messages(writer, simple))
        if self.no_think and messages and messages[-1].role == "user":
            last = messages[-1]
            messages[-1] = replace(last, content=last.content + NO_THINK_HINT)
        for piece in writer.stream(messages, self.policy.params(number, simple), cancel):
            text += piece
            for sentence in splitter.feed(piece):
                yield self._released(sentence)
            self._check_runaway(text)
        for sentence in splitter.flush():
            yield self._released(sentence, hold=True)

    def _released(self, sentence: str, *, hold: bool = False) -> str:
        violation = self.policy.check_sentence(sentence)
        if violation is not None:
            raise _RejectedError(violation)
        if hold:
            self.held.append(sentence)
        else:
            self.say(sentence, self.made)
        return sentence

    def _check_runaway(self, text: str) -> None:
        # A model stuck in a loop may never end a sentence; catch it before max_new_tokens.
        if len(text) // LOOP_CHECK_CHARS != (len(text) - 1) // LOOP_CHECK_CHARS:
            violation = self.policy.runaway(text)
            if violation is not None:
                raise _RejectedError(violation)

    def _judge(self, sentences: list[str]) -> Accepted | None:
        self.emit(PhaseEvent(Phase.CHECKING))
        text = join_sentences(sentences, self.policy.lang)
        judgement = self.policy.judge(text)
        held, self.held = self.held, []
        if judgement.violation is not None:
            self._reject(judgement.violation)
            return None
        for sentence in held:
            self.say(sentence, self.made)
        return Accepted(text, self.made, judgement.quality)

    def _reject(self, violation: Violation) -> None:
        log.info("attempt %d rejected: %s", self.made, violation.reason)
        self.rejected.append(f"{violation.rule}: {violation.reason}")
        self.emit(RetryEvent(self.made, violation.rule, violation.reason))

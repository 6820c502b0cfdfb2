"""A time budget for each phase of describing one image.

A picture that makes OCR crawl, a model that writes forever, a server that drips a token a
minute: each would hold up every image after it. The watchdog restarts a timer at every phase
change; when a phase outlives its budget it cancels that image's own cancel token (never the
caller's), the phase stops at its next check, and the pipeline reports a PhaseTimeout for that
image and goes on with the next. Loading the models is not timed: it happens once per run, and a
slow disk is not a hung image.

Cancellation is cooperative: the writers stop within a token, the remote writers within their
read timeout; OCR and captioning stop when their current call returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import PhaseTimeout
from lookaloud.core.i18n import N_, tr
from lookaloud.core.pipeline.result import Event, Phase, PhaseEvent

# What each phase is called in the sentence that reports it (English; translated there).
PHASE_NAMES = {
    Phase.LOADING_IMAGE: N_("loading the picture", "a phase of describing"),
    Phase.CAPTIONING: N_("looking at the picture", "a phase of describing"),
    Phase.READING_TEXT: N_("reading the text", "a phase of describing"),
    Phase.DESCRIBING: N_("writing the description", "a phase of describing"),
    Phase.CHECKING: N_("checking the description", "a phase of describing"),
}
UNTIMED = frozenset({Phase.LOADING_MODELS, Phase.DONE})


class Timer(Protocol):
    def start(self) -> None: ...

    def cancel(self) -> None: ...


TimerFactory = Callable[[float, Callable[[], None]], Timer]


def _daemon_timer(seconds: float, action: Callable[[], None]) -> Timer:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    return timer


class Watchdog:
    """Cancels ``token`` when the phase it last saw has run for more than ``budget_s``."""

    def __init__(
        self, token: CancelToken, budget_s: float, timer: TimerFactory = _daemon_timer
    ) -> None:
        self._token = token
        self._budget_s = budget_s
        self._make_timer = timer
        self._timer: Timer | None = None
        self._lock = threading.Lock()
        self.expired: Phase | None = None  # the phase that ran out of time

    def observe(self, event: Event) -> None:
        if isinstance(event, PhaseEvent):
            self._restart(event.phase)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def error(self) -> PhaseTimeout:
        assert self.expired is not None
        return PhaseTimeout(
            tr(
                "Describing this picture stopped because {phase} took longer than {seconds:g} "
                "seconds; the other pictures are not affected. Try it again, or raise "
                "phase_budget in the settings.",
                "error",
                phase=tr(PHASE_NAMES.get(self.expired, self.expired.value)),
                seconds=self._budget_s,
            )
        )

    def _restart(self, phase: Phase) -> None:
        self.stop()
        if phase in UNTIMED or self._budget_s <= 0:
            return
        timer = self._make_timer(self._budget_s, lambda: self._expire(phase))
        with self._lock:
            self._timer = timer
        timer.start()

    def _expire(self, phase: Phase) -> None:
        with self._lock:
            if self.expired is None:
                self.expired = phase
        self._token.cancel()

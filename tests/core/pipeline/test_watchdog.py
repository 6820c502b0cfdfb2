"""A phase that outlives its budget stops that image only; the caller's stop still stops all."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers.render import render_dialog
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.result import Phase, PhaseEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.pipeline.watchdog import Watchdog
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer


@dataclass
class FakeTimer:
    seconds: float
    action: Callable[[], None]
    started: bool = False
    cancelled: bool = False

    def start(self) -> None:
        self.started = True

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Timers:
    made: list[FakeTimer] = field(default_factory=list)

    def __call__(self, seconds: float, action: Callable[[], None]) -> FakeTimer:
        self.made.append(FakeTimer(seconds, action))
        return self.made[-1]


def test_each_timed_phase_gets_a_fresh_budget_and_loading_models_none() -> None:
    timers, token = Timers(), CancelToken()
    watchdog = Watchdog(token, 30.0, timer=timers)
    watchdog.observe(PhaseEvent(Phase.READING_TEXT))
    watchdog.observe(PhaseEvent(Phase.LOADING_MODELS))
    watchdog.observe(PhaseEvent(Phase.DESCRIBING))
    assert [t.seconds for t in timers.made] == [30.0, 30.0]
    assert timers.made[0].cancelled and not timers.made[1].cancelled
    timers.made[1].action()  # the writing ran out of time
    assert token.cancelled and watchdog.expired is Phase.DESCRIBING
    assert "writing the description took longer than 30 seconds" in watchdog.error().message
    watchdog.stop()
    assert timers.made[1].cancelled


@dataclass
class EndlessWriter:
    """Writes a word every 20 ms and never finishes, checking the cancel token as writers do."""

    calls: int = 0

    @property
    def backend(self) -> str:
        return "local"

    @property
    def model_name(self) -> str:
        return "endless"

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        self.calls += 1
        while True:
            cancel.raise_if_cancelled()
            time.sleep(0.02)
            yield "and "


def pipeline(writer: Writer, budget_s: float) -> Pipeline:
    models = Models(captioner=None, reader=None, writer=ModelSlot(lambda: writer))
    return Pipeline(models, PipelineConfig(ocr=False, phase_budget_s=budget_s, max_attempts=1))


@pytest.mark.timeout(60)
def test_a_writer_that_never_ends_is_stopped_for_that_image_and_the_next_is_described(
    tmp_path: Path,
) -> None:
    picture = render_dialog(tmp_path / "dialog.png")
    writer = EndlessWriter()
    describe = pipeline(writer, budget_s=0.5)
    first = describe.run(picture)
    assert not first.ok and first.error is not None and first.error.code == "phase_timeout"
    assert "writing the description took longer than 0.5 seconds" in first.error.message
    second = describe.run(picture)  # the pipeline is not stuck: the next image gets its turn
    assert second.error is not None and second.error.code == "phase_timeout"
    assert writer.calls == 2


@pytest.mark.timeout(60)
def test_the_callers_stop_is_still_a_stop_not_a_timeout(tmp_path: Path) -> None:
    picture = render_dialog(tmp_path / "dialog.png")
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    with pytest.raises(Cancelled):
        pipeline(EndlessWriter(), budget_s=30).run(picture, cancel=cancel)

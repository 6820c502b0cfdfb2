"""Parts for the desktop tests: pipelines with scripted or held-back writers, no model files."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from helpers.scripted import ScriptedWriter
from lookaloud.core.cancel import CancelToken
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.settings import Settings
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer

DESCRIPTION = (
    "A light grey dialog box sits in the centre of a white screen. It has a title at the top "
    "and three buttons in a row at the bottom. The buttons are dark grey with white text."
)
SENTENCES = [
    "A light grey dialog box sits in the centre of a white screen.",
    "It has a title at the top and three buttons in a row at the bottom.",
    "The buttons are dark grey with white text.",
]
ANSWER = "The buttons are at the bottom of the dialog."


class NoListener:
    """A hotkey listener that listens for nothing: the app without global hotkeys."""

    def __init__(self, _handlers: object) -> None:
        """Global hotkeys are not listened for in these tests."""

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


def pipeline_with(writer: Writer | None) -> Pipeline:
    """A pipeline with only a writer: no captioner, no OCR, so it runs in milliseconds."""
    slot: ModelSlot[Writer] | None = ModelSlot(lambda: writer) if writer is not None else None
    return Pipeline(Models(None, None, slot, backend="scripted"), PipelineConfig(max_attempts=2))


def scripted_pipeline() -> Pipeline:
    return pipeline_with(ScriptedWriter([DESCRIPTION, ANSWER, ANSWER, ANSWER]))


@dataclass
class GatedWriter:
    """Writes its text word by word, but only once ``release`` is set; honours cancel."""

    text: str = DESCRIPTION
    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    backend: str = "gated"
    model_name: str = "gated"

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        self.started.set()
        for index, word in enumerate(self.text.split(" ")):
            while not self.release.wait(0.01):
                cancel.raise_if_cancelled()
            cancel.raise_if_cancelled()
            yield word if index == 0 else " " + word


@dataclass
class CountingFactory:
    """A pipeline factory for the controller that counts how often it was asked."""

    make: object = scripted_pipeline
    calls: list[Settings] = field(default_factory=list)

    def __call__(self, settings: Settings) -> Pipeline:
        self.calls.append(settings)
        assert callable(self.make)
        pipeline = self.make()
        assert isinstance(pipeline, Pipeline)
        return pipeline


@dataclass
class RecordingServer:
    """A screen reader's speech server that writes down what it is told."""

    said: list[tuple[str, bool]] = field(default_factory=list)
    stops: int = 0
    closed: bool = False

    def say(self, text: str, *, interrupt: bool) -> None:
        self.said.append((text, interrupt))

    def stop(self) -> None:
        self.stops += 1

    def close(self) -> None:
        self.closed = True

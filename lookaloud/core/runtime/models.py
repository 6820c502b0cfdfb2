"""The models a pipeline uses, each in a slot that builds it on first need and keeps it.

Building a model costs seconds (torch, weights, an OCR engine), so nothing is built until an
image needs it, and a model that cannot be built is reported once, then skipped: the pipeline
goes on without it and says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from lookaloud.core.errors import ModelError
from lookaloud.core.perception.base import Captioner, TextReader
from lookaloud.core.settings import RemoteSettings, Settings
from lookaloud.core.writers.base import Writer

T = TypeVar("T")


class ModelSlot(Generic[T]):
    """Builds a model once, on first need, and remembers a failure so it is reported once."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._error: ModelError | None = None
        # Images described in parallel (remote backends) must not build a model twice.
        self._lock = threading.Lock()

    @property
    def settled(self) -> bool:
        """Whether ``get`` returns (or raises) at once: the model is built, or failed to be."""
        return self._value is not None or self._error is not None

    def get(self) -> T:
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._value is None:
                try:
                    self._value = self._factory()
                except ModelError as exc:
                    self._error = exc
                    raise
            return self._value


class FirstTimeNotices:
    """Notices told with the first result only: a consequence of the settings (such as the
    slower engine writing), which heard before every picture would only be noise."""

    def __init__(self, notices: tuple[str, ...] = ()) -> None:
        self._left = notices
        self._lock = threading.Lock()

    def take(self) -> tuple[str, ...]:
        with self._lock:
            left, self._left = self._left, ()
        return left


@dataclass(frozen=True)
class Models:
    captioner: ModelSlot[Captioner] | None
    reader: ModelSlot[TextReader] | None
    writer: ModelSlot[Writer] | None
    backend: str = "local"
    # Takes over when a remote writer fails for good (the local model), if it can be loaded.
    fallback_writer: ModelSlot[Writer] | None = None
    # Told with every result, e.g. that images cross the network unencrypted.
    notices: tuple[str, ...] = ()
    first_notices: FirstTimeNotices = field(default_factory=FirstTimeNotices, compare=False)
    # Local models (captioning, OCR) work on one image at a time, even when remote writing of
    # several images runs in parallel.
    local_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


@dataclass(frozen=True)
class ModelChoice:
    """Which models describe: the captioner's, local writer's and local vision model's ids,
    OCR on or off, the backend that writes (a name in the writers' registry) and its server."""

    caption_model: str
    writer_model: str
    ocr: bool = True
    backend: str = "local"
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    engine: str = "auto"  # what runs the local writer: auto, llamacpp or transformers
    ocr_runtime: str = "auto"  # what runs the OCR models: auto, openvino or onnxruntime
    vlm_model: str = "Qwen/Qwen3-VL-2B-Instruct"  # the local vision-language model (local-vlm)

    @property
    def local_writing_model(self) -> str:
        """The model on this computer that writes: the vision model for local-vlm, else the
        local writer (which is also the remote writers' fallback)."""
        return self.vlm_model if self.backend == "local-vlm" else self.writer_model

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelChoice:
        """The models and the backend the settings choose (the command line overrides them
        through the settings, see lookaloud.cli.common)."""
        return cls(
            settings.models.caption_model,
            settings.models.writer_model,
            settings.pipeline.ocr,
            backend=settings.remote.writer,
            remote=settings.remote,
            engine=settings.models.engine,
            ocr_runtime=settings.pipeline.ocr_runtime,
            vlm_model=settings.models.vlm_model,
        )

"""Builds a pipeline from settings, importing the heavy model libraries only when a model is used.

``lookaloud describe`` on a broken file, ``--help`` or a cached answer never pays for importing
torch; the first image that needs a model does, once. The remote backends import neither torch
nor the local writer unless the server fails and the local model has to take over (``remote``
still captions with the local BLIP, which needs torch; ``remote-vlm`` does not caption locally).
``local-vlm`` loads only its vision-language model (and OCR): no captioner, no other writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from lookaloud.core.cancel import CancelToken
from lookaloud.core.perception.registry import (
    CAPTIONERS,
    DEFAULT_CAPTIONER,
    DEFAULT_READER,
    READERS,
    part,
)
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.pipeline.prompt import prompt_version
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import FirstTimeNotices, ModelChoice, Models, ModelSlot
from lookaloud.core.settings import Settings
from lookaloud.core.storage.cache import fingerprint
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer
from lookaloud.core.writers.registry import BACKENDS, WRITERS, endpoint_for, writer_backend

__all__ = [
    "BACKENDS",
    "ModelChoice",
    "build_pipeline",
    "describes_one_at_a_time",
    "endpoint_for",
    "models_for",
]


def config_from_settings(settings: Settings) -> PipelineConfig:
    return PipelineConfig(
        lang=settings.general.lang,
        detail=Detail(settings.general.detail),
        ocr=settings.pipeline.ocr,
        first_sentence_from_facts=settings.pipeline.first_sentence_from_facts,
        max_attempts=settings.pipeline.max_attempts,
        max_file_bytes=settings.pipeline.max_file_mb * 1024 * 1024,
        phase_budget_s=settings.pipeline.phase_budget,
        caption_image_side=settings.pipeline.caption_image_side,
        max_new_tokens=settings.pipeline.max_new_tokens,
        temperature=settings.pipeline.temperature,
    )


def output_fingerprint(
    choice: ModelChoice, config: PipelineConfig, backend: str | None = None
) -> str:
    """The cache fingerprint: every setting that changes what a description says."""
    return fingerprint(
        {
            "caption_model": choice.caption_model,
            "writer_model": _writing_model(choice),
            "server": "" if describes_one_at_a_time(choice.backend) else choice.remote.base_url,
            "ocr": choice.ocr and config.ocr,
            "ocr_runtime": choice.ocr_runtime,
            "backend": backend or choice.backend,
            "lang": config.lang,
            "detail": config.detail.value,
            "prompt_version": prompt_version(config.lang),
            "caption_image_side": config.caption_image_side,
            "max_new_tokens": config.max_new_tokens,
            "first_sentence_from_facts": config.first_sentence_from_facts,
        }
    )


def _writing_model(choice: ModelChoice) -> str:
    """The model that writes: the local writer's, the local vision model's or the server's."""
    if describes_one_at_a_time(choice.backend):
        return choice.local_writing_model
    return choice.remote.model


def describes_one_at_a_time(backend: str) -> bool:
    """Whether ``backend``'s models run on this computer, one picture at a time."""
    return backend in WRITERS and WRITERS[backend].on_this_computer


def models_for(choice: ModelChoice) -> Models:
    """Slots for the parts ``choice`` names; nothing is loaded yet.

    The writer and the one that takes over when it fails for good come from the writers'
    registry; a writer that sees the picture itself needs no local captioner. Raises
    SettingsError, before anything is sent, for an unknown backend or a server setting that is
    missing or wrong.
    """
    backend = writer_backend(choice.backend)
    prepared = backend.prepare(choice)
    local_lock = threading.Lock()
    captioner = part(CAPTIONERS, DEFAULT_CAPTIONER)
    reader = part(READERS, DEFAULT_READER)
    return Models(
        captioner=None
        if backend.sees_images
        else ModelSlot(lambda: captioner.make(choice.caption_model)),
        reader=ModelSlot(lambda: reader.make(choice.ocr_runtime)) if choice.ocr else None,
        writer=ModelSlot(prepared.make),
        backend=backend.name,
        fallback_writer=_taking_over(backend.takes_over, choice, local_lock),
        notices=prepared.notices,
        first_notices=FirstTimeNotices(prepared.first_notices),
        local_lock=local_lock,
    )


def _taking_over(
    name: str | None, choice: ModelChoice, lock: threading.Lock
) -> ModelSlot[Writer] | None:
    """The writer that takes over, written for one image at a time (see _OneAtATime)."""
    if name is None:
        return None
    make = WRITERS[name].prepare(choice).make
    return ModelSlot(lambda: _OneAtATime(make(), lock))


def build_pipeline(choice: ModelChoice, config: PipelineConfig) -> Pipeline:
    return Pipeline(models_for(choice), config)


class _OneAtATime:
    """The local writer used as a fallback while several images are described in parallel:
    it writes for one image at a time, sharing the lock that guards the other local models."""

    def __init__(self, writer: Writer, lock: threading.Lock) -> None:
        self._writer = writer
        self._lock = lock

    @property
    def backend(self) -> str:
        return self._writer.backend

    @property
    def model_name(self) -> str:
        return self._writer.model_name

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        with self._lock:
            yield from self._writer.stream(messages, params, cancel)

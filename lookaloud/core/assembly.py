"""Builds a pipeline from settings, importing the heavy model libraries only when a model is used.

``lookaloud describe`` on a broken file, ``--help`` or a cached answer never pays for importing
torch; the first image that needs a model does, once. The remote backends import neither torch
nor the local writer unless the server fails and the local model has to take over (``remote``
still captions with the local BLIP, which needs torch; ``remote-vlm`` does not caption locally).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import SettingsError
from lookaloud.core.perception.base import Captioner, TextReader
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.pipeline.prompt import prompt_version
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.settings import RemoteSettings, Settings
from lookaloud.core.storage.cache import fingerprint
from lookaloud.core.writers.base import ChatMessage, GenerationParams, Writer

if TYPE_CHECKING:
    from lookaloud.core.writers.openai_api import Endpoint

BACKENDS = ("local", "remote", "remote-vlm")


@dataclass(frozen=True)
class RemoteChoice:
    """The server for the remote backends, as typed by the user (normalized when built)."""

    base_url: str
    model: str
    api_key_env: str = "LOOKALOUD_API_KEY"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    concurrency: int = 4

    @classmethod
    def from_settings(cls, remote: RemoteSettings) -> RemoteChoice:
        return cls(
            remote.base_url,
            remote.model,
            remote.api_key_env,
            remote.connect_timeout,
            remote.read_timeout,
            remote.concurrency,
        )


@dataclass(frozen=True)
class ModelChoice:
    caption_model: str
    writer_model: str
    ocr: bool = True
    backend: str = "local"  # one of BACKENDS
    remote: RemoteChoice | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelChoice:
        """The models and the backend the settings choose (the command line can override each)."""
        return cls(
            settings.models.caption_model,
            settings.models.writer_model,
            settings.pipeline.ocr,
            backend=settings.remote.writer,
            remote=RemoteChoice.from_settings(settings.remote),
        )


def config_from_settings(settings: Settings) -> PipelineConfig:
    return PipelineConfig(
        lang=settings.general.lang,
        detail=Detail(settings.general.detail),
        ocr=settings.pipeline.ocr,
        max_attempts=settings.pipeline.max_attempts,
        caption_image_side=settings.pipeline.caption_image_side,
        max_new_tokens=settings.pipeline.max_new_tokens,
        temperature=settings.pipeline.temperature,
    )


def output_fingerprint(
    choice: ModelChoice, config: PipelineConfig, backend: str | None = None
) -> str:
    """The cache fingerprint: every setting that changes what a description says."""
    remote = choice.remote if choice.backend != "local" else None
    return fingerprint(
        {
            "caption_model": choice.caption_model,
            "writer_model": remote.model if remote else choice.writer_model,
            "server": remote.base_url if remote else "",
            "ocr": choice.ocr and config.ocr,
            "backend": backend or choice.backend,
            "lang": config.lang,
            "detail": config.detail.value,
            "prompt_version": prompt_version(config.lang),
            "caption_image_side": config.caption_image_side,
            "max_new_tokens": config.max_new_tokens,
        }
    )


def local_models(choice: ModelChoice) -> Models:
    """Slots for BLIP, RapidOCR and the local Qwen3 writer; nothing is loaded yet."""
    return Models(
        captioner=ModelSlot(lambda: _captioner(choice.caption_model)),
        reader=ModelSlot(_reader) if choice.ocr else None,
        writer=ModelSlot(lambda: _local_writer(choice.writer_model)),
        backend="local",
    )


def remote_models(choice: ModelChoice) -> Models:
    """Slots for a remote writer (``remote`` or ``remote-vlm``) with the local writer behind it.

    Raises SettingsError, before anything is sent, when the address or model is missing or
    the address is not a web address.
    """
    from lookaloud.core.writers.address import unencrypted_notice

    endpoint = remote_endpoint(_remote_of(choice))
    vision = choice.backend == "remote-vlm"
    notice = unencrypted_notice(endpoint.base_url, sends_images=vision)
    local_lock = threading.Lock()
    return Models(
        captioner=None if vision else ModelSlot(lambda: _captioner(choice.caption_model)),
        reader=ModelSlot(_reader) if choice.ocr else None,
        writer=ModelSlot(lambda: _remote_writer(endpoint, vision=vision)),
        backend=choice.backend,
        fallback_writer=ModelSlot(
            lambda: _OneAtATime(_local_writer(choice.writer_model), local_lock)
        ),
        notices=(notice,) if notice else (),
        local_lock=local_lock,
    )


def remote_endpoint(remote: RemoteChoice) -> Endpoint:
    """The checked server address, model and key (from the environment or the keyring)."""
    from lookaloud.core.writers.address import normalize_base_url
    from lookaloud.core.writers.api_keys import find_api_key
    from lookaloud.core.writers.openai_api import Endpoint

    base_url = normalize_base_url(remote.base_url)
    return Endpoint(
        base_url=base_url,
        model=remote.model.strip(),
        api_key=find_api_key(base_url, remote.api_key_env),
        key_env=remote.api_key_env,
        connect_timeout_s=remote.connect_timeout_s,
        read_timeout_s=remote.read_timeout_s,
        concurrency=remote.concurrency,
    )


def _remote_of(choice: ModelChoice) -> RemoteChoice:
    remote = choice.remote
    if remote is None or not remote.base_url.strip():
        raise SettingsError(
            f"The {choice.backend} backend needs the server's address; set base_url in the "
            "[remote] section of the settings, or give --base-url URL on the command line."
        )
    if not remote.model.strip():
        raise SettingsError(
            f"The {choice.backend} backend needs the name of a model on the server; set model "
            "in the [remote] section of the settings, or give --model NAME on the command line "
            "(`lookaloud remote check` lists them)."
        )
    return remote


def models_for(choice: ModelChoice) -> Models:
    if choice.backend not in BACKENDS:
        raise SettingsError(
            f"There is no backend called {choice.backend!r}; choose one of: {', '.join(BACKENDS)}."
        )
    return local_models(choice) if choice.backend == "local" else remote_models(choice)


def build_pipeline(choice: ModelChoice, config: PipelineConfig) -> Pipeline:
    return Pipeline(models_for(choice), config)


def _captioner(model: str) -> Captioner:
    from lookaloud.core.perception.captioner import captioner_for

    captioner = captioner_for(model)
    captioner.load()
    return captioner


def _reader() -> TextReader:
    from lookaloud.core.perception.ocr import RapidOcrReader

    return RapidOcrReader()


def _local_writer(model: str) -> Writer:
    from lookaloud.core.writers.local import LocalQwenWriter

    writer = LocalQwenWriter(model)
    writer.load()
    return writer


def _remote_writer(endpoint: Endpoint, *, vision: bool) -> Writer:
    from lookaloud.core.writers.remote import RemoteWriter
    from lookaloud.core.writers.remote_vlm import RemoteVlmWriter

    return RemoteVlmWriter(endpoint) if vision else RemoteWriter(endpoint)


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

"""Builds a pipeline from settings, importing the heavy model libraries only when a model is used.

``lookaloud describe`` on a broken file, ``--help`` or a cached answer never pays for importing
torch; the first image that needs a model does, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lookaloud.core.cache import fingerprint
from lookaloud.core.facts import Detail
from lookaloud.core.perception.base import Captioner, TextReader
from lookaloud.core.pipeline import Models, ModelSlot, Pipeline, PipelineConfig
from lookaloud.core.prompts import prompt_version
from lookaloud.core.settings import Settings
from lookaloud.core.writers.base import Writer


@dataclass(frozen=True)
class ModelChoice:
    caption_model: str
    writer_model: str
    ocr: bool = True


def config_from_settings(settings: Settings) -> PipelineConfig:
    return PipelineConfig(
        lang=settings.general.lang,
        detail=Detail(settings.general.detail),
        ocr=settings.pipeline.ocr,
        max_attempts=settings.pipeline.max_attempts,
        max_image_side=settings.pipeline.max_image_side,
        caption_image_side=settings.pipeline.caption_image_side,
        max_new_tokens=settings.pipeline.max_new_tokens,
        temperature=settings.pipeline.temperature,
    )


def output_fingerprint(choice: ModelChoice, config: PipelineConfig, backend: str = "local") -> str:
    """The cache fingerprint: every setting that changes what a description says."""
    return fingerprint(
        {
            "caption_model": choice.caption_model,
            "writer_model": choice.writer_model,
            "ocr": choice.ocr and config.ocr,
            "backend": backend,
            "lang": config.lang,
            "detail": config.detail.value,
            "prompt_version": prompt_version(config.lang),
            "max_image_side": config.max_image_side,
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


def build_pipeline(choice: ModelChoice, config: PipelineConfig) -> Pipeline:
    return Pipeline(local_models(choice), config)


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

"""Short captions of whole images and of their regions, from a local BLIP model.

Stages follow the transformers pipeline shape: ``_preprocess`` (pixels to tensors), ``_forward``
(the one model call, under ``inference_mode``) and ``_postprocess`` (tokens to clean text).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from transformers import (
    AutoProcessor,
    BlipForConditionalGeneration,
    LogitsProcessor,
    LogitsProcessorList,
)

from lookaloud.core.errors import PerceptionError
from lookaloud.core.i18n import tr
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.dtypes import preferred_dtype
from lookaloud.core.runtime.hub import CAPTIONING, HubAccess, quiet_transformers, resolve_model
from lookaloud.core.runtime.loading import ProcessCache, load_failures

# BLIP's training captions leave made-up words such as "arafed" and "araffe" in its output.
_ARTEFACTS = re.compile(r"\bar+af+e*d?s?\b", re.IGNORECASE)
_LEADING_THERE = re.compile(r"^there (?:is|are)\b\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Loaded:
    processor: Any
    model: BlipForConditionalGeneration


class BlipCaptioner:
    """The :class:`~lookaloud.core.perception.base.Captioner` backed by BLIP.

    ``from_pretrained`` returns the model in evaluation mode (no dropout), as captioning needs.

    The model loads on the first ``caption`` call, or earlier through :meth:`load`, which the
    pipeline calls during its "loading model" phase so the user hears that phase announced.
    ``torch_threads`` sets PyTorch's thread count, which is process-wide, when the model loads.
    ``dtype`` is the number format the model runs in: by default bf16 where the CPU computes it
    natively (about twice as fast as fp32 there), fp32 elsewhere.
    ``logits_processors``, when given, is called once per batch and its processors run at every
    step; it is the seam the speed benchmark uses to script the tokens of random models.
    """

    def __init__(
        self,
        model: str,
        *,
        torch_threads: int | None = None,
        hub: HubAccess | None = None,
        logits_processors: Callable[[], Sequence[LogitsProcessor]] | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.model_name = model
        self._dtype = dtype
        self._torch_threads = torch_threads
        self._hub = hub
        self._logits_processors = logits_processors
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Find and load the model now; raises ModelMissing or ModelLoadFailed."""
        with self._lock:
            if self._loaded is None:
                # Loading converts weights with PyTorch's threads: keep that on the compute thread.
                self._loaded = compute_thread().run(self._load)

    def caption(
        self, images: Sequence[Image.Image], max_new_tokens: int = 30, side: int | None = None
    ) -> list[str]:
        """One caption per image, all generated in a single batched call; at ``side`` pixels
        square when given (the position embeddings are interpolated), else the model's size."""
        if not images:
            return []
        self.load()
        assert self._loaded is not None
        try:
            tokens = compute_thread().run(
                lambda: self._forward(self._preprocess(images, side), max_new_tokens)
            )
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise PerceptionError(
                tr(
                    "The captioning model failed on this image; try again, and restart "
                    "Lookaloud if it keeps failing."
                )
            ) from exc
        return self._postprocess(tokens)

    def _load(self) -> _Loaded:
        folder = resolve_model(self.model_name, CAPTIONING, self._hub)
        if self._torch_threads is not None:
            torch.set_num_threads(self._torch_threads)
        quiet_transformers()
        with load_failures(_load_failed_message(self.model_name)):
            processor = AutoProcessor.from_pretrained(  # type: ignore[no-untyped-call]
                folder, trust_remote_code=False
            )
            model = BlipForConditionalGeneration.from_pretrained(
                folder,
                dtype=self._dtype or preferred_dtype(),
                use_safetensors=True,
                trust_remote_code=False,
            )
        return _Loaded(processor=processor, model=model)

    def _preprocess(self, images: Sequence[Image.Image], side: int | None) -> torch.Tensor:
        assert self._loaded is not None
        rgb = [image if image.mode == "RGB" else image.convert("RGB") for image in images]
        size = {"size": {"height": side, "width": side}} if side else {}
        pixel_values: torch.Tensor = self._loaded.processor(
            images=rgb, return_tensors="pt", **size
        )["pixel_values"]
        return pixel_values

    def _forward(self, pixel_values: torch.Tensor, max_new_tokens: int) -> torch.Tensor:
        assert self._loaded is not None
        model = self._loaded.model
        extra = list(self._logits_processors()) if self._logits_processors else []
        with torch.inference_mode():
            tokens: torch.Tensor = model.generate(
                pixel_values=pixel_values.to(model.dtype),
                # Another size than the one trained on: the patch positions are interpolated.
                interpolate_pos_encoding=pixel_values.shape[-1] != _trained_side(model),
                max_new_tokens=max_new_tokens,
                num_beams=1,
                do_sample=False,
                logits_processor=LogitsProcessorList(extra),
            )
        return tokens

    def _postprocess(self, tokens: torch.Tensor) -> list[str]:
        assert self._loaded is not None
        texts = self._loaded.processor.batch_decode(tokens, skip_special_tokens=True)
        return [clean_caption(str(text)) for text in texts]


def _trained_side(model: BlipForConditionalGeneration) -> int:
    vision: Any = model.config.vision_config
    return int(vision.image_size)


def _load_failed_message(model: str) -> str:
    return tr(
        "The captioning model {model} could not be loaded; its files may be "
        "damaged, so run `lookaloud models pull` again or pass another folder "
        "with --caption-model.",
        model=model,
    )


def clean_caption(text: str) -> str:
    """Remove BLIP's habits ("arafed", a leading "there is") and tidy the spacing."""
    text = _ARTEFACTS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return _LEADING_THERE.sub("", text).strip()


_CAPTIONERS: ProcessCache[str, BlipCaptioner] = ProcessCache()


def captioner_for(model: str) -> BlipCaptioner:
    """The one captioner per model name in this process (see runtime.loading)."""
    return _CAPTIONERS.get(model, lambda: BlipCaptioner(model))

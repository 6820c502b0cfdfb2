"""Reading the text in a picture with RapidOCR (PaddleOCR models run by onnxruntime).

The ``rapidocr_onnxruntime`` wheel ships its detection, orientation and recognition models, so this
reader needs no download and works offline; it reads Simplified Chinese and English.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PIL import Image

from lookaloud.core.errors import PerceptionError
from lookaloud.core.i18n import tr
from lookaloud.core.perception.reading_order import sort_reading_order
from lookaloud.core.pipeline.facts import Box, TextLine
from lookaloud.core.pipeline.load import downscale
from lookaloud.core.runtime.memory import return_free_memory

DEFAULT_MAX_SIDE = 2000
"""Longer side the picture is shrunk to before OCR; the same limit RapidOCR applies itself."""
MIN_SIDE_RATIO = 0.25
"""The shorter side is padded (with white) to at least this part of the longer one. RapidOCR's
detector scales a picture until its *shorter* side is 736 pixels, so a 60×6000 strip became
736×73600 pixels: 57 s and 7.5 GB. Padded, it is at most 736×2944."""


class OcrEngine(Protocol):
    """The call shape of ``rapidocr_onnxruntime.RapidOCR``: a picture in, raw results out.

    Results are ``(lines, timings)`` where ``lines`` is ``None`` or a list of
    ``[four_corner_points, text, score]``.
    """

    def __call__(self, img_content: Any) -> tuple[Any, Any]: ...


# Deliberate per-process cache: building the engine loads three ONNX models (about half a second
# and tens of megabytes), and one engine can serve every reader and thread.
_shared_engine: OcrEngine | None = None
_shared_engine_lock = threading.Lock()


def shared_rapidocr_engine() -> OcrEngine:
    """The process-wide RapidOCR engine, created on first use."""
    global _shared_engine
    with _shared_engine_lock:
        if _shared_engine is None:
            _shared_engine = _create_rapidocr_engine()
        return _shared_engine


def _create_rapidocr_engine() -> OcrEngine:
    try:
        from rapidocr_onnxruntime import RapidOCR  # heavy import (onnxruntime, OpenCV): lazy
    except ImportError as exc:
        raise PerceptionError(
            tr(
                "Text reading is not installed; reinstall Lookaloud or run 'pip install "
                "rapidocr-onnxruntime'."
            )
        ) from exc
    try:
        engine: OcrEngine = RapidOCR()
    except Exception as exc:  # any start-up failure means the same to the user
        raise PerceptionError(
            tr("The text reader could not start; reinstall Lookaloud to repair its OCR models.")
        ) from exc
    return engine


class RapidOcrReader:
    """A :class:`~lookaloud.core.perception.base.TextReader` backed by RapidOCR.

    Lines come back in reading order (see :func:`sort_reading_order`) with boxes in the pixel
    coordinates of the picture passed to :meth:`read`, even when it was shrunk for OCR.
    ``engine_factory`` is the seam for tests and for a different OCR build; by default the
    process-wide engine is used and created lazily on the first :meth:`read`.
    """

    def __init__(
        self,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        min_confidence: float = 0.5,
        engine_factory: Callable[[], OcrEngine] = shared_rapidocr_engine,
    ) -> None:
        self._max_side = max_side
        self._min_confidence = min_confidence
        self._engine_factory = engine_factory

    def read(self, image: Image.Image) -> list[TextLine]:
        rgb = image.convert("RGB")
        small = downscale(rgb, self._max_side)
        scale = rgb.width / small.width
        small = _padded_to_ratio(small, MIN_SIDE_RATIO)  # at the origin: boxes stay where they are
        # The engine needs about 400 MB for a moment on a 1280×800 screenshot, from allocator
        # pools of its own threads: hand back what earlier stages freed first, so the two do not
        # add up, and the engine's own memory after, so the app does not stay that big.
        return_free_memory()
        lines = _to_text_lines(self._run_engine(small), scale)
        return_free_memory()
        kept = [line for line in lines if line.text and line.confidence >= self._min_confidence]
        return sort_reading_order(kept)

    def warm_up(self) -> None:
        """Create the engine now (for example on a background thread at start-up)."""
        self._engine_factory()

    def _run_engine(self, image: Image.Image) -> Sequence[Any]:
        engine = self._engine_factory()
        try:
            lines, _timings = engine(image)
        except Exception as exc:  # onnxruntime and OpenCV raise many types
            raise PerceptionError(
                tr(
                    "Reading the text in this picture failed; try again, or describe it "
                    "without text."
                )
            ) from exc
        return lines or []


def _padded_to_ratio(image: Image.Image, ratio: float) -> Image.Image:
    """``image`` on a white canvas whose shorter side is at least ``ratio`` of its longer one."""
    width, height = image.size
    wide, tall = max(width, round(height * ratio)), max(height, round(width * ratio))
    if (wide, tall) == (width, height):
        return image
    canvas = Image.new("RGB", (wide, tall), (255, 255, 255))
    canvas.paste(image, (0, 0))
    return canvas


def _to_text_lines(raw: Sequence[Any], scale: float) -> list[TextLine]:
    try:
        return [_to_text_line(item, scale) for item in raw]
    except (IndexError, TypeError, ValueError) as exc:
        raise PerceptionError(
            tr("The text reader returned results Lookaloud cannot use; reinstall Lookaloud.")
        ) from exc


def _to_text_line(item: Sequence[Any], scale: float) -> TextLine:
    """Turn one ``[corner_points, text, score]`` result into a TextLine in original pixels."""
    points, text, score = item[0], item[1], item[2]
    xs = [float(point[0]) * scale for point in points]
    ys = [float(point[1]) * scale for point in points]
    box = Box(min(xs), min(ys), max(xs), max(ys))
    confidence = min(1.0, max(0.0, float(score)))
    return TextLine(text=str(text).strip(), box=box, confidence=confidence)

"""Reading the text in a picture with RapidOCR (PaddleOCR models run by onnxruntime).

The ``rapidocr`` wheel (PP-OCRv6 small) and the older ``rapidocr_onnxruntime`` one (PP-OCRv4) ship
their detection, orientation and recognition models, so this reader needs no download and works
offline; it reads Simplified Chinese and English. The newer is used where it is installed: on the
benchmark corpus (``python -m benchmarks.ocr``) it reads more lines exactly (97.8 % against 90.4 %,
mean over pictures) for roughly the same CPU time (within the 20 % noise of a busy machine).

Screenshots and photos are read differently. A screenshot's text is upright and drawn pixel-exact,
so it is read at native resolution, tile by tile (see :mod:`~lookaloud.core.perception.tiles`),
without the orientation classifier (which turned lines of a long page upside down), and the spaces
the recognizer drops are put back from the gaps in each line (see
:mod:`~lookaloud.core.perception.spaces`). A photo is shrunk to a size that suits the detector and
read with the classifier on, since a camera may hold text at any angle.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from lookaloud.core.errors import PerceptionError
from lookaloud.core.i18n import tr
from lookaloud.core.perception.base import WarmsUp
from lookaloud.core.perception.ocr_runtime import choose_runtime
from lookaloud.core.perception.ov_recognizer import Crop, OpenVinoRecognizer
from lookaloud.core.perception.reading_order import sort_reading_order
from lookaloud.core.perception.spaces import with_spaces
from lookaloud.core.perception.tiles import MAX_TILE_SIDE, Tile, plan_tiles
from lookaloud.core.pipeline.facts import Box, ImageKind, TextLine
from lookaloud.core.pipeline.load import downscale, image_kind
from lookaloud.core.runtime.memory import return_free_memory

DEFAULT_MAX_SIDE = 1600
"""Longer side a photo is shrunk to before OCR: the detector's time grows with the area, and text
a camera catches is large."""
REC_BATCH = 2
"""Lines recognised per call. Each batch is padded to its widest line, and the activations grow
with the batch: on a page of 42 long lines, batches of 2 instead of the default 6 took 340–380 MB
instead of 500–820 MB, and no more CPU."""
MAX_SCREEN_PIXELS = 24_000_000
"""A screenshot larger than this (a 4000×6000 capture) is shrunk to it, which bounds the time;
tiles bound the memory."""


class OcrEngine(Protocol):
    """The call shape of ``rapidocr_onnxruntime.RapidOCR``: a picture in, raw results out.

    Results are ``(lines, timings)`` where ``lines`` is ``None`` or a list of
    ``[four_corner_points, text, score]``, followed (with ``return_word_box``) by the characters'
    boxes, the characters and their scores.
    """

    def __call__(
        self, img_content: Any, *, use_cls: bool = True, return_word_box: bool = False
    ) -> tuple[Any, Any]: ...


class LineRecognizer(Protocol):
    """Text and confidence for each of a list of line crops: see :class:`OpenVinoRecognizer`."""

    def __call__(self, crops: Sequence[Crop]) -> list[tuple[str, float]]: ...

    def warm_up(self) -> None: ...


Corners = list[list[float]]
"""A detected line's four corner points, ``[[x, y], …]``, in the picture's pixels."""


@runtime_checkable
class TwoStepOcrEngine(Protocol):
    """An :class:`OcrEngine` that can also detect lines and recognise chosen ones apart.

    A tile detects first, keeps the lines whose centre it owns and recognises only those: whole
    tiles recognised every line of the 128 px overlaps twice and the lines cut at a tile's edge
    once more for nothing.
    """

    def detect(self, img_content: Image.Image) -> list[Corners]: ...

    def recognise(
        self, img_content: Image.Image, lines: Sequence[Corners]
    ) -> list[tuple[str, float]]: ...


# Deliberate per-process cache: building the engine loads three ONNX models (about half a second
# and tens of megabytes), and one engine can serve every reader and thread.
_shared_engines: dict[str, OcrEngine] = {}
_shared_engine_lock = threading.Lock()


def shared_rapidocr_engine(runtime: str = "auto") -> OcrEngine:
    """The process-wide RapidOCR engine for the ``[pipeline] ocr_runtime`` setting ``runtime``,
    created on first use."""
    with _shared_engine_lock:
        if runtime not in _shared_engines:
            _shared_engines[runtime] = _create_rapidocr_engine(runtime)
        return _shared_engines[runtime]


def _create_rapidocr_engine(runtime: str) -> OcrEngine:
    """The newer ``rapidocr`` (PP-OCRv6 small) where it is installed, on the runtime that suits
    this CPU (see :mod:`~lookaloud.core.perception.ocr_runtime`), else ``rapidocr_onnxruntime``
    (PP-OCRv4); both wheels ship their models, so neither downloads anything."""
    if importlib.util.find_spec("rapidocr") is not None:
        return rapidocr3_engine(choose_runtime(runtime))
    try:
        from rapidocr_onnxruntime import RapidOCR  # heavy import (onnxruntime, OpenCV): lazy
    except ImportError as exc:
        raise PerceptionError(
            tr("Text reading is not installed; reinstall Lookaloud or run 'pip install rapidocr'.")
        ) from exc
    try:
        # "max": the detector never enlarges a picture (its default scales the *shorter* side up
        # to 736 px, which made a 60×6000 strip 736×73600); pictures come here already sized.
        engine: OcrEngine = RapidOCR(
            det_limit_type="max", det_limit_side_len=MAX_TILE_SIDE, rec_batch_num=REC_BATCH
        )
    except Exception as exc:  # any start-up failure means the same to the user
        raise _start_failure() from exc
    return engine


def _start_failure() -> PerceptionError:
    return PerceptionError(
        tr("The text reader could not start; reinstall Lookaloud to repair its OCR models.")
    )


def rapidocr3_engine(runtime: str) -> RapidOcr3Engine:
    """``rapidocr`` 3 with its models run by ``runtime`` ("openvino" or "onnxruntime")."""
    from rapidocr import EngineType, RapidOCR  # heavy import (onnxruntime, OpenCV): lazy

    engine_type = EngineType.OPENVINO if runtime == "openvino" else EngineType.ONNXRUNTIME
    options = {
        "Global.log_level": "error",
        "Det.limit_type": "max",
        "Det.limit_side_len": MAX_TILE_SIDE,
        "Rec.rec_batch_num": REC_BATCH,
        **{f"{model}.engine_type": engine_type for model in ("Det", "Cls", "Rec")},
    }
    try:
        engine = RapidOCR(params=options)
        recognizer = _openvino_recognizer(engine) if runtime == "openvino" else None
    except Exception as exc:  # any start-up failure means the same to the user
        raise _start_failure() from exc
    return RapidOcr3Engine(engine, runtime, recognizer)


def _openvino_recognizer(engine: Any) -> OpenVinoRecognizer:
    """The faster runner of the recognizer rapidocr loaded (see
    :mod:`~lookaloud.core.perception.ov_recognizer`), with rapidocr's decoding table."""
    # rapidocr loads its recognizer on first use; its OpenVINO session keeps the model it read.
    loaded = engine._load_rec_model()
    return OpenVinoRecognizer(
        loaded.session.model, loaded.postprocess_op.character, batch=REC_BATCH
    )


class RapidOcr3Engine:
    """``rapidocr`` 3 behind the call shape of :class:`OcrEngine`.

    Its recognizer (PP-OCRv6) keeps the spaces between words itself, so no character positions
    are passed on and the lines' text is used as read.
    """

    def __init__(
        self, engine: Any, runtime: str = "onnxruntime", recognizer: LineRecognizer | None = None
    ) -> None:
        self._engine = engine
        self.runtime = runtime  # what runs its models: "openvino" or "onnxruntime"
        self._recognizer = recognizer  # for screens' lines; rapidocr's own when None
        self._prepared = False  # the engine is shared: prepared once, however often it is warmed
        # rapidocr keeps the flags of one call for the next, and the engine is shared by every
        # reader and thread: one call at a time, so none reads with another's flags.
        self._one_at_a_time = threading.Lock()

    def __call__(
        self, img_content: Any, *, use_cls: bool = True, return_word_box: bool = False
    ) -> tuple[Any, Any]:
        # Each flag is given: rapidocr keeps those of the last call for the next.
        with self._one_at_a_time:
            out = self._engine(img_content, use_det=True, use_cls=use_cls, use_rec=True)
        if out.boxes is None or out.txts is None:
            return None, None
        found = zip(out.boxes, out.txts, out.scores, strict=True)
        return [[box.tolist(), text, score] for box, text, score in found], out.elapse_list

    def warm_up(self) -> None:
        """Prepare the recognizer for the line widths a screen needs (see
        :meth:`OpenVinoRecognizer.warm_up`); rapidocr's own needs nothing."""
        with self._one_at_a_time:
            if self._recognizer is not None and not self._prepared:
                self._recognizer.warm_up()
            self._prepared = True

    def detect(self, img_content: Image.Image) -> list[Corners]:
        """The corners of the text lines in the picture, without reading them."""
        with self._one_at_a_time:
            out = self._engine(img_content, use_det=True, use_cls=False, use_rec=False)
        return [] if out.boxes is None else [box.tolist() for box in out.boxes]

    def recognise(
        self, img_content: Image.Image, lines: Sequence[Corners]
    ) -> list[tuple[str, float]]:
        """The text and score of each of ``lines`` (as :meth:`detect` gave them), in order."""
        if not lines:
            return []
        with self._one_at_a_time:
            picture = self._engine.load_img(img_content)  # BGR, as the one-call path reads it
            crops = self._engine.crop_text_regions(picture, np.array(lines, dtype=np.float32))
            if self._recognizer is not None:
                return self._recognizer(crops)
            out = self._engine.recognize_txt(crops)
        return [(str(text), float(score)) for text, score in zip(out.txts, out.scores, strict=True)]


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
        max_screen_pixels: int = MAX_SCREEN_PIXELS,
        min_confidence: float = 0.5,
        engine_factory: Callable[[], OcrEngine] = shared_rapidocr_engine,
    ) -> None:
        self._max_side = max_side
        self._max_screen_pixels = max_screen_pixels
        self._min_confidence = min_confidence
        self._engine_factory = engine_factory

    def read(self, image: Image.Image) -> list[TextLine]:
        rgb = image.convert("RGB")
        # The engine needs about 250 MB per million pixels for a moment, from allocator pools of
        # its own threads: hand back what earlier stages freed first, so the two do not add up,
        # and the engine's own memory after, so the app does not stay that big.
        return_free_memory()
        if image_kind(rgb) is ImageKind.PHOTO:
            lines = self._read_photo(rgb)
        else:
            lines = self._read_screen(rgb)
        return_free_memory()
        kept = [line for line in lines if line.text and line.confidence >= self._min_confidence]
        return sort_reading_order(kept)

    def warm_up(self) -> None:
        """Create the engine now and prepare it for screens (about 2 s on two cores with
        OpenVINO): for a background thread ahead of the first picture."""
        engine = self._engine_factory()
        if isinstance(engine, WarmsUp):
            try:
                engine.warm_up()
            except Exception as exc:  # OpenVINO raises many types
                raise _start_failure() from exc

    def _read_photo(self, rgb: Image.Image) -> list[TextLine]:
        small = downscale(rgb, self._max_side)
        scale = rgb.width / small.width
        raw = self._run_engine(small, use_cls=True)
        return [_scaled(line, scale, 0, 0) for line, _ in _to_text_lines(raw)]

    def _read_screen(self, rgb: Image.Image) -> list[TextLine]:
        work = _within_pixels(rgb, self._max_screen_pixels)
        scale = rgb.width / work.width
        lines: list[TextLine] = []
        for tile in plan_tiles(work.width, work.height):
            lines += [
                _scaled(line, scale, tile.x0, tile.y0) for line in self._read_tile(work, tile)
            ]
            return_free_memory()  # one tile's peak at a time, not the sum of them
        return lines

    def _read_tile(self, work: Image.Image, tile: Tile) -> list[TextLine]:
        """The lines whose centre this tile owns, in the tile's pixels, spaces put back."""
        picture = work.crop((tile.x0, tile.y0, tile.x1, tile.y1))
        grey = np.asarray(picture.convert("L"))
        engine = self._engine_factory()
        raw: Sequence[Any]
        if isinstance(engine, TwoStepOcrEngine):
            raw = self._read_owned_lines(engine, picture, tile)
        else:
            raw = self._run_engine(picture, use_cls=False)
        return [
            _spaced(line, centres, grey)
            for line, centres in _to_text_lines(raw)
            if _owned(tile, line.box)
        ]

    def _read_owned_lines(
        self, engine: TwoStepOcrEngine, picture: Image.Image, tile: Tile
    ) -> list[list[Any]]:
        """Raw results for only the lines this tile owns: the others are not recognised."""
        try:
            found = engine.detect(picture)
            owned = [corners for corners in found if _owned(tile, _box_of(corners))]
            read = engine.recognise(picture, owned)
        except Exception as exc:  # OpenVINO, onnxruntime and OpenCV raise many types
            raise _read_failure() from exc
        return [[corners, text, score] for corners, (text, score) in zip(owned, read, strict=True)]

    def _run_engine(self, image: Image.Image, *, use_cls: bool) -> Sequence[Any]:
        engine = self._engine_factory()
        try:
            lines, _timings = engine(image, use_cls=use_cls, return_word_box=True)
        except Exception as exc:  # onnxruntime and OpenCV raise many types
            raise _read_failure() from exc
        return lines or []


def _read_failure() -> PerceptionError:
    return PerceptionError(
        tr("Reading the text in this picture failed; try again, or describe it without text.")
    )


def _owned(tile: Tile, box: Box) -> bool:
    """Whether ``tile`` owns the line with ``box`` (in the tile's pixels) by its centre."""
    return tile.owns(tile.x0 + (box.x0 + box.x1) / 2, tile.y0 + box.centre_y)


def _box_of(corners: Corners) -> Box:
    xs, ys = [float(p[0]) for p in corners], [float(p[1]) for p in corners]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _within_pixels(image: Image.Image, max_pixels: int) -> Image.Image:
    if image.width * image.height <= max_pixels:
        return image
    scale = (max_pixels / (image.width * image.height)) ** 0.5
    return downscale(image, max(1, int(max(image.size) * scale)))


def _scaled(line: TextLine, scale: float, dx: float, dy: float) -> TextLine:
    """``line`` moved by ``(dx, dy)`` (a tile's corner), then scaled to the original picture;
    its text trimmed only now, after the spaces were matched to the characters."""
    b = line.box
    box = Box((b.x0 + dx) * scale, (b.y0 + dy) * scale, (b.x1 + dx) * scale, (b.y1 + dy) * scale)
    return TextLine(line.text.strip(), box, line.confidence)


def _spaced(line: TextLine, centres: list[float], grey: NDArray[np.uint8]) -> TextLine:
    """``line`` with the spaces its crop shows put back; ``centres`` are in the tile's pixels."""
    x0, y0 = max(0, int(line.box.x0)), max(0, int(line.box.y0))
    crop = grey[y0 : int(line.box.y1) + 1, x0 : int(line.box.x1) + 1]
    text = with_spaces(line.text, [c - x0 for c in centres], crop)
    return TextLine(text, line.box, line.confidence)


def _to_text_lines(raw: Sequence[Any]) -> list[tuple[TextLine, list[float]]]:
    try:
        return [_to_text_line(item) for item in raw]
    except (IndexError, TypeError, ValueError) as exc:
        raise PerceptionError(
            tr("The text reader returned results Lookaloud cannot use; reinstall Lookaloud.")
        ) from exc


def _to_text_line(item: Sequence[Any]) -> tuple[TextLine, list[float]]:
    """One ``[corner_points, text, score, char_boxes?, …]`` result: the line, and the horizontal
    centres of its characters (empty when the engine gave none)."""
    points, text, score = item[0], item[1], item[2]
    box = _box_of(points)
    confidence = min(1.0, max(0.0, float(score)))
    char_boxes = item[3] if len(item) > 3 else []
    centres = [sum(float(p[0]) for p in cell) / len(cell) for cell in char_boxes]
    return TextLine(text=str(text), box=box, confidence=confidence), centres

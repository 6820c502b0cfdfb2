"""RapidOCR on real rendered text (its models ship in the wheel), plus its error mapping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from PIL import Image

from helpers.render import (
    DIALOG_LINES,
    DIALOG_SIZE,
    dialog_image,
    photo_like_image,
    require_font,
    text_image,
)
from lookaloud.core.errors import PerceptionError
from lookaloud.core.perception.base import TextReader
from lookaloud.core.perception.ocr import RapidOcr3Engine, RapidOcrReader, shared_rapidocr_engine
from lookaloud.core.pipeline.facts import TextLine


@pytest.fixture(scope="module")
def reader() -> Iterator[RapidOcrReader]:
    require_font("latin")
    ocr: TextReader = RapidOcrReader()  # also checks, under mypy, that it fits the protocol
    assert isinstance(ocr, RapidOcrReader)
    ocr.warm_up()  # loads the shared engine once for the whole module
    yield ocr


@pytest.fixture(scope="module")
def dialog_lines(reader: RapidOcrReader) -> list[TextLine]:
    """The dialog read once; several tests look at different sides of the same result."""
    return reader.read(dialog_image())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _squashed(text: str) -> str:
    """Lower case without spaces or punctuation: OCR sometimes drops the space in "Don't Save"."""
    return "".join(_words(text))


def _expected_words() -> list[str]:
    return [word for line in DIALOG_LINES for word in _words(line)]


def test_dialog_words_are_found(dialog_lines: list[TextLine]) -> None:
    found = _squashed(" ".join(line.text for line in dialog_lines))
    expected = _expected_words()
    hits = [word for word in expected if word in found]
    assert len(hits) >= 0.8 * len(expected), f"found only {hits} in {found!r}"


def test_dialog_lines_come_in_reading_order(dialog_lines: list[TextLine]) -> None:
    read = [_squashed(line.text) for line in dialog_lines]
    positions = [_first_index(read, _squashed(expected)) for expected in DIALOG_LINES]
    found = [position for position in positions if position is not None]
    assert len(found) >= 4, f"matched too few dialog lines in {read}"
    assert found == sorted(found)


def _first_index(read: list[str], wanted: str) -> int | None:
    return next((index for index, text in enumerate(read) if text == wanted), None)


def test_boxes_and_confidences_are_sane(dialog_lines: list[TextLine]) -> None:
    lines = dialog_lines
    assert lines
    for line in lines:
        assert 0.5 <= line.confidence <= 1.0
        assert 0 <= line.box.x0 < line.box.x1 <= 800
        assert 0 <= line.box.y0 < line.box.y1 <= 400
    cancel = next(line for line in lines if "cancel" in line.text.lower())
    assert cancel.box.x0 > 560 and cancel.box.x1 < 760  # inside the third button
    assert cancel.box.y0 > 290 and cancel.box.y1 < 350


@pytest.mark.usefixtures("reader")
def test_boxes_map_back_to_the_original_size() -> None:
    big = dialog_image().resize((1600, 800), Image.Resampling.LANCZOS)
    shrinking = RapidOcrReader(max_screen_pixels=800 * 400)  # read at half the size
    cancel = next(line for line in shrinking.read(big) if "cancel" in line.text.lower())
    assert cancel.box.x0 > 1120 and cancel.box.x1 < 1520
    assert cancel.box.y0 > 580 and cancel.box.y1 < 700


def test_simplified_chinese(reader: RapidOcrReader) -> None:
    require_font("cjk")
    lines = reader.read(text_image(("保存更改", "取消"), script="cjk", size=40, width=400))
    assert [line.text for line in lines] == ["保存更改", "取消"]


def test_blank_picture_has_no_text(reader: RapidOcrReader) -> None:
    assert reader.read(Image.new("RGB", (640, 480), (250, 250, 250))) == []


def test_engine_is_created_once_per_process() -> None:
    assert shared_rapidocr_engine() is shared_rapidocr_engine()


class _BrokenEngine:
    def __call__(self, img_content: Any, **_: bool) -> tuple[Any, Any]:
        raise RuntimeError("onnxruntime: bad allocation")


class _ScriptedEngine:
    """Returns fixed raw results, to pin down the conversion of RapidOCR's output shape."""

    def __init__(self, lines: Any) -> None:
        self.lines = lines
        self.sizes: list[tuple[int, int]] = []
        self.classifier: list[bool] = []

    def __call__(
        self, img_content: Any, *, use_cls: bool = True, return_word_box: bool = False
    ) -> tuple[Any, Any]:
        self.sizes.append(img_content.size)
        self.classifier.append(use_cls)
        return self.lines, [0.01, 0.01, 0.01]


def test_engine_failure_becomes_perception_error() -> None:
    broken = RapidOcrReader(engine_factory=_BrokenEngine)
    with pytest.raises(PerceptionError) as caught:
        broken.read(Image.new("RGB", (100, 50)))
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_malformed_engine_output_becomes_perception_error() -> None:
    engine = _ScriptedEngine([["no points"]])
    with pytest.raises(PerceptionError):
        RapidOcrReader(engine_factory=lambda: engine).read(Image.new("RGB", (100, 50)))


_RAW = [
    [[[60, 12], [90, 10], [91, 20], [61, 22]], "right", 0.9],
    [[[5, 10], [40, 10], [40, 20], [5, 20]], "left", "0.97"],
    [[[5, 30], [40, 30], [40, 40], [5, 40]], "faint", 0.2],
    [[[5, 45], [40, 45], [40, 48], [5, 48]], "  ", 0.99],
]


def test_raw_results_of_a_photo_are_scaled_filtered_and_ordered() -> None:
    engine = _ScriptedEngine(_RAW)
    reader = RapidOcrReader(max_side=100, engine_factory=lambda: engine)
    lines = reader.read(photo_like_image((400, 200)))
    assert engine.sizes == [(100, 50)] and engine.classifier == [True]
    assert [line.text for line in lines] == ["left", "right"]
    assert lines[1].box.as_list() == [240, 40, 364, 88]
    assert lines[0].confidence == pytest.approx(0.97)


def test_a_screenshot_is_read_at_native_size_without_the_classifier() -> None:
    engine = _ScriptedEngine(_RAW)
    lines = RapidOcrReader(max_side=100, engine_factory=lambda: engine).read(dialog_image())
    assert engine.sizes == [DIALOG_SIZE] and engine.classifier == [False]
    assert lines[1].box.as_list() == [60, 10, 91, 22]


def test_no_text_result_is_empty_list() -> None:
    reader = RapidOcrReader(engine_factory=lambda: _ScriptedEngine(None))
    assert reader.read(Image.new("RGB", (50, 50))) == []


def test_a_long_narrow_strip_is_read_in_native_tiles() -> None:
    # Before tiles, RapidOCR scaled until the shorter side was 736 px: a 60×6000 strip became
    # 736×73600 pixels inside the detector, 57 s and 7.5 GB.
    strip = text_image(tuple(f"Item {n} ready" for n in range(80)), size=30, width=260)
    assert strip.height > 4000
    seen: list[tuple[int, int]] = []

    def recording_engine(picture: Any, **options: bool) -> tuple[Any, Any]:
        seen.append(picture.size)
        return shared_rapidocr_engine()(picture, **options)

    lines = RapidOcrReader(engine_factory=lambda: recording_engine).read(strip)
    assert len(seen) >= 2 and all(width == strip.width for width, _ in seen)
    assert sum(height for _, height in seen) < 1.2 * strip.height
    texts = [line.text for line in lines]
    assert texts[:3] == ["Item 0 ready", "Item 1 ready", "Item 2 ready"]
    assert len(texts) == len(set(texts)) >= 76  # none twice from the overlaps, hardly any lost
    assert all(line.box.x1 <= strip.width and line.box.y1 <= strip.height for line in lines)


class _TwoStepEngine:
    """Detects a line every 40 px down each tile and counts the lines it is asked to read."""

    def __init__(self) -> None:
        self.detected = 0
        self.recognised = 0

    def __call__(self, img_content: Any, **_: bool) -> tuple[Any, Any]:
        raise AssertionError("a tile is detected, then only its own lines are read")

    def detect(self, img_content: Image.Image) -> list[list[list[float]]]:
        tops = range(0, img_content.height - 16, 40)
        self.detected += len(tops)
        return [[[10.0, y], [200.0, y], [200.0, y + 16.0], [10.0, y + 16.0]] for y in tops]

    def recognise(self, img_content: Image.Image, lines: Any) -> list[tuple[str, float]]:
        self.recognised += len(lines)
        return [(f"line {self.recognised - n}", 0.9) for n in range(len(lines))]


def test_lines_in_tile_overlaps_are_recognised_once() -> None:
    # Whole tiles recognised 206 lines for the 193 of a 1280×6000 page: the overlaps' twice.
    engine = _TwoStepEngine()
    lines = RapidOcrReader(engine_factory=lambda: engine).read(Image.new("RGB", (1280, 6000)))
    assert engine.detected > engine.recognised == len(lines) == len({ln.text for ln in lines})
    tops = sorted(line.box.y0 for line in lines)
    assert all(b - a > 8 for a, b in pairwise(tops))  # no line kept twice


def test_words_stay_apart_in_small_ui_text(reader: RapidOcrReader) -> None:
    lines = ("Don't Save", "ticket 017 zebra", "backup export 3.5 MB, done.")
    read = [line.text for line in reader.read(text_image(lines, size=13, width=400))]
    assert read == list(lines)


class _Rapidocr3Output:
    """The fields of ``rapidocr.utils.output.RapidOCROutput`` that the adapter reads."""

    def __init__(self, found: bool) -> None:
        self.boxes = np.array([[[5, 10], [40, 10], [40, 20], [5, 20]]], float) if found else None
        self.txts = ("Don't Save",) if found else None
        self.scores = (0.98,) if found else None
        self.elapse_list = [0.01, 0.0, 0.02]


def test_rapidocr3_results_take_the_older_shape() -> None:
    calls: list[bool] = []

    def engine(picture: Any, use_det: bool, use_cls: bool, use_rec: bool) -> _Rapidocr3Output:
        assert use_det and use_rec  # rapidocr keeps the last call's flags: a detect-only one's
        calls.append(use_cls)
        return _Rapidocr3Output(found=picture is not None)

    lines, _ = RapidOcr3Engine(engine)("picture", use_cls=False)
    assert lines == [[[[5.0, 10.0], [40.0, 10.0], [40.0, 20.0], [5.0, 20.0]], "Don't Save", 0.98]]
    assert RapidOcr3Engine(engine)(None) == (None, None) and calls == [False, True]


def test_a_real_sidebar_reaches_the_writer_as_the_left_part(reader: RapidOcrReader) -> None:
    from benchmarks.ocr_corpus import LIGHT, available_fonts, render
    from lookaloud.core.pipeline.facts import Facts, ImageKind
    from lookaloud.core.pipeline.prompt import facts_block

    sample = render("sidebar", family=available_fonts("latin")[0], size=14, theme=LIGHT, seed=3)
    lines = reader.read(sample.image)
    facts = Facts(*sample.image.size, ImageKind.SCREENSHOT, text_lines=tuple(lines))
    left = next(ln for ln in facts_block(facts, "en").splitlines() if ln.startswith("- left part"))
    entries = [t.text for t in sample.lines if t.block == 0]
    assert sum(f'"{entry}"' in left for entry in entries) >= len(entries) - 1, left
    page = [t.text for t in sample.lines if t.block == 1]
    assert not any(f'"{text}"' in left for text in page), left

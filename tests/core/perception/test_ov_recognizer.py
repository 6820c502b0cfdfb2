"""The OpenVINO runner of rapidocr's recognizer, on real rendered lines and on tiny real models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from helpers.render import require_font, text_image
from lookaloud.core.perception.ocr import RapidOcr3Engine, rapidocr3_engine
from lookaloud.core.perception.ov_recognizer import (
    MIN_WIDTH,
    WIDTH_GROWTH,
    best_character_head,
    decoded,
    padded_width,
)

ov = pytest.importorskip("openvino")
ops = pytest.importorskip("openvino.opset13")

WORDS = (
    "ticket 017 zebra",
    "Don't Save",
    "OK",
    "Wireless network settings for the office printer on floor three",
    "backup export",
)


@pytest.fixture(scope="module")
def engine() -> Iterator[RapidOcr3Engine]:
    require_font("latin")
    yield rapidocr3_engine("openvino")


def _line_crops(engine: RapidOcr3Engine, size: int) -> list[Any]:
    """Each of :data:`WORDS` rendered at ``size`` px and cut out as rapidocr cuts a line."""
    picture = text_image(WORDS, size=size, width=1100)
    lines = engine.detect(picture)
    assert len(lines) == len(WORDS)
    lines.sort(key=lambda corners: min(point[1] for point in corners))
    inner = engine._engine  # rapidocr's own, to compare with its recognizer on the same crops
    return list(inner.crop_text_regions(inner.load_img(picture), np.array(lines, np.float32)))


@pytest.mark.parametrize("size", [13, 24])
def test_it_reads_each_line_as_rapidocr_does_in_order(engine: RapidOcr3Engine, size: int) -> None:
    crops = _line_crops(engine, size)
    assert engine._recognizer is not None
    ours = engine._recognizer(crops)
    theirs = engine._engine.recognize_txt(crops)
    assert [text for text, _ in ours] == list(theirs.txts)
    assert [" ".join(text.split()) for text, _ in ours] == list(WORDS)
    # A batch's padding reaches every line in it (the model attends across the whole width), and
    # the two pad differently: the same text, confidences within a few hundredths.
    assert [score for _, score in ours] == pytest.approx(list(theirs.scores), abs=0.05)


def test_no_crops_and_a_blank_crop_read_nothing(engine: RapidOcr3Engine) -> None:
    assert engine._recognizer is not None
    assert engine._recognizer([]) == []
    [(text, _)] = engine._recognizer([np.full((20, 300, 3), 255, dtype=np.uint8)])
    assert text.strip() == ""


def test_the_width_ladder_holds_every_line_with_little_padding() -> None:
    assert padded_width(0.5) == MIN_WIDTH
    widths = {padded_width(ratio / 10) for ratio in range(1, 1200)}
    assert len(widths) <= 16  # up to 5 760 px: a few shapes, not one per line
    for ratio in (7.0, 20.0, 29.3, 50.0, 119.9):
        needed = 48 * ratio
        assert needed <= padded_width(ratio) <= needed * WIDTH_GROWTH + 64
        assert padded_width(ratio) % 64 == 0


def test_decoding_merges_repeats_and_drops_blanks() -> None:
    characters = ["blank", "o", "k", " "]
    indices = np.array([0, 1, 1, 0, 1, 2, 2, 3, 0], dtype=np.int64)
    probabilities = np.array([0.9, 0.8, 0.7, 0.9, 0.6, 1.0, 0.5, 0.4, 0.9], dtype=np.float32)
    text, confidence = decoded(indices, probabilities, characters)
    assert text == "ook "  # a blank between two o's keeps both; the repeated k is one
    assert confidence == pytest.approx((0.8 + 0.6 + 1.0 + 0.4) / 4)
    assert decoded(np.zeros(5, np.int64), np.ones(5, np.float32), characters) == ("", 0.0)


def _tiny_model(*, softmax: bool, classes: int = 6) -> Any:
    """A real OpenVINO model of the recognizer's output shape: (batch, steps, classes)."""
    scores = ops.parameter([1, 3, classes], np.float32, "x")
    last = ops.softmax(scores, -1) if softmax else scores
    return ov.Model([last.output(0)], [scores], "tiny")


@pytest.mark.parametrize("softmax", [True, False])
def test_the_new_head_gives_the_best_character_and_its_probability(softmax: bool) -> None:
    logits = np.array([[[0.1, 2.0, 0.3, -1, 0, 0], [3, 0, 0, 0, 0, 1], [0, 0, 0, 0, 5, 4.9]]])
    logits = logits.astype(np.float32)
    compiled = ov.Core().compile_model(best_character_head(_tiny_model(softmax=softmax)), "CPU")
    index, probability = compiled({0: logits}).values()
    assert index.tolist() == [[1, 0, 4]]
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    expected = (exp / exp.sum(-1, keepdims=True)).max(-1) if softmax else logits.max(-1)
    assert probability == pytest.approx(expected, rel=0.02)


def test_after_warming_up_it_reads_the_same(engine: RapidOcr3Engine) -> None:
    crops = _line_crops(engine, 13)
    assert engine._recognizer is not None
    before = engine._recognizer(crops)
    engine.warm_up()
    assert engine._recognizer(crops) == before


class _CountingRecognizer:
    def __init__(self) -> None:
        self.prepared = 0

    def __call__(self, crops: Any) -> list[tuple[str, float]]:
        return [("", 0.0) for _ in crops]

    def warm_up(self) -> None:
        self.prepared += 1


def test_the_shared_engine_is_prepared_once_however_often_it_is_warmed() -> None:
    recognizer = _CountingRecognizer()
    engine = RapidOcr3Engine(object(), "openvino", recognizer)
    engine.warm_up()
    engine.warm_up()
    assert recognizer.prepared == 1

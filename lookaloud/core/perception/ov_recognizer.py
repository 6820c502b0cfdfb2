"""Recognising text lines with rapidocr's recognizer model, run by OpenVINO directly.

rapidocr runs its recognizer one batch after another and hands every time step's probabilities
for all 18 710 characters back to Python, where NumPy picks the best. Profiled on a 2-core Intel
Xeon (OpenVINO 2026.4, bf16), a third of the model's time went on that output (its softmax, the
conversion of its bf16 logits to f32, the copy), and a new input width cost OpenVINO about twice
a known one, since it prepares its kernels for each shape. Here, with the same model and the same
line crops:

- the model ends in the best character and its probability per time step (a top-1 of the logits
  and the softmax's maximum), which is all the decoder reads;
- inputs are padded to the next width of a fixed ladder (see :data:`WIDTH_GROWTH`), so a page
  repeats a dozen shapes instead of meeting a new one on almost every line, and
  :meth:`OpenVinoRecognizer.warm_up` can prepare them ahead;
- two batches run at once, one on each core (OpenVINO's throughput streams), instead of both
  cores sharing one narrow 48-pixel-high batch.

In ``python -m benchmarks.ocr`` on that Xeon (two runs of each, one after the other), the slowest
1 280×6 000 page took 7.3–7.7 s instead of 9.8 (12 CPU s instead of 14.5), with the same words
and one more line read exactly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

LINE_HEIGHT = 48
"""The only input height the PP-OCR recognizers take."""
MIN_WIDTH = 320
"""The narrowest input, as rapidocr gives it: a short word is padded to this."""
WIDTH_GROWTH = 1.2
"""Each input width is the next of a fixed ladder, each rung about this much wider than the one
below (in steps of 64 pixels): OpenVINO prepares its kernels afresh for every new input shape
(about 60 ms a shape on the Xeon, against 40 ms for the whole run of a known one), and a ladder
keeps a page to a dozen shapes for at most a fifth more padding."""

WARM_WIDTH = 2112
""":meth:`OpenVinoRecognizer.warm_up` prepares the widths up to this: a line of 13 px text as
wide as a 1 280 px screen."""

Crop = NDArray[np.uint8]
"""One line's pixels, BGR, as rapidocr's ``crop_text_regions`` cuts them."""


class OpenVinoRecognizer:
    """Text and confidence for line crops, from rapidocr's recognizer ``model`` (an OpenVINO
    ``Model``) and its ``characters`` (rapidocr's decoding table: index 0 is CTC's blank)."""

    def __init__(self, model: Any, characters: Sequence[str], *, batch: int = 2) -> None:
        import openvino as ov  # heavy import: only where OpenVINO runs the OCR

        streams = max(1, min(2, os.cpu_count() or 1))
        config = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": str(streams)}
        compiled = ov.Core().compile_model(best_character_head(model), "CPU", config)
        self._queue = ov.AsyncInferQueue(compiled, streams)
        self._queue.set_callback(_keep_outputs)
        self._characters = list(characters)
        self._batch = batch

    def warm_up(self) -> None:
        """Run every input shape a screen's lines need once, so that OpenVINO has prepared its
        kernels before the first picture (about 2 s on two cores: for a background thread)."""
        outputs: dict[int, Any] = {}  # thrown away
        shapes = [(rows, width) for width in _ladder(WARM_WIDTH) for rows in {self._batch, 1}]
        for number, (rows, width) in enumerate(shapes):
            pixels = np.zeros((rows, 3, LINE_HEIGHT, width), dtype=np.float32)
            self._queue.start_async({0: pixels}, (outputs, number))
        self._queue.wait_all()

    def __call__(self, crops: Sequence[Crop]) -> list[tuple[str, float]]:
        """``(text, confidence)`` for each of ``crops``, in their order."""
        batches = _batches([crop.shape[1] / crop.shape[0] for crop in crops], self._batch)
        outputs: dict[int, tuple[NDArray[np.int64], NDArray[np.float32]]] = {}
        for number, members in enumerate(batches):
            width = padded_width(max(crops[k].shape[1] / crops[k].shape[0] for k in members))
            pixels = np.stack([normalised(crops[k], width) for k in members])
            self._queue.start_async({0: pixels}, (outputs, number))
        self._queue.wait_all()
        results = [("", 0.0)] * len(crops)
        for number, members in enumerate(batches):
            indices, probabilities = outputs[number]
            for row, k in enumerate(members):
                results[k] = decoded(indices[row], probabilities[row], self._characters)
        return results


def _keep_outputs(request: Any, userdata: tuple[dict[int, Any], int]) -> None:
    """Copy a finished batch's outputs out of its request, which the next batch reuses."""
    outputs, number = userdata
    outputs[number] = (
        request.get_output_tensor(0).data.copy(),
        request.get_output_tensor(1).data.copy(),
    )


def best_character_head(model: Any) -> Any:
    """``model`` ending in two outputs per time step instead of every character's probability:
    the best character's index, and its probability.

    PP-OCR's recognizers end in a softmax; the maximum of a softmax is one over the sum of
    ``exp(logit - best logit)``, so the probabilities are never written out. A model whose output
    is already probabilities keeps them, and the best one is taken.
    """
    import openvino as ov
    import openvino.opset13 as ops

    model = model.clone()
    last = model.output(0).get_node().input_value(0)
    producer = last.get_node()
    scores = producer.input_value(0) if producer.get_type_name() == "Softmax" else last
    top = ops.topk(scores, 1, -1, "max", "none")
    best, index = top.output(0), ops.squeeze(top.output(1), [-1])
    if scores is last:
        probability = ops.squeeze(best, [-1])
    else:
        spread = ops.reduce_sum(ops.exp(ops.subtract(scores, best)), [-1], False)
        probability = ops.divide(ops.constant(np.float32(1.0)), spread)
    return ov.Model([index.output(0), probability.output(0)], model.get_parameters(), "rec")


def _batches(ratios: Sequence[float], size: int) -> list[list[int]]:
    """Indices of the crops in batches of ``size``, lines of similar width together (each batch
    is padded to its widest)."""
    order = [int(k) for k in np.argsort(np.asarray(ratios, dtype=np.float64), kind="stable")]
    return [order[start : start + size] for start in range(0, len(order), size)]


def padded_width(ratio: float) -> int:
    """The input width for a batch whose widest crop is ``ratio`` times as wide as high: the
    narrowest rung of the ladder (see :data:`WIDTH_GROWTH`) that holds it."""
    needed = math.ceil(LINE_HEIGHT * ratio)
    width = MIN_WIDTH
    while width < needed:
        width = _next_rung(width)
    return width


def _ladder(widest: int) -> list[int]:
    """The rungs of the width ladder up to ``widest``."""
    rungs = [MIN_WIDTH]
    while _next_rung(rungs[-1]) <= widest:
        rungs.append(_next_rung(rungs[-1]))
    return rungs


def _next_rung(width: int) -> int:
    return math.ceil(width * WIDTH_GROWTH / 64) * 64


def normalised(crop: Crop, width: int) -> NDArray[np.float32]:
    """``crop`` scaled to the input height, as the recognizer reads it (-1 to 1, channels
    first), and padded with zeros to ``width``, as rapidocr pads."""
    import cv2  # heavy import (OpenCV), loaded with rapidocr anyway: lazy, as there

    scaled_width = min(width, math.ceil(LINE_HEIGHT * crop.shape[1] / crop.shape[0]))
    scaled = cv2.resize(crop, (scaled_width, LINE_HEIGHT)).astype(np.float32)
    pixels = np.zeros((3, LINE_HEIGHT, width), dtype=np.float32)
    pixels[:, :, :scaled_width] = scaled.transpose(2, 0, 1) / 127.5 - 1.0
    return pixels


def decoded(
    indices: NDArray[np.int64], probabilities: NDArray[np.float32], characters: Sequence[str]
) -> tuple[str, float]:
    """CTC's greedy reading of one line: repeats merged, blanks (index 0) dropped; the
    confidence is the mean probability of the characters kept (0 when none is)."""
    kept = np.ones(len(indices), dtype=bool)
    kept[1:] = indices[1:] != indices[:-1]
    kept &= indices != 0
    if not kept.any():
        return "", 0.0
    text = "".join(characters[int(i)] for i in indices[kept])
    return text, float(np.mean(probabilities[kept]))

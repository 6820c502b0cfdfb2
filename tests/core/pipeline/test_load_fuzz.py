"""A fuzzer for the image loader: valid PNG, JPEG, WebP, GIF and TIFF bytes, mutated (bytes
flipped, cut, repeated, spliced). Every case ends in a picture or an ImageError with a
sentence, within a deadline; through the pipeline, in a Result whose JSON has ``ok`` and, when
false, an error code."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from lookaloud.core.errors import ImageError
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.load import load_image
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models


def _seed(fmt: str, **options: object) -> bytes:
    picture = Image.new("RGB", (48, 32), (240, 240, 240))
    ImageDraw.Draw(picture).rectangle((8, 8, 40, 24), fill=(30, 90, 200))
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


SEEDS = [_seed("PNG"), _seed("JPEG"), _seed("WEBP"), _seed("GIF"), _seed("TIFF")]
NO_MODELS = Pipeline(Models(None, None, None), PipelineConfig(ocr=False))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "repeat", "splice", "zero"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        elif kind == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        else:
            data[at : at + 8] = bytes(8)
    return bytes(data)


@pytest.mark.timeout(300)
@settings(
    max_examples=1000,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same cases in every run: a failure is reproducible, not luck
)
@given(mutated())
def test_mutated_pictures_end_in_a_picture_or_a_sentence(data: bytes) -> None:
    try:
        loaded = load_image(data, name="fuzzed")
    except ImageError as exc:
        assert exc.message and exc.code != "image_error"
    else:
        assert loaded.image.mode == "RGB" and loaded.width > 0 and loaded.height > 0
    record = json.loads(json.dumps(NO_MODELS.run(data, name="fuzzed").to_json_dict()))
    assert isinstance(record["ok"], bool)
    assert record["ok"] or record["error"]["code"]

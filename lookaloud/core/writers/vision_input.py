"""The picture as a local vision model is shown it: sized by a pixel budget per detail level.

Shared by both engines of the local vision model (transformers and llama.cpp), and free of
PyTorch, so the llama.cpp path never imports it.
"""

from __future__ import annotations

import hashlib
import io
import math
from typing import Any

from PIL import Image

from lookaloud.core.pipeline.facts import Detail, ImageKind
from lookaloud.core.pipeline.load import image_kind
from lookaloud.core.writers.base import ChatMessage, ImagePart

# Qwen3-VL cuts a picture into 16×16-pixel patches and merges 2×2 of them into one visual
# token, so one token covers 32×32 pixels: the token count grows with the picture's area, the
# square of its side, and so do the vision tower's and the prefill's time (on two cores a
# random real-size 2B model encoded 160 tokens in 1.15 s and 360 tokens in 3.29 s, and read
# them in 1.11 s and 3.24 s). The budgets below are areas in pixels, chosen per detail level.
TOKEN_SIDE_PX = 32
# Screenshots get more pixels than photos: their meaning is in small text. A 1280×800 window
# at the standard 512×512 budget becomes about 640×400, so 13-pixel interface text shrinks to
# about 6.5 pixels, where a small model can misread words: that is why the OCR text goes with
# the picture, verbatim, and why "detailed" gives 768×768 (text at about 10 pixels). Photos
# keep their objects recognisable with fewer tokens. (Budgets chosen from these sizes, not yet
# from measured quality: no trained weights can be fetched here.)
PIXEL_BUDGETS: dict[tuple[ImageKind, Detail], int] = {
    (ImageKind.SCREENSHOT, Detail.BRIEF): 384 * 384,  # about 144 visual tokens
    (ImageKind.SCREENSHOT, Detail.STANDARD): 512 * 512,  # about 256
    (ImageKind.SCREENSHOT, Detail.DETAILED): 768 * 768,  # about 576
    (ImageKind.PHOTO, Detail.BRIEF): 320 * 320,  # about 100
    (ImageKind.PHOTO, Detail.STANDARD): 448 * 448,  # about 196
    (ImageKind.PHOTO, Detail.DETAILED): 640 * 640,  # about 400
}
# Encodings kept for follow-up questions: the picture described and the few prefetched after
# it while browsing (at the real size each is a few megabytes).
KEPT_ENCODINGS = 8


def budgeted_picture(image: Image.Image, detail: Detail = Detail.STANDARD) -> ImagePart:
    """The picture at the pixel budget of its kind and ``detail``, in whole visual tokens,
    as PNG (lossless: the letters of a screenshot stay as sharp as the scaling left them)."""
    budget = PIXEL_BUDGETS[(image_kind(image), detail)]
    width, height = budgeted_size(image.width, image.height, budget)
    # Lanczos keeps the edges of small letters sharper than bilinear scaling does.
    small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG")
    return ImagePart(buffer.getvalue(), "image/png", width, height)


def budgeted_size(width: int, height: int, budget: int) -> tuple[int, int]:
    """The largest size of the same shape, in whole visual tokens, with at most ``budget``
    pixels; never enlarged beyond rounding up to one token."""
    scale = min(1.0, math.sqrt(budget / max(width * height, 1)))
    columns = max(1, round(width * scale / TOKEN_SIDE_PX))
    rows = max(1, round(height * scale / TOKEN_SIDE_PX))
    while columns * rows * TOKEN_SIDE_PX**2 > budget and max(columns, rows) > 1:
        columns, rows = _shrunk(columns, rows)
    return columns * TOKEN_SIDE_PX, rows * TOKEN_SIDE_PX


def _shrunk(columns: int, rows: int) -> tuple[int, int]:
    """One token off the longer side (rounding can overshoot the budget by a row)."""
    return (columns - 1, rows) if columns >= rows else (columns, rows - 1)


def picture_key(part: ImagePart) -> str:
    return hashlib.sha256(part.data).hexdigest()


def chat_turn(message: ChatMessage) -> dict[str, Any]:
    """One chat turn as a vision model's chat template takes it: a picture placeholder per
    image, then the text."""
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, str]] = [{"type": "image"} for _ in message.images]
    return {"role": message.role, "content": [*parts, {"type": "text", "text": message.content}]}

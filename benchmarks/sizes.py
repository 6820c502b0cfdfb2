"""The model sizes the benchmark builds: the real ones, and tiny ones for the quick mode.

The real sizes are those of ``Salesforce/blip-image-captioning-base`` (ViT-B/16 at 384 px and a
BERT-base text decoder), ``Qwen/Qwen3-0.6B`` and ``Qwen/Qwen3-VL-2B-Instruct`` (a 24-block
vision tower and a 28-layer, 2048-wide text model), as published in their ``config.json`` files.
With random weights and a forced output length, compute and memory traffic per call equal the
trained models'.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BlipSize:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    image_px: int
    text_vocab: int
    projection: int


@dataclass(frozen=True)
class QwenSize:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool


@dataclass(frozen=True)
class VisionSize:
    """Qwen3-VL's vision tower: 16-pixel patches, 2×2 of them merged into one visual token."""

    hidden: int
    intermediate: int
    depth: int
    heads: int
    position_embeddings: int
    deepstack: tuple[int, ...]  # the blocks whose features also go to early text layers


@dataclass(frozen=True)
class QwenVlSize:
    text: QwenSize
    vision: VisionSize
    mrope_section: tuple[int, int, int]  # rotary dimensions for time, height and width


@dataclass(frozen=True)
class Sizes:
    name: str
    blip: BlipSize
    qwen: QwenSize
    qwen_vl: QwenVlSize
    tokenizer_vocab: int
    # The tokenizers are trained on Python's docs plus the standard library's docstrings, or on
    # the docs alone (fast, for the quick mode).
    full_corpus: bool


REAL = Sizes(
    name="real",
    blip=BlipSize(
        hidden=768,
        intermediate=3072,
        layers=12,
        heads=12,
        image_px=384,
        text_vocab=30524,
        projection=512,
    ),
    qwen=QwenSize(
        hidden=1024,
        intermediate=3072,
        layers=28,
        heads=16,
        kv_heads=8,
        head_dim=128,
        vocab=151936,
        tied=True,
    ),
    qwen_vl=QwenVlSize(
        text=QwenSize(
            hidden=2048,
            intermediate=6144,
            layers=28,
            heads=16,
            kv_heads=8,
            head_dim=128,
            vocab=151936,
            tied=True,
        ),
        vision=VisionSize(
            hidden=1024,
            intermediate=4096,
            depth=24,
            heads=16,
            position_embeddings=2304,
            deepstack=(5, 11, 17),
        ),
        mrope_section=(24, 20, 20),
    ),
    tokenizer_vocab=32000,
    full_corpus=True,
)

# Small enough to build and run in seconds; the code paths are the same as at the real sizes.
QUICK = Sizes(
    name="quick",
    blip=BlipSize(
        hidden=32, intermediate=64, layers=2, heads=2, image_px=64, text_vocab=2000, projection=32
    ),
    qwen=QwenSize(
        hidden=64,
        intermediate=128,
        layers=2,
        heads=4,
        kv_heads=2,
        head_dim=16,
        vocab=4000,
        tied=True,
    ),
    qwen_vl=QwenVlSize(
        text=QwenSize(
            hidden=64,
            intermediate=128,
            layers=2,
            heads=4,
            kv_heads=2,
            head_dim=16,
            vocab=4000,
            tied=True,
        ),
        vision=VisionSize(
            hidden=32, intermediate=64, depth=2, heads=2, position_embeddings=64, deepstack=(0,)
        ),
        mrope_section=(4, 2, 2),
    ),
    tokenizer_vocab=2000,
    full_corpus=False,
)

"""Build randomly initialised BLIP, Qwen3 and Qwen3-VL checkpoints of a given size, once, into
a cache.

Each folder is saved exactly as a hub checkpoint is (``config.json``, safetensors weights,
tokenizer files, chat template), so Lookaloud loads it with its real loading code. A folder counts
as built only once its ``built.json`` marker is written last, so an interrupted build is redone.

Tokenizers: the real vocabularies cannot be downloaded here, so byte-level BPE (Qwen) and
WordPiece (BLIP) tokenizers are trained on English text that ships with Python itself (see
:mod:`benchmarks.corpus`) and loaded through the real tokenizer classes. On English prose the BPE
one needs about 1.2 tokens per word, close to Qwen's own, so prompts have a realistic length.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import (
    BertTokenizer,
    BlipConfig,
    BlipForConditionalGeneration,
    BlipImageProcessorPil,
    BlipProcessor,
    GenerationConfig,
    Qwen2Tokenizer,
    Qwen2VLImageProcessorPil,
    Qwen3Config,
    Qwen3ForCausalLM,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
)

from benchmarks.corpus import english_corpus
from benchmarks.sizes import Sizes

SEED = 20240
BUILD_VERSION = 1
MARKER = "built.json"

BLIP_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# ChatML as Qwen3's template writes it for a plain chat; with thinking off, the assistant turn
# opens with an empty think block.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}"
    "{%- endif -%}"
    "{%- endif -%}"
)


VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")

# Qwen3-VL's template for these chats: a picture is its placeholder between the vision tokens,
# inside the text of its turn; the Instruct model does not think.
VLM_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def build_models(sizes: Sizes, cache: Path) -> tuple[Path, Path]:
    """The BLIP and Qwen3 folders for ``sizes`` under ``cache``, building what is missing."""
    from lookaloud.core.runtime.hub import quiet_transformers

    quiet_transformers()  # no progress bars from save_pretrained
    root = cache / f"{sizes.name}-v{BUILD_VERSION}"
    blip, qwen = root / "blip", root / "qwen3"
    if not _is_built(blip):
        _build(blip, lambda: _save_blip(blip, sizes))
    if not _is_built(qwen):
        _build(qwen, lambda: _save_qwen(qwen, sizes))
    return blip, qwen


def build_vlm(sizes: Sizes, cache: Path) -> Path:
    """The Qwen3-VL folder for ``sizes`` under ``cache``, built if missing (at the real size
    it takes several minutes and 4.3 GB of disk, so only the local_vlm path asks for it)."""
    from lookaloud.core.runtime.hub import quiet_transformers

    quiet_transformers()
    folder = cache / f"{sizes.name}-v{BUILD_VERSION}" / "qwen3-vl"
    if not _is_built(folder):
        _build(folder, lambda: _save_qwen_vl(folder, sizes))
    return folder


def _is_built(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _build(folder: Path, save: Any) -> None:
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    save()
    seconds = round(time.perf_counter() - began, 1)
    (folder / MARKER).write_text(json.dumps({"seconds": seconds}), encoding="utf-8")


def _save_blip(folder: Path, sizes: Sizes) -> None:
    tokenizer = blip_tokenizer(sizes)
    image_px = sizes.blip.image_px
    processor = BlipProcessor(  # type: ignore[no-untyped-call]
        image_processor=BlipImageProcessorPil(size={"height": image_px, "width": image_px}),
        tokenizer=tokenizer,
    )
    torch.manual_seed(SEED)
    model = BlipForConditionalGeneration(blip_config(sizes, tokenizer))
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def _save_qwen(folder: Path, sizes: Sizes) -> None:
    tokenizer = qwen_tokenizer(sizes)
    torch.manual_seed(SEED)
    model = Qwen3ForCausalLM(qwen_config(sizes, tokenizer))
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    # Stored in bf16 like the published Qwen3 weights; the loader picks the dtype it runs in.
    model.to(dtype=torch.bfloat16)  # type: ignore[call-arg]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _save_qwen_vl(folder: Path, sizes: Sizes) -> None:
    tokenizer = qwen_tokenizer(sizes)
    tokenizer.add_tokens(list(VISION_TOKENS), special_tokens=True)
    tokenizer.chat_template = VLM_CHAT_TEMPLATE
    torch.manual_seed(SEED)
    # Made in bf16 at once, as its weights are published: 2.1 billion fp32 weights would need
    # 8.5 GB of memory before the conversion.
    with _default_dtype(torch.bfloat16):
        model = Qwen3VLForConditionalGeneration(qwen_vl_config(sizes, tokenizer))
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    _qwen_vl_image_processor().save_pretrained(folder)


@contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _qwen_vl_image_processor() -> Qwen2VLImageProcessorPil:
    """As Qwen3-VL-2B-Instruct's preprocessor_config.json has it; Lookaloud passes its own
    pixel budget with each picture."""
    return Qwen2VLImageProcessorPil(
        size={"shortest_edge": 65536, "longest_edge": 16777216},
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )


def qwen_vl_config(sizes: Sizes, tokenizer: Qwen2Tokenizer) -> Qwen3VLConfig:
    vl = sizes.qwen_vl
    text, vision = vl.text, vl.vision
    ids: dict[str, int] = {t: tokenizer.convert_tokens_to_ids(t) for t in VISION_TOKENS}  # type: ignore[misc]
    text_config = {
        "vocab_size": text.vocab,
        "hidden_size": text.hidden,
        "intermediate_size": text.intermediate,
        "num_hidden_layers": text.layers,
        "num_attention_heads": text.heads,
        "num_key_value_heads": text.kv_heads,
        "head_dim": text.head_dim,
        "max_position_embeddings": 262144,
        "rms_norm_eps": 1e-6,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 5_000_000.0,
            "mrope_section": list(vl.mrope_section),
            "mrope_interleaved": True,
        },
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": None,
    }
    vision_config = {
        "depth": vision.depth,
        "hidden_size": vision.hidden,
        "intermediate_size": vision.intermediate,
        "num_heads": vision.heads,
        "patch_size": 16,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "out_hidden_size": text.hidden,
        "num_position_embeddings": vision.position_embeddings,
        "deepstack_visual_indexes": list(vision.deepstack),
    }
    return Qwen3VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=text.tied,
    )


def blip_config(sizes: Sizes, tokenizer: BertTokenizer) -> BlipConfig:
    b = sizes.blip
    shared = {"hidden_size": b.hidden, "intermediate_size": b.intermediate}
    text = {
        **shared,
        "num_hidden_layers": b.layers,
        "num_attention_heads": b.heads,
        "encoder_hidden_size": b.hidden,
        "vocab_size": b.text_vocab,
        "max_position_embeddings": 512,
        "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"),
        "sep_token_id": tokenizer.sep_token_id,
        "eos_token_id": tokenizer.sep_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision = {
        **shared,
        "num_hidden_layers": b.layers,
        "num_attention_heads": b.heads,
        "image_size": b.image_px,
        "patch_size": 16,
    }
    return BlipConfig(text_config=text, vision_config=vision, projection_dim=b.projection)


def qwen_config(sizes: Sizes, tokenizer: Qwen2Tokenizer) -> Qwen3Config:
    q = sizes.qwen
    return Qwen3Config(
        vocab_size=q.vocab,
        hidden_size=q.hidden,
        intermediate_size=q.intermediate,
        num_hidden_layers=q.layers,
        num_attention_heads=q.heads,
        num_key_value_heads=q.kv_heads,
        head_dim=q.head_dim,
        max_position_embeddings=40960,
        rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},
        tie_word_embeddings=q.tied,
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )


def blip_tokenizer(sizes: Sizes) -> BertTokenizer:
    """A lower-case WordPiece tokenizer of BERT-base's size; BLIP decodes from "[DEC]"."""
    size = sizes.blip.text_vocab - 2
    trainer = trainers.WordPieceTrainer(
        vocab_size=size, special_tokens=BLIP_SPECIALS, show_progress=False
    )
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(_lines(sizes, lower=True), trainer=trainer)
    vocab = sorted(wordpiece.get_vocab().items(), key=lambda item: item[1])
    tokens = [token for token, _ in vocab]
    # Like BERT's "[unusedN]" entries: the vocabulary has the model's full size even when the
    # corpus yields fewer pieces, so every id the random decoder picks can be decoded.
    tokens += [f"[unused{n}]" for n in range(size - len(tokens))]
    ids = {token: index for index, token in enumerate([*tokens, "[DEC]", "[ENC]"])}
    return BertTokenizer(vocab=ids, bos_token="[DEC]")


def qwen_tokenizer(sizes: Sizes) -> Qwen2Tokenizer:
    """A byte-level BPE tokenizer in Qwen2Tokenizer with Qwen3's special tokens and template."""
    trainer = trainers.BpeTrainer(
        vocab_size=sizes.tokenizer_vocab,
        special_tokens=QWEN_SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(_lines(sizes, lower=False), trainer=trainer)
    tokenizer = Qwen2Tokenizer(
        vocab=bpe.get_vocab(),
        merges=_merges(bpe),  # type: ignore[arg-type]  # pairs, though typed as strings
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.add_tokens(["<|im_start|>"], special_tokens=True)
    # As in Qwen3 the think tags are ordinary added tokens, not special ones.
    tokenizer.add_tokens(["<think>", "</think>"])
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _lines(sizes: Sizes, *, lower: bool) -> list[str]:
    text = english_corpus(full=sizes.full_corpus)
    return (text.lower() if lower else text).splitlines()


def _merges(bpe: Tokenizer) -> list[tuple[str, str]]:
    raw = json.loads(bpe.to_str())["model"]["merges"]
    return [tuple(pair) if isinstance(pair, list) else tuple(pair.split(" ")) for pair in raw]

"""A Qwen3-VL folder converted for llama.cpp reads pictures as transformers does.

The tiny random Qwen3-VL is converted with exact (f32) weights; llama.cpp's multimodal library
(mtmd, through the binding's ctypes functions) then encodes a picture and writes greedily, and
the tokens must be transformers' own, for two different pictures that get different answers.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from lookaloud.core.runtime.gguf_convert import VisionModelFiles, convert_vision

pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
pytest.importorskip("gguf", reason="the gguf library is not installed")

NEW_TOKENS = 16
QUESTION = "What is in the picture?"


@pytest.fixture(scope="module")
def converted(
    tiny_qwen3_vl_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> VisionModelFiles:
    out = tmp_path_factory.mktemp("qwen3-vl-gguf") / "tiny-qwen3-vl-f32.gguf"
    return convert_vision(tiny_qwen3_vl_dir, out, "f32")


def noise(seed: int) -> Image.Image:
    """64×64 pixels: two merged patches each way, so neither engine resizes it."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))


def test_both_files_are_written_beside_each_other(converted: VisionModelFiles) -> None:
    assert converted.text.is_file() and converted.projector.is_file()
    assert converted.projector.name == f"mmproj-{converted.text.name}"


def test_a_folder_that_is_not_qwen3_vl_is_refused(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not Qwen3-VL"):
        convert_vision(tiny_qwen_dir, tmp_path / "x.gguf", "f32")


def test_with_exact_weights_llamacpp_reads_pictures_as_transformers_does(
    tiny_qwen3_vl_dir: Path, converted: VisionModelFiles
) -> None:
    expected = [transformers_answer(tiny_qwen3_vl_dir, noise(seed)) for seed in (1, 2)]
    with mtmd_reader(converted) as read:
        written = [read(noise(seed)) for seed in (1, 2)]
    assert written == expected
    assert written[0] != written[1]  # the model sees the picture


def transformers_answer(folder: Path, picture: Image.Image) -> list[int]:
    import torch
    from transformers import AutoImageProcessor, AutoTokenizer, Qwen3VLForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(folder)
    pixels = AutoImageProcessor.from_pretrained(folder)(images=[picture], return_tensors="pt")
    model = Qwen3VLForConditionalGeneration.from_pretrained(folder, dtype=torch.float32)
    grid = pixels["image_grid_thw"]
    image_tokens = int(grid.prod()) // model.config.vision_config.spatial_merge_size**2
    vision = "<|vision_start|>" + "<|image_pad|>" * image_tokens + "<|vision_end|>"
    inputs = tokenizer(turn(vision), return_tensors="pt")
    # Without the token types transformers falls back to plain positions for the picture.
    inputs["mm_token_type_ids"] = (inputs["input_ids"] == model.config.image_token_id).int()
    with torch.inference_mode():
        out = model.generate(
            **inputs,
            pixel_values=pixels["pixel_values"],
            image_grid_thw=grid,
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
        )
    return [int(token) for token in out[0, inputs["input_ids"].shape[1] :]]


def turn(picture_part: str) -> str:
    return f"<|im_start|>user\n{picture_part}{QUESTION}<|im_end|>\n<|im_start|>assistant\n"


class _Reader:
    """Greedy writing after a picture, with the binding's low-level functions."""

    def __init__(self, files: VisionModelFiles) -> None:
        import llama_cpp
        from llama_cpp import mtmd_cpp

        self.llama_cpp, self.mtmd = llama_cpp, mtmd_cpp
        self.llm = llama_cpp.Llama(str(files.text), n_ctx=512, n_threads=2, verbose=False)
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu, params.n_threads, params.warmup = False, 2, False
        params.print_timings = False
        params.image_min_tokens = 1  # a 64-pixel picture stays as it is
        self.context = mtmd_cpp.mtmd_init_from_file(
            str(files.projector).encode(), self.llm._model.model, params
        )
        assert self.context, "mtmd could not load the projector"

    def __call__(self, picture: Image.Image) -> list[int]:
        lc, mtmd, context = self.llama_cpp, self.mtmd, self.llm._ctx.ctx
        lc.llama_memory_clear(lc.llama_get_memory(context), True)
        rgb = np.ascontiguousarray(np.asarray(picture.convert("RGB"), dtype=np.uint8))
        data = (ctypes.c_uint8 * rgb.size).from_buffer_copy(rgb.tobytes())
        bitmap = mtmd.mtmd_bitmap_init(picture.width, picture.height, data)
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            text = turn(mtmd.mtmd_default_marker().decode()).encode()
            given = mtmd.mtmd_input_text(text, len(text), False, True)
            bitmaps = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
            assert mtmd.mtmd_tokenize(self.context, chunks, ctypes.byref(given), bitmaps, 1) == 0
            past = lc.llama_pos(0)
            evaluated = mtmd.mtmd_helper_eval_chunks(
                self.context, context, chunks, 0, 0, 512, True, ctypes.byref(past)
            )
            assert evaluated == 0
            return self._greedy(past.value)
        finally:
            mtmd.mtmd_input_chunks_free(chunks)
            mtmd.mtmd_bitmap_free(bitmap)

    def _greedy(self, position: int) -> list[int]:
        lc, context = self.llama_cpp, self.llm._ctx.ctx
        vocabulary = lc.llama_vocab_n_tokens(lc.llama_model_get_vocab(self.llm._model.model))
        batch: Any = lc.llama_batch_init(1, 0, 1)
        written: list[int] = []
        try:
            for _ in range(NEW_TOKENS):
                logits = np.ctypeslib.as_array(
                    lc.llama_get_logits_ith(context, -1), shape=(vocabulary,)
                )
                written.append(int(np.argmax(logits)))
                batch.n_tokens, batch.token[0], batch.pos[0] = 1, written[-1], position
                batch.n_seq_id[0], batch.seq_id[0][0], batch.logits[0] = 1, 0, 1
                assert lc.llama_decode(context, batch) == 0
                position += 1
        finally:
            lc.llama_batch_free(batch)
        return written

    def close(self) -> None:
        self.mtmd.mtmd_free(self.context)
        self.llm.close()


@contextlib.contextmanager
def mtmd_reader(files: VisionModelFiles) -> Iterator[_Reader]:
    reader = _Reader(files)
    try:
        yield reader
    finally:
        reader.close()

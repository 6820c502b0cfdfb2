"""The speed levers kept in the product: memory handed back, bf16 captions, one-token steps
off oneDNN, the attention implementation."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.perception.captioner import BlipCaptioner
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.runtime.memory import return_free_memory
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.local import DEFAULT_ATTENTION, LocalQwenWriter

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")
MESSAGES = [
    ChatMessage("system", "You describe images for blind readers."),
    ChatMessage("user", "Facts: a red car on a street. Describe it."),
]


def resident_kb() -> int:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS line")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_goes_back_to_the_system() -> None:
    blocks = [bytearray(4096) for _ in range(40_000)]  # ~160 MB in small C blocks
    survivors = blocks[::64]  # the rest is freed but stays inside glibc's heap
    del blocks
    gc.collect()
    held = resident_kb()
    assert return_free_memory()
    assert resident_kb() < held - 100_000
    assert survivors


def test_captioner_runs_in_the_dtype_it_is_given(tiny_blip_dir: Path) -> None:
    captioner = BlipCaptioner(str(tiny_blip_dir), hub=OFFLINE, dtype=torch.bfloat16)
    captions = captioner.caption([Image.new("RGB", (64, 64), (200, 30, 30))], max_new_tokens=5)
    assert captioner._loaded is not None
    assert captioner._loaded.model.dtype == torch.bfloat16
    assert len(captions) == 1 and captions[0]


def test_writer_loads_the_chosen_attention(tiny_qwen_dir: Path) -> None:
    default = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    eager = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, attention="eager").load()
    assert default.model.config._attn_implementation == DEFAULT_ATTENTION
    assert eager.model.config._attn_implementation == "eager"
    assert default.model is not eager.model  # each choice is its own shared copy


class OneDnnWatch:
    """Notes, after each forward pass of ``model``, its input length and whether oneDNN was on."""

    def __init__(self, model: Any) -> None:
        self.steps: list[tuple[int, bool]] = []
        self._handle = model.register_forward_hook(self._note, with_kwargs=True)

    def _note(self, module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        self.steps.append((int(kwargs["input_ids"].shape[-1]), bool(torch.backends.mkldnn.enabled)))

    def remove(self) -> None:
        self._handle.remove()


def generated_steps(writer: LocalQwenWriter) -> list[tuple[int, bool]]:
    watch = OneDnnWatch(writer.load().model)
    try:
        list(writer.stream(MESSAGES, GenerationParams(max_new_tokens=4, seed=3), CancelToken()))
    finally:
        watch.remove()
    return watch.steps


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="needs oneDNN")
def test_one_token_steps_of_a_bf16_writer_run_without_onednn(tiny_qwen_dir: Path) -> None:
    writer = LocalQwenWriter(
        str(tiny_qwen_dir), hub=OFFLINE, dtype=torch.bfloat16, reuse_prefix=False
    )
    steps = generated_steps(writer)
    assert steps[0][0] > 1 and steps[0][1]  # the prompt: oneDNN
    assert len(steps) > 1 and all(length == 1 and not on for length, on in steps[1:])
    assert torch.backends.mkldnn.enabled  # switched back after writing


def test_the_switch_can_be_left_off_and_leaves_fp32_alone(tiny_qwen_dir: Path) -> None:
    off = LocalQwenWriter(
        str(tiny_qwen_dir), hub=OFFLINE, dtype=torch.bfloat16, native_decode_matmuls=False
    )
    fp32 = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, dtype=torch.float32)
    for writer in (off, fp32):
        assert all(on for _, on in generated_steps(writer))

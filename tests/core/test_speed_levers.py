"""The speed levers kept in the product: memory handed back, bf16 captions, eager attention."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from lookaloud.core.memory import return_free_memory
from lookaloud.core.models import HubAccess
from lookaloud.core.perception.captioner import BlipCaptioner
from lookaloud.core.writers.local import DEFAULT_ATTENTION, LocalQwenWriter

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")


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


def test_writer_loads_eager_attention_by_default_and_sdpa_on_request(
    tiny_qwen_dir: Path,
) -> None:
    assert DEFAULT_ATTENTION == "eager"
    default = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    sdpa = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, attention="sdpa").load()
    assert default.model.config._attn_implementation == "eager"
    assert sdpa.model.config._attn_implementation == "sdpa"
    assert default.model is not sdpa.model  # each choice is its own shared copy

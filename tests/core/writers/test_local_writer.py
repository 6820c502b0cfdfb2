from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import torch

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ModelLoadFailed, ModelMissing, WriterError
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.local import LocalQwenWriter, cpu_has_native_bf16, preferred_dtype

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")
MESSAGES = [
    ChatMessage("system", "You describe images for blind readers."),
    ChatMessage("user", "Facts: a red car on a street. Describe it."),
]
SAMPLED = GenerationParams(max_new_tokens=30, seed=1)


@pytest.fixture
def writer(tiny_qwen_dir: Path) -> LocalQwenWriter:
    return LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE)


def write(writer: LocalQwenWriter, params: GenerationParams) -> list[str]:
    return list(writer.stream(MESSAGES, params, CancelToken()))


def model_still_writing() -> bool:
    """Whether the compute thread is still busy: a no-op queued behind the writer must run soon
    (the tests that use this ask for thousands of tokens, which would take many seconds)."""
    try:
        compute_thread().submit(lambda: None).result(timeout=3)
    except TimeoutError:
        return True
    return False


def test_identity(writer: LocalQwenWriter, tiny_qwen_dir: Path) -> None:
    assert writer.backend == "local"
    assert writer.model_name == str(tiny_qwen_dir)


def test_prompt_uses_the_chat_template_with_thinking_off(writer: LocalQwenWriter) -> None:
    prompt = writer.build_prompt(MESSAGES)
    assert prompt.startswith("<|im_start|>system\nYou describe images for blind readers.<|im_end|>")
    assert "<|im_start|>user\nFacts: a red car on a street. Describe it.<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_stream_yields_several_pieces(writer: LocalQwenWriter) -> None:
    pieces = write(writer, SAMPLED)
    assert len(pieces) >= 3
    assert all(pieces)
    assert not any(tag in "".join(pieces) for tag in ("<think>", "</think>", "<|im_end|>"))


def test_same_seed_same_text_and_max_new_tokens_cuts_it(writer: LocalQwenWriter) -> None:
    full = "".join(write(writer, SAMPLED))
    assert "".join(write(writer, SAMPLED)) == full
    short = "".join(write(writer, GenerationParams(max_new_tokens=3, seed=1)))
    assert short and len(short) < len(full) and full.startswith(short)


def test_zero_temperature_is_greedy_whatever_the_seed(writer: LocalQwenWriter) -> None:
    first = write(writer, GenerationParams(max_new_tokens=12, temperature=0.0, seed=1))
    second = write(writer, GenerationParams(max_new_tokens=12, temperature=0.0, seed=2))
    sampled = write(writer, GenerationParams(max_new_tokens=12, temperature=1.0, seed=2))
    assert first and first == second
    assert sampled != first


def test_cancel_mid_generation_stops_quickly(writer: LocalQwenWriter) -> None:
    writer.load()
    cancel = CancelToken()
    started = time.monotonic()
    received = []
    with pytest.raises(Cancelled):
        for piece in writer.stream(MESSAGES, GenerationParams(max_new_tokens=2000, seed=3), cancel):
            received.append(piece)
            threading.Thread(target=cancel.cancel).start()
    assert received
    assert time.monotonic() - started < 2
    assert not model_still_writing()


def test_cancelled_before_start_writes_nothing(writer: LocalQwenWriter) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        next(writer.stream(MESSAGES, SAMPLED, cancel))


def test_abandoned_stream_stops_the_model(writer: LocalQwenWriter) -> None:
    stream = writer.stream(MESSAGES, GenerationParams(max_new_tokens=2000, seed=3), CancelToken())
    next(stream)
    stream.close()
    assert not model_still_writing()


def test_failure_inside_generate_reaches_the_reader(writer: LocalQwenWriter) -> None:
    with pytest.raises(WriterError, match="failed while writing") as caught:
        write(writer, GenerationParams(max_new_tokens=5, repetition_penalty=-1.0))
    assert isinstance(caught.value.__cause__, ValueError)
    assert not model_still_writing()


def test_model_loads_once_per_process(tiny_qwen_dir: Path) -> None:
    first = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    second = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    assert first.model is second.model
    assert first.tokenizer is second.tokenizer


def test_dtype_is_part_of_the_cache_key(tiny_qwen_dir: Path) -> None:
    fp32 = LocalQwenWriter(str(tiny_qwen_dir), dtype=torch.float32, hub=OFFLINE).load()
    bf16 = LocalQwenWriter(str(tiny_qwen_dir), dtype=torch.bfloat16, hub=OFFLINE).load()
    assert fp32.model.dtype == torch.float32
    assert bf16.model.dtype == torch.bfloat16
    assert fp32.model is not bf16.model


def test_missing_model_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "qwen"
    with pytest.raises(ModelMissing, match=str(missing)):
        LocalQwenWriter(str(missing), hub=OFFLINE).load()


def test_model_without_chat_template_is_refused(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "no-template"
    shutil.copytree(tiny_qwen_dir, folder, ignore=shutil.ignore_patterns("chat_template.jinja"))
    with pytest.raises(ModelLoadFailed, match="has no chat template"):
        LocalQwenWriter(str(folder), hub=OFFLINE).load()


CPUINFO_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_tile\n"
CPUINFO_PLAIN = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\nbugs\t\t: avx512_bf16_lies\n"


def test_bf16_flag_detection() -> None:
    assert cpu_has_native_bf16(CPUINFO_BF16)
    assert cpu_has_native_bf16("flags : amx_bf16 amx_tile")
    assert not cpu_has_native_bf16(CPUINFO_PLAIN)
    assert not cpu_has_native_bf16("")


def test_preferred_dtype(tmp_path: Path) -> None:
    with_bf16, without = tmp_path / "bf16", tmp_path / "plain"
    with_bf16.write_text(CPUINFO_BF16)
    without.write_text(CPUINFO_PLAIN)
    assert preferred_dtype(platform="linux", cpuinfo_path=with_bf16) == torch.bfloat16
    assert preferred_dtype(platform="linux", cpuinfo_path=without) == torch.float32
    assert preferred_dtype(platform="win32", cpuinfo_path=with_bf16) == torch.float32
    assert preferred_dtype(platform="linux", cpuinfo_path=tmp_path / "absent") == torch.float32

"""Session-wide fixtures: tiny real checkpoints built once per test run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# pytest imports test files by rootdir, not as a package, so the shared fixture builders in
# tests/fixtures are made importable by putting the tests folder itself on the path.
sys.path.insert(0, str(Path(__file__).parent))

from fixtures.tiny_models import build_tiny_blip, build_tiny_qwen3
from fixtures.tiny_qwen3_vl import build_tiny_qwen3_vl
from fixtures.tiny_vlm import build_tiny_vlm
from helpers.serve import Served, transformers_serve


@pytest.fixture(scope="session")
def tiny_blip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer BLIP captioning checkpoint (safetensors, real processor files)."""
    return build_tiny_blip(tmp_path_factory.mktemp("tiny-blip"))


@pytest.fixture(scope="session")
def tiny_qwen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer Qwen3 checkpoint with a byte-level BPE tokenizer and chat template."""
    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3"))


@pytest.fixture(scope="session")
def tiny_vlm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny LLaVA (CLIP vision tower, Qwen3 text model) that runs on CPU."""
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"))


@pytest.fixture(scope="session")
def tiny_qwen3_vl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer Qwen3-VL (vision tower and text model) with the hub's processor files."""
    return build_tiny_qwen3_vl(tmp_path_factory.mktemp("tiny-qwen3-vl"))


@pytest.fixture(scope="session")
def tiny_qwen3_vl_gguf_dir(
    tiny_qwen3_vl_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny Qwen3-VL as llama.cpp reads it: a folder holding its two GGUF files, the
    language model and mmproj-…, in exact (f32) weights."""
    from lookaloud.core.runtime.gguf_convert import convert_vision

    folder = tmp_path_factory.mktemp("tiny-qwen3-vl-gguf")
    convert_vision(tiny_qwen3_vl_dir, folder / "tiny-qwen3-vl-f32.gguf", "f32")
    return folder


@pytest.fixture(scope="session")
def served_qwen(tiny_qwen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``transformers serve`` serving the tiny Qwen3 on loopback, once per test run."""
    with transformers_serve(tiny_qwen_dir, tmp_path_factory.mktemp("serve-qwen")) as served:
        yield served


@pytest.fixture(scope="session")
def served_vlm(tiny_vlm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``transformers serve`` serving the tiny LLaVA on loopback, once per test run."""
    with transformers_serve(tiny_vlm_dir, tmp_path_factory.mktemp("serve-vlm")) as served:
        yield served


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    """Run the tiny models on one thread.

    Their matrices are so small that a second thread only adds synchronisation; on a shared,
    busy machine that made 30 tokens take 2 s instead of 0.06 s.
    """
    torch.set_num_threads(1)

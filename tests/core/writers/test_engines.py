"""Which engine writes: the auto rule, the .gguf file found for a model, and the sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookaloud.core.errors import SettingsError
from lookaloud.core.writers.engines import choose_engine, gguf_file


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "model.safetensors").write_bytes(b"")
    return tmp_path


def test_auto_takes_llamacpp_when_installed_and_the_folder_has_a_gguf(folder: Path) -> None:
    (folder / "qwen3-q4_0.gguf").write_bytes(b"")
    (folder / "qwen3-q8_0.gguf").write_bytes(b"")
    chosen = choose_engine("auto", str(folder), installed=True)
    assert chosen.gguf == folder / "qwen3-q8_0.gguf"  # 8 bits before 4
    assert chosen.notices == ()


def test_auto_takes_transformers_for_a_folder_without_gguf(folder: Path) -> None:
    assert choose_engine("auto", str(folder), installed=True).gguf is None


def test_auto_without_the_binding_says_once_that_transformers_writes(folder: Path) -> None:
    (folder / "qwen3-q8_0.gguf").write_bytes(b"")
    chosen = choose_engine("auto", str(folder), installed=False)
    assert chosen.gguf is None
    assert "transformers" in chosen.notices[0] and "install.sh" in chosen.notices[0]


def test_a_lone_gguf_file_without_the_binding_is_a_sentence(tmp_path: Path) -> None:
    lone = tmp_path / "qwen3.gguf"
    lone.write_bytes(b"")
    with pytest.raises(SettingsError, match="not installed"):
        choose_engine("auto", str(lone), installed=False)


def test_llamacpp_asked_for_with_no_gguf_names_the_convert_command(folder: Path) -> None:
    with pytest.raises(SettingsError, match="lookaloud models convert"):
        choose_engine("llamacpp", str(folder), installed=True)


def test_transformers_asked_for_is_transformers(folder: Path) -> None:
    (folder / "qwen3-q8_0.gguf").write_bytes(b"")
    assert choose_engine("transformers", str(folder), installed=True).gguf is None


def test_a_hub_id_has_no_gguf_here() -> None:
    assert gguf_file("Qwen/Qwen3-0.6B") is None

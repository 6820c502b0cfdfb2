"""``lookaloud models convert`` and ``--engine``: a Qwen3 folder made into a .gguf file, and
descriptions written by llama.cpp from it, through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_cli_describe import lookaloud, user_env  # noqa: F401 - the fixture is used by name

from helpers.render import render_dialog


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "dialog.png"
    render_dialog(path)
    return path


def test_llamacpp_without_a_gguf_file_is_a_sentence_naming_the_convert_command(
    picture: Path,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    args = ["describe", str(picture), "--engine", "llamacpp"]
    args += ["--caption-model", str(tiny_blip_dir), "--writer-model", str(tiny_qwen_dir)]
    done = lookaloud(args, user_env)
    assert done.returncode != 0
    assert "lookaloud models convert" in done.stderr
    assert "Traceback" not in done.stderr


def test_convert_then_describe_with_llamacpp(
    picture: Path,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    tmp_path: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    pytest.importorskip("gguf", reason="the gguf library is not installed")
    pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
    folder = shutil.copytree(tiny_qwen_dir, tmp_path / "qwen")
    converted = lookaloud(["models", "convert", str(folder)], user_env)
    assert converted.returncode == 0, converted.stderr
    gguf = folder / "qwen-q8_0.gguf"
    assert gguf.is_file() and str(gguf) in converted.stdout
    args = ["describe", str(picture), "--json", "--engine", "auto", "--max-attempts", "1"]
    args += ["--caption-model", str(tiny_blip_dir), "--writer-model", str(folder)]
    done = lookaloud(args, user_env)
    record = json.loads(done.stdout.splitlines()[0])
    assert record["ok"], done.stderr
    assert record["description"]

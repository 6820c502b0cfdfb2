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


def test_convert_writes_a_qwen3_vl_folder_as_a_text_model_and_its_vision_projector(
    tiny_qwen3_vl_dir: Path,
    tmp_path: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    gguf = pytest.importorskip("gguf", reason="the gguf library is not installed")
    folder = shutil.copytree(tiny_qwen3_vl_dir, tmp_path / "qwen-vl")
    converted = lookaloud(["models", "convert", str(folder), "--weights", "q4_0"], user_env)
    assert converted.returncode == 0, converted.stderr
    text, projector = folder / "qwen-vl-q4_0.gguf", folder / "mmproj-qwen-vl-q4_0.gguf"
    assert str(text) in converted.stdout and str(projector) in converted.stdout
    architecture = gguf.GGUFReader(text).fields["general.architecture"]
    assert bytes(architecture.parts[-1]).decode() == "qwen3vl"
    kinds = {t.tensor_type.name for t in gguf.GGUFReader(text).tensors}
    assert "Q4_0" in kinds  # the language model in the chosen weights
    projector_type = gguf.GGUFReader(projector).fields["clip.projector_type"]
    assert bytes(projector_type.parts[-1]).decode() == "qwen3vl_merger"


def test_a_folder_that_cannot_be_converted_is_a_sentence(
    tmp_path: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    pytest.importorskip("gguf", reason="the gguf library is not installed")
    (tmp_path / "config.json").write_text('{"model_type": "qwen3_vl"}', encoding="utf-8")
    done = lookaloud(["models", "convert", str(tmp_path)], user_env)
    assert done.returncode != 0
    assert "could not be converted" in done.stderr and "no vision_config" in done.stderr
    assert "Traceback" not in done.stderr


def test_pull_fetches_the_published_gguf_and_auto_describes_with_it(
    picture: Path,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    tmp_path: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    """The default writer, named by its hub id: `models pull` downloads its .gguf release
    (here the tiny model's, from a hub stand-in on loopback) and leaves out the folder."""
    pytest.importorskip("gguf", reason="the gguf library is not installed")
    pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
    from helpers.fake_hub import serve_file
    from lookaloud.core.runtime.gguf_convert import convert
    from lookaloud.core.runtime.gguf_release import RELEASES

    release = RELEASES["Qwen/Qwen3-0.6B"]
    payload = convert(tiny_qwen_dir, tmp_path / "tiny.gguf", "q8_0").read_bytes()
    config = Path(user_env["XDG_CONFIG_HOME"]) / "lookaloud"
    config.mkdir(parents=True)
    (config / "settings.toml").write_text(
        f'version = 1\n[models]\ncaption_model = "{tiny_blip_dir}"\n', encoding="utf-8"
    )
    env = {**user_env, "HF_HUB_CACHE": str(tmp_path / "hub")}
    env.pop("HF_HUB_OFFLINE")
    with serve_file(release.repo, release.filename, payload) as url:
        pulled = lookaloud(["models", "pull"], {**env, "HF_ENDPOINT": url})
    assert pulled.returncode == 0, pulled.stderr
    assert "Qwen3-0.6B-Q8_0.gguf" in pulled.stdout and "ready" in pulled.stdout
    assert not list((tmp_path / "hub").glob("models--Qwen--Qwen3-0.6B")), "folder not needed"
    offline = {**env, "HF_HUB_OFFLINE": "1"}
    args = ["describe", str(picture), "--json", "--max-attempts", "1"]
    done = lookaloud(args, offline)
    record = json.loads(done.stdout.splitlines()[0])
    assert record["ok"] and record["written_by"] in ("llamacpp", "facts"), done.stderr
    assert record["engine"] == "llamacpp"

"""The remote backends against a real OpenAI-compatible server: ``transformers serve``.

The served models are tiny and random, so their words are gibberish: these tests check the
protocol, the shapes and the behaviour (streaming, the model name, images reaching the vision
model, follow-up questions), never the text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from helpers.render import render_dialog, render_photo_like
from helpers.serve import Served
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.cancel import CancelToken
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.session import Session
from lookaloud.core.settings import RemoteSettings
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.openai_api import Endpoint
from lookaloud.core.writers.remote import RemoteWriter
from lookaloud.core.writers.remote_vlm import RemoteVlmWriter

GREEDY = GenerationParams(max_new_tokens=12, temperature=0.0)


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[var] = str(tmp_path / var.lower())
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    env.pop("LOOKALOUD_API_KEY", None)
    return env


def lookaloud(
    args: list[str], env: dict[str, str], code: str = "pass"
) -> subprocess.CompletedProcess[str]:
    """Runs the CLI in a fresh process; ``code`` runs after it, in the same process."""
    program = (
        "import sys; from lookaloud.__main__ import main; rc = main(sys.argv[1:]); "
        f"{code}; sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def test_the_remote_writer_streams_pieces_without_think_tags(served_qwen: Served) -> None:
    writer = RemoteWriter(Endpoint(served_qwen.base_url, served_qwen.model))
    messages = [ChatMessage("system", "Describe images."), ChatMessage("user", "A dialog.")]
    pieces = list(writer.stream(messages, GenerationParams(max_new_tokens=20), CancelToken()))
    writer.close()
    assert len(pieces) > 3  # streamed token by token, not in one block
    text = "".join(pieces)
    assert text.strip() and "<think>" not in text and "</think>" not in text


def test_describe_with_the_remote_backend_as_json(
    served_qwen: Served, tiny_blip_dir: Path, tmp_path: Path, user_env: dict[str, str]
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    args = ["describe", str(dialog), "--json", "--backend", "remote"]
    args += ["--base-url", served_qwen.base_url.removesuffix("/v1") + "/"]  # normalized
    args += ["--model", served_qwen.model, "--caption-model", str(tiny_blip_dir)]
    done = lookaloud(
        args, user_env, "import json; print(json.dumps(list(sys.modules)), file=sys.stderr)"
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["ok"] and record["backend"] == "remote" and record["description"]
    assert record["written_by"] in ("remote", "facts") and 1 <= record["attempts"] <= 3
    assert record["caption"] and [r["position"] for r in record["regions"]] == [
        "left",
        "centre",
        "right",
    ]
    assert any("Save changes?" in line["text"] for line in record["text_lines"])
    timings = record["timings_ms"]
    assert {"load_image", "caption", "ocr", "write", "first_sentence", "total"} <= set(timings)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert "lookaloud.core.writers.local" not in modules  # the local writer was never needed
    print("remote describe timings_ms:", timings)  # for the closing note (pytest -s)


def test_remote_check_lists_and_times_a_tiny_request(
    served_qwen: Served, user_env: dict[str, str]
) -> None:
    args = ["remote", "check", "--base-url", served_qwen.base_url, "--model", served_qwen.model]
    done = lookaloud(args, user_env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Server: {served_qwen.base_url}"
    assert lines[1] == f"Models: {served_qwen.model}"  # 5.24 lists the model it serves
    assert lines[2].startswith(f"Model {served_qwen.model} answered") and " ms in all)." in lines[2]


def test_a_model_the_server_does_not_serve_is_named(
    served_qwen: Served, user_env: dict[str, str]
) -> None:
    args = ["remote", "check", "--base-url", served_qwen.base_url, "--model", "qwen-huge"]
    done = lookaloud(args, user_env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"lookaloud: The server has no model named qwen-huge; it has: {served_qwen.model}."
    )


def test_the_vision_model_is_sent_the_image(served_vlm: Served) -> None:
    writer = RemoteVlmWriter(Endpoint(served_vlm.base_url, served_vlm.model))
    replies = []
    for colour in ((200, 30, 30), (20, 40, 220)):
        part = writer.prepare_image(Image.new("RGB", (320, 200), colour))
        message = ChatMessage("user", "Describe this image.", (part,))
        replies.append("".join(writer.stream([message], GREEDY, CancelToken())))
    writer.close()
    # Greedy decoding of the same prompt: only the picture differs, so the replies do too.
    assert replies[0] and replies[1] and replies[0] != replies[1]


def test_remote_vlm_describes_and_answers_a_follow_up_with_the_image(
    served_vlm: Served, tmp_path: Path
) -> None:
    choice = ModelChoice(
        "unused-captioner",
        "unused-writer",
        ocr=False,
        backend="remote-vlm",
        remote=RemoteSettings(base_url=served_vlm.base_url, model=served_vlm.model),
    )
    pipeline = Pipeline(models_for(choice), PipelineConfig(max_attempts=2))
    result = pipeline.run(render_photo_like(tmp_path / "photo.jpg"))
    assert result.ok and result.backend == "remote-vlm" and result.facts is not None
    assert result.facts.caption == "" and result.written_by in ("remote-vlm", "facts")
    if result.written_by == "remote-vlm":
        assert result.images and result.images[0].mime_type == "image/jpeg"
    session = Session.from_result(result, "en")
    assert session is not None
    writer = pipeline.models.writer.get() if pipeline.models.writer else None
    answer = session.ask("What colour is the sky?", writer)
    assert answer.text and answer.attempts >= 1


def test_remote_vlm_does_not_import_torch(
    served_vlm: Served, tmp_path: Path, user_env: dict[str, str]
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    args = ["describe", str(dialog), "--json", "--backend", "remote-vlm", "--max-attempts", "1"]
    args += ["--base-url", served_vlm.base_url, "--model", served_vlm.model]
    done = lookaloud(args, user_env, "print('torch' in sys.modules, file=sys.stderr)")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["backend"] == "remote-vlm" and record["caption"] == "" and record["text_lines"]
    assert done.stderr.strip().splitlines()[-1] == "False"

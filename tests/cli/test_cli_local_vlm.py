"""``lookaloud describe --backend local-vlm``: the local vision model through the real command
line, its JSON and request log, the models it needs, and the sentence when its model is
missing. (The cache fingerprint is tested in tests/core/test_local_vlm_pipeline.py: the tiny
model's random words end in the facts, which are never cached.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_cli_describe import lookaloud, user_env  # noqa: F401 - the fixture is used by name

from helpers.render import render_dialog


def test_describe_with_the_local_vision_model_as_json(
    tmp_path: Path,
    tiny_qwen3_vl_dir: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    args = ["describe", str(dialog), "--backend", "local-vlm", "--json", "--max-attempts", "2"]
    done = lookaloud([*args, "--vlm-model", str(tiny_qwen3_vl_dir)], user_env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["ok"] and record["backend"] == "local-vlm" and record["error"] is None
    assert record["written_by"] in ("local-vlm", "facts") and record["description"]
    assert record["caption"] in ("", None) and record["regions"] == []  # nothing captioned
    assert "Save changes?" in [line["text"] for line in record["text_lines"]]
    assert "Traceback" not in done.stderr and "not on this computer" not in done.stderr
    logged = request_log(user_env)
    assert logged["backend"] == "local-vlm" and logged["writer_model"] == str(tiny_qwen3_vl_dir)


def request_log(env: dict[str, str]) -> dict[str, object]:
    logs = list(Path(env["XDG_STATE_HOME"]).rglob("requests.jsonl"))
    assert len(logs) == 1
    record: dict[str, object] = json.loads(logs[0].read_text(encoding="utf-8").splitlines()[-1])
    return record


def test_a_missing_vision_model_is_one_sentence_and_the_facts_are_read(
    tmp_path: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    done = lookaloud(["describe", str(dialog), "--backend", "local-vlm", "--json"], user_env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["fallback"] and record["written_by"] == "facts"
    assert "Save changes?" in record["description"]
    told = [line for line in done.stderr.splitlines() if "Qwen/Qwen3-VL-2B-Instruct" in line]
    assert len(told) == 1
    assert "`lookaloud models pull --backend local-vlm`" in told[0]
    # Neither the captioner nor the other writer is asked for.
    assert "blip" not in done.stderr.lower() and "Qwen3-0.6B" not in done.stderr


def test_models_status_and_pull_name_the_vision_model(
    tiny_qwen3_vl_dir: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    status = lookaloud(["models", "status", "--backend", "local-vlm"], user_env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines() == ["Qwen/Qwen3-VL-2B-Instruct: not on this computer"]
    folder = ["--backend", "local-vlm", "--vlm-model", str(tiny_qwen3_vl_dir)]
    pulled = lookaloud(["models", "pull", *folder], user_env)
    assert pulled.returncode == 0, pulled.stderr
    status = lookaloud(["models", "status", *folder], user_env)
    assert status.stdout.strip() == f"{tiny_qwen3_vl_dir}: {tiny_qwen3_vl_dir}"


def test_describing_with_the_vision_model_loads_no_captioner_and_no_other_writer(
    tmp_path: Path,
    tiny_qwen3_vl_dir: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    code = (
        "import sys; from lookaloud.__main__ import main; "
        "rc = main(['describe', sys.argv[1], '--backend', 'local-vlm', '--vlm-model', "
        "sys.argv[2], '--max-attempts', '1']); "
        "loaded = sorted(m for m in sys.modules if m.startswith(("
        "'lookaloud.core.perception.captioner', 'lookaloud.core.writers.local', "
        "'lookaloud.core.writers.llamacpp', 'transformers.models.blip', "
        "'transformers.models.qwen3.'))); "
        "print(loaded); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(dialog), str(tiny_qwen3_vl_dir)],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("['lookaloud.core.writers.local_vlm']")


def test_with_the_gguf_pair_the_vision_model_runs_on_llama_cpp_without_pytorch(
    tmp_path: Path,
    tiny_qwen3_vl_gguf_dir: Path,
    user_env: dict[str, str],  # noqa: F811
) -> None:
    """``engine = auto`` takes llama.cpp when the model's folder holds the two .gguf files; the
    process then never imports PyTorch (nor transformers), which is most of its memory."""
    dialog = render_dialog(tmp_path / "dialog.png")
    code = (
        "import sys; from lookaloud.__main__ import main; "
        "rc = main(['describe', sys.argv[1], '--backend', 'local-vlm', '--vlm-model', "
        "sys.argv[2], '--max-attempts', '2', '--json', '--no-cache']); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules)); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(dialog), str(tiny_qwen3_vl_gguf_dir)],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    json_line, imported = done.stdout.strip().splitlines()
    record = json.loads(json_line)
    assert record["ok"] and record["backend"] == "local-vlm" and record["engine"] == "llamacpp"
    assert record["written_by"] in ("local-vlm", "facts") and record["description"]
    assert "Save changes?" in [line["text"] for line in record["text_lines"]]
    assert "Traceback" not in done.stderr and "add_text" not in done.stderr  # mtmd kept quiet
    assert imported == "[]"

"""The local_vlm benchmark path on a tiny random Qwen3-VL (its quick size), so it cannot rot.

The worker is run directly, without the rest of ``python -m benchmarks`` (the app start-up
measurement and the other paths are tested in test_benchmark.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import _vision_gguf
from benchmarks.build import build_models, build_vlm
from benchmarks.paths import LLAMACPP_VLM_PATHS
from benchmarks.report import SHORT, table
from benchmarks.sizes import QUICK, REAL

ROOT = Path(__file__).resolve().parents[2]


ENGINES = {"local_vlm": "transformers", "local_vlm-q8_0": "llamacpp"}


@pytest.fixture(scope="module", params=list(ENGINES))
def vlm_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    cache = tmp_path_factory.mktemp("bench-models")
    blip, qwen = build_models(QUICK, cache)
    vlm = build_vlm(QUICK, cache)
    path: str = request.param
    command = [sys.executable, "-m", "benchmarks.worker", path, "--scripted"]
    command += ["--blip", str(blip), "--qwen", str(qwen), "--vlm", str(vlm)]
    command += ["--runs", "1", "--quiet-wait", "0"]
    if path in LLAMACPP_VLM_PATHS:
        pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
        command += ["--gguf", str(_vision_gguf(str(vlm), LLAMACPP_VLM_PATHS[path]))]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict = json.loads(done.stdout.strip().splitlines()[-1])
    report["name"] = path
    return report


def test_the_vision_path_reports_its_figures(vlm_report: dict) -> None:
    assert vlm_report["engine"] == ENGINES[vlm_report["name"]]
    run = vlm_report["runs"][0]
    # One clean attempt each for the description and the follow-up (the scripted text passed
    # every check), and the follow-up did not look at the picture again.
    assert run["notes"] == []
    median = vlm_report["median"]
    for name in (
        "ocr_s",
        "vision_s",
        "prefill_s",
        "first_sentence_s",
        "total_s",
        "followup_first_sentence_s",
    ):
        assert median[name] > 0, (name, median)
    assert median["caption_s"] == 0  # nothing is captioned
    assert median["first_sentence_s"] < median["total_s"]  # the facts' sentence comes first
    assert median["new_tokens"] == 100  # the forced length
    assert median["prompt_tokens"] > 256  # the picture's visual tokens and the prompt
    assert 0 < vlm_report["writer_weights_gb"] < 0.5


def test_the_table_shows_the_vision_path(vlm_report: dict) -> None:
    name = vlm_report["name"]
    report = {name: vlm_report, "machine": {"cpu": "c", "cores": 2, "load_before": 0}}
    text = table(report)
    assert SHORT[name] in text and "vision_s" in text


def test_the_real_size_is_qwen3_vl_2b() -> None:
    vl = REAL.qwen_vl
    assert (vl.text.hidden, vl.text.layers, vl.text.vocab) == (2048, 28, 151936)
    assert (vl.vision.hidden, vl.vision.depth, vl.vision.deepstack) == (1024, 24, (5, 11, 17))
    assert sum(vl.mrope_section) == vl.text.head_dim // 2  # the rotary halves split three ways

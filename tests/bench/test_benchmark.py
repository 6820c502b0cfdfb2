"""The speed benchmark in its quick mode (tiny models), so it cannot rot between real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.report import table
from benchmarks.script import WRITER_SCRIPT, ScriptedLogits, ScriptedTokens
from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.core.writers.engines import llamacpp_installed

ROOT = Path(__file__).resolve().parents[2]
TIMES = ("caption_s", "ocr_s", "prefill_s", "first_sentence_s", "total_s")
LLAMACPP = ("llamacpp-bf16", "llamacpp-q8_0", "llamacpp-q4_0")


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cache = tmp_path_factory.mktemp("bench-models")
    command = [sys.executable, "-m", "benchmarks", "--quick", "--json", "--runs", "1"]
    command += ["--quiet-wait", "0", "--cache-dir", str(cache)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_quick_run_reports_every_figure_for_both_paths(quick_report: dict) -> None:
    assert {"machine", "baseline", "product", "ratios", "app_ready_s", "cached_ms"} <= set(
        quick_report
    )
    assert quick_report["machine"]["cores"] >= 1
    for path in ("baseline", "product"):
        median = quick_report[path]["median"]
        assert all(median[name] > 0 for name in (*TIMES, "decode_tok_s")), median
        assert median["first_sentence_s"] <= median["total_s"]
        assert median["new_tokens"] == 100  # the forced length
        assert median["prompt_tokens"] > 100
        assert quick_report[path]["peak_rss_mb"] > 50
    assert set(quick_report["ratios"]) == {*TIMES, "decode_tok_s"}
    assert quick_report["machine"]["cpu_flags"] == sorted(quick_report["machine"]["cpu_flags"])


@pytest.mark.skipif(not llamacpp_installed(), reason="the llama.cpp engine is not installed")
def test_llamacpp_paths_write_the_same_scripted_description_from_each_gguf(
    quick_report: dict,
) -> None:
    product = quick_report["product"]["median"]
    for path in LLAMACPP:
        report = quick_report[path]
        assert report["engine"] == "llamacpp"
        assert report["runs"][0]["notes"] == []  # the script passed every check here too
        median = report["median"]
        assert all(median[name] > 0 for name in (*TIMES, "decode_tok_s")), (path, median)
        assert median["new_tokens"] == 100
        assert median["prompt_tokens"] == product["prompt_tokens"]  # one vocabulary, one prompt
        assert set(quick_report["engine_ratios"][path]) == {*TIMES, "decode_tok_s"}
    weights = {path: quick_report[path]["writer_weights_gb"] for path in LLAMACPP}
    assert weights["llamacpp-bf16"] > weights["llamacpp-q8_0"] > weights["llamacpp-q4_0"]
    # The benchmark puts its GGUF files beside the model, as `lookaloud models convert` does.
    assert quick_report["auto_engine"] == {"engine": "llamacpp", "file": "qwen3-q8_0.gguf"}
    assert "llama-q8" in table(quick_report)


def test_baseline_speaks_only_at_the_end_and_product_streams(quick_report: dict) -> None:
    baseline = quick_report["baseline"]["median"]
    assert baseline["first_sentence_s"] == baseline["total_s"]
    product_run = quick_report["product"]["runs"][0]
    assert product_run["notes"] == []  # one clean attempt: scripted text passed every check
    assert product_run["first_sentence_s"] < product_run["total_s"]


def test_decode_ceiling_is_bandwidth_over_weights(quick_report: dict) -> None:
    bandwidth = quick_report["machine"]["read_gb_s"]
    weights = quick_report["product"]["writer_weights_gb"]
    assert bandwidth > 0.5 and 0 < weights < 0.5  # tiny models weigh far below a gigabyte
    assert quick_report["decode_ceiling_tok_s"] == round(bandwidth / weights, 1)
    assert "decode ceiling" in table(quick_report)


def test_cached_answer_is_measured_and_fast(quick_report: dict) -> None:
    assert quick_report["cached_ms"] is not None
    assert 0 < quick_report["cached_ms"] < 1000


def test_table_names_every_row(quick_report: dict) -> None:
    text = table(quick_report)
    for row in (*TIMES, "decode_tok_s", "peak_rss_mb", "app_ready_s", "cached_ms"):
        assert row in text


def test_scripted_tokens_force_each_row_then_the_end_token() -> None:
    processor = ScriptedTokens([[5, 6], [7]], end_id=2)
    prompt = torch.zeros((2, 4), dtype=torch.long)
    chosen = []
    for step in range(3):
        ids = torch.cat([prompt, torch.zeros((2, step), dtype=torch.long)], dim=1)
        scores = processor(ids, torch.zeros((2, 10)))  # type: ignore[arg-type]
        chosen.append(scores.argmax(dim=1).tolist())
        assert torch.isinf(scores).sum() == 2 * 9  # only the forced token is left possible
    assert chosen == [[5, 7], [6, 2], [2, 2]]
    assert len(processor.stamps) == 3


def test_without_a_script_only_the_times_are_kept() -> None:
    processor = ScriptedTokens([], end_id=2)
    scores = torch.arange(10, dtype=torch.float).reshape(1, 10)
    assert torch.equal(processor(torch.zeros((1, 3), dtype=torch.long), scores), scores)  # type: ignore[arg-type]
    assert len(processor.stamps) == 1


def test_scripted_logits_force_the_script_one_step_at_a_time() -> None:
    processor = ScriptedLogits([[5, 6]], end_id=2)
    ids = np.zeros(40, dtype=np.intc)  # llama.cpp passes the whole prompt's ids
    chosen = [int(processor(ids, np.zeros(10, dtype=np.single)).argmax()) for _ in range(3)]
    assert chosen == [5, 6, 2]
    assert np.isinf(processor(ids, np.zeros(10, dtype=np.single))).sum() == 9
    assert len(processor.stamps) == 4


def test_writer_script_opens_with_a_one_sentence_summary_and_has_no_numbers() -> None:
    sentences = split_sentences(WRITER_SCRIPT)
    assert len(sentences) >= 6
    assert sentences[0].startswith("The screenshot shows") and len(sentences[0].split()) < 25
    assert not any(ch.isdigit() for ch in WRITER_SCRIPT)

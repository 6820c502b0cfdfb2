"""Which runtime reads the text: OpenVINO only where it pays and passed its test read here."""

from __future__ import annotations

import json
import re
import signal
import sys
from pathlib import Path

import pytest

from helpers.render import DIALOG_LINES, dialog_image, require_font
from lookaloud.core.perception.ocr import RapidOcrReader, rapidocr3_engine
from lookaloud.core.perception.ocr_runtime import cached_probe, choose_runtime, run_probe

WITH_BF16 = "model name\t: a CPU\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"
WITHOUT_BF16 = "model name\t: a CPU\nflags\t\t: fpu avx2 fma\n"


class CountingProbe:
    def __init__(self, verdict: bool) -> None:
        self.verdict = verdict
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.verdict


def _choose(requested: str, cpuinfo: str, probe: CountingProbe, installed: bool = True) -> str:
    return choose_runtime(
        requested, cpuinfo=cpuinfo, openvino_installed=lambda: installed, probe=probe
    )


def test_auto_takes_openvino_where_the_cpu_has_bf16_and_the_test_read_passed() -> None:
    probe = CountingProbe(True)
    assert _choose("auto", WITH_BF16, probe) == "openvino"
    assert probe.calls == 1


def test_auto_keeps_onnxruntime_without_bf16_and_does_not_test() -> None:
    probe = CountingProbe(True)
    assert _choose("auto", WITHOUT_BF16, probe) == "onnxruntime"
    assert probe.calls == 0


def test_a_failed_test_read_keeps_onnxruntime_even_when_openvino_is_asked_for() -> None:
    assert _choose("auto", WITH_BF16, CountingProbe(False)) == "onnxruntime"
    assert _choose("openvino", WITHOUT_BF16, CountingProbe(False)) == "onnxruntime"


def test_openvino_asked_for_runs_without_bf16_once_it_passed() -> None:
    assert _choose("openvino", WITHOUT_BF16, CountingProbe(True)) == "openvino"


def test_onnxruntime_asked_for_or_openvino_missing_means_onnxruntime() -> None:
    probe = CountingProbe(True)
    assert _choose("onnxruntime", WITH_BF16, probe) == "onnxruntime"
    assert _choose("auto", WITH_BF16, probe, installed=False) == "onnxruntime"
    assert probe.calls == 0


def test_the_verdict_is_kept_per_machine(tmp_path: Path) -> None:
    probe = CountingProbe(False)
    assert cached_probe(cache_dir=tmp_path, run=probe, key="cpu-a") is False
    assert cached_probe(cache_dir=tmp_path, run=probe, key="cpu-a") is False
    assert probe.calls == 1
    assert json.loads((tmp_path / "ocr-runtime.json").read_text()) == {"cpu-a": False}
    other = CountingProbe(True)  # another CPU or OpenVINO version is tested afresh
    assert cached_probe(cache_dir=tmp_path, run=other, key="cpu-b") is True
    assert other.calls == 1


def test_a_damaged_verdict_file_means_testing_again(tmp_path: Path) -> None:
    (tmp_path / "ocr-runtime.json").write_text("{not json", encoding="utf-8")
    probe = CountingProbe(True)
    assert cached_probe(cache_dir=tmp_path, run=probe, key="cpu-a") is True
    assert probe.calls == 1


def test_without_a_cache_folder_the_verdict_still_comes(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")  # a file where the folder should be
    assert cached_probe(cache_dir=blocked, run=CountingProbe(True), key="cpu-a") is True


def test_a_test_read_killed_by_an_illegal_instruction_fails() -> None:
    dies = [sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(signal.SIGILL)})"]
    assert run_probe(dies) is False


def test_a_test_read_that_hangs_fails() -> None:
    assert run_probe([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.5) is False


def test_the_real_test_read_passes_here() -> None:
    assert run_probe() is True


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_both_runtimes_read_the_dialog(runtime: str) -> None:
    require_font("latin")
    engine = rapidocr3_engine(runtime)
    assert engine.runtime == runtime
    lines = RapidOcrReader(engine_factory=lambda: engine).read(dialog_image())
    read = _words(" ".join(line.text for line in lines))
    expected = [word for line in DIALOG_LINES for word in _words(line)]
    assert sum(word in read for word in expected) >= 0.9 * len(expected), read

"""Which runtime runs the OCR models on this computer: OpenVINO where the CPU has bf16, else
onnxruntime.

Measured with ``python -m benchmarks.ocr`` on a 2-core AMD EPYC with AVX512-BF16: OpenVINO runs
the PP-OCRv6 models in bf16 there and needs about half the CPU time of onnxruntime (0.75 against
1.70 CPU s per 1 280×800 screen, median; 18.8 against 33.5 for a 1 280×6 000 page) and reads the
same words (99.2 % mean word recall with both). Without bf16 it runs them in fp32 and is no faster
than onnxruntime (47 against 40 ms for a 1 000-pixel line), so there onnxruntime stays.

OpenVINO chooses its kernels for the CPU when it runs. Some machines advertise AMX but fault when
it is executed ("Illegal instruction" kills the process; nothing can catch it), so before
OpenVINO reads a picture in the app's process, a child process reads one with it
(:mod:`~lookaloud.core.perception.ocr_probe`). The verdict is kept in the cache folder for this
CPU, its flags and the OpenVINO version, so the check runs once per machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import platformdirs

from lookaloud.core.runtime.cpu import cpu_has_native_bf16, read_cpuinfo

log = logging.getLogger(__name__)

RUNTIMES = ("auto", "openvino", "onnxruntime")
PROBE_TIMEOUT_S = 120.0
"""Loading OpenVINO and reading one small picture takes about 2 s; a machine swapping hard may
need far longer, and a probe that times out counts as failed."""

Probe = Callable[[], bool]


def choose_runtime(
    requested: str,
    *,
    cpuinfo: str | None = None,
    openvino_installed: Callable[[], bool] | None = None,
    probe: Probe | None = None,
) -> str:
    """ "openvino" or "onnxruntime" for the setting ``requested`` (one of :data:`RUNTIMES`).

    ``auto`` takes OpenVINO only where it pays (native bf16) and runs safely; ``openvino``
    skips the first condition but never the second.
    """
    if requested == "onnxruntime":
        return "onnxruntime"
    installed = openvino_installed or _openvino_installed
    if not installed():
        return "onnxruntime"
    if requested == "auto" and not cpu_has_native_bf16(
        read_cpuinfo() if cpuinfo is None else cpuinfo
    ):
        return "onnxruntime"
    safe = (probe or cached_probe)()
    if not safe:
        log.warning("OpenVINO failed its test read on this CPU; OCR runs on onnxruntime")
    return "openvino" if safe else "onnxruntime"


def _openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def cached_probe(
    *, cache_dir: Path | None = None, run: Probe | None = None, key: str | None = None
) -> bool:
    """The verdict of :func:`run_probe` for this machine, run once and then read from a file."""
    folder = cache_dir or Path(platformdirs.user_cache_dir("lookaloud"))
    path = folder / "ocr-runtime.json"
    machine = key or machine_key()
    known = _read_verdicts(path)
    if machine in known:
        return known[machine]
    verdict = (run or run_probe)()
    known[machine] = verdict
    _write_verdicts(path, known)
    return verdict


def machine_key() -> str:
    """What decides whether OpenVINO's kernels run here: the CPU and the library's version."""
    from importlib.metadata import version

    cpu = [ln for ln in read_cpuinfo().splitlines() if ln.startswith(("model name", "flags"))][:2]
    digest = hashlib.sha256("\n".join(cpu).encode()).hexdigest()[:16]
    return f"openvino-{version('openvino')}-{digest}"


PROBE_COMMAND = (sys.executable, "-m", "lookaloud.core.perception.ocr_probe")


def run_probe(command: Sequence[str] = PROBE_COMMAND, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a child process read a picture with OpenVINO and exited cleanly."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        log.warning("OpenVINO test read exited with %s: %s", done.returncode, done.stderr[-500:])
    return done.returncode == 0


def _read_verdicts(path: Path) -> dict[str, bool]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, bool)}


def _write_verdicts(path: Path, verdicts: dict[str, bool]) -> None:
    """Best effort: without a cache folder the probe simply runs again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(verdicts, indent=1), encoding="utf-8")
    except OSError:
        log.info("could not keep the OCR runtime verdict in %s", path)

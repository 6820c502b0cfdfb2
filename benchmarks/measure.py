"""Clocks for the benchmark: figures of one run, peak memory, and how busy the machine was.

Other programs on the same cores distort every timing, so each run records the share of the
machine's CPU time that went to *other* processes while it ran (0 = the machine was ours,
1 = both cores were busy elsewhere). The report shows it next to the figures.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_PROC_STAT = Path("/proc/stat")


@dataclass
class RunFigures:
    """What one description along one path took. Times in seconds."""

    caption_s: float = 0.0
    ocr_s: float = 0.0
    vision_s: float = 0.0  # a vision-language model looking at the picture (local_vlm)
    # A follow-up question about the picture just described, to its first sentence (local_vlm)
    followup_first_sentence_s: float = 0.0
    prefill_s: float = 0.0
    first_sentence_s: float = 0.0
    total_s: float = 0.0
    decode_tok_s: float = 0.0
    new_tokens: int = 0
    prompt_tokens: int = 0
    others_cpu_share: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MachineLoad:
    """Measures the CPU share other processes used between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self._busy0, self._all0, self._own0 = 0, 0, 0.0

    def start(self) -> None:
        self._busy0, self._all0 = _busy_and_total()
        self._own0 = _own_cpu_seconds()

    def stop(self) -> float | None:
        busy1, all1 = _busy_and_total()
        if all1 <= self._all0:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        own = (_own_cpu_seconds() - self._own0) * ticks
        others = (busy1 - self._busy0 - own) / (all1 - self._all0)
        return round(min(1.0, max(0.0, others)), 3)


def _busy_and_total() -> tuple[int, int]:
    """Busy and total clock ticks of all CPUs since boot (zeros where /proc is missing)."""
    try:
        fields = [int(v) for v in _PROC_STAT.read_text(encoding="ascii").split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def wait_for_quiet(*, limit: float, timeout_s: float, sample_s: float = 1.0) -> float | None:
    """Wait until others use less than ``limit`` of the machine (or ``timeout_s`` passes).

    Returns the last share seen; ``None`` where it cannot be measured.
    """
    deadline = time.monotonic() + timeout_s
    share: float | None = None
    while True:
        load = MachineLoad()
        load.start()
        time.sleep(sample_s)
        share = load.stop()
        if share is None or share < limit or time.monotonic() >= deadline:
            return share


def peak_rss_mb() -> float:
    """This process's peak resident memory so far.

    On Linux from VmHWM, the high-water mark of this process's own memory: ru_maxrss also
    counts the parent's peak before the fork (Linux keeps it across exec), and the parent may
    just have built or converted a model of several gigabytes (7.8 GB was once reported for a
    path that never held 5). Elsewhere ru_maxrss (kB on Linux, bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(peak / divisor, 1)

"""Which number format the models run in on this computer's CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

# CPU flags that mean bfloat16 matrix maths runs natively: then bf16 halves the memory traffic
# per token and is about twice as fast as fp32; without them bf16 is emulated and slower.
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_has_native_bf16(cpuinfo: str) -> bool:
    """Whether the ``flags`` lines of a /proc/cpuinfo text list a native bf16 instruction set."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & _BF16_FLAGS)


def preferred_dtype(
    *, platform: str = sys.platform, cpuinfo_path: Path = Path("/proc/cpuinfo")
) -> torch.dtype:
    """bf16 where the CPU has it natively (known only on Linux), fp32 everywhere else."""
    if not platform.startswith("linux"):
        return torch.float32
    try:
        cpuinfo = cpuinfo_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16(cpuinfo) else torch.float32

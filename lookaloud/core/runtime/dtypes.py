"""Which number format the models run in on this computer's CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from lookaloud.core.runtime.cpu import cpu_has_native_bf16, read_cpuinfo


def preferred_dtype(
    *, platform: str = sys.platform, cpuinfo_path: Path = Path("/proc/cpuinfo")
) -> torch.dtype:
    """bf16 where the CPU has it natively (known only on Linux), fp32 everywhere else."""
    if not platform.startswith("linux"):
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16(read_cpuinfo(cpuinfo_path)) else torch.float32

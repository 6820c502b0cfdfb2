"""What the figures were measured on: CPU, cores, library versions and the load at the start."""

from __future__ import annotations

import os
import platform
import time
from typing import Any

from lookaloud.core.perception.ocr_runtime import choose_runtime
from lookaloud.core.runtime.cpu import cpu_has_native_bf16, read_cpuinfo


def machine_info() -> dict[str, Any]:
    import torch
    import transformers

    cpuinfo = read_cpuinfo()
    return {
        "cpu": _cpu_model(cpuinfo) or platform.processor(),
        "cpu_flags": instruction_sets(cpuinfo),
        "cores": os.cpu_count(),
        "native_bf16": cpu_has_native_bf16(cpuinfo),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "read_gb_s": read_bandwidth_gb_s(),
        "ocr_runtime": choose_runtime("auto"),  # the product's; the baseline's is onnxruntime
        "load_before": os.getloadavg(),
    }


def read_bandwidth_gb_s(megabytes: int = 256, repeats: int = 5) -> float:
    """How fast PyTorch's threads read memory here (best of ``repeats`` sums over a buffer far
    larger than the CPU caches). Decoding reads every weight once per token, so this bounds it."""
    import torch

    words = torch.ones(megabytes * 1024 * 1024 // 8, dtype=torch.int64)
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        words.sum()
        best = min(best, time.perf_counter() - began)
    return round(words.numel() * 8 / best / 1e9, 1)


# The flags that decide which matrix kernels run: llama.cpp's and PyTorch's differ by them.
_KERNEL_FLAGS = ("avx2", "fma", "f16c", "avx512", "amx", "vnni", "bf16", "neon", "sve", "dotprod")


def instruction_sets(cpuinfo: str) -> list[str]:
    """The CPU's vector and matrix instruction-set flags (x86 ``flags``, Arm ``Features``)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return sorted(f for f in value.split() if any(k in f for k in _KERNEL_FLAGS))
    return []


def _cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return ""


def _memory_gb() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages * page_size / 1024**3, 1)

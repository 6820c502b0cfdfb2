"""What this computer's CPU can do, read from /proc/cpuinfo (Linux; elsewhere nothing is known)."""

from __future__ import annotations

from pathlib import Path

# CPU flags that mean bfloat16 matrix maths runs natively: then bf16 halves the memory traffic
# per token and is about twice as fast as fp32; without them bf16 is emulated and slower.
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def read_cpuinfo(path: Path = Path("/proc/cpuinfo")) -> str:
    """The text of /proc/cpuinfo, or "" where there is none (not Linux)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_has_native_bf16(cpuinfo: str) -> bool:
    """Whether the ``flags`` lines of a /proc/cpuinfo text list a native bf16 instruction set."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & _BF16_FLAGS)

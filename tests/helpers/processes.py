"""Whether a process the test started is still alive, read from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed process stays one until reaped).

    A process can end between opening its status file and reading it; the kernel then answers
    the read with ESRCH (ProcessLookupError), which means the same as a missing file.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "State:\tZ" not in status

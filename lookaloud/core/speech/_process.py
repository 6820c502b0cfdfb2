"""Starting and ending the helper processes that speech backends run.

Speech helpers are started in a session (process group) of their own because they start
players of their own: pyttsx3's espeak driver on Linux plays each sentence through ``aplay``.
Ending only the direct child would leave that player talking, so the whole group is ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping

# How long a helper gets to end politely before it is killed; half the 200 ms stop budget.
STOP_GRACE_SECONDS = 0.1

_OWN_SESSION = sys.platform != "win32"
_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def spawn(
    args: list[str], *, stdout: int, stderr: int, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Starts ``args`` with a stdin pipe, in its own process group so it can be ended whole."""
    return subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=stderr,
        env=None if env is None else dict(env),
        start_new_session=_OWN_SESSION,
    )


def end_process(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
    """Ends ``process`` and what it started, then reaps it so no zombie is left behind."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(process, _KILL)
            process.wait()
    _close_stdin(process)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    # ProcessLookupError: it ended on its own between the poll and the signal.
    with contextlib.suppress(ProcessLookupError):
        if _OWN_SESSION:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)


def _close_stdin(process: subprocess.Popen[bytes]) -> None:
    # Only stdin: stdout belongs to whichever thread reads it and closes it at end of file.
    # A pipe to a dead process may fail to flush on close; it is closed either way.
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()

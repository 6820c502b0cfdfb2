"""``transformers serve`` as a real OpenAI-compatible server on a free loopback port.

Quirks the tests rely on knowing (transformers 5.24): the model id is pinned to the folder it
serves (requests for another name get a 400), streams end without ``data: [DONE]``, and
``GET /v1/models`` lists that folder. (Up to 5.23 it listed the Hugging Face download cache
instead; servers that list nothing are covered by the scripted server's tests.)
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 120.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass(frozen=True)
class Served:
    base_url: str  # ends in /v1
    model: str  # the folder, which is the only model name the server accepts
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def transformers_serve(model_dir: Path, work: Path) -> Iterator[Served]:
    """Starts the server, waits for /health, yields it, and always stops it."""
    port, log = free_port(), work / "serve.log"
    (work / "hf" / "hub").mkdir(parents=True, exist_ok=True)
    command = [_cli(), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--device", "cpu", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=_env(work),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_healthy(process, port, log)
        yield Served(f"http://127.0.0.1:{port}/v1", str(model_dir), log)
    finally:
        _stop(process)


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies without its teardown (a crash,
    a kill), so no server is ever left behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _cli() -> str:
    return str(Path(sys.executable).parent / "transformers")


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HOME=str(work / "hf"),
        HF_HUB_CACHE=str(work / "hf" / "hub"),
        OMP_NUM_THREADS="1",  # tiny models: a second thread only competes with the tests
        TOKENIZERS_PARALLELISM="false",
    )
    return env


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"transformers serve did not start:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)

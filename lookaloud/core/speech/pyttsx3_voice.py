"""The built-in voice: pyttsx3, run in a child process so that it can be stopped at once.

pyttsx3 cannot be interrupted reliably in the process that runs it, so ``Pyttsx3Speaker``
starts ``_pyttsx3_child`` with ``python -m``, hands it sentences as JSON lines, and learns
from its replies when each sentence is done. ``stop()`` ends the child (and the audio player
it started) and drops the queue; the next ``say()`` starts a fresh child.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from lookaloud.core.errors import SpeechError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.speech._process import end_process, spawn

logger = logging.getLogger(__name__)

CHILD_MODULE = "lookaloud.core.speech._pyttsx3_child"
# A voice that dies before it is ready this many times in a row is given up: say() raises
# instead of starting one process after another.
MAX_FAILED_STARTS = 3

_CANNOT_START = N_(  # translated where it is raised
    "The built-in voice could not start ({reason}). Install espeak-ng (on "
    "Debian or Ubuntu: sudo apt install espeak-ng alsa-utils) or choose "
    "another voice in the settings."
)


class _Child:
    """One running voice process and what the parent knows about it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.ready = threading.Event()
        self.error = ""

    def send(self, message: Mapping[str, object]) -> None:
        stdin = self.process.stdin
        assert stdin is not None  # spawn() always opens a stdin pipe
        stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        stdin.flush()


class Pyttsx3Speaker:
    """Speaks through pyttsx3 in a child process; see the module docstring."""

    def __init__(
        self,
        rate: int = 180,
        voice: str = "",
        *,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        start_timeout: float = 10.0,
    ) -> None:
        self._options: dict[str, object] = {"rate": rate} | ({"voice": voice} if voice else {})
        self._env = env
        self._python = python
        self._start_timeout = start_timeout
        self._lock = threading.Condition()
        self._child: _Child | None = None
        self._pending: set[int] = set()
        self._next_id = 0
        self._closed = False
        # Children in a row that ended before saying they were ready; any ready child resets it.
        self._failed_starts = 0
        self.last_error = ""

    @property
    def name(self) -> str:
        return "pyttsx3"

    @classmethod
    def check(cls) -> bool:
        """Whether pyttsx3 and, on Linux, its espeak library and ``aplay`` player are here."""
        if importlib.util.find_spec("pyttsx3") is None:
            return False
        if not sys.platform.startswith("linux"):
            return True
        has_espeak = any(ctypes.util.find_library(lib) for lib in ("espeak-ng", "espeak"))
        return has_espeak and shutil.which("aplay") is not None

    def start(self) -> None:
        """Starts the voice now and waits until it works; raises SpeechError if it cannot."""
        with self._lock:
            child = self._ensure_child()
        if not child.ready.wait(self._start_timeout):
            self._discard(child)
            raise SpeechError(tr(_CANNOT_START, reason=tr("it did not answer in time")))
        if child.error:
            self._discard(child)
            raise SpeechError(tr(_CANNOT_START, reason=child.error))

    def say(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("say() was called on a closed Pyttsx3Speaker")
            sentence_id = self._next_id
            self._next_id += 1
            self._pending.add(sentence_id)
            try:
                self._send_with_restart({"say": text, "id": sentence_id})
            except SpeechError:
                self._pending.discard(sentence_id)  # or wait() would wait for it in vain
                raise

    def stop(self) -> None:
        with self._lock:
            child, self._child = self._child, None
            self._pending.clear()
            self._lock.notify_all()
        if child is not None:
            end_process(child.process)

    def wait(self, timeout: float | None = None) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending, timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.stop()

    @property
    def process_id(self) -> int | None:
        """The id of the running voice process, if any (for diagnostics and tests)."""
        child = self._child
        return None if child is None else child.process.pid

    # _ensure_child, _spawn_child and _send_with_restart run with self._lock held;
    # _read_replies and what it calls run on the reader thread of one child.

    def _ensure_child(self) -> _Child:
        """The running child, or a new one. The first start is not waited for, so the first
        sentence is not delayed; after a child died before it was ready, each new one must
        answer first, and after MAX_FAILED_STARTS such deaths the voice is given up."""
        while self._child is None:
            if self._failed_starts >= MAX_FAILED_STARTS:
                raise SpeechError(tr(_CANNOT_START, reason=self.last_error))
            child = self._spawn_child()
            if self._failed_starts == 0:
                self._child = child
            elif child.ready.wait(self._start_timeout) and not child.error:
                self._child, self._failed_starts = child, 0
            else:
                self._failed_starts += 1
                self.last_error = child.error or tr("it did not answer in time")
                end_process(child.process)
        return self._child

    def _spawn_child(self) -> _Child:
        args = [self._python, "-m", CHILD_MODULE]
        try:
            process = spawn(
                args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_child_env(self._env)
            )
        except OSError as exc:
            raise SpeechError(tr(_CANNOT_START, reason=exc.strerror or exc)) from exc
        child = _Child(process)
        reader = threading.Thread(
            target=self._read_replies, args=(child,), name="lookaloud-pyttsx3-reader", daemon=True
        )
        reader.start()
        # A child that died at once breaks this pipe; its reader reports that, so no raise here.
        with contextlib.suppress(OSError):
            child.send(self._options)
        return child

    def _send_with_restart(self, message: Mapping[str, object]) -> None:
        """Sends to the child; a child that died since is replaced once, then it is an error."""
        for attempt in range(2):
            child = self._ensure_child()
            try:
                child.send(message)
                return
            except OSError as exc:  # BrokenPipeError: the child has gone
                self._forget(child)
                end_process(child.process)
                if attempt == 1:
                    raise SpeechError(tr(_CANNOT_START, reason=exc)) from exc

    def _forget(self, child: _Child, was_ready: bool | None = None) -> bool:
        """Drops ``child`` if it is still the current one (lock held), counting a failed start
        if it never became ready; False if it was already dropped."""
        if self._child is not child:
            return False
        self._child = None
        if was_ready is None:
            was_ready = child.ready.is_set() and not child.error
        if not was_ready:
            self._failed_starts += 1
        return True

    def _discard(self, child: _Child) -> None:
        with self._lock:
            if self._child is child:
                self._child = None
                self._pending.clear()
                self._lock.notify_all()
        end_process(child.process)

    def _read_replies(self, child: _Child) -> None:
        stdout = child.process.stdout
        assert stdout is not None  # spawned with stdout=PIPE
        with stdout:
            for line in stdout:
                self._handle_reply(child, line)
        self._child_ended(child)

    def _handle_reply(self, child: _Child, line: bytes) -> None:
        try:
            reply = json.loads(line)
        except ValueError:  # not JSON, or not UTF-8
            logger.warning("The pyttsx3 voice process wrote something unexpected: %r", line)
            return
        if not isinstance(reply, dict):
            return
        if "ready" in reply or "error" in reply:
            child.error = str(reply.get("error", ""))
            child.ready.set()
        if "warning" in reply:
            logger.warning("pyttsx3 voice: %s", reply["warning"])
        if "done" in reply:
            self._sentence_done(child, reply["done"])

    def _sentence_done(self, child: _Child, sentence_id: object) -> None:
        with self._lock:
            if self._child is child and isinstance(sentence_id, int):
                self._pending.discard(sentence_id)
                self._lock.notify_all()

    def _child_ended(self, child: _Child) -> None:
        """The child's output closed: it exited, crashed or was stopped."""
        was_ready = child.ready.is_set() and not child.error
        child.error = child.error or tr("the voice process ended unexpectedly")
        child.ready.set()
        with self._lock:
            if not self._forget(child, was_ready):
                return  # stopped on purpose, or already forgotten
            self._pending.clear()
            self._lock.notify_all()
        self.last_error = child.error
        logger.warning("The pyttsx3 voice stopped: %s", self.last_error)
        end_process(child.process)


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The child's environment, able to import this package even when it is not installed."""
    result = dict(os.environ if env is None else env)
    package_root = str(Path(__file__).resolve().parents[3])
    paths = [package_root, *filter(None, result.get("PYTHONPATH", "").split(os.pathsep))]
    result["PYTHONPATH"] = os.pathsep.join(paths)
    return result

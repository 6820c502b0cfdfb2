"""Orca in the loop: Debian's screen reader, headless, with what it says written to a file.

A private speech-dispatcher is started in the test session's runtime folder (where every client,
Orca and Lookaloud alike, looks for it) with one output module: a stand-in synthesiser
(``fake_synth.py``) that appends each text to a file and then takes as long to "speak" it as a
voice would, so speech can be interrupted and stopped as real speech is. A window manager
(metacity) runs too, because without one no program can take the focus from another, and
Lookaloud's hotkeys must be seen not to.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import SYSTEM_PYTHON, XSession, end_process, wait_until

from helpers.processes import is_running

HERE = Path(__file__).parent
FAKE_SYNTH = HERE / "fake_synth.py"
ORCA_PACKAGES = "orca metacity speech-dispatcher"

SPEECHD_CONF = """LogLevel 3
LogDir "{log_dir}"
AudioOutputMethod "alsa"
AudioALSADevice "null"
AddModule "capture" "sd_generic" "capture.conf"
DefaultModule capture
DefaultLanguage "en"
"""
# speech-dispatcher puts the text, escaped for single quotes, where $DATA is.
CAPTURE_CONF = """GenericExecuteSynth "exec {python} {synth} {spoken} {pids} \\'$DATA\\'"
GenericLanguage "en" "en" "utf-8"
AddVoice "en" "MALE1" "default"
"""


def missing_orca_tools() -> str:
    tools = ("orca", "metacity", "speech-dispatcher")
    return ", ".join(tool for tool in tools if shutil.which(tool) is None)


@dataclass
class Speech:
    """What Orca (and anything else using speech-dispatcher) has said, as one growing text."""

    spoken: Path
    pids: Path
    _mark: int = field(default=0)

    def text(self) -> str:
        raw = self.spoken.read_text(encoding="utf-8") if self.spoken.exists() else ""
        return raw

    def mark(self) -> None:
        """Later questions look only at what is said from now on."""
        self._mark = len(self.text())

    def since_mark(self) -> str:
        return _tidy(self.text()[self._mark :])

    def utterances(self) -> list[str]:
        """Each text handed to the synthesiser since the mark, in order."""
        parts = self.text()[self._mark :].split("\x1e")
        return [_tidy(part) for part in parts if _tidy(part)]

    def wait_for(self, check: Callable[[str], bool], timeout: float, what: str) -> str:
        def what_was_said() -> str:
            return f"Orca to say {what}; it said {self.since_mark()!r}"

        wait_until(lambda: check(self.since_mark()), timeout, what_was_said)
        return self.since_mark()

    def wait_quiet(self, seconds: float = 1.0, timeout: float = 30) -> str:
        """Waits until nothing has been said or spoken for ``seconds``; returns what was said."""
        deadline = time.monotonic() + timeout
        last, still_since = self.text(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.text()
            if now != last or self.speaking_pid() is not None:
                last, still_since = now, time.monotonic()
            elif time.monotonic() - still_since >= seconds:
                break
        return self.since_mark()

    def speaking_pid(self) -> int | None:
        """The stand-in synthesiser now speaking, if any."""
        for pid in reversed(self._started()):
            if is_running(pid):
                return pid
        return None

    def finished(self, pid: int) -> bool:
        """Whether the utterance of ``pid`` was said to its end (it was not stopped)."""
        return f"finished {pid}" in self._pid_lines()

    def _pid_lines(self) -> list[str]:
        return self.pids.read_text().splitlines() if self.pids.exists() else []

    def _started(self) -> list[int]:
        return [int(line) for line in self._pid_lines() if line.isdigit()]


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\x1e", " ")).strip()


@dataclass
class Orca:
    session: XSession
    speech: Speech
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in reversed(self.processes):
            end_process(process)


def start_window_manager(session: XSession, logs: Path) -> subprocess.Popen[bytes]:
    wm = subprocess.Popen(
        ["metacity", "--replace"],
        env=session.env,
        stdout=(logs / "metacity.txt").open("wb"),
        stderr=subprocess.STDOUT,
    )
    # metacity names its check window on the root once it manages the screen.
    wait_until(lambda: _has_window_manager(session), 20, "metacity to start")
    return wm


def _has_window_manager(session: XSession) -> bool:
    from Xlib import display

    shown = display.Display(session.env["DISPLAY"])
    try:
        check = shown.intern_atom("_NET_SUPPORTING_WM_CHECK")
        return shown.screen().root.get_full_property(check, 0) is not None
    finally:
        shown.close()


def start_speech_dispatcher(
    session: XSession, folder: Path
) -> tuple[subprocess.Popen[bytes], Speech]:
    config = folder / "speechd"
    (config / "modules").mkdir(parents=True)
    speech = Speech(folder / "spoken.txt", folder / "synth-pids.txt")
    (config / "speechd.conf").write_text(SPEECHD_CONF.format(log_dir=config))
    (config / "modules" / "capture.conf").write_text(
        CAPTURE_CONF.format(
            python=SYSTEM_PYTHON, synth=FAKE_SYNTH, spoken=speech.spoken, pids=speech.pids
        )
    )
    socket = Path(session.env["XDG_RUNTIME_DIR"]) / "speech-dispatcher" / "speechd.sock"
    socket.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [
            "speech-dispatcher",
            "--run-single",
            "--timeout",
            "0",
            "-C",
            str(config),
            "-S",
            str(socket),
        ],
        env=session.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(socket.exists, 20, "speech-dispatcher to listen")
    return server, speech


def start_orca(session: XSession, folder: Path) -> Orca:
    """metacity, speech-dispatcher and Orca, running until ``stop``; Orca has said it is on."""
    folder.mkdir(parents=True, exist_ok=True)
    wm = start_window_manager(session, folder)
    server, speech = start_speech_dispatcher(session, folder)
    prefs = folder / "orca-prefs"
    prefs.mkdir()
    env = {**session.env, "HOME": str(folder)}
    orca = subprocess.Popen(
        ["orca", "--replace", "-u", str(prefs), f"--debug-file={folder / 'orca-debug.txt'}"],
        env=env,
        stdout=(folder / "orca-output.txt").open("wb"),
        stderr=subprocess.STDOUT,
    )
    speech.wait_for(lambda said: "Screen reader on" in said, 60, '"Screen reader on"')
    return Orca(session, speech, [wm, server, orca])

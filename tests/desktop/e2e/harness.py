"""End-to-end helpers: the real app under Xvfb with a session D-Bus and AT-SPI, read like a
screen reader.

Fixtures start, per test module: an X server (Xvfb, with ``-noreset`` so it survives its last
client), a session bus (``dbus-launch``; the AT-SPI bus is started from it on first use), a
private 0700 ``XDG_RUNTIME_DIR``, "another application" holding the focus, and Lookaloud itself
with tiny models, OCR, the built-in voice (its audio player replaced by one that records its
process id and plays silence for 30 s) and output to both the voice and the screen reader.

The AT-SPI side runs in Debian's python3 (``atspi_probe.py``), as Orca does. Every tool comes
from Debian packages listed in scripts/apt-packages.txt; without them these tests are skipped.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
PROBE = HERE / "atspi_probe.py"
OTHER_APP = HERE / "other_app.py"
SYSTEM_PYTHON = "/usr/bin/python3"
REPO = HERE.parents[2]
ARTIFACTS = Path(os.environ.get("LOOKALOUD_ARTIFACTS", REPO / "artifacts" / "e2e"))
APP_NAME = "Lookaloud"
SCREEN = "1600x900x24"
READY_STATUS = "Lookaloud is ready."
PACKAGES = "xvfb xdotool dbus-x11 at-spi2-core python3-pyatspi gir1.2-atspi-2.0"

FAKE_APLAY = """#!/bin/sh
echo $$ >> "{log}"
exec sleep 30
"""


def missing_tools() -> str:
    missing = [tool for tool in ("Xvfb", "xdotool", "dbus-launch") if shutil.which(tool) is None]
    probe = (
        subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False)
        if Path(SYSTEM_PYTHON).exists()
        else None
    )
    if probe is None or probe.returncode != 0:
        missing.append("python3-pyatspi")
    return ", ".join(missing)


# ---------------------------------------------------------------- the X session


@dataclass
class XSession:
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout.strip()

    def focused_window(self) -> int:
        return int(self.xdotool("getwindowfocus", "-f"))

    def probe(self, *args: str) -> object:
        done = subprocess.run(
            [SYSTEM_PYTHON, str(PROBE), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def start_xvfb(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-noreset",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            SCREEN,
        ],
        pass_fds=(write_end,),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    return xvfb, f":{number}"


def start_session_bus(env: dict[str, str]) -> tuple[str, int]:
    done = subprocess.run(
        ["dbus-launch", "--sh-syntax"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    values = {}
    for line in done.stdout.splitlines():
        name, _, rest = line.partition("=")
        values[name] = rest.split(";")[0].strip("'")
    return values["DBUS_SESSION_BUS_ADDRESS"], int(values["DBUS_SESSION_BUS_PID"])


def end_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------- the apps


@dataclass
class RunningApp:
    session: XSession
    process: subprocess.Popen[bytes]
    other_window: int
    player_log: Path
    home: Path

    def player_pids(self) -> list[int]:
        text = self.player_log.read_text() if self.player_log.exists() else ""
        return [int(pid) for pid in text.split()]

    def tree(self) -> list[dict[str, object]]:
        nodes = self.session.probe("tree", APP_NAME)
        assert isinstance(nodes, list)
        return nodes

    def focus_other_app(self) -> None:
        self.session.xdotool("windowfocus", "--sync", str(self.other_window))
        assert self.session.focused_window() == self.other_window


def _settings(caption_model: Path, writer_model: Path, lang: str, output: str) -> str:
    return f"""version = 2
[general]
lang = "{lang}"
[models]
caption_model = "{caption_model}"
writer_model = "{writer_model}"
[pipeline]
ocr = true
max_attempts = 1
[speech]
backend = "pyttsx3"
output = "{output}"
[logging]
request_log = true
"""


def app_env(
    session: XSession,
    home: Path,
    tiny_blip: Path,
    tiny_qwen: Path,
    lang: str = "en",
    output: str = "both",
) -> dict[str, str]:
    config = home / "config" / "lookaloud"
    config.mkdir(parents=True)
    (config / "settings.toml").write_text(_settings(tiny_blip, tiny_qwen, lang, output))
    bin_dir = home / "bin"
    bin_dir.mkdir()
    aplay = bin_dir / "aplay"
    aplay.write_text(FAKE_APLAY.format(log=home / "played.txt"))
    aplay.chmod(0o755)
    return {
        **session.env,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "HF_HUB_OFFLINE": "1",
        "PATH": f"{bin_dir}{os.pathsep}{session.env['PATH']}",
    }


def start_other_app(session: XSession) -> int:
    other = subprocess.Popen(
        [sys.executable, str(OTHER_APP)],
        env=session.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    session.processes.append(other)
    assert other.stdout is not None
    return int(other.stdout.readline())


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str | Callable[[], str],
    interval: float = 0.2,
) -> None:
    """Polls ``check`` until it passes; ``what`` names the wait in the timeout's message (a
    callable is asked only then, so it can say what was seen instead)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def has_node(app: RunningApp, role: str, name: str) -> bool:
    try:
        return any(n["role"] == role and n["name"] == name for n in app.tree())
    except AssertionError:
        return False


# ---------------------------------------------------------------- announcements


class Announcements:
    """Listens for AT-SPI announcement events in the probe; collects them as they come."""

    def __init__(self, session: XSession) -> None:
        self.events: queue.Queue[dict[str, object]] = queue.Queue()
        self.seen: list[dict[str, object]] = []
        self._process = subprocess.Popen(
            [SYSTEM_PYTHON, str(PROBE), "listen", "object:announcement"],
            env=session.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self.events.get(timeout=30)
        assert ready == {"ready": True}

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.events.put(json.loads(line))

    def wait_for(self, check: Callable[[str], bool], timeout: float = 60) -> dict[str, object]:
        """The first announcement (seen before or arriving now) whose text passes ``check``."""
        for event in self.seen:
            if check(str(event["text"])):
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no such announcement; got {[e['text'] for e in self.seen]}"
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if check(str(event["text"])):
                return event

    def all_after(self, seconds: float) -> list[str]:
        """Every announcement so far, after also taking in what arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                self.seen.append(self.events.get(timeout=remaining))
            except queue.Empty:
                break
        return [str(event["text"]) for event in self.seen]

    def close(self) -> None:
        end_process(self._process)  # type: ignore[arg-type]

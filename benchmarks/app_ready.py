"""``app_ready_s``: from the desktop app's process start to its window accepting a hotkey.

The app runs in a process of its own (see :mod:`benchmarks.app_probe`) with its settings, state
and cache in a temporary folder, the benchmark's models configured (so they load in the
background while the window comes up, as on a user's machine) and a silent voice. Without a
display, a private Xvfb server is started first (not timed), so the global hotkeys are real;
without Xvfb either, Qt's offscreen platform is used.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0


def measure_app_ready(caption_model: str, writer_model: str) -> tuple[float | None, str]:
    """Seconds until the app took hotkeys, and a note on how it was measured (or why not)."""
    try:
        import lookaloud.desktop.app  # noqa: F401  (the app exists in this version)
    except ImportError as exc:
        return None, f"not measurable: the desktop app cannot be imported ({exc})"
    with tempfile.TemporaryDirectory(prefix="lookaloud-app-ready-") as home, _display() as shown:
        env = _environment(Path(home), caption_model, writer_model, shown)
        return _launch(env)


@contextmanager
def _display() -> Iterator[str]:
    """The X display to use: the session's, a private Xvfb one, or "" for offscreen."""
    if os.environ.get("DISPLAY") or shutil.which("Xvfb") is None:
        yield os.environ.get("DISPLAY", "")
        return
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as numbers:
            yield f":{numbers.readline().strip()}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _environment(home: Path, caption: str, writer: str, display: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[name] = str(home / name.lower())
    settings = home / "xdg_config_home" / "lookaloud" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text('[speech]\nbackend = "silent"\n', encoding="utf-8")
    env["LOOKALOUD_CAPTION_MODEL"], env["LOOKALOUD_WRITER_MODEL"] = caption, writer
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    if display:
        env["DISPLAY"] = display
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _launch(env: dict[str, str]) -> tuple[float | None, str]:
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.app_probe"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = _first_json_line(process)
        elapsed = time.perf_counter() - began
    finally:
        _end(process)
    if line is None:
        return None, f"the app did not report ready within {TIMEOUT_S:.0f} s"
    state = json.loads(line)
    where = f"X display {env['DISPLAY']}" if env.get("DISPLAY") else "Qt offscreen"
    note = f"window shown={state['window']}, global hotkeys={state['hotkeys']} ({where})"
    return round(elapsed, 2), note


def _first_json_line(process: subprocess.Popen[str]) -> str | None:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):
                lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        return lines.get(timeout=TIMEOUT_S)
    except queue.Empty:
        return None


def _end(process: subprocess.Popen[str]) -> None:
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

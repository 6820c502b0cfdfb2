"""Fixtures of the end-to-end tests; see harness.py for what they start and why."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    HERE,
    PACKAGES,
    READY_STATUS,
    Announcements,
    RunningApp,
    XSession,
    app_env,
    end_process,
    has_node,
    missing_tools,
    start_other_app,
    start_session_bus,
    start_xvfb,
    wait_until,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = missing_tools() if sys.platform.startswith("linux") else "Linux"
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs {missing} (sudo apt install {PACKAGES})")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def x_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XSession]:
    runtime = Path(tempfile.mkdtemp(prefix="lookaloud-runtime-"))
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("WAYLAND_DISPLAY", None)
    xvfb, display = start_xvfb(env)
    env["DISPLAY"] = display
    address, bus_pid = start_session_bus(env)
    env |= {
        "DBUS_SESSION_BUS_ADDRESS": address,
        "QT_QPA_PLATFORM": "xcb",
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "NO_AT_BRIDGE": "0",
    }
    session = XSession(env)
    try:
        yield session
    finally:
        for process in session.processes:
            end_process(process)
        os.kill(bus_pid, signal.SIGTERM)
        end_process(xvfb)
        shutil.rmtree(runtime, ignore_errors=True)


def start_app(
    x_session: XSession,
    home: Path,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    lang: str = "en",
    ready: str = READY_STATUS,
    output: str = "both",
) -> RunningApp:
    """Lookaloud in the session, with a window of another program beside it, once it is ready."""
    other_window = start_other_app(x_session)
    env = app_env(x_session, home, tiny_blip_dir, tiny_qwen_dir, lang, output)
    log = (home / "app-output.txt").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lookaloud"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()  # the child has its own copy
    x_session.processes.append(process)
    app = RunningApp(x_session, process, other_window, home / "played.txt", home)
    started = time.monotonic()
    wait_until(lambda: has_node(app, "label", ready), 180, "the models to be ready")
    print(f"Lookaloud said it was ready {time.monotonic() - started:.1f} s after it started")
    return app


@pytest.fixture(scope="module")
def lookaloud(
    x_session: XSession,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> RunningApp:
    return start_app(x_session, tmp_path_factory.mktemp("home"), tiny_blip_dir, tiny_qwen_dir)


@pytest.fixture
def announcements(x_session: XSession) -> Iterator[Announcements]:
    listener = Announcements(x_session)
    yield listener
    listener.close()

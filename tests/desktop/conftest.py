"""Desktop unit tests run Qt offscreen: no display, real widgets, real signals (pytest-qt).

The end-to-end tests in e2e/ start the app in a process of its own under Xvfb instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any QApplication exists: pytest-qt creates it on first use of the qapp fixture.
os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app keeps its history, cache and logs in the user's folders: here, in tmp_path."""
    for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / "user" / variable.lower()))

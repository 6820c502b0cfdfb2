"""The focused item's place on the screen, for "describe what my screen reader is on"."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookaloud.desktop.focus import Rect
from lookaloud.desktop.focused_item import AtspiFocusTracker, NoFinder, usable


def test_a_point_or_a_line_is_not_a_picture() -> None:
    assert usable(Rect(10, 10, 48, 48))
    assert not usable(Rect(10, 10, 0, 0))
    assert not usable(Rect(10, 10, 300, 2))


def test_where_nothing_can_be_known_there_is_no_item() -> None:
    finder = NoFinder()
    finder.start()
    assert finder.current() is None and finder.listener_names == frozenset()
    finder.stop()


def test_without_an_accessibility_bus_the_tracker_is_quietly_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    tracker = AtspiFocusTracker()
    tracker.start()
    assert tracker.current() is None and tracker.listener_names == frozenset()
    tracker.stop()

"""Lookaloud's own windows kept out of its screenshots, and the focus left where it was."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from lookaloud.desktop.focus import Rect
from lookaloud.desktop.hiding import HIDE_DELAY_MS, OwnWindowHider


class Seen:
    """What a capture found: the window's state at that moment, and the parts to black out."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.calls: list[tuple[bool, bool, list[Rect]]] = []

    def __call__(self, cover: Sequence[Rect]) -> None:
        self.calls.append((self.window.isVisible(), self.window.isMinimized(), list(cover)))


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    shown = QWidget()
    qtbot.addWidget(shown)
    shown.setGeometry(100, 100, 300, 200)
    shown.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def elsewhere() -> bool:
    """The focus is in another program (the offscreen test platform makes every window
    active, so the hider is told)."""
    return False


@pytest.mark.parametrize("window_manager", [True, False])
def test_a_hotkey_from_another_program_puts_the_window_away_and_back(
    qtbot: QtBot, window: QWidget, window_manager: bool
) -> None:
    hider = OwnWindowHider(has_window_manager=lambda: window_manager, has_focus=elsewhere)
    seen = Seen(window)
    hider.run_hidden(seen, Rect(0, 0, 800, 600))
    qtbot.waitUntil(lambda: bool(seen.calls), timeout=HIDE_DELAY_MS * 10)
    visible, minimised, cover = seen.calls[0]
    # With a window manager minimised (a window mapped again would be given the focus);
    # without one hidden; either way out of the picture, and nothing to black out.
    assert (visible, minimised) == ((True, True) if window_manager else (False, False))
    assert cover == []
    qtbot.waitUntil(lambda: window.isVisible() and not window.isMinimized(), timeout=2000)
    # Brought back without asking for the focus (the window manager decides; see the e2e test).
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)


def test_a_window_outside_the_picture_is_left_alone(qtbot: QtBot, window: QWidget) -> None:
    seen = Seen(window)
    OwnWindowHider(has_window_manager=lambda: True, has_focus=elsewhere).run_hidden(
        seen, Rect(1000, 0, 200, 200)
    )
    assert seen.calls == [(True, False, [])]  # at once, nothing moved


def test_inside_the_window_it_stays_and_is_blacked_out(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    seen = Seen(window)
    OwnWindowHider(has_window_manager=lambda: True).run_hidden(seen)
    assert len(seen.calls) == 1
    visible, minimised, cover = seen.calls[0]
    assert visible and not minimised
    frame = window.frameGeometry()
    assert cover == [Rect(frame.x(), frame.y(), frame.width(), frame.height())]


def test_own_windows_can_be_asked_for_in_the_picture(qtbot: QtBot, window: QWidget) -> None:
    hider = OwnWindowHider(has_window_manager=lambda: True)
    hider.include_own_windows = True
    seen = Seen(window)
    hider.run_hidden(seen)
    assert seen.calls == [(True, False, [])]


def test_a_window_deleted_while_it_was_out_of_the_way_is_left_alone(qtbot: QtBot) -> None:
    """A dialog closed and deleted during the capture is not brought back (nor touched)."""
    dialog = QWidget()
    dialog.show()
    qtbot.waitExposed(dialog)
    hider = OwnWindowHider(has_window_manager=lambda: True, has_focus=elsewhere)
    captured: list[object] = []
    hider.run_hidden(captured.append, None)
    shiboken6.delete(dialog)
    qtbot.waitUntil(lambda: bool(captured), timeout=HIDE_DELAY_MS * 10)

"""The region overlay, operated with the keyboard alone and with the mouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPixmap
from pytestqt.qtbot import QtBot

from lookaloud.desktop.overlay import STEP, RegionOverlay


@pytest.fixture
def overlay(qtbot: QtBot) -> Iterator[RegionOverlay]:
    picture = QPixmap(800, 600)
    picture.fill(QColor("white"))
    shown = RegionOverlay(picture)
    qtbot.addWidget(shown)
    shown.open_on(QRect(0, 0, 800, 600))
    qtbot.waitExposed(shown)
    yield shown


def key(qtbot: QtBot, overlay: RegionOverlay, name: Qt.Key, *mods: Qt.KeyboardModifier) -> None:
    modifiers = Qt.KeyboardModifier.NoModifier
    for mod in mods:
        modifiers |= mod
    qtbot.keyClick(overlay, name, modifiers)


def test_starts_with_the_middle_half_and_says_where(overlay: RegionOverlay) -> None:
    assert overlay.selection == QRect(200, 150, 400, 300)
    assert overlay.position_text() == "Region 400 by 300 pixels, at 200, 150."
    assert "Escape cancels" in overlay.accessibleDescription()


def test_arrows_move_and_ctrl_makes_single_pixel_steps(
    qtbot: QtBot, overlay: RegionOverlay
) -> None:
    key(qtbot, overlay, Qt.Key.Key_Right)
    key(qtbot, overlay, Qt.Key.Key_Down)
    key(qtbot, overlay, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert overlay.selection == QRect(200 + STEP - 1, 150 + STEP, 400, 300)


def test_shift_arrows_resize(qtbot: QtBot, overlay: RegionOverlay) -> None:
    key(qtbot, overlay, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    key(qtbot, overlay, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert overlay.selection == QRect(200, 150, 400 + STEP, 300 - STEP)
    assert overlay.position_text() == f"Region {400 + STEP} by {300 - STEP} pixels, at 200, 150."


def test_the_region_stays_on_the_screen(qtbot: QtBot, overlay: RegionOverlay) -> None:
    for _ in range(40):
        key(qtbot, overlay, Qt.Key.Key_Left)
        key(qtbot, overlay, Qt.Key.Key_Up)
    assert overlay.selection.topLeft() == QPoint(0, 0)
    for _ in range(60):
        key(qtbot, overlay, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert overlay.selection.right() == 799


def test_enter_accepts_the_region(qtbot: QtBot, overlay: RegionOverlay) -> None:
    key(qtbot, overlay, Qt.Key.Key_Down)
    with qtbot.waitSignal(overlay.accepted) as accepted:
        key(qtbot, overlay, Qt.Key.Key_Return)
    assert accepted.args == [QRect(200, 150 + STEP, 400, 300)]
    assert not overlay.isVisible()


def test_escape_cancels(qtbot: QtBot, overlay: RegionOverlay) -> None:
    with qtbot.waitSignal(overlay.cancelled):
        key(qtbot, overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()


def test_the_mouse_drags_out_a_region(qtbot: QtBot, overlay: RegionOverlay) -> None:
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(500, 400))
    qtbot.mouseMove(overlay, QPoint(100, 50))
    qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=QPoint(100, 50))
    assert overlay.selection == QRect(100, 50, 400, 350)
    with qtbot.waitSignal(overlay.accepted):
        qtbot.mouseDClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))

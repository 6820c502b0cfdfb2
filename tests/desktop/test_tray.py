"""The tray icon's menu: the main commands, a way back to the window, and Quit."""

from __future__ import annotations

from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from lookaloud.desktop.commands import tray_commands
from lookaloud.desktop.tray import Tray, app_icon
from lookaloud.desktop.window import MainWindow


def test_tray_menu_has_the_main_commands_and_quit(qtbot: QtBot) -> None:
    window = MainWindow({})
    qtbot.addWidget(window)
    show = QAction("Show &window", window)
    tray = Tray(window.actions_by_name, show, window)
    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    expected = [window.actions_by_name[name].text() for name in (c.name for c in tray_commands())]
    assert texts == [*expected, "Show &window", window.actions_by_name["quit"].text()]
    assert tray.menu.actions()[0] is window.actions_by_name["describe_screen"]  # same action
    assert not app_icon().isNull()


def test_the_tray_menu_has_a_name_of_its_own(qtbot: QtBot) -> None:
    """Untitled, it would be read as "Lookaloud", like the main window."""
    window = MainWindow({})
    qtbot.addWidget(window)
    tray = Tray(window.actions_by_name, QAction("Show &window", window), window)
    assert tray.menu.accessibleName() == tray.menu.title() == "Lookaloud tray menu"

"""The main window: commands in the menu with their keys, names for everything, tab order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from helpers.desktop import DESCRIPTION, SENTENCES
from lookaloud.core.settings import Settings
from lookaloud.desktop.commands import COMMANDS
from lookaloud.desktop.hotkeys import bindings
from lookaloud.desktop.window import MainWindow


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    shown = MainWindow(bindings(Settings().hotkeys))
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown


def test_every_command_is_in_the_menu_with_its_keys(window: MainWindow) -> None:
    in_menus = {
        action.text(): action.shortcut().toString()
        for menu in window.menuBar().actions()
        for action in menu.menu().actions()
    }
    assert len(in_menus) == len(COMMANDS)
    assert in_menus["Describe &screen\tCtrl+Alt+D"] == "Ctrl+Alt+D"
    assert in_menus["S&top speech\tCtrl+Alt+S"] == "Ctrl+Alt+S"
    assert all(keys for keys in in_menus.values()), in_menus


def test_menu_items_say_their_keys_in_their_name(window: MainWindow) -> None:
    """Orca 43 does not read Qt's key bindings, so the keys are in the name it reads."""
    menu = window.menuBar().actions()[0].menu()
    interface = QAccessible.queryAccessibleInterface(menu)
    assert interface is not None
    names = [interface.child(i).text(QAccessible.Text.Name) for i in range(interface.childCount())]
    assert "Open image file…\tCtrl+O" in names
    assert window.buttons["open_file"].text() == "&Open image file…"  # buttons without keys


def test_f10_opens_the_first_menu(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.buttons["describe_screen"], Qt.Key.Key_F10)
    first = window.menuBar().actions()[0]
    assert window.menuBar().activeAction() is first
    qtbot.waitUntil(lambda: first.menu().isVisible())
    qtbot.waitUntil(lambda: first.menu().activeAction() is first.menu().actions()[0])
    first.menu().close()


def test_hotkeys_from_the_settings_replace_the_defaults(window: MainWindow) -> None:
    window.set_hotkeys({"describe_screen": "Ctrl+Shift+F9"})
    action = window.actions_by_name["describe_screen"]
    assert action.shortcut().toString() == "Ctrl+Shift+F9"
    assert action.text() == "Describe &screen\tCtrl+Shift+F9"
    assert "(Ctrl+Shift+F9)" in window.buttons["describe_screen"].accessibleDescription()


def test_buttons_have_names_and_descriptions(window: MainWindow) -> None:
    for button in window.buttons.values():
        assert button.text().replace("&", "").strip()
        assert button.accessibleDescription().endswith((".", ")"))


def test_fields_are_named_and_their_labels_bound(window: MainWindow) -> None:
    buddies = {label.buddy() for label in window.findChildren(QLabel) if label.buddy()}
    assert {window.description, window.question, window.history} <= buddies
    assert window.description.accessibleName() == "Description"
    assert window.history.accessibleName() == "History"
    assert window.question.accessibleName() == "Question about the last image"


def test_tab_walks_every_control_in_reading_order(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    window.buttons["describe_screen"].setFocus()
    visited: list[QWidget] = []
    for _ in range(13):
        widget = QApplication.focusWidget()
        assert widget is not None
        visited.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    b = window.buttons
    expected = [
        *(b[n] for n in ("describe_screen", "describe_window", "describe_region")),
        *(b[n] for n in ("describe_clipboard", "open_file", "open_folder")),
        window.description,
        window.question,
        b["ask"],
        *(b[n] for n in ("stop_speech", "repeat_last", "copy_description")),
        window.history,
    ]
    assert visited == expected
    assert QApplication.focusWidget() is window.buttons["describe_screen"]  # no trap: it cycles


def test_the_description_is_a_sentence_a_row_read_whole_with_the_arrow_keys(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = window.description
    window.show_description(DESCRIPTION)
    assert view.sentences() == SENTENCES
    assert view.currentRow() == 0
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    interface = QAccessible.queryAccessibleInterface(view)
    assert interface is not None
    focused = interface.focusChild()
    assert focused is not None and focused.text(QAccessible.Text.Name) == SENTENCES[1]


def test_a_long_sentence_wraps_on_screen_and_stays_one_row(
    qtbot: QtBot, window: MainWindow
) -> None:
    long = " ".join(["A very long sentence that goes on and on across the window"] * 6) + "."
    window.show_description(long)
    view = window.description
    qtbot.waitUntil(lambda: view.visualItemRect(view.item(0)).height() > 0)
    row = view.visualItemRect(view.item(0))
    assert view.count() == 1
    assert row.height() > 2 * view.fontMetrics().height()  # wrapped over several lines
    assert row.width() <= view.viewport().width()  # and nothing to scroll sideways for


def test_ctrl_c_in_the_description_copies_the_sentence(qtbot: QtBot, window: MainWindow) -> None:
    window.show_description(DESCRIPTION)
    view = window.description
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == SENTENCES[1]


def test_an_empty_description_shows_what_to_do(window: MainWindow) -> None:
    window.clear_description()
    assert window.description.count() == 0
    assert "Describe" in window.description.placeholder


def test_history_enter_rereads_and_ctrl_c_copies(qtbot: QtBot, window: MainWindow) -> None:
    window.add_history("10:00 first", "First text.", limit=2)
    window.add_history("10:01 second", "Second text.", limit=2)
    window.add_history("10:02 third", "Third text.", limit=2)
    assert [window.history.item(i).text() for i in range(2)] == ["10:02 third", "10:01 second"]
    window.history.setCurrentRow(1)
    with qtbot.waitSignal(window.history.reread) as reread:
        qtbot.keyClick(window.history, Qt.Key.Key_Return)
    assert reread.args == ["Second text."]
    with qtbot.waitSignal(window.history.copy_requested) as copied:
        qtbot.keyClick(window.history, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert copied.args == ["Second text."]


def test_ask_shortcut_goes_to_the_question_box(qtbot: QtBot, window: MainWindow) -> None:
    window.actions_by_name["ask_question"].trigger()
    assert QApplication.focusWidget() is window.question
    window.question.setText("What colour is it?")
    with qtbot.waitSignal(window.question_asked) as asked:
        qtbot.keyClick(window.question, Qt.Key.Key_Return)
    assert asked.args == ["What colour is it?"]


def test_large_fonts_grow_the_window_instead_of_cutting_text(qtbot: QtBot) -> None:
    big = MainWindow({})
    qtbot.addWidget(big)
    font = big.font()
    font.setPointSize(font.pointSize() * 3)
    big.setFont(font)
    big.show()
    qtbot.waitExposed(big)
    button = big.buttons["describe_clipboard"]
    assert button.width() >= button.fontMetrics().horizontalAdvance("Describe clipboard image")

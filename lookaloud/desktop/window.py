"""The main window: commands, the description, follow-up questions, history and status.

Every command is a QAction with its shortcut, shown in the menu bar; the buttons trigger the
same actions, so the menu, the buttons, the tray and the global hotkeys never disagree. The
window only shows things and reports what the user asked for; the controller does the work.

A menu item's text carries its keys after a tab ("Describe &screen\tCtrl+Alt+D"): Qt shows
them in the menu as before, and they become part of the item's accessible name, because Orca 43
reads a menu item's shortcut only in GTK's "mnemonic;path;accelerator" form, not in Qt's. F10
opens the menu bar.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.desktop.browse_view import BrowsePanel
from lookaloud.desktop.commands import COMMANDS, MENU_TITLES, Command, button_rows, in_menu
from lookaloud.desktop.description_view import DescriptionView
from lookaloud.desktop.fields import SpokenLineEdit


class HistoryList(QListWidget):
    """Recent results; Enter reads one again, Ctrl+C copies it."""

    reread = Signal(str)
    copy_requested = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        item = self.currentItem()
        if item is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.reread.emit(item.data(Qt.ItemDataRole.UserRole))
        elif item is not None and event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        else:
            super().keyPressEvent(event)


class MainWindow(QMainWindow):
    """The window; ``command(name)`` is emitted for every action the user takes."""

    command = Signal(str)
    question_asked = Signal(str)

    def __init__(self, hotkeys: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lookaloud")
        self.actions_by_name = {c.name: self._action(c, hotkeys) for c in COMMANDS}
        self._build_menus()
        self.description = self._description_view()
        self.question = SpokenLineEdit()
        self.history = HistoryList()
        self.browse = BrowsePanel()
        self.status = QLabel(tr("Starting…", "status line"))
        self.buttons: dict[str, QPushButton] = {}
        self.setCentralWidget(self._central())
        self.statusBar().addWidget(self.status, 1)
        self.actions_by_name["ask_question"].triggered.connect(self.focus_question)
        self._menu_bar_key()
        self.resize(900, 640)

    # ------------------------------------------------------------ building

    def _action(self, command: Command, hotkeys: Mapping[str, str]) -> QAction:
        keys = hotkeys.get(command.name, command.keys)
        action = QAction(_with_tab(tr(command.text), keys), self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.setStatusTip(tr(command.description))
        action.setToolTip(_with_keys(tr(command.description), keys))
        action.triggered.connect(lambda _checked=False, name=command.name: self.command.emit(name))
        self.addAction(action)
        return action

    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None:
        for command in COMMANDS:
            keys = hotkeys.get(command.name, command.keys)
            action = self.actions_by_name[command.name]
            action.setText(_with_tab(tr(command.text), keys))
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(_with_keys(tr(command.description), keys))
            button = self.buttons.get(command.name)
            if button is not None:
                button.setAccessibleDescription(_with_keys(tr(command.description), keys))
                button.setToolTip(action.toolTip())

    def _build_menus(self) -> None:
        for title in MENU_TITLES:
            menu = self.menuBar().addMenu(tr(title))
            menu.setAccessibleName(tr(title).replace("&", ""))
            menu.aboutToHide.connect(self._after_a_menu_closes)
            for command in in_menu(title):
                menu.addAction(self.actions_by_name[command.name])

    def _menu_bar_key(self) -> None:
        """F10 opens the first menu, as in GTK and Windows programs."""
        self._focus_before_menus: QWidget | None = None
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F10), self)
        shortcut.activated.connect(self.open_menu_bar)

    def open_menu_bar(self) -> None:
        bar = self.menuBar()
        first = bar.actions()[0]
        self._focus_before_menus = QApplication.focusWidget()
        bar.setActiveAction(first)  # opens it
        menu = first.menu()
        if isinstance(menu, QMenu) and menu.actions():
            QTimer.singleShot(0, lambda: self._enter_menu(menu))

    def _enter_menu(self, menu: QMenu) -> None:
        # Opened by setActiveAction, Qt selects no item: a screen reader would say nothing
        # until the first Down. Selected once the menu is shown, Orca says "File, Open image
        # file". The menu bar then holds the focus while its menus are open, as after Alt+F:
        # else Qt hands the focus back to the window's button between two menus on Right, and
        # Orca says that button's name instead of the next menu's item.
        menu.setActiveAction(menu.actions()[0])
        self.menuBar().setFocus(Qt.FocusReason.MenuBarFocusReason)

    def _after_a_menu_closes(self) -> None:
        # aboutToHide comes before the next menu opens: look once the event loop has settled.
        QTimer.singleShot(0, self._give_the_focus_back)

    def _give_the_focus_back(self) -> None:
        before, self._focus_before_menus = self._focus_before_menus, None
        if QApplication.activePopupWidget() is not None:
            self._focus_before_menus = before  # still in the menus
        elif before is not None and self.menuBar().hasFocus():
            before.setFocus(Qt.FocusReason.PopupFocusReason)

    def _description_view(self) -> DescriptionView:
        view = DescriptionView(
            tr("Press a Describe button or a hotkey; the description appears here.", "placeholder")
        )
        view.setAccessibleName(tr("Description", "the text view's name"))
        view.setAccessibleDescription(
            tr(
                "The latest description, a sentence a line: read it with the arrow keys.",
                "accessible description",
            )
        )
        return view

    def _central(self) -> QWidget:
        layout = QVBoxLayout()
        layout.addLayout(self._button_row(button_rows()[0]))
        layout.addWidget(self.browse, 2)  # hidden until a folder is opened
        layout.addWidget(_label(tr("Descriptio&n:", "label"), self.description))
        layout.addWidget(self.description, 3)
        layout.addLayout(self._question_row())
        layout.addLayout(self._button_row(button_rows()[1]))
        layout.addWidget(_label(tr("&History:", "label"), self.history))
        layout.addWidget(self.history, 1)
        self.history.setAccessibleName(tr("History", "list name"))
        self.history.setAccessibleDescription(
            tr("Recent results: Enter reads one again, Ctrl+C copies it.", "accessible description")
        )
        central = QWidget()
        central.setLayout(layout)
        return central

    def _button_row(self, commands: tuple[Command, ...]) -> QHBoxLayout:
        row = QHBoxLayout()
        for command in commands:
            name = command.name
            action = self.actions_by_name[name]
            button = QPushButton(tr(command.text))
            button.setAccessibleDescription(action.toolTip())
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
            self.buttons[name] = button
            row.addWidget(button)
        return row

    def _question_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(_label(tr("&Question about the last image:", "label"), self.question))
        self.question.setAccessibleName(tr("Question about the last image", "field name"))
        self.question.setAccessibleDescription(
            tr("Type a question and press Enter.", "accessible description")
        )
        self.question.returnPressed.connect(self._ask)
        ask = QPushButton(tr("As&k", "button"))
        ask.setAccessibleDescription(
            tr("Ask the question about the last image.", "accessible description")
        )
        ask.clicked.connect(self._ask)
        self.buttons["ask"] = ask
        row.addWidget(self.question, 1)
        row.addWidget(ask)
        return row

    # ------------------------------------------------------------ showing things

    def focus_question(self) -> None:
        self.question.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _ask(self) -> None:
        self.question_asked.emit(self.question.value())

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def clear_description(self, heading: str = "") -> None:
        self.description.show_sentences([heading] if heading else [])

    def add_sentence(self, sentence: str) -> None:
        self.description.add_sentence(sentence)

    def show_description(self, text: str) -> None:
        self.description.show_sentences(split_sentences(text) or ([text] if text else []))

    def add_history(self, label: str, text: str, limit: int) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, text)
        item.setToolTip(text)
        self.history.insertItem(0, item)
        while self.history.count() > limit:
            self.history.takeItem(self.history.count() - 1)


def _label(text: str, buddy: QWidget) -> QLabel:
    """A visible label bound to its field: screen readers read it as the field's name."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def _with_keys(description: str, keys: str) -> str:
    return f"{description} ({keys})" if keys else description


def _with_tab(text: str, keys: str) -> str:
    """A menu item's text with its keys after a tab, where Qt's menus show them."""
    return f"{text}\t{keys}" if keys else text

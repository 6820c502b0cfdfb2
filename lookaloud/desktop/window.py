"""The main window: commands, the description, follow-up questions, history and status.

Every command is a QAction with its shortcut, shown in the menu bar; the buttons trigger the
same actions, so the menu, the buttons, the tray and the global hotkeys never disagree. The
window only shows things and reports what the user asked for; the controller does the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.desktop.browse_view import BrowsePanel


@dataclass(frozen=True)
class Command:
    name: str
    text: str  # with an & before the mnemonic letter
    description: str  # the accessible description and tooltip
    keys: str = ""  # the default shortcut; hotkey commands take theirs from the settings


COMMANDS: tuple[Command, ...] = (
    Command("describe_screen", "Describe &screen", "Describe everything on the screen."),
    Command("describe_window", "Describe active &window", "Describe the window in front."),
    Command("describe_region", "Describe &region…", "Choose a part of the screen to describe."),
    Command("describe_clipboard", "Describe clip&board image", "Describe the copied image."),
    Command("open_file", "&Open image file…", "Choose an image file to describe.", "Ctrl+O"),
    Command(
        "open_folder",
        "Browse fo&lder…",
        "Open a folder and move through its pictures with the arrow keys.",
        "Ctrl+Shift+O",
    ),
    Command(
        "find_pictures",
        "&Find described pictures…",
        "Search the descriptions and text of every picture described so far.",
        "Ctrl+F",
    ),
    Command("stop_speech", "S&top speech", "Stop speaking and stop describing."),
    Command("repeat_last", "Re&peat", "Say the last description again."),
    Command("copy_description", "Cop&y description", "Copy the description.", "Ctrl+Shift+C"),
    Command("ask_question", "&Ask a question", "Go to the question box.", "Ctrl+L"),
    Command("settings", "Se&ttings…", "Change language, voice, models and hotkeys.", "Ctrl+,"),
    Command("quit", "&Quit", "Close Lookaloud.", "Ctrl+Q"),
)
MENUS = (
    ("&File", ("open_file", "open_folder", "find_pictures", "settings", "quit")),
    (
        "&Describe",
        ("describe_screen", "describe_window", "describe_region", "describe_clipboard"),
    ),
    ("Spee&ch", ("stop_speech", "repeat_last", "copy_description", "ask_question")),
)
BUTTON_ROWS = (
    (
        "describe_screen",
        "describe_window",
        "describe_region",
        "describe_clipboard",
        "open_file",
        "open_folder",
    ),
    ("stop_speech", "repeat_last", "copy_description"),
)


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
        self.question = QLineEdit()
        self.history = HistoryList()
        self.browse = BrowsePanel()
        self.status = QLabel("Starting…")
        self.buttons: dict[str, QPushButton] = {}
        self.setCentralWidget(self._central())
        self.statusBar().addWidget(self.status, 1)
        self.actions_by_name["ask_question"].triggered.connect(self.focus_question)
        self.resize(900, 640)

    # ------------------------------------------------------------ building

    def _action(self, command: Command, hotkeys: Mapping[str, str]) -> QAction:
        action = QAction(command.text, self)
        keys = hotkeys.get(command.name, command.keys)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.setStatusTip(command.description)
        action.setToolTip(_with_keys(command.description, keys))
        action.triggered.connect(lambda _checked=False, name=command.name: self.command.emit(name))
        self.addAction(action)
        return action

    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None:
        for command in COMMANDS:
            keys = hotkeys.get(command.name, command.keys)
            action = self.actions_by_name[command.name]
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(_with_keys(command.description, keys))
            button = self.buttons.get(command.name)
            if button is not None:
                button.setAccessibleDescription(_with_keys(command.description, keys))
                button.setToolTip(action.toolTip())

    def _build_menus(self) -> None:
        for title, names in MENUS:
            menu = self.menuBar().addMenu(title)
            for name in names:
                menu.addAction(self.actions_by_name[name])

    def _description_view(self) -> QPlainTextEdit:
        view = QPlainTextEdit()
        view.setReadOnly(True)
        # Read-only text is still walked with the arrow keys, line by line, by screen readers.
        view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        view.setAccessibleName("Description")
        view.setAccessibleDescription("The latest description; read it with the arrow keys.")
        view.setTabChangesFocus(True)
        view.setPlaceholderText(
            "Press a Describe button or a hotkey; the description appears here."
        )
        return view

    def _central(self) -> QWidget:
        layout = QVBoxLayout()
        layout.addLayout(self._button_row(BUTTON_ROWS[0]))
        layout.addWidget(self.browse, 2)  # hidden until a folder is opened
        layout.addWidget(_label("Descriptio&n:", self.description))
        layout.addWidget(self.description, 3)
        layout.addLayout(self._question_row())
        layout.addLayout(self._button_row(BUTTON_ROWS[1]))
        layout.addWidget(_label("&History:", self.history))
        layout.addWidget(self.history, 1)
        self.history.setAccessibleName("History")
        self.history.setAccessibleDescription(
            "Recent results: Enter reads one again, Ctrl+C copies it."
        )
        central = QWidget()
        central.setLayout(layout)
        return central

    def _button_row(self, names: tuple[str, ...]) -> QHBoxLayout:
        row = QHBoxLayout()
        for name in names:
            action = self.actions_by_name[name]
            button = QPushButton(action.text())
            button.setAccessibleDescription(action.toolTip())
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
            self.buttons[name] = button
            row.addWidget(button)
        return row

    def _question_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(_label("&Question about the last image:", self.question))
        self.question.setAccessibleName("Question about the last image")
        self.question.setAccessibleDescription("Type a question and press Enter.")
        self.question.returnPressed.connect(self._ask)
        ask = QPushButton("As&k")
        ask.setAccessibleDescription("Ask the question about the last image.")
        ask.clicked.connect(self._ask)
        self.buttons["ask"] = ask
        row.addWidget(self.question, 1)
        row.addWidget(ask)
        return row

    # ------------------------------------------------------------ showing things

    def focus_question(self) -> None:
        self.question.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _ask(self) -> None:
        self.question_asked.emit(self.question.text())

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def clear_description(self, heading: str = "") -> None:
        self.description.setPlainText(heading)

    def add_sentence(self, sentence: str) -> None:
        self.description.appendPlainText(sentence)

    def show_description(self, text: str) -> None:
        """One sentence per line, so reading line by line reads sentence by sentence."""
        self.description.setPlainText("\n".join(split_sentences(text)) or text)

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

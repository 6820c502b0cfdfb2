"""The one table of the app's commands: each command's label, description, keys, and where it
appears (menu, buttons, tray, global hotkey) and what runs it.

The window builds its actions, menus and buttons from it, the tray its menu, the hotkey listener
its bindings and the controller its dispatch, so no list of command names is kept anywhere else.
Which commands have a global hotkey is the settings' ``[hotkeys]`` section (core cannot import
this module); a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from lookaloud.core.settings import HotkeySettings

FILE, DESCRIBE, SPEECH = "&File", "&Describe", "Spee&ch"
MENU_TITLES = (FILE, DESCRIBE, SPEECH)
HOTKEY_NAMES = frozenset(spec.name for spec in fields(HotkeySettings))


@dataclass(frozen=True)
class Command:
    name: str
    text: str  # with an & before the mnemonic letter
    description: str  # the accessible description and tooltip
    keys: str = ""  # the default shortcut; hotkey commands take theirs from the settings
    menu: str = ""  # one of MENU_TITLES, or "" for none
    button_row: int | None = None  # the row of buttons it has a button in
    tray: bool = False  # in the tray icon's menu
    handler: str = ""  # the Controller method that runs it; "" when the window handles it

    @property
    def hotkey(self) -> bool:
        """Whether a global hotkey runs it (its keys are the [hotkeys] setting of its name)."""
        return self.name in HOTKEY_NAMES


COMMANDS: tuple[Command, ...] = (
    Command(
        "describe_screen",
        "Describe &screen",
        "Describe everything on the screen.",
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_screen",
    ),
    Command(
        "describe_window",
        "Describe active &window",
        "Describe the window in front.",
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_window",
    ),
    Command(
        "describe_region",
        "Describe &region…",
        "Choose a part of the screen to describe.",
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_region",
    ),
    Command(
        "describe_clipboard",
        "Describe clip&board image",
        "Describe the copied image.",
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_clipboard",
    ),
    Command(
        "open_file",
        "&Open image file…",
        "Choose an image file to describe.",
        "Ctrl+O",
        menu=FILE,
        button_row=0,
        handler="open_file",
    ),
    Command(
        "open_folder",
        "Browse fo&lder…",
        "Open a folder and move through its pictures with the arrow keys.",
        "Ctrl+Shift+O",
        menu=FILE,
        button_row=0,
        handler="open_folder",
    ),
    Command(
        "find_pictures",
        "&Find described pictures…",
        "Search the descriptions and text of every picture described so far.",
        "Ctrl+F",
        menu=FILE,
        handler="find_pictures",
    ),
    Command(
        "stop_speech",
        "S&top speech",
        "Stop speaking and stop describing.",
        menu=SPEECH,
        button_row=1,
        tray=True,
        handler="stop",
    ),
    Command(
        "repeat_last",
        "Re&peat",
        "Say the last description again.",
        menu=SPEECH,
        button_row=1,
        tray=True,
        handler="repeat_last",
    ),
    Command(
        "copy_description",
        "Cop&y description",
        "Copy the description.",
        "Ctrl+Shift+C",
        menu=SPEECH,
        button_row=1,
        handler="copy_description",
    ),
    Command(
        "ask_question",
        "&Ask a question",
        "Go to the question box.",
        "Ctrl+L",
        menu=SPEECH,
    ),
    Command(
        "settings",
        "Se&ttings…",
        "Change language, voice, models and hotkeys.",
        "Ctrl+,",
        menu=FILE,
        handler="open_settings",
    ),
    Command("quit", "&Quit", "Close Lookaloud.", "Ctrl+Q", menu=FILE, handler="request_quit"),
)
BY_NAME = {command.name: command for command in COMMANDS}


def in_menu(title: str) -> tuple[Command, ...]:
    return tuple(command for command in COMMANDS if command.menu == title)


def button_rows() -> tuple[tuple[Command, ...], ...]:
    count = 1 + max(c.button_row for c in COMMANDS if c.button_row is not None)
    return tuple(tuple(c for c in COMMANDS if c.button_row == row) for row in range(count))


def tray_commands() -> tuple[Command, ...]:
    return tuple(command for command in COMMANDS if command.tray)


def hotkey_commands() -> tuple[Command, ...]:
    return tuple(command for command in COMMANDS if command.hotkey)

"""The one table of the app's commands: each command's label, description, keys, and where it
appears (menu, buttons, tray, global hotkey) and what runs it.

The window builds its actions, menus and buttons from it, the tray its menu, the hotkey listener
its bindings and the controller its dispatch, so no list of command names is kept anywhere else.
Which commands have a global hotkey is the settings' ``[hotkeys]`` section (core cannot import
this module); a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from lookaloud.core.i18n import N_
from lookaloud.core.settings import HotkeySettings

FILE, DESCRIBE, SPEECH = N_("&File", "menu"), N_("&Describe", "menu"), N_("Spee&ch", "menu")
MENU_TITLES = (FILE, DESCRIBE, SPEECH)
HOTKEY_NAMES = frozenset(spec.name for spec in fields(HotkeySettings))


@dataclass(frozen=True)
class Command:
    name: str
    text: str  # with an & before the mnemonic letter; English, translated where shown
    description: str  # the accessible description and tooltip; English, translated where shown
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
        N_("Describe &screen", "command"),
        N_("Describe everything on the screen.", "tooltip"),
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_screen",
    ),
    Command(
        "describe_window",
        N_("Describe active &window", "command"),
        N_("Describe the window in front.", "tooltip"),
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_window",
    ),
    Command(
        "describe_region",
        N_("Describe &region…", "command"),
        N_("Choose a part of the screen to describe.", "tooltip"),
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_region",
    ),
    Command(
        "describe_clipboard",
        N_("Describe clip&board image", "command"),
        N_("Describe the copied image.", "tooltip"),
        menu=DESCRIBE,
        button_row=0,
        tray=True,
        handler="describe_clipboard",
    ),
    Command(
        "describe_focused",
        N_("Describe focused &item", "command"),
        N_(
            "Describe the item with the keyboard focus: the one your screen reader is on.",
            "tooltip and accessible description",
        ),
        menu=DESCRIBE,
        tray=True,
        handler="describe_focused",
    ),
    Command(
        "open_file",
        N_("&Open image file…", "command"),
        N_("Choose an image file to describe.", "tooltip"),
        "Ctrl+O",
        menu=FILE,
        button_row=0,
        handler="open_file",
    ),
    Command(
        "open_folder",
        N_("Browse fo&lder…", "command"),
        N_(
            "Open a folder and move through its pictures with the arrow keys.",
            "tooltip and accessible description",
        ),
        "Ctrl+Shift+O",
        menu=FILE,
        button_row=0,
        handler="open_folder",
    ),
    Command(
        "find_pictures",
        N_("&Find described pictures…", "command"),
        N_(
            "Search the descriptions and text of every picture described so far.",
            "tooltip and accessible description",
        ),
        "Ctrl+F",
        menu=FILE,
        handler="find_pictures",
    ),
    Command(
        "stop_speech",
        N_("S&top speech", "command"),
        N_("Stop speaking and stop describing.", "tooltip"),
        menu=SPEECH,
        button_row=1,
        tray=True,
        handler="stop",
    ),
    Command(
        "repeat_last",
        N_("Re&peat", "command"),
        N_("Say the last description again.", "tooltip"),
        menu=SPEECH,
        button_row=1,
        tray=True,
        handler="repeat_last",
    ),
    Command(
        "copy_description",
        N_("Cop&y description", "command"),
        N_("Copy the description.", "tooltip"),
        "Ctrl+Shift+C",
        menu=SPEECH,
        button_row=1,
        handler="copy_description",
    ),
    Command(
        "ask_question",
        N_("&Ask a question", "command"),
        N_("Go to the question box.", "tooltip"),
        "Ctrl+L",
        menu=SPEECH,
    ),
    Command(
        "settings",
        N_("Se&ttings…", "command"),
        N_("Change language, voice, models and hotkeys.", "tooltip"),
        "Ctrl+,",
        menu=FILE,
        handler="open_settings",
    ),
    Command(
        "quit",
        N_("&Quit", "command"),
        N_("Close Lookaloud.", "tooltip"),
        "Ctrl+Q",
        menu=FILE,
        handler="request_quit",
    ),
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

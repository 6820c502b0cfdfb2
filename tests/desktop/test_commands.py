"""The command table is the one list of commands: it agrees with the settings and the code."""

from __future__ import annotations

from dataclasses import fields

from lookaloud.core.settings import HotkeySettings
from lookaloud.desktop.commands import (
    COMMANDS,
    MENU_TITLES,
    Command,
    button_rows,
    hotkey_commands,
    in_menu,
    tray_commands,
)
from lookaloud.desktop.controller import Controller


def names(commands: tuple[Command, ...]) -> list[str]:
    return [command.name for command in commands]


def test_the_hotkey_commands_are_the_hotkey_settings_in_order() -> None:
    assert names(hotkey_commands()) == [spec.name for spec in fields(HotkeySettings)]


def test_every_command_is_in_exactly_one_menu_and_has_a_unique_name() -> None:
    in_menus = [command.name for title in MENU_TITLES for command in in_menu(title)]
    assert sorted(in_menus) == sorted(names(COMMANDS))
    assert len(set(in_menus)) == len(COMMANDS)


def test_every_handler_is_a_method_of_the_controller() -> None:
    for command in COMMANDS:
        if command.handler:
            assert callable(getattr(Controller, command.handler)), command.name


def test_buttons_and_tray_come_from_the_table() -> None:
    assert names(button_rows()[0]) == [
        "describe_screen",
        "describe_window",
        "describe_region",
        "describe_clipboard",
        "open_file",
        "open_folder",
    ]
    assert names(button_rows()[1]) == ["stop_speech", "repeat_last", "copy_description"]
    assert names(tray_commands()) == [*names(hotkey_commands())]

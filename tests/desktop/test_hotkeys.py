"""Global hotkeys: settings text to pynput's, and commands delivered on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from lookaloud.core.settings import HotkeySettings
from lookaloud.desktop.hotkeys import (
    COMMANDS,
    GlobalHotkeys,
    HotkeyError,
    bindings,
    duplicate_keys,
    pynput_combo,
)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("Ctrl+Alt+D", "<ctrl>+<alt>+d"),
        ("Ctrl+Shift+F12", "<ctrl>+<shift>+<f12>"),
        ("Meta+Alt+7", "<cmd>+<alt>+7"),
    ],
)
def test_key_combinations_in_pynput_words(keys: str, expected: str) -> None:
    assert pynput_combo(keys) == expected


def test_default_hotkeys_are_the_documented_ones() -> None:
    assert bindings(HotkeySettings()) == {
        "describe_screen": "Ctrl+Alt+D",
        "describe_window": "Ctrl+Alt+W",
        "describe_region": "Ctrl+Alt+R",
        "describe_clipboard": "Ctrl+Alt+V",
        "describe_focused": "Ctrl+Alt+F",
        "stop_speech": "Ctrl+Alt+S",
        "repeat_last": "Ctrl+Alt+A",
    }
    assert list(bindings(HotkeySettings(repeat_last=""))) == list(COMMANDS[:-1])


def test_duplicates_are_found() -> None:
    assert duplicate_keys({"a": "Ctrl+Alt+D", "b": "Ctrl+Alt+W", "c": "Ctrl+Alt+D"}) == [
        "Ctrl+Alt+D"
    ]


class FakeListener:
    """Stands in for pynput's listener thread: ``press`` calls a handler from another thread."""

    def __init__(self, handlers: dict[str, Callable[[], None]]) -> None:
        self.handlers = handlers
        self.running = False

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def press(self, combo: str) -> None:
        thread = threading.Thread(target=self.handlers[combo])
        thread.start()
        thread.join()


def test_a_hotkey_from_another_thread_arrives_on_the_gui_thread(qtbot: QtBot) -> None:
    made: list[FakeListener] = []

    def factory(handlers: dict[str, Callable[[], None]]) -> FakeListener:
        made.append(FakeListener(handlers))
        return made[-1]

    hotkeys = GlobalHotkeys(factory)
    hotkeys.start({"describe_screen": "Ctrl+Alt+D", "stop_speech": "Ctrl+Alt+S"})
    assert set(made[0].handlers) == {"<ctrl>+<alt>+d", "<ctrl>+<alt>+s"}
    threads: list[QThread] = []
    hotkeys.triggered.connect(lambda _name: threads.append(QThread.currentThread()))
    with qtbot.waitSignal(hotkeys.triggered) as triggered:
        made[0].press("<ctrl>+<alt>+s")
    assert triggered.args == ["stop_speech"]
    assert threads == [QThread.currentThread()]
    hotkeys.stop()
    assert not made[0].running and not hotkeys.active


def test_a_desktop_without_global_hotkeys_gets_one_sentence() -> None:
    def failing(handlers: dict[str, Callable[[], None]]) -> FakeListener:
        raise OSError("no X display")

    hotkeys = GlobalHotkeys(failing)
    with pytest.raises(HotkeyError, match="use the keys of Lookaloud's window"):
        hotkeys.start({"describe_screen": "Ctrl+Alt+D"})
    assert not hotkeys.active

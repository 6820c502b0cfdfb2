"""Global hotkeys: key combinations heard while another program has the focus.

pynput listens on its own thread (X11's RECORD extension on Linux, a keyboard hook on Windows,
an event tap on macOS) and does not take the focus or swallow the keys. Each hotkey becomes a
``triggered`` signal carrying the command's name; Qt queues it onto the GUI thread.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.settings import HotkeySettings
from lookaloud.desktop.commands import hotkey_commands

log = logging.getLogger(__name__)

# Command names, in the table's order; each is also the [hotkeys] setting that holds its keys.
COMMANDS = tuple(command.name for command in hotkey_commands())

_MODIFIERS = {"Ctrl": "<ctrl>", "Alt": "<alt>", "Shift": "<shift>", "Meta": "<cmd>"}
_FUNCTION_KEY = re.compile(r"F(?:[1-9]|1[0-2])")


class HotkeyError(LookaloudError):
    code = "hotkey_error"


class Listener(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


ListenerFactory = Callable[[dict[str, Callable[[], None]]], Listener]


def pynput_combo(keys: str) -> str:
    """``Ctrl+Alt+D`` as pynput writes it, ``<ctrl>+<alt>+d``; the text is already validated."""
    *modifiers, key = keys.split("+")
    parts = [_MODIFIERS[name] for name in modifiers]
    parts.append(f"<{key.lower()}>" if _FUNCTION_KEY.fullmatch(key) else key.lower())
    return "+".join(parts)


def bindings(settings: HotkeySettings) -> dict[str, str]:
    """Command name → key combination, for the hotkeys that are switched on."""
    return {
        command: getattr(settings, command) for command in COMMANDS if getattr(settings, command)
    }


def duplicate_keys(keys: Mapping[str, str]) -> list[str]:
    """Key combinations given to more than one command."""
    return [combo for combo, count in Counter(keys.values()).items() if count > 1]


def _pynput_listener(handlers: dict[str, Callable[[], None]]) -> Listener:
    from pynput import keyboard

    listener: Any = keyboard.GlobalHotKeys(handlers)
    return listener  # type: ignore[no-any-return]


class GlobalHotkeys(QObject):
    """Listens for the configured combinations everywhere; emits ``triggered(command)``."""

    triggered = Signal(str)

    def __init__(
        self, listener_factory: ListenerFactory = _pynput_listener, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = listener_factory
        self._listener: Listener | None = None

    @property
    def active(self) -> bool:
        return self._listener is not None

    def start(self, keys: Mapping[str, str]) -> None:
        """Listens for ``keys`` (command → combination); raises HotkeyError if it cannot."""
        self.stop()
        handlers = {pynput_combo(k): self._handler(command) for command, k in keys.items()}
        if not handlers:
            return
        try:
            listener = self._factory(handlers)
            listener.start()
        except Exception as exc:  # pynput raises plain errors from each platform's backend
            log.warning("global hotkeys unavailable: %r", exc)
            raise HotkeyError(
                tr(
                    "The global hotkeys are not available on this desktop; use the keys of "
                    "Lookaloud's window instead (on Linux, global hotkeys need an X11 session).",
                    "error",
                )
            ) from exc
        self._listener = listener

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()

    def _handler(self, command: str) -> Callable[[], None]:
        def handle() -> None:
            # Called on pynput's thread: the signal is queued to the GUI thread.
            self.triggered.emit(command)

        return handle

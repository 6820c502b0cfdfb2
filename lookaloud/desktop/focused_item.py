"""Where the item with the keyboard focus is: what "describe what my screen reader is on" shows.

A screen reader follows the focus from item to item (a button, an image, a chart); the user
wants exactly that item described, because it is what the screen reader could not read. On Linux
the item is known from AT-SPI: a thread listens for focus events, as a screen reader does, and
remembers the last object that took the focus; its extents (``Component.GetExtents`` in screen
coordinates) are asked for when the hotkey is pressed. On Windows UI Automation answers the same
question (``IUIAutomation.GetFocusedElement`` and its bounding rectangle), through comtypes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from lookaloud.desktop.focus import Rect

log = logging.getLogger(__name__)

FOCUS_EVENT = "object:state-changed:focused"
SCREEN_COORDINATES = 0  # ATSPI_COORD_TYPE_SCREEN
DBUS_TIMEOUT_S = 0.5
# Smaller than this, an item has no picture worth describing (or no real place on the screen).
MIN_SIDE = 4


@dataclass(frozen=True)
class FocusedItem:
    """The focused item's place on the screen, and whether it is one of Lookaloud's own."""

    rect: Rect
    own: bool


class FocusedItemFinder(Protocol):
    @property
    def listener_names(self) -> frozenset[str]:
        """Its own listeners on the accessibility bus, which are not a screen reader."""
        ...

    def start(self) -> None: ...

    def current(self) -> FocusedItem | None: ...

    def stop(self) -> None: ...


class NoFinder:
    """Where the focused item cannot be known: the active window is described instead."""

    listener_names: frozenset[str] = frozenset()

    def start(self) -> None:
        """Nothing to listen to."""

    def current(self) -> FocusedItem | None:
        return None

    def stop(self) -> None:
        """Nothing to stop."""


def usable(rect: Rect) -> bool:
    return rect.width >= MIN_SIDE and rect.height >= MIN_SIDE


class AtspiFocusTracker:
    """Follows AT-SPI focus events on a thread; ``current`` asks the last object where it is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[str, str] | None = None  # the object's bus name and path
        self._connection: Any = None
        self._thread: threading.Thread | None = None
        self._name = ""  # this listener's name on the AT-SPI bus

    @property
    def listener_names(self) -> frozenset[str]:
        return frozenset({self._name}) if self._name else frozenset()

    def start(self) -> None:
        try:
            self._connection = self._listen()
        except Exception as exc:  # noqa: BLE001 - no bus, no registry: the feature is off
            log.info("AT-SPI focus events are not available: %r", exc)
            self._connection = None
            return
        self._thread = threading.Thread(target=self._receive, name="atspi-focus", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # the receiving thread ends with an error it expects

    def current(self) -> FocusedItem | None:
        with self._lock:
            last = self._last
        if last is None:
            return None
        try:
            return self._item(*last)
        except Exception as exc:  # noqa: BLE001 - the object may be gone, or not a component
            log.info("the focused object has no extents: %r", exc)
            return None

    def _listen(self) -> Any:
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        from lookaloud.desktop.screen_reader import atspi_bus_address

        connection = open_dbus_connection(atspi_bus_address())
        rule = MatchRule(
            type="signal", interface="org.a11y.atspi.Event.Object", member="StateChanged"
        )
        connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=DBUS_TIMEOUT_S)
        registry = DBusAddress(
            "/org/a11y/atspi/registry",
            bus_name="org.a11y.atspi.Registry",
            interface="org.a11y.atspi.Registry",
        )
        register = new_method_call(registry, "RegisterEvent", "sass", (FOCUS_EVENT, [], ""))
        connection.send_and_get_reply(register, timeout=DBUS_TIMEOUT_S)
        self._name = str(connection.unique_name)
        return connection

    def _receive(self) -> None:
        from jeepney import HeaderFields

        connection = self._connection
        while connection is not None and self._connection is connection:
            try:
                message = connection.receive()
            except Exception:  # noqa: BLE001 - closed by stop(), or the bus went away
                return
            body = message.body
            if len(body) >= 2 and body[0] == "focused" and body[1] == 1:
                fields = message.header.fields
                with self._lock:
                    self._last = (str(fields[HeaderFields.sender]), str(fields[HeaderFields.path]))

    def _item(self, bus_name: str, path: str) -> FocusedItem | None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        from lookaloud.desktop.screen_reader import atspi_bus_address

        component = DBusAddress(path, bus_name=bus_name, interface="org.a11y.atspi.Component")
        bus = DBusAddress(
            "/org/freedesktop/DBus",
            bus_name="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
        )
        with open_dbus_connection(atspi_bus_address()) as connection:
            extents = connection.send_and_get_reply(
                new_method_call(component, "GetExtents", "u", (SCREEN_COORDINATES,)),
                timeout=DBUS_TIMEOUT_S,
            ).body[0]
            pid = connection.send_and_get_reply(
                new_method_call(bus, "GetConnectionUnixProcessID", "s", (bus_name,)),
                timeout=DBUS_TIMEOUT_S,
            ).body[0]
        rect = Rect(*(int(value) for value in extents))
        return FocusedItem(rect, own=int(pid) == os.getpid()) if usable(rect) else None


class UiaFocusFinder:
    """Windows: UI Automation's focused element, through comtypes (when it is installed)."""

    listener_names: frozenset[str] = frozenset()

    def start(self) -> None:
        """UI Automation is asked on demand."""

    def stop(self) -> None:
        """Nothing to stop."""

    def current(self) -> FocusedItem | None:
        try:
            import comtypes.client

            comtypes.client.GetModule("UIAutomationCore.dll")
            from comtypes.gen.UIAutomationClient import (
                CUIAutomation,
                IUIAutomation,
            )

            automation = comtypes.client.CreateObject(CUIAutomation, interface=IUIAutomation)
            element = automation.GetFocusedElement()
            box = element.CurrentBoundingRectangle
            pid = int(element.CurrentProcessId)
        except Exception as exc:  # noqa: BLE001 - no comtypes, no element, a COM error
            log.info("UI Automation gave no focused element: %r", exc)
            return None
        rect = Rect(box.left, box.top, box.right - box.left, box.bottom - box.top)
        return FocusedItem(rect, own=pid == os.getpid()) if usable(rect) else None


def platform_finder() -> FocusedItemFinder:
    if sys.platform == "win32":
        return UiaFocusFinder()
    if sys.platform.startswith("linux"):
        return AtspiFocusTracker()
    return NoFinder()

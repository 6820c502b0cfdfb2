"""Asking the desktop which window has the focus, where it is, and giving the focus back.

X11 is asked through python-xlib (which pynput already brings), Windows through user32 with
ctypes. Elsewhere (macOS, Wayland) the answers are "unknown": the active window is then
described as the screen it is on, and the window manager gives the focus back by itself.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rect:
    """A rectangle in screen pixels."""

    left: int
    top: int
    width: int
    height: int

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height

    @property
    def centre(self) -> tuple[int, int]:
        return self.left + self.width // 2, self.top + self.height // 2

    def intersected(self, other: Rect) -> Rect | None:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right = min(self.left + self.width, other.left + other.width)
        bottom = min(self.top + self.height, other.top + other.height)
        if right <= left or bottom <= top:
            return None
        return Rect(left, top, right - left, bottom - top)


@dataclass(frozen=True)
class FocusedWindow:
    """The top-level window with the keyboard focus: an id to give the focus back to, and where."""

    handle: int
    rect: Rect


def focused_window() -> FocusedWindow | None:
    """The window that has the keyboard focus now, or None if that cannot be known here."""
    if sys.platform == "win32":
        return _windows_focused()
    if os.environ.get("DISPLAY"):
        return _x11_focused()
    return None


def window_manager_running() -> bool:
    """Whether a window manager runs (one that can minimise windows); X11 is asked, elsewhere
    there always is one."""
    if sys.platform == "win32" or not os.environ.get("DISPLAY"):
        return True
    try:
        from Xlib import display, error
    except ImportError:
        return True
    try:
        shown = display.Display()
    except (error.DisplayError, OSError):
        return True
    try:
        # An EWMH window manager names its check window on the root: _NET_SUPPORTING_WM_CHECK.
        check = shown.intern_atom("_NET_SUPPORTING_WM_CHECK")
        return shown.screen().root.get_full_property(check, 0) is not None
    except (error.XError, error.ConnectionClosedError):
        return True
    finally:
        shown.close()


def give_focus_back(window: FocusedWindow | None) -> None:
    """Returns the focus to ``window`` (X11 without a window manager does not do it alone)."""
    if window is None or sys.platform == "win32" or not os.environ.get("DISPLAY"):
        return
    _x11_set_focus(window.handle)


# ---------------------------------------------------------------- X11


def _x11_focused() -> FocusedWindow | None:
    try:
        from Xlib import X, display, error
    except ImportError:
        return None
    try:
        shown = display.Display()
    except (error.DisplayError, OSError) as exc:
        log.warning("cannot open the X display: %s", exc)
        return None
    try:
        window = shown.get_input_focus().focus
        if isinstance(window, int) or window in (X.NONE, X.PointerRoot):
            return None
        return _x11_top_level(shown, window)
    except (error.XError, error.ConnectionClosedError) as exc:
        log.warning("cannot ask X for the focused window: %s", exc)
        return None
    finally:
        shown.close()


def _x11_top_level(shown: Any, window: Any) -> FocusedWindow | None:
    """The child of the root window that holds ``window``, with its place on the screen."""
    root = shown.screen().root
    while True:
        # The root window's parent comes back as the number 0, not a window (python-xlib).
        parent = window.query_tree().parent
        if not hasattr(parent, "id") or parent.id == root.id:
            break
        window = parent
    if window.id == root.id:
        return None
    geometry = window.get_geometry()
    origin = window.translate_coords(root, 0, 0)
    rect = Rect(-origin.x, -origin.y, geometry.width, geometry.height)
    return FocusedWindow(window.id, rect)


def _x11_set_focus(handle: int) -> None:
    try:
        from Xlib import X, display, error
    except ImportError:
        return
    try:
        shown = display.Display()
    except (error.DisplayError, OSError):
        return
    try:
        target = shown.create_resource_object("window", handle)
        target.set_input_focus(X.RevertToParent, X.CurrentTime)
        shown.sync()
    except error.XError as exc:
        log.info("could not give the focus back to window %#x: %s", handle, exc)
    finally:
        shown.close()


# ---------------------------------------------------------------- Windows


class _WinRect(ctypes.Structure):
    _fields_ = [
        ("left", ctypes.c_long),
        ("top", ctypes.c_long),
        ("right", ctypes.c_long),
        ("bottom", ctypes.c_long),
    ]


def _windows_focused() -> FocusedWindow | None:
    user32 = ctypes.windll.user32  # type: ignore[attr-defined]
    handle = user32.GetForegroundWindow()
    box = _WinRect()
    if not handle or not user32.GetWindowRect(handle, ctypes.byref(box)):
        return None
    rect = Rect(box.left, box.top, box.right - box.left, box.bottom - box.top)
    return FocusedWindow(int(handle), rect)

"""Keeping Lookaloud's own windows out of its screenshots without moving the user's focus.

A capture asked for from another program (a global hotkey) minimises the app's windows that
would be in the picture, takes it once the window system has repainted, and brings them back
without activating them, so the focus stays where the user left it: a window manager refocuses
a window that is unmapped and mapped again (metacity did, 3 times of 3), but not one restored
from its minimised state. Without a window manager nothing can be minimised, so the windows are
hidden instead, and nothing takes the focus either.

A capture asked for from inside Lookaloud's window leaves the window where it is, focus and all
(taking it away and back would make the screen reader announce two focus changes the user did
not ask for): its area is blacked out in the picture instead, so it is not described.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from lookaloud.desktop.focus import Rect, window_manager_running

# Long enough for an X server or compositor to unmap and repaint; short enough not to be felt.
HIDE_DELAY_MS = 150

# A capture is called with the parts of the picture to black out (Lookaloud's own windows).
Capture = Callable[[Sequence[Rect]], None]


class OwnWindowHider(QObject):
    """Runs captures with the app's windows out of the way; a newer one replaces a waiting one."""

    def __init__(
        self,
        parent: QObject | None = None,
        has_window_manager: Callable[[], bool] = window_manager_running,
        has_focus: Callable[[], bool] = lambda: QApplication.activeWindow() is not None,
    ) -> None:
        super().__init__(parent)
        self.include_own_windows = False
        self._has_window_manager = has_window_manager
        self._has_focus = has_focus  # whether one of the app's windows has the focus
        self._put_away: list[tuple[QWidget, bool]] = []  # each window, and whether minimised
        self._pending: Capture | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_pending)

    def run_hidden(self, capture: Capture, area: Rect | None = None) -> None:
        """Calls ``capture`` with none of the app's windows in ``area`` (None: anywhere)."""
        if self.include_own_windows:
            capture(())
            return
        self._pending = capture
        if self._timer.isActive():
            return  # already hidden and waiting: the newer capture runs in the older one's place
        windows = [w for w in _own_windows() if _overlaps(w, area)]
        if self._has_focus():
            self._pending = None
            capture([_frame(w) for w in windows])  # the user is in our window: it stays
            return
        if not windows:
            self._run_pending()
            return
        self._put_out_of_the_way(windows)
        self._timer.start(HIDE_DELAY_MS)

    def _put_out_of_the_way(self, windows: list[QWidget]) -> None:
        minimise = self._has_window_manager()
        for window in windows:
            if minimise:
                window.setWindowState(window.windowState() | Qt.WindowState.WindowMinimized)
            else:
                window.hide()
        self._put_away = [(window, minimise) for window in windows]

    def _run_pending(self) -> None:
        capture, self._pending = self._pending, None
        try:
            if capture is not None:
                capture(())
        finally:
            self._restore()

    def _restore(self) -> None:
        put_away, self._put_away = self._put_away, []
        for window, minimised in put_away:
            if not shiboken6.isValid(window):
                continue  # closed and deleted while it was out of the way: nothing to bring back
            window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
            if minimised:
                window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
            window.show()


_HIDEABLE = (Qt.WindowType.Window, Qt.WindowType.Dialog)


def _own_windows() -> list[QWidget]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and w.isWindow() and not w.isMinimized() and w.windowType() in _HIDEABLE
    ]


def _frame(window: QWidget) -> Rect:
    box = window.frameGeometry()
    return Rect(box.x(), box.y(), box.width(), box.height())


def _overlaps(window: QWidget, area: Rect | None) -> bool:
    return area is None or _frame(window).intersected(area) is not None

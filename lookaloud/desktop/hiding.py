"""Keeping Lookaloud's own windows out of its screenshots.

Before a capture, the app's visible windows are hidden; the capture runs once the window system
has had time to repaint what was under them; then they come back without taking the focus
(unless one of them had it, as when the user pressed a button in the main window).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

# Long enough for an X server or compositor to unmap and repaint; short enough not to be felt.
HIDE_DELAY_MS = 150


class OwnWindowHider(QObject):
    """Runs captures with the app's windows out of the way; a newer one replaces a waiting one."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.include_own_windows = False
        self._hidden: list[QWidget] = []
        self._had_focus: QWidget | None = None
        self._pending: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_pending)

    def run_hidden(self, capture: Callable[[], None]) -> None:
        """Calls ``capture`` with the windows hidden, now or after HIDE_DELAY_MS."""
        if self.include_own_windows:
            capture()
            return
        self._pending = capture
        if self._timer.isActive():
            return  # already hidden and waiting: the newer capture runs in the older one's place
        if not self._hide():
            self._run_pending()
            return
        self._timer.start(HIDE_DELAY_MS)

    def _hide(self) -> bool:
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()]
        windows = [w for w in windows if w.windowType() in _HIDEABLE]
        if not windows:
            return False
        self._had_focus = QApplication.activeWindow()
        for window in windows:
            window.hide()
        self._hidden = windows
        return True

    def _run_pending(self) -> None:
        capture, self._pending = self._pending, None
        try:
            if capture is not None:
                capture()
        finally:
            self._restore()

    def _restore(self) -> None:
        hidden, self._hidden = self._hidden, []
        had_focus, self._had_focus = self._had_focus, None
        for window in hidden:
            window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, had_focus is None)
            window.show()
        if had_focus is not None:
            had_focus.activateWindow()


_HIDEABLE = (Qt.WindowType.Window, Qt.WindowType.Dialog)

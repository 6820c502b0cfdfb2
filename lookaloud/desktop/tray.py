"""The tray icon: the main commands and Quit, for when the window is out of the way."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, QRect, Qt
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from lookaloud.core.i18n import tr
from lookaloud.desktop.commands import tray_commands


def app_icon() -> QIcon:
    """A drawn icon (no image files to ship): a dark rounded square with a white "L"."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#1a3c6e"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRect(2, 2, 60, 60), 12, 12)
    font = QFont()
    font.setPixelSize(44)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRect(0, 0, 64, 64), Qt.AlignmentFlag.AlignCenter, "L")
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """The tray icon and its menu (the icon does not own the menu, so this keeps both)."""

    def __init__(
        self, actions: Mapping[str, QAction], show_window: QAction, parent: QObject
    ) -> None:
        super().__init__(parent)
        self.menu = QMenu()
        # Its own name: untitled, screen readers call it "Lookaloud" after the program, the same
        # as the main window's.
        name = tr("Lookaloud tray menu", "the tray icon's menu")
        self.menu.setTitle(name)
        self.menu.setAccessibleName(name)
        for command in tray_commands():
            self.menu.addAction(actions[command.name])
        self.menu.addSeparator()
        self.menu.addAction(show_window)
        self.menu.addAction(actions["quit"])
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip("Lookaloud")  # the name, not translated
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(lambda _reason: show_window.trigger())
        self.icon.show()


def make_tray(actions: Mapping[str, QAction], show_window: QAction, parent: QObject) -> Tray | None:
    """The tray icon with its menu, or None where the desktop has no tray (as under Xvfb)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    return Tray(actions, show_window, parent)

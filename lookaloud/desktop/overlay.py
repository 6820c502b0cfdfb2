"""Choosing a region of the screen, with the mouse or with the keyboard alone.

The overlay covers one monitor with a still picture of it (taken before the overlay appeared, so
the overlay is never in the result) and a selection rectangle. Keys: arrows move the selection,
Shift+arrows resize it (Right/Down grow, Left/Up shrink), Ctrl makes the steps one pixel,
Enter accepts, Escape cancels. After each change the size and position are announced to the
screen reader. With the mouse, drag out a rectangle and press Enter or double-click.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from lookaloud.core.i18n import N_, tr
from lookaloud.desktop.announce import announce

STEP = 20  # pixels per arrow key press; with Ctrl, one pixel
MIN_SIDE = 8
_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
INSTRUCTIONS = N_(
    "Arrow keys move the region, Shift with arrow keys resizes it, Control makes the steps "
    "one pixel, Enter describes the region, Escape cancels.",
    "spoken when the region chooser opens",
)


class RegionOverlay(QWidget):
    """A full-monitor window showing ``picture``; emits the chosen region in picture pixels."""

    accepted = Signal(QRect)
    cancelled = Signal()

    def __init__(self, picture: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._picture = picture
        self._bounds = QRect(QPoint(0, 0), picture.size())
        self._selection = _centred_half(self._bounds)
        self._drag_origin: QPoint | None = None
        self._finished = False
        self._introduced = False
        self.setWindowTitle(tr("Choose a region to describe", "window title"))
        self.setAccessibleName(tr("Choose a region to describe", "window title"))
        self.setAccessibleDescription(INSTRUCTIONS)
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)

    @property
    def selection(self) -> QRect:
        """The region in picture pixels."""
        return QRect(self._selection)

    def position_text(self) -> str:
        r = self._selection
        return tr(
            "Region {width} by {height} pixels, at {x}, {y}.",
            "spoken while the region moves",
            width=r.width(),
            height=r.height(),
            x=r.x(),
            y=r.y(),
        )

    def open_on(self, screen_rect: QRect) -> None:
        """Shows the overlay over the monitor at ``screen_rect`` and takes the focus (asked for)."""
        self.setGeometry(screen_rect)
        self.show()
        self.raise_()
        self.activateWindow()
        self.setFocus()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        # Announced once the keys really reach the overlay, not when it is merely shown.
        super().focusInEvent(event)
        if not self._introduced:
            self._introduced = True
            announce(self, f"{self.accessibleName()}. {tr(INSTRUCTIONS)} {self.position_text()}")

    # ------------------------------------------------------------ keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(accept=True)
        elif key == Qt.Key.Key_Escape:
            self._finish(accept=False)
        elif key in _ARROWS:
            self._step(key, event.modifiers())
        else:
            super().keyPressEvent(event)

    def _step(self, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
        dx, dy = _ARROWS[key]
        step = 1 if modifiers & Qt.KeyboardModifier.ControlModifier else STEP
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self._resize_by(dx * step, dy * step)
        else:
            self._move_by(dx * step, dy * step)
        self._changed()

    def _move_by(self, dx: int, dy: int) -> None:
        moved = self._selection.translated(dx, dy)
        x = min(max(moved.x(), 0), self._bounds.width() - moved.width())
        y = min(max(moved.y(), 0), self._bounds.height() - moved.height())
        moved.moveTo(x, y)
        self._selection = moved

    def _resize_by(self, dw: int, dh: int) -> None:
        r = self._selection
        width = min(max(r.width() + dw, MIN_SIDE), self._bounds.width() - r.x())
        height = min(max(r.height() + dh, MIN_SIDE), self._bounds.height() - r.y())
        self._selection = QRect(r.topLeft(), QSize(width, height))

    def _changed(self) -> None:
        self.update()
        announce(self, self.position_text())

    def _finish(self, *, accept: bool) -> None:
        if self._finished:
            return
        self._finished = True
        self.close()
        if accept:
            self.accepted.emit(self.selection)
        else:
            self.cancelled.emit()

    # ------------------------------------------------------------ mouse

    def _to_picture(self, point: QPoint) -> QPoint:
        """Widget coordinates to picture pixels (they differ on high-DPI screens)."""
        sx = self._bounds.width() / max(self.width(), 1)
        sy = self._bounds.height() / max(self.height(), 1)
        return QPoint(round(point.x() * sx), round(point.y() * sy))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_origin = self._to_picture(event.position().toPoint())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._drag_origin is not None:
            corner = self._to_picture(event.position().toPoint())
            self._selection = _between(self._drag_origin, corner) & self._bounds
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._drag_origin is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_origin = None
            if self._selection.width() < MIN_SIDE or self._selection.height() < MIN_SIDE:
                self._selection = _centred_half(self._bounds)
            self._changed()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._finish(accept=True)

    # ------------------------------------------------------------ drawing

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.drawPixmap(self.rect(), self._picture)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 120))
        shown = self._to_widget(self._selection)
        painter.drawPixmap(shown, self._picture, self._selection)
        # Two outlines, black and yellow, stay visible on any background (not colour alone).
        painter.setPen(QPen(QColor("black"), 5))
        painter.drawRect(shown)
        painter.setPen(QPen(QColor("yellow"), 2, Qt.PenStyle.DashLine))
        painter.drawRect(shown)
        self._draw_caption(painter)
        painter.end()

    def _to_widget(self, rect: QRect) -> QRect:
        sx = self.width() / max(self._bounds.width(), 1)
        sy = self.height() / max(self._bounds.height(), 1)
        return QRect(
            round(rect.x() * sx),
            round(rect.y() * sy),
            round(rect.width() * sx),
            round(rect.height() * sy),
        )

    def _draw_caption(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        painter.setFont(font)
        text = f"{self.position_text()}  {tr(INSTRUCTIONS)}"
        box = painter.boundingRect(
            self.rect().adjusted(16, 16, -16, -16), Qt.TextFlag.TextWordWrap, text
        )
        painter.fillRect(box.adjusted(-8, -8, 8, 8), QColor("black"))
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.TextFlag.TextWordWrap, text)


def _between(one: QPoint, other: QPoint) -> QRect:
    """The rectangle with these two opposite corners, whichever way the mouse was dragged."""
    left, top = min(one.x(), other.x()), min(one.y(), other.y())
    return QRect(left, top, abs(one.x() - other.x()), abs(one.y() - other.y()))


def _centred_half(bounds: QRect) -> QRect:
    size = QSize(max(bounds.width() // 2, MIN_SIDE), max(bounds.height() // 2, MIN_SIDE))
    rect = QRect(QPoint(0, 0), size)
    rect.moveCenter(bounds.center())
    return rect

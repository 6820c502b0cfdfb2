"""The description on screen: one sentence per row, wrapped, read whole with the arrow keys.

A list, not a text view. For a text view Qt tells the screen reader that a line is the line as
wrapped on the screen, so Down read half a sentence and the rest of it on the next Down. A row
of a list wraps on the screen the same way and stays one row: Down reads the next sentence
whole, and the screen reader says where it is ("2 of 5").
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QListWidget, QWidget


class DescriptionView(QListWidget):
    """The latest description; Ctrl+C copies the sentence the user is on."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)  # rows wrap again when it is resized
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def sentences(self) -> list[str]:
        return [self.item(row).text() for row in range(self.count())]

    def text(self) -> str:
        return "\n".join(self.sentences())

    def show_sentences(self, sentences: Iterable[str]) -> None:
        self.clear()
        for sentence in sentences:
            self.add_sentence(sentence)

    def add_sentence(self, sentence: str) -> None:
        self.addItem(sentence)
        if self.count() == 1:
            self.setCurrentRow(0)  # the first Down or Tab starts at the beginning

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        item = self.currentItem()
        if item is not None and event.matches(QKeySequence.StandardKey.Copy):
            QApplication.clipboard().setText(item.text())
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.count() == 0 and self.placeholder:
            self._paint_placeholder()

    def _paint_placeholder(self) -> None:
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().placeholderText().color())
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(self.viewport().rect().adjusted(4, 4, -4, -4), flags, self.placeholder)
        painter.end()

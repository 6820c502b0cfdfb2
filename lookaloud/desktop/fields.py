"""Text fields that Orca 43 reads when the Tab key reaches them, and reads whole.

When a QLineEdit takes the focus from the keyboard, Qt selects its text and moves its caret
before it reports the focus change. Orca 43 takes the caret event of an object that is not yet
its locus of focus as a quiet change of focus, so the focus event that follows changes nothing
and the field is never spoken: Tab lands on "Question about the last image" in silence. The field
here takes the focus without that selection (nothing is selected on the way in), so the focus
event is the first one Orca hears.

Orca 43 with Qt 6.12 also drops the last character of a one-line field: Qt reports empty
text-attribute runs for a QLineEdit, and Orca ends the line it speaks at the last run's end, one
character short ("LOOKALOUD_API_KE", "Ctrl+Alt+"). The field keeps one space after its text,
out of the caret's reach; that space is what Orca drops. ``value()`` is the text without it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLineEdit, QWidget

_KEYBOARD_REASONS = (
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.ShortcutFocusReason,
)
PAD = " "


class SpokenLineEdit(QLineEdit):
    """A one-line text field that a screen reader announces on Tab and reads to its end."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.textChanged.connect(self._keep_the_pad)
        self.cursorPositionChanged.connect(self._keep_the_caret_before_the_pad)
        self.setText(text)

    def value(self) -> str:
        """The text the user typed, without the space kept for Orca."""
        text = self.text()
        return text.removesuffix(PAD) if text else text

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if event.reason() in _KEYBOARD_REASONS:
            event = QFocusEvent(event.type(), Qt.FocusReason.OtherFocusReason)
        super().focusInEvent(event)

    def _keep_the_pad(self, text: str) -> None:
        if text and not text.endswith(PAD):  # set from code, or the space was deleted
            caret = self.cursorPosition()
            self.setText(text + PAD)
            self.setCursorPosition(min(caret, len(text)))

    def _keep_the_caret_before_the_pad(self, _old: int, new: int) -> None:
        last = len(self.text()) - len(PAD)
        if self.text() and new > last and not self.hasSelectedText():
            self.setCursorPosition(last)

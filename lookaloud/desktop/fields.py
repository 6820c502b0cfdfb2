"""Text fields that Orca 43 reads when the Tab key reaches them.

When a QLineEdit takes the focus from the keyboard, Qt selects its text and moves its caret
before it reports the focus change. Orca 43 takes the caret event of an object that is not yet
its locus of focus as a quiet change of focus, so the focus event that follows changes nothing
and the field is never spoken: Tab lands on "Question about the last image" in silence. The field
here takes the focus without that selection (nothing is selected on the way in), so the focus
event is the first one Orca hears.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLineEdit

_KEYBOARD_REASONS = (
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.ShortcutFocusReason,
)


class SpokenLineEdit(QLineEdit):
    """A one-line text field that a screen reader announces on Tab."""

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if event.reason() in _KEYBOARD_REASONS:
            event = QFocusEvent(event.type(), Qt.FocusReason.OtherFocusReason)
        super().focusInEvent(event)

"""Accessibility announcements: text the user's screen reader (and braille display) receives.

Qt sends a ``QAccessibleAnnouncementEvent`` to the platform's accessibility bridge; on Linux it
arrives on AT-SPI as an ``object:announcement`` event, which Orca speaks and brailles; NVDA and
VoiceOver get the same through UI Automation and NSAccessibility.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent


def announce(source: QObject, text: str, *, assertive: bool = False) -> None:
    """Hands ``text`` to the screen reader; ``assertive`` interrupts what it is saying."""
    text = text.strip()
    if not text:
        return
    event = QAccessibleAnnouncementEvent(source, text)
    politeness = QAccessible.AnnouncementPoliteness
    event.setPoliteness(politeness.Assertive if assertive else politeness.Polite)
    QAccessible.updateAccessibility(event)

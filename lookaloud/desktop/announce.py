"""Accessibility announcements: text the user's screen reader (and braille display) receives.

Qt sends a ``QAccessibleAnnouncementEvent`` to the platform's accessibility bridge; on Linux it
arrives on AT-SPI as an ``object:announcement`` event, which Orca 46 and newer speak and braille;
NVDA and VoiceOver get the same through UI Automation and NSAccessibility. For screen readers
that ignore the event (Orca 45 and older), the app installs a ``ScreenReaderRoute`` here and
every announcement is also spoken through the screen reader's speech server.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

from lookaloud.desktop.screen_reader import ScreenReaderRoute

# One route for the whole app: announcements come from every window and dialog, and all of
# them must reach the same screen reader the same way. DesktopApp installs it; tests may too.
_route: ScreenReaderRoute | None = None


def use_route(route: ScreenReaderRoute | None) -> None:
    """Sends later announcements through ``route`` as well (None: announcements only)."""
    global _route
    _route = route


def current_route() -> ScreenReaderRoute | None:
    return _route


def silence() -> None:
    """Stops what the speech server of the route is saying (the user's stop key)."""
    if _route is not None:
        _route.stop()


def announce(source: QObject, text: str, *, assertive: bool = False, voiced: bool = False) -> None:
    """Hands ``text`` to the screen reader; ``assertive`` interrupts what it is saying.

    ``voiced`` says the caller speaks the text itself, so the speech server must not say it too.
    """
    text = text.strip()
    if not text:
        return
    event = QAccessibleAnnouncementEvent(source, text)
    politeness = QAccessible.AnnouncementPoliteness
    event.setPoliteness(politeness.Assertive if assertive else politeness.Polite)
    QAccessible.updateAccessibility(event)
    if _route is not None and not voiced:
        _route.speak(text, interrupt=assertive)

"""Reaching a screen reader that does not speak announcements.

Lookaloud tells the user's screen reader things as accessibility announcements (announce.py).
Not every screen reader speaks them: Orca 45 and older register no listener for AT-SPI's
``object:announcement`` event, so an Orca 43 user heard no status and no description. This
module finds out, by asking the AT-SPI registry which events the running assistive technologies
listen for, and then speaks through the screen reader's own speech server instead
(speech-dispatcher, with the rate set in Orca), so the words come in the voice the user knows.

On Windows the same job goes through the screen reader's own API with accessible_output2 (NVDA,
JAWS, …), when that library is installed: NVDA reads UI Automation notifications only from the
window that has the focus, and a Lookaloud hotkey is pressed in another program.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

# How long one answer of the registry is trusted: a screen reader may start or stop at any time,
# but asking before every announcement would put a D-Bus round trip on the GUI thread each time.
PRESENCE_TTL_S = 3.0
DBUS_TIMEOUT_S = 0.5
ANNOUNCEMENT_EVENT = "object:announcement"
FOCUS_EVENTS = ("focus:", "object:state-changed:focused", "object:statechanged:focused")
MODES = ("auto", "announcements", "speech_server")


@dataclass(frozen=True)
class ReaderPresence:
    """What the running assistive technologies listen for."""

    running: bool  # something follows the focus, as a screen reader does
    hears_announcements: bool


class SpeechServer(Protocol):
    """The screen reader's own speech: speech-dispatcher, or a screen reader's API."""

    def say(self, text: str, *, interrupt: bool) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


PresenceProbe = Callable[[], "ReaderPresence | None"]
ServerFactory = Callable[[], "SpeechServer | None"]


# ---------------------------------------------------------------- who listens (AT-SPI)


def listens_for(registered: Iterable[str], event: str) -> bool:
    """Whether a listener registered for one of ``registered`` receives ``event``.

    The registry holds what each listener asked for, such as ``Object:Announcement:`` or a whole
    class like ``Object:``; a registration covers every event it is a prefix of.
    """
    wanted = _normalised(event)
    for item in registered:
        prefix = _normalised(item)
        if not prefix or wanted == prefix or wanted.startswith(prefix + ":"):
            return True
    return False


def _normalised(event: str) -> str:
    return event.lower().replace("-", "").rstrip(":")


def presence_from_events(registered: list[str]) -> ReaderPresence:
    running = any(listens_for(registered, event) for event in FOCUS_EVENTS)
    return ReaderPresence(running, listens_for(registered, ANNOUNCEMENT_EVENT))


def atspi_bus_address() -> str:
    """The AT-SPI bus, as the session bus's ``org.a11y.Bus`` names it."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus_service = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus")
    with open_dbus_connection("SESSION") as session:
        reply = session.send_and_get_reply(
            new_method_call(bus_service, "GetAddress"), timeout=DBUS_TIMEOUT_S
        )
    return str(reply.body[0])


def atspi_registered_events(ignore: frozenset[str] = frozenset()) -> list[str]:
    """Every event some AT-SPI client listens for, but for the listeners in ``ignore`` (our
    own); raises OSError when there is no AT-SPI bus."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    registry = DBusAddress(
        "/org/a11y/atspi/registry",
        bus_name="org.a11y.atspi.Registry",
        interface="org.a11y.atspi.Registry",
    )
    with open_dbus_connection(atspi_bus_address()) as atspi:
        reply = atspi.send_and_get_reply(
            new_method_call(registry, "GetRegisteredEvents"), timeout=DBUS_TIMEOUT_S
        )
    return [str(event) for listener, event in reply.body[0] if listener not in ignore]


def atspi_presence(ignore: frozenset[str] = frozenset()) -> ReaderPresence | None:
    """What the AT-SPI registry says, or None when it cannot be asked (no session bus, …)."""
    from jeepney.wrappers import DBusErrorResponse

    try:
        return presence_from_events(atspi_registered_events(ignore))
    except (OSError, ValueError, LookupError, DBusErrorResponse) as exc:  # timeouts are OSErrors
        log.info("could not ask AT-SPI who listens: %r", exc)
        return None


def windows_presence() -> ReaderPresence | None:
    """A screen reader that accessible_output2 can reach takes the text through its API."""
    server = accessible_output_server()
    if server is None:
        return None
    server.close()
    return ReaderPresence(running=True, hears_announcements=False)


def platform_presence(ignore: frozenset[str] = frozenset()) -> ReaderPresence | None:
    """Who hears announcements; ``ignore`` names Lookaloud's own AT-SPI listeners."""
    if sys.platform.startswith("linux"):
        return atspi_presence(ignore)
    if sys.platform == "win32":
        return windows_presence()
    return None  # VoiceOver speaks NSAccessibility announcements


# ---------------------------------------------------------------- speech servers


def orca_rate(data_home: Path | None = None) -> float:
    """The rate set in Orca, as Qt's -1…1: Orca keeps 0…100 with 50 for speech-dispatcher's 0."""
    home = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    try:
        data = json.loads((home / "orca" / "user-settings.conf").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0.0
    rate = _voice_rate(data.get("profiles", {}).get("default", {})) or _voice_rate(
        data.get("general", {})
    )
    return 0.0 if rate is None else max(-1.0, min(1.0, (rate - 50) / 50))


def _voice_rate(section: Any) -> float | None:
    try:
        rate = section["voices"]["default"]["rate"]
    except (KeyError, TypeError):
        return None
    return float(rate) if isinstance(rate, int | float) else None


class SpeechDispatcherServer:
    """speech-dispatcher through Qt's speechd engine, at the rate the user set in Orca."""

    def __init__(self) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        self._tts = QTextToSpeech("speechd")
        if self._tts.state() == QTextToSpeech.State.Error:
            raise OSError(self._tts.errorString() or "speech-dispatcher did not answer")
        self._tts.setRate(orca_rate())
        self._immediate = QTextToSpeech.BoundaryHint.Immediate

    def say(self, text: str, *, interrupt: bool) -> None:
        if interrupt:
            self._tts.stop(self._immediate)
        self._tts.enqueue(text)

    def stop(self) -> None:
        self._tts.stop(self._immediate)

    def close(self) -> None:
        self.stop()
        self._tts.deleteLater()


class AccessibleOutputServer:
    """A Windows screen reader (NVDA, JAWS, …) spoken to through accessible_output2."""

    def __init__(self, output: Any) -> None:
        self._output = output

    def say(self, text: str, *, interrupt: bool) -> None:
        self._output.output(text, interrupt=interrupt)

    def stop(self) -> None:
        silence = getattr(self._output, "silence", None)
        if silence is not None:
            silence()

    def close(self) -> None:
        """accessible_output2 holds nothing that needs releasing."""


def accessible_output_server() -> AccessibleOutputServer | None:
    try:
        from accessible_output2.outputs.auto import Auto
    except ImportError:
        return None
    try:
        output = Auto()
        active = output.get_first_available_output()
    except Exception as exc:  # noqa: BLE001 - it probes each screen reader's DLL in turn
        log.info("accessible_output2 found no screen reader: %r", exc)
        return None
    return AccessibleOutputServer(output) if active is not None else None


def platform_speech_server() -> SpeechServer | None:
    if sys.platform == "win32":
        return accessible_output_server()
    try:
        return SpeechDispatcherServer()
    except OSError as exc:
        log.warning("speech-dispatcher is not available: %s", exc)
        return None


# ---------------------------------------------------------------- the route


class ScreenReaderRoute:
    """Decides, and remembers for a few seconds, whether announcements need a second way in.

    ``mode`` is the ``[speech] screen_reader_speech`` setting: ``auto`` asks the platform,
    ``announcements`` trusts the screen reader to speak them, ``speech_server`` always speaks
    through the screen reader's speech server as well.
    """

    def __init__(
        self,
        mode: str = "auto",
        probe: PresenceProbe = platform_presence,
        server_factory: ServerFactory = platform_speech_server,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mode = mode
        self._probe = probe
        self._server_factory = server_factory
        self._clock = clock
        self._presence: ReaderPresence | None = None
        self._asked_at = -PRESENCE_TTL_S
        self._server: SpeechServer | None = None
        self._server_failed = False

    def presence(self) -> ReaderPresence | None:
        now = self._clock()
        if now - self._asked_at >= PRESENCE_TTL_S:
            self._presence, self._asked_at = self._probe(), now
        return self._presence

    def needs_speech_server(self) -> bool:
        if self.mode == "announcements":
            return False
        if self.mode == "speech_server":
            return True
        presence = self.presence()
        return presence is not None and presence.running and not presence.hears_announcements

    def nobody_listens(self) -> bool:
        """No screen reader at all: nothing would hear an announcement."""
        if self.mode != "auto":
            return False
        presence = self.presence()
        return presence is not None and not presence.running and not presence.hears_announcements

    def speak(self, text: str, *, interrupt: bool = False) -> bool:
        """Says ``text`` through the speech server when one is needed; False if it could not."""
        if not self.needs_speech_server():
            return True
        server = self._speech_server()
        if server is None:
            return False
        server.say(text, interrupt=interrupt)
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def _speech_server(self) -> SpeechServer | None:
        if self._server is None and not self._server_failed:
            self._server = self._server_factory()
            self._server_failed = self._server is None
        return self._server

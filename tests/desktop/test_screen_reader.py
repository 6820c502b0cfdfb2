"""Finding out whether the screen reader speaks announcements, and the second way in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.desktop import RecordingServer
from lookaloud.desktop.screen_reader import (
    PRESENCE_TTL_S,
    ReaderPresence,
    ScreenReaderRoute,
    atspi_presence,
    listens_for,
    orca_rate,
    presence_from_events,
)

# What Orca 43.1 registered with the AT-SPI registry in the end-to-end session (a part).
ORCA_43_EVENTS = [
    "Document:LoadComplete:",
    "Focus::",
    "Object:ChildrenChanged:Add",
    "Object:StateChanged:Focused",
    "Object:TextCaretMoved:",
    "Window:Activate:",
]


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def route_with(
    presence: ReaderPresence | None, mode: str = "auto", server: RecordingServer | None = None
) -> ScreenReaderRoute:
    return ScreenReaderRoute(mode, lambda: presence, lambda: server)


ORCA_43 = ReaderPresence(running=True, hears_announcements=False)
ORCA_46 = ReaderPresence(running=True, hears_announcements=True)
NOBODY = ReaderPresence(running=False, hears_announcements=False)


def test_a_registration_covers_the_events_it_is_a_prefix_of() -> None:
    assert listens_for(["Object:Announcement:"], "object:announcement")
    assert listens_for(["Object:"], "object:announcement")
    assert listens_for([""], "object:announcement")  # a listener for everything
    assert not listens_for(["Object:StateChanged:Focused"], "object:announcement")
    assert not listens_for(["Object:Announce"], "object:announcement")  # whole parts only


def test_orca_43_follows_the_focus_but_does_not_hear_announcements() -> None:
    assert presence_from_events(ORCA_43_EVENTS) == ORCA_43
    assert presence_from_events([*ORCA_43_EVENTS, "Object:Announcement:"]) == ORCA_46
    assert presence_from_events([]) == NOBODY


def test_a_screen_reader_that_ignores_announcements_gets_them_through_its_speech_server() -> None:
    server = RecordingServer()
    route = route_with(ORCA_43, server=server)
    assert route.needs_speech_server()
    assert route.speak("Describing the screen.") is True
    assert route.speak("Speech stopped.", interrupt=True) is True
    assert server.said == [("Describing the screen.", False), ("Speech stopped.", True)]
    route.stop()
    route.close()
    assert server.stops == 1 and server.closed


def test_a_screen_reader_that_speaks_announcements_gets_nothing_twice() -> None:
    server = RecordingServer()
    route = route_with(ORCA_46, server=server)
    assert not route.needs_speech_server() and route.speak("Done.") is True
    assert server.said == []


def test_the_user_can_say_how_their_screen_reader_works() -> None:
    server = RecordingServer()
    assert route_with(ORCA_46, "speech_server", server).needs_speech_server()
    assert not route_with(ORCA_43, "announcements", server).needs_speech_server()
    assert not route_with(None, "speech_server").nobody_listens()


def test_unknown_presence_trusts_the_announcements() -> None:
    route = route_with(None)
    assert not route.needs_speech_server() and not route.nobody_listens()


def test_no_screen_reader_at_all_is_told_apart() -> None:
    assert route_with(NOBODY).nobody_listens()
    assert not route_with(ORCA_43).nobody_listens()


def test_a_missing_speech_server_is_reported_and_not_asked_for_again() -> None:
    made: list[int] = []

    def no_server() -> None:
        made.append(1)

    route = ScreenReaderRoute("auto", lambda: ORCA_43, no_server)
    assert route.speak("One.") is False
    assert route.speak("Two.") is False
    assert made == [1]


def test_the_registry_is_asked_again_only_after_a_few_seconds() -> None:
    asked: list[float] = []
    clock = Clock()

    def probe() -> ReaderPresence:
        asked.append(clock.now)
        return ORCA_43

    route = ScreenReaderRoute("auto", probe, lambda: None, clock)
    route.needs_speech_server()
    clock.now = PRESENCE_TTL_S / 2
    route.needs_speech_server()
    clock.now = PRESENCE_TTL_S + 0.1
    route.needs_speech_server()
    assert asked == [0.0, PRESENCE_TTL_S + 0.1]


def test_orca_s_rate_becomes_qt_s(tmp_path: Path) -> None:
    assert orca_rate(tmp_path) == 0.0  # no Orca settings: speech-dispatcher's own rate
    folder = tmp_path / "orca"
    folder.mkdir()
    settings = {"general": {"voices": {"default": {"rate": 50}}}}
    (folder / "user-settings.conf").write_text(json.dumps(settings))
    assert orca_rate(tmp_path) == 0.0
    settings["profiles"] = {"default": {"voices": {"default": {"rate": 75}}}}
    (folder / "user-settings.conf").write_text(json.dumps(settings))
    assert orca_rate(tmp_path) == 0.5  # the profile in use wins
    (folder / "user-settings.conf").write_text("{not json")
    assert orca_rate(tmp_path) == 0.0


def test_without_an_accessibility_bus_nobody_is_assumed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    assert atspi_presence() is None

"""Speech in the desktop app: the output choice, Qt's voice, and the screen reader."""

from __future__ import annotations

import time

import pytest
from PySide6.QtTextToSpeech import QTextToSpeech
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from helpers.desktop import RecordingServer
from lookaloud.core.settings import SpeechSettings
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.desktop.announce import announce, silence, use_route
from lookaloud.desktop.screen_reader import ReaderPresence, ScreenReaderRoute
from lookaloud.desktop.speech import (
    TEST_ENGINE,
    CombinedSpeaker,
    QtVoiceSpeaker,
    ScreenReaderSpeaker,
    announces,
    desktop_backends,
    make_output,
)


@pytest.fixture
def source(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def test_no_speech_is_silent(source: QWidget) -> None:
    speaker, notice = make_output(SpeechSettings(output="none"), source)
    assert isinstance(speaker, SilentSpeaker) and notice == ""


def test_my_screen_reader_gets_each_sentence(source: QWidget) -> None:
    speaker, _ = make_output(SpeechSettings(output="screen_reader"), source)
    assert isinstance(speaker, ScreenReaderSpeaker) and announces(speaker)
    speaker.say("A dialog asks to save changes.")
    assert speaker.announced == ["A dialog asks to save changes."]


def test_both_speaks_with_the_voice_and_the_screen_reader(source: QWidget) -> None:
    speaker, notice = make_output(SpeechSettings(output="both", backend="silent"), source)
    assert isinstance(speaker, CombinedSpeaker) and announces(speaker) and notice == ""
    assert [part.name for part in speaker.speakers] == ["silent", "screen_reader"]
    speaker.say("One.")
    speaker.stop()
    voice = speaker.speakers[0]
    assert isinstance(voice, SilentSpeaker) and voice.said == ["One."] and voice.stop_count == 1


def test_the_voice_alone_does_not_announce(source: QWidget) -> None:
    speaker, _ = make_output(SpeechSettings(output="voice", backend="silent"), source)
    assert isinstance(speaker, SilentSpeaker) and not announces(speaker)


def test_the_built_in_voice_falls_back_to_qt_then_silence() -> None:
    backends = desktop_backends()
    assert backends["pyttsx3"].fallback == "qt" and backends["qt"].fallback == "silent"


def test_qt_voice_speaks_and_stops_within_200_ms(qtbot: QtBot) -> None:
    assert TEST_ENGINE in QTextToSpeech.availableEngines()
    speaker = QtVoiceSpeaker(rate=180, engine=TEST_ENGINE)
    try:
        speaker.say("A long sentence that takes the test engine a while to say out loud.")
        qtbot.waitUntil(
            lambda: speaker.engine.state() == QTextToSpeech.State.Speaking, timeout=5000
        )
        began = time.monotonic()
        speaker.stop()
        qtbot.waitUntil(lambda: speaker.engine.state() == QTextToSpeech.State.Ready, timeout=1000)
        assert time.monotonic() - began < 0.2
        assert speaker.wait(1.0)
    finally:
        speaker.close()


def _route(presence: ReaderPresence, server: RecordingServer | None) -> ScreenReaderRoute:
    return ScreenReaderRoute("auto", lambda: presence, lambda: server)


def test_orca_43_hears_each_sentence_through_its_speech_server(source: QWidget) -> None:
    server, fallback = RecordingServer(), SilentSpeaker()
    route = _route(ReaderPresence(running=True, hears_announcements=False), server)
    speaker = ScreenReaderSpeaker(source, route, lambda: fallback)
    speaker.say("A dialog asks to save changes.")
    speaker.stop()
    assert server.said == [("A dialog asks to save changes.", False)] and server.stops == 1
    assert fallback.said == []
    assert speaker.announced == ["A dialog asks to save changes."]  # braille gets it too


def test_without_a_speech_server_the_built_in_voice_speaks(source: QWidget) -> None:
    fallback = SilentSpeaker()
    route = _route(ReaderPresence(running=True, hears_announcements=False), None)
    speaker = ScreenReaderSpeaker(source, route, lambda: fallback)
    speaker.say("One.")
    speaker.stop()
    assert fallback.said == ["One."] and fallback.stop_count == 1


def test_with_no_screen_reader_running_the_built_in_voice_speaks(source: QWidget) -> None:
    fallback = SilentSpeaker()
    route = _route(ReaderPresence(running=False, hears_announcements=False), RecordingServer())
    ScreenReaderSpeaker(source, route, lambda: fallback).say("One.")
    assert fallback.said == ["One."]


def test_a_screen_reader_that_speaks_announcements_gets_only_them(source: QWidget) -> None:
    server, fallback = RecordingServer(), SilentSpeaker()
    route = _route(ReaderPresence(running=True, hears_announcements=True), server)
    ScreenReaderSpeaker(source, route, lambda: fallback).say("One.")
    assert server.said == [] and fallback.said == []


def test_statuses_reach_the_speech_server_once_and_spoken_text_not_twice(source: QWidget) -> None:
    server = RecordingServer()
    use_route(_route(ReaderPresence(running=True, hears_announcements=False), server))
    try:
        announce(source, "Describing the screen.")
        announce(source, "Already said by the voice.", voiced=True)
        announce(source, "Something went wrong.", assertive=True)
        silence()
    finally:
        use_route(None)
    assert server.said == [("Describing the screen.", False), ("Something went wrong.", True)]
    assert server.stops == 1

"""Speech in the desktop app: the output choice, Qt's voice, and the screen reader."""

from __future__ import annotations

import time

import pytest
from PySide6.QtTextToSpeech import QTextToSpeech
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from lookaloud.core.settings import SpeechSettings
from lookaloud.core.speech.silent import SilentSpeaker
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

"""Speech for the desktop app: Qt's voice, "my screen reader", and the choice between them.

Two backends join the core registry here, because they need Qt: ``qt`` speaks through
QTextToSpeech (speech-dispatcher on Linux, SAPI/WinRT on Windows, AVSpeech on macOS), and
``screen_reader`` hands every sentence to the user's own screen reader as an accessibility
announcement, so it is spoken in their voice and reaches their braille display. The setting
``[speech] output`` picks the voice, the screen reader, both, or neither.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QObject
from PySide6.QtTextToSpeech import QTextToSpeech

from lookaloud.core.errors import SpeechError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.settings import SpeechSettings
from lookaloud.core.speech.base import Speaker
from lookaloud.core.speech.registry import (
    SpeakerBackend,
    default_backends,
    make_speaker,
)
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.desktop.announce import announce
from lookaloud.desktop.screen_reader import ScreenReaderRoute

log = logging.getLogger(__name__)

# Qt's "mock" engine only pretends to speak; it is for tests, never a user's voice.
TEST_ENGINE = "mock"
DEFAULT_RATE = 180  # words per minute that QTextToSpeech calls a rate of 0


class QtVoiceSpeaker:
    """Speaks through QTextToSpeech; lives on, and must be used from, the GUI thread."""

    def __init__(self, rate: int = DEFAULT_RATE, voice: str = "", *, engine: str = "") -> None:
        self._tts = QTextToSpeech(engine) if engine else QTextToSpeech()
        if self._tts.state() == QTextToSpeech.State.Error:
            raise SpeechError(
                tr(
                    "Qt's voice could not start ({problem}); install speech-dispatcher or "
                    "choose another voice in the settings.",
                    "error",
                    problem=self._tts.errorString() or tr("no speech engine"),
                )
            )
        self._tts.setRate(_qt_rate(rate))
        self._choose_voice(voice)

    @property
    def name(self) -> str:
        return "qt"

    @classmethod
    def check(cls) -> bool:
        return any(engine != TEST_ENGINE for engine in QTextToSpeech.availableEngines())

    @property
    def engine(self) -> QTextToSpeech:
        return self._tts

    def say(self, text: str) -> None:
        if text.strip():
            self._tts.enqueue(text.strip())

    def stop(self) -> None:
        self._tts.stop(QTextToSpeech.BoundaryHint.Immediate)

    def wait(self, timeout: float | None = None) -> bool:
        """Runs the event loop until speech is done (GUI thread only); False on timeout."""
        deadline = QDeadlineTimer(-1 if timeout is None else int(timeout * 1000))
        while self._tts.state() in (QTextToSpeech.State.Speaking, QTextToSpeech.State.Synthesizing):
            if deadline.hasExpired():
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
        return True

    def close(self) -> None:
        self.stop()
        self._tts.deleteLater()

    def _choose_voice(self, wanted: str) -> None:
        if not wanted:
            return
        for voice in self._tts.availableVoices():
            if voice.name() == wanted:
                self._tts.setVoice(voice)
                return
        log.warning("Qt's voice has no voice called %r; using the default", wanted)


def _qt_rate(words_per_minute: int) -> float:
    """QTextToSpeech's rate runs from -1 (slowest) to 1 (fastest) around a normal 0."""
    return max(-1.0, min(1.0, (words_per_minute - DEFAULT_RATE) / DEFAULT_RATE))


class ScreenReaderSpeaker:
    """Sends each sentence to the user's screen reader as an accessibility announcement.

    When the screen reader does not speak announcements (``route``), the sentence is spoken
    through its speech server, which ``stop`` silences; when that server is missing, or no screen
    reader runs at all, the built-in voice (``fallback``) says it, so the user is never left with
    silence. ``voiced_elsewhere``: another speaker says every sentence aloud already ("both"), so
    the text is only announced, for braille.
    """

    def __init__(
        self,
        source: QObject,
        route: ScreenReaderRoute | None = None,
        fallback: Callable[[], Speaker] | None = None,
        *,
        voiced_elsewhere: bool = False,
    ) -> None:
        self._source = source
        self._route = route
        self._make_fallback = fallback
        self._fallback: Speaker | None = None
        self._voiced_elsewhere = voiced_elsewhere
        self.announced: list[str] = []

    @property
    def name(self) -> str:
        return "screen_reader"

    def say(self, text: str) -> None:
        self.announced.append(text)
        announce(self._source, text, voiced=True)
        route = self._route
        if route is None or self._voiced_elsewhere:
            return
        spoken = route.speak(text) if route.needs_speech_server() else not route.nobody_listens()
        if not spoken:
            self._fallback_voice().say(text)

    def stop(self) -> None:
        """Silences the speech server and the fallback voice; announcements are the screen
        reader's own (its stop key silences them)."""
        if self._route is not None:
            self._route.stop()
        if self._fallback is not None:
            self._fallback.stop()

    def wait(self, timeout: float | None = None) -> bool:
        return True if self._fallback is None else self._fallback.wait(timeout)

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()

    def _fallback_voice(self) -> Speaker:
        if self._fallback is None:
            self._fallback = self._make_fallback() if self._make_fallback else SilentSpeaker()
        return self._fallback


class CombinedSpeaker:
    """Several speakers at once, such as the voice and the screen reader ("both")."""

    def __init__(self, speakers: Sequence[Speaker]) -> None:
        self.speakers = tuple(speakers)

    @property
    def name(self) -> str:
        return "+".join(speaker.name for speaker in self.speakers)

    def say(self, text: str) -> None:
        for speaker in self.speakers:
            speaker.say(text)

    def stop(self) -> None:
        for speaker in self.speakers:
            speaker.stop()

    def wait(self, timeout: float | None = None) -> bool:
        return all(speaker.wait(timeout) for speaker in self.speakers)

    def close(self) -> None:
        for speaker in self.speakers:
            speaker.close()


def announces(speaker: Speaker) -> bool:
    """Whether ``speaker`` already hands its text to the screen reader."""
    if isinstance(speaker, CombinedSpeaker):
        return any(announces(part) for part in speaker.speakers)
    return isinstance(speaker, ScreenReaderSpeaker)


def desktop_backends() -> dict[str, SpeakerBackend]:
    """The core backends plus Qt's voice; the built-in voice falls back to Qt's before silence."""
    backends = default_backends()
    backends["qt"] = SpeakerBackend(
        name="qt",
        label=N_("Qt's voice", "a voice"),
        check=QtVoiceSpeaker.check,
        create=lambda options: QtVoiceSpeaker(options.rate, options.voice),
        needs=N_("a speech engine for Qt (on Linux: sudo apt install speech-dispatcher)"),
    )
    backends["pyttsx3"] = dataclasses.replace(backends["pyttsx3"], fallback="qt")
    return backends


def make_output(
    settings: SpeechSettings, source: QObject, route: ScreenReaderRoute | None = None
) -> tuple[Speaker, str]:
    """The speaker for ``[speech] output`` and a notice when the voice asked for is not used."""
    if settings.output == "none":
        return SilentSpeaker(), ""
    if settings.output == "screen_reader":
        return ScreenReaderSpeaker(source, route, lambda: _voice(settings)[0]), ""
    voice, notice = _voice(settings)
    if settings.output == "voice":
        return voice, notice
    return CombinedSpeaker([voice, ScreenReaderSpeaker(source, voiced_elsewhere=True)]), notice


def _voice(settings: SpeechSettings) -> tuple[Speaker, str]:
    backend = "pyttsx3" if settings.backend == "wav" else settings.backend  # no file in the app
    choice = make_speaker(
        backend, rate=settings.rate, voice=settings.voice, backends=desktop_backends()
    )
    return choice.speaker, choice.notice

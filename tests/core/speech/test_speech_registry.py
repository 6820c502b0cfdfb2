"""The speaker registry: choosing by name, checks, and the fallback chain ending in silence."""

from __future__ import annotations

import dataclasses
import shutil
import wave
from pathlib import Path
from typing import Any

import pytest

from lookaloud.core.errors import SpeechError
from lookaloud.core.speech import (
    SilentSpeaker,
    Speaker,
    SpeakerBackend,
    SpeakerOptions,
    WavFileSpeaker,
    available_speakers,
    default_backends,
    make_speaker,
)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def cannot_run() -> bool:
    return False


def with_backend(name: str, **changes: Any) -> dict[str, SpeakerBackend]:
    backends = default_backends()
    backends[name] = dataclasses.replace(backends[name], **changes)
    return backends


def failing_create(options: SpeakerOptions) -> Speaker:
    raise SpeechError("The test voice refused to start.")


def test_available_speakers_reports_each_check() -> None:
    backends = with_backend("pyttsx3", check=cannot_run)

    available = available_speakers(backends)

    assert available["pyttsx3"] is False
    assert available["silent"] is True
    assert set(available) == {"pyttsx3", "wav", "silent"}


@needs_espeak
def test_wav_is_available_where_espeak_ng_is_installed() -> None:
    assert available_speakers()["wav"] is True


def test_failing_check_falls_back_to_silent_and_says_why() -> None:
    choice = make_speaker("pyttsx3", backends=with_backend("pyttsx3", check=cannot_run))

    assert isinstance(choice.speaker, SilentSpeaker)
    assert choice.notice.startswith("Using no speech (silent) instead of the built-in voice:")
    assert "espeak-ng" in choice.notice  # says what to install


def test_backend_that_fails_to_start_falls_back_with_its_message() -> None:
    backends = with_backend("pyttsx3", check=lambda: True, create=failing_create)

    speaker, notice = make_speaker("pyttsx3", backends=backends)

    assert speaker.name == "silent"
    assert notice.endswith("The test voice refused to start.")


@needs_espeak
def test_wav_backend_writes_the_file_and_has_no_notice(tmp_path: Path) -> None:
    speaker, notice = make_speaker("wav", rate=200, wav_path=tmp_path / "out.wav")
    speaker.say("Hello from the registry.")
    speaker.close()

    assert notice == ""
    assert isinstance(speaker, WavFileSpeaker)
    with wave.open(str(tmp_path / "out.wav"), "rb") as clip:
        assert clip.getnframes() > 0


def test_wav_backend_without_a_path_falls_back() -> None:
    speaker, notice = make_speaker("wav", backends=with_backend("wav", check=lambda: True))

    assert speaker.name == "silent"
    assert "needs the path of the file" in notice


def test_unknown_name_uses_the_default_chain_and_says_so() -> None:
    speaker, notice = make_speaker("klingon", backends=with_backend("pyttsx3", check=cannot_run))

    assert speaker.name == "silent"
    assert "'klingon'" in notice
    assert "no speech backend called" in notice


def test_fallback_chain_is_followed_in_order() -> None:
    recorder = SilentSpeaker()
    backends = default_backends()
    backends["screenreader"] = SpeakerBackend(
        name="screenreader",
        label="your screen reader",
        check=cannot_run,
        create=failing_create,
        needs="a running screen reader",
        fallback="recorder",
    )
    backends["recorder"] = dataclasses.replace(
        backends["silent"], name="recorder", label="the recorder", create=lambda _: recorder
    )

    speaker, notice = make_speaker("screenreader", backends=backends)

    assert speaker is recorder
    assert notice == (
        "Using the recorder instead of your screen reader: "
        "Your screen reader needs a running screen reader."
    )


def test_a_chain_without_silent_or_with_a_loop_still_ends_in_silence() -> None:
    loop = SpeakerBackend(
        name="loop",
        label="a loop",
        check=cannot_run,
        create=failing_create,
        needs="x",
        fallback="loop",
    )

    speaker, notice = make_speaker("loop", backends={"loop": loop})

    assert isinstance(speaker, SilentSpeaker)
    assert "instead of a loop" in notice


def test_silent_speaker_records_what_it_was_asked_to_say() -> None:
    speaker, notice = make_speaker("silent")
    speaker.say("One.")
    speaker.say("Two.")
    speaker.stop()

    assert notice == ""
    assert isinstance(speaker, SilentSpeaker)
    assert speaker.said == ["One.", "Two."]
    assert speaker.stop_count == 1
    assert speaker.wait(timeout=0) is True

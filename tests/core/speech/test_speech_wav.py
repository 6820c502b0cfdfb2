"""WavFileSpeaker, driven through the real espeak-ng program."""

from __future__ import annotations

import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest

from lookaloud.core.errors import SpeechError
from lookaloud.core.speech import WavFileSpeaker

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/apt-packages.txt)"
)

TWO_SENTENCES = (
    "The window shows a settings dialog with three buttons.",
    "The blue button at the bottom says Save.",
)
# About 2700 words: espeak-ng needs well over 200 ms to synthesize it even on a fast machine.
VERY_LONG_TEXT = "The quick brown fox jumps over the lazy dog. " * 300


def duration_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def speak_to_file(path: Path, *sentences: str) -> float:
    speaker = WavFileSpeaker(path)
    for sentence in sentences:
        speaker.say(sentence)
    speaker.close()
    return duration_seconds(path)


def test_two_sentences_make_one_valid_wav_of_plausible_length(tmp_path: Path) -> None:
    seconds = speak_to_file(tmp_path / "out.wav", *TWO_SENTENCES)  # 17 words

    with wave.open(str(tmp_path / "out.wav"), "rb") as clip:
        assert (clip.getnchannels(), clip.getsampwidth()) == (1, 2)
        assert clip.getframerate() >= 8000
    assert 1.0 < seconds < 15.0


def test_file_holds_every_sentence_in_order(tmp_path: Path) -> None:
    first = speak_to_file(tmp_path / "first.wav", TWO_SENTENCES[0])
    second = speak_to_file(tmp_path / "second.wav", TWO_SENTENCES[1])
    both = speak_to_file(tmp_path / "both.wav", *TWO_SENTENCES)

    assert both == pytest.approx(first + second, abs=0.01)
    with (
        wave.open(str(tmp_path / "both.wav"), "rb") as clip,
        wave.open(str(tmp_path / "first.wav"), "rb") as start,
    ):
        assert clip.readframes(start.getnframes()) == start.readframes(start.getnframes())


def test_longer_text_gives_longer_file(tmp_path: Path) -> None:
    short = speak_to_file(tmp_path / "short.wav", "Three buttons.")
    long = speak_to_file(tmp_path / "long.wav", *TWO_SENTENCES)

    assert long > short + 1.0


def test_file_is_complete_when_wait_returns(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    speaker = WavFileSpeaker(path)
    speaker.say(TWO_SENTENCES[0])

    assert speaker.wait(timeout=20)
    assert duration_seconds(path) > 1.0  # readable while the speaker is still open
    speaker.close()


def test_wait_times_out_while_synthesis_is_running(tmp_path: Path) -> None:
    speaker = WavFileSpeaker(tmp_path / "out.wav")
    speaker.say(VERY_LONG_TEXT)

    assert speaker.wait(timeout=0.01) is False
    speaker.stop()
    speaker.close()


def wait_for_espeak(speaker: WavFileSpeaker) -> subprocess.Popen[bytes]:
    """The espeak-ng process speaking the current text, once it has started."""
    deadline = time.monotonic() + 10
    while (process := speaker._process) is None:
        assert time.monotonic() < deadline, "espeak-ng never started"
        time.sleep(0.005)
    return process


def test_stop_during_long_text_returns_within_200_ms_and_drops_it(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    speaker = WavFileSpeaker(path)
    speaker.say(TWO_SENTENCES[0])
    assert speaker.wait(timeout=20)
    before = duration_seconds(path)
    speaker.say(VERY_LONG_TEXT)
    speaker.say(TWO_SENTENCES[1])
    espeak = wait_for_espeak(speaker)

    started = time.monotonic()
    speaker.stop()
    elapsed = time.monotonic() - started

    assert elapsed < 0.2
    assert speaker.wait(timeout=10)
    assert espeak.returncode is not None and espeak.returncode < 0  # ended by a signal
    speaker.close()
    assert duration_seconds(path) == before  # neither the long text nor the queued sentence


def test_speaks_again_after_stop(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    speaker = WavFileSpeaker(path)
    speaker.say(VERY_LONG_TEXT)
    speaker.stop()
    speaker.say(TWO_SENTENCES[1])
    speaker.close()

    assert 1.0 < duration_seconds(path) < 10.0


def test_nothing_said_still_leaves_a_valid_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    speaker = WavFileSpeaker(path)
    speaker.say("   ")
    speaker.close()

    assert duration_seconds(path) == 0.0


def test_unknown_voice_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="no voice called 'nosuchvoice'"):
        WavFileSpeaker(tmp_path / "out.wav", voice="nosuchvoice")


def test_unwritable_path_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="cannot write the speech file"):
        WavFileSpeaker(tmp_path / "missing-folder" / "out.wav")


def test_faster_rate_gives_shorter_file(tmp_path: Path) -> None:
    slow = WavFileSpeaker(tmp_path / "slow.wav", rate=120)
    fast = WavFileSpeaker(tmp_path / "fast.wav", rate=360)
    for speaker in (slow, fast):
        speaker.say(TWO_SENTENCES[0])
        speaker.close()

    assert duration_seconds(tmp_path / "fast.wav") < duration_seconds(tmp_path / "slow.wav") / 2

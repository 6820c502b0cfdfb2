"""Pyttsx3Speaker: the real pyttsx3 + espeak-ng engine in a child process.

The machine running the tests has no sound card, so the audio player pyttsx3 calls on Linux
(``aplay``) is replaced, through the child's PATH, by a script that records its process id
and "plays" by sleeping. That makes playback take real time, so stopping is measurable.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.processes import is_running
from lookaloud.core.errors import SpeechError
from lookaloud.core.speech import Pyttsx3Speaker
from lookaloud.core.speech.pyttsx3_voice import MAX_FAILED_STARTS

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a fake Linux aplay"),
    pytest.mark.skipif(
        ctypes.util.find_library("espeak-ng") is None,
        reason="needs libespeak-ng1 (scripts/apt-packages.txt)",
    ),
]

FAKE_APLAY = """#!/bin/sh
echo $$ >> "{log}"
echo "this must not reach the protocol"
exec sleep {seconds}
"""


class FakePlayer:
    def __init__(self, folder: Path, seconds: float) -> None:
        self.log = folder / "played.txt"
        script = folder / "aplay"
        script.write_text(FAKE_APLAY.format(log=self.log, seconds=seconds))
        script.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}

    def pids(self) -> list[int]:
        return [int(line) for line in self.log.read_text().split()] if self.log.exists() else []

    def wait_until_playing(self, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.pids()) < count:
            assert time.monotonic() < deadline, "the voice never started playing"
            time.sleep(0.01)


def ends_soon(pid: int, timeout: float = 5.0) -> bool:
    """Whether ``pid`` ends within ``timeout``: a group signal lands a moment after it is sent."""
    deadline = time.monotonic() + timeout
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def slow_player(tmp_path: Path) -> FakePlayer:
    return FakePlayer(tmp_path, seconds=30)


@pytest.fixture
def speaker(slow_player: FakePlayer) -> Iterator[Pyttsx3Speaker]:
    voice = Pyttsx3Speaker(env=slow_player.env)
    voice.start()
    yield voice
    voice.close()


def test_wait_returns_once_every_sentence_was_played(tmp_path: Path) -> None:
    player = FakePlayer(tmp_path, seconds=0.3)
    voice = Pyttsx3Speaker(env=player.env)
    started = time.monotonic()
    voice.say("First sentence.")
    voice.say("Second sentence.")

    assert voice.wait(timeout=0.1) is False
    assert voice.wait(timeout=20) is True
    assert time.monotonic() - started >= 0.6
    assert len(player.pids()) == 2
    voice.close()


def test_say_returns_at_once(speaker: Pyttsx3Speaker) -> None:
    started = time.monotonic()
    speaker.say("A sentence that takes thirty seconds to play.")
    speaker.say("And another one.")

    assert time.monotonic() - started < 0.1


def test_stop_silences_within_200_ms(speaker: Pyttsx3Speaker, slow_player: FakePlayer) -> None:
    speaker.say("A sentence that takes thirty seconds to play.")
    speaker.say("A queued sentence that must never be played.")
    slow_player.wait_until_playing()

    started = time.monotonic()
    speaker.stop()
    elapsed = time.monotonic() - started

    assert elapsed < 0.2
    assert speaker.wait(timeout=0) is True  # the queue was dropped
    assert ends_soon(slow_player.pids()[0])  # the audio player was ended too
    time.sleep(0.3)
    assert len(slow_player.pids()) == 1


def test_speaks_again_after_stop_with_a_fresh_process(
    speaker: Pyttsx3Speaker, slow_player: FakePlayer
) -> None:
    speaker.say("First.")
    slow_player.wait_until_playing()
    first_process = speaker.process_id
    speaker.stop()

    speaker.say("Second.")
    slow_player.wait_until_playing(count=2)

    assert speaker.process_id not in (None, first_process)


def test_close_leaves_no_process_and_no_zombie(
    speaker: Pyttsx3Speaker, slow_player: FakePlayer
) -> None:
    speaker.say("Something long.")
    slow_player.wait_until_playing()
    pid = speaker.process_id
    assert pid is not None

    speaker.close()

    assert speaker.process_id is None
    assert not is_running(pid)
    with pytest.raises(ChildProcessError):  # already reaped: nothing is left for us to wait on
        os.waitpid(pid, os.WNOHANG)
    assert ends_soon(slow_player.pids()[0])


def test_a_voice_that_cannot_start_raises_speech_error() -> None:
    with pytest.raises(SpeechError, match="built-in voice could not start"):
        Pyttsx3Speaker(python="/nonexistent/python").start()


def test_a_voice_process_that_dies_at_once_raises_speech_error(tmp_path: Path) -> None:
    broken_python = tmp_path / "python"
    broken_python.write_text("#!/bin/sh\nexit 3\n")
    broken_python.chmod(0o755)

    with pytest.raises(SpeechError, match="ended unexpectedly"):
        Pyttsx3Speaker(python=str(broken_python)).start()


def test_child_keeps_its_protocol_clean_of_player_output(tmp_path: Path) -> None:
    player = FakePlayer(tmp_path, seconds=0)
    commands = [{"rate": 200}, {"say": "Hello.", "id": 7}, "not json"]
    lines = "\n".join(c if isinstance(c, str) else json.dumps(c) for c in commands) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "lookaloud.core.speech._pyttsx3_child"],
        input=lines.encode(),
        capture_output=True,
        env={**player.env, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        timeout=60,
        check=True,
    )

    replies = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert replies[:3] == [{"ready": True}, {"started": 7}, {"done": 7}]
    assert "warning" in replies[3]
    assert b"this must not reach the protocol" in result.stderr


def test_say_on_a_voice_that_keeps_dying_raises_and_does_not_block_wait(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    broken_python = tmp_path / "python"
    broken_python.write_text(f"#!/bin/sh\necho started >> {starts}\nexit 3\n")
    broken_python.chmod(0o755)
    voice = Pyttsx3Speaker(python=str(broken_python), start_timeout=30)

    # The first sentence is handed over without waiting; whether the pipe is still open then
    # is luck, so both outcomes are allowed. Its voice ends before it is ready either way.
    with contextlib.suppress(SpeechError):
        voice.say("Hello.")
    assert voice.wait(timeout=30) is True  # the dead voice's sentence is dropped
    # Now every new voice must answer first: two more tries, then the voice is given up.
    with pytest.raises(SpeechError, match="ended unexpectedly"):
        voice.say("Hello again.")
    assert starts.read_text().count("started") == MAX_FAILED_STARTS
    with pytest.raises(SpeechError):  # and it stays given up, without starting more
        voice.say("Anyone?")
    assert starts.read_text().count("started") == MAX_FAILED_STARTS
    assert voice.wait(timeout=1) is True
    voice.close()

"""The WAV-file speaker: everything said goes, in order, into one WAV file.

Synthesis uses the ``espeak-ng`` command line, one short-lived process per sentence writing
a temporary WAV file (``-w``); the sentences are then appended to the output with ``wave``.
This was chosen over pyttsx3's ``save_to_file`` because a command-line process can be killed
at any moment (``stop()``), its output format is stable across versions, and it prints
nothing into our own output. The output file is complete whenever ``wait()`` or ``close()``
returns: the WAV header is rewritten after every sentence.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lookaloud.core.errors import SpeechError
from lookaloud.core.i18n import tr
from lookaloud.core.speech._process import end_process, spawn

logger = logging.getLogger(__name__)

ESPEAK_PROGRAM = "espeak-ng"
# espeak-ng writes 16-bit mono at 22 050 Hz; used for the header of a file nothing was said into.
_EMPTY_FORMAT = (1, 2, 22050)


@dataclass(frozen=True)
class _Clip:
    """One synthesized sentence: its format (channels, sample width, rate) and audio frames."""

    audio_format: tuple[int, int, int]
    frames: bytes


class _WavAppender:
    """An open WAV file that clips are appended to; its header is valid after every append."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = path.open("wb")
        self._writer = wave.open(self._file, "wb")  # noqa: SIM115 - closed in close()
        self._format: tuple[int, int, int] | None = None

    def append(self, clip: _Clip) -> None:
        if self._format is None:
            self._set_format(clip.audio_format)
        elif clip.audio_format != self._format:
            raise SpeechError(tr("espeak-ng changed its audio format in the middle of a file."))
        # writeframes() rewrites the header's lengths, so the file is valid at every point.
        self._writer.writeframes(clip.frames)
        self._file.flush()

    def close(self) -> None:
        if self._format is None:
            self._set_format(_EMPTY_FORMAT)
        self._writer.close()
        self._file.close()

    def _set_format(self, audio_format: tuple[int, int, int]) -> None:
        channels, sample_width, frame_rate = audio_format
        self._writer.setnchannels(channels)
        self._writer.setsampwidth(sample_width)
        self._writer.setframerate(frame_rate)
        self._format = audio_format


class WavFileSpeaker:
    """Writes speech into the WAV file ``path`` instead of a sound card.

    Sentences are synthesized in order on a worker thread, so ``say`` never blocks.
    """

    def __init__(
        self, path: Path, rate: int = 180, voice: str = "", *, program: str = ESPEAK_PROGRAM
    ) -> None:
        self.path = Path(path)
        self._command = _espeak_command(program, rate, voice)
        _check_voice(self._command)
        self._output = _open_output(self.path)
        self._scratch = tempfile.TemporaryDirectory(prefix="lookaloud-speech-")
        self._lock = threading.Condition()
        self._queue: deque[str] = deque()
        self._busy = False
        self._closed = False
        self._generation = 0  # bumped by stop(); synthesis started before it is thrown away
        self._process: subprocess.Popen[bytes] | None = None
        self.last_error = ""
        self._worker = threading.Thread(target=self._run, name="lookaloud-wav-speaker", daemon=True)
        self._worker.start()

    @property
    def name(self) -> str:
        return "wav"

    @classmethod
    def check(cls) -> bool:
        return shutil.which(ESPEAK_PROGRAM) is not None

    def say(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("say() was called on a closed WavFileSpeaker")
            self._queue.append(text)
            self._lock.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self._queue.clear()
            process = self._process
        if process is not None:
            end_process(process)

    def wait(self, timeout: float | None = None) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self) -> None:
        """Finishes every queued sentence, then completes and closes the file."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
        self._worker.join()
        self._output.close()
        self._scratch.cleanup()

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            text, generation = job
            try:
                self._speak_into_file(text, generation)
            except SpeechError as exc:
                self.last_error = exc.message
                logger.warning("WAV speech: %s", exc.message)
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _next_job(self) -> tuple[str, int] | None:
        """Waits for the next sentence; None once closed and everything queued is done."""
        with self._lock:
            self._lock.wait_for(lambda: bool(self._queue) or self._closed)
            if not self._queue:
                return None
            self._busy = True
            return self._queue.popleft(), self._generation

    def _speak_into_file(self, text: str, generation: int) -> None:
        clip = self._synthesize(text, generation)
        with self._lock:
            if clip is not None and generation == self._generation:
                self._output.append(clip)

    def _synthesize(self, text: str, generation: int) -> _Clip | None:
        """Runs espeak-ng for one sentence; None if stop() ended it."""
        target = Path(self._scratch.name) / "sentence.wav"
        with self._lock:
            if generation != self._generation:
                return None
            process = self._process = _start_espeak([*self._command, "-w", str(target)])
        try:
            _, errors = process.communicate(text.encode("utf-8"))
        except (OSError, ValueError):
            errors = b"its input closed early"  # stop() closed the pipe while we were writing
        process.wait()
        with self._lock:
            self._process = None
            if generation != self._generation:
                return None
        if process.returncode != 0:
            raise SpeechError(_espeak_failed(errors))
        return _read_clip(target)


def _espeak_command(program: str, rate: int, voice: str) -> list[str]:
    found = shutil.which(program)
    if found is None:
        raise SpeechError(
            tr(
                "Lookaloud cannot write speech to a WAV file because espeak-ng is not "
                "installed; on Debian or Ubuntu install it with: sudo apt install "
                "espeak-ng."
            )
        )
    # --stdin: the text never reaches the command line, so text starting with "-" is safe.
    command = [found, "--stdin", "-b", "1", "-s", str(rate)]
    return [*command, "-v", voice] if voice else command


def _start_espeak(command: list[str]) -> subprocess.Popen[bytes]:
    try:
        return spawn(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as exc:
        raise SpeechError(
            tr("espeak-ng could not be started ({problem}).", problem=exc.strerror or exc)
        ) from exc


def _check_voice(command: list[str]) -> None:
    """Fails now, with a sentence, rather than leaving an empty file for a voice typo."""
    if "-v" not in command:
        return
    try:
        result = subprocess.run(
            [*command, "-q"], input=b"", capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechError(tr("espeak-ng could not be started ({problem}).", problem=exc)) from exc
    if result.returncode != 0:
        voice = command[command.index("-v") + 1]
        raise SpeechError(
            tr(
                "espeak-ng has no voice called {voice!r}; choose another voice in the settings "
                "or leave it empty for the default.",
                voice=voice,
            )
        )


def _open_output(path: Path) -> _WavAppender:
    try:
        return _WavAppender(path)
    except OSError as exc:
        raise SpeechError(
            tr(
                "Lookaloud cannot write the speech file {path} ({value}); choose a folder "
                "you can write to.",
                path=path,
                value=exc.strerror or exc,
            )
        ) from exc


def _read_clip(path: Path) -> _Clip:
    try:
        with wave.open(str(path), "rb") as clip:
            audio_format = (clip.getnchannels(), clip.getsampwidth(), clip.getframerate())
            return _Clip(audio_format, clip.readframes(clip.getnframes()))
    except (OSError, EOFError, wave.Error) as exc:
        raise SpeechError(tr("espeak-ng wrote a sound file Lookaloud cannot read.")) from exc


def _espeak_failed(errors: bytes) -> str:
    detail = errors.decode("utf-8", errors="replace").strip() or tr("no details")
    return tr("espeak-ng could not speak a sentence ({detail}).", detail=detail)

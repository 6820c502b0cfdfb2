"""The pyttsx3 voice, run as a child process that the parent can end at any moment.

pyttsx3's ``runAndWait`` cannot be interrupted reliably from inside the process that runs it,
so ``Pyttsx3Speaker`` runs this module with ``python -m`` and ends the process to stop speech.

Protocol, one JSON object per line:

* parent → child (stdin): ``{"rate": 180, "voice": "gmw/en"}`` sets options (either key may be
  left out); ``{"say": "text", "id": 3}`` speaks one sentence.
* child → parent (the original stdout): ``{"ready": true}`` once the engine works, or
  ``{"error": "..."}`` and exit if it cannot start; ``{"started": 3}`` and ``{"done": 3}`` around
  every sentence, ``{"warning": "..."}`` for an option or sentence that failed.

Anything pyttsx3 or its audio player print goes to stderr, never into the protocol.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any


def _protocol_channel() -> IO[str]:
    """Keeps the real stdout for messages and points file descriptor 1 at stderr.

    pyttsx3 prints to stdout and runs ``aplay`` through ``os.system``, which writes to fd 1;
    either would otherwise corrupt the JSON lines the parent reads.
    """
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return channel


def _send(channel: IO[str], **message: object) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _apply_options(engine: Any, command: dict[str, Any], channel: IO[str]) -> None:
    for option in ("rate", "voice"):
        if option in command:
            try:
                engine.setProperty(option, command[option])
            except (ValueError, KeyError, RuntimeError, OSError) as exc:
                _send(channel, warning=f"could not set {option}: {exc}")


def _speak(engine: Any, command: dict[str, Any], channel: IO[str]) -> None:
    sentence_id = command.get("id")
    _send(channel, started=sentence_id)
    try:
        engine.say(str(command["say"]))
        engine.runAndWait()
    except (RuntimeError, OSError, ValueError) as exc:
        _send(channel, warning=f"could not speak: {exc}")
    _send(channel, done=sentence_id)


def _serve(engine: Any, channel: IO[str]) -> None:
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except json.JSONDecodeError:
            _send(channel, warning="ignored a line that is not JSON")
            continue
        if not isinstance(command, dict):
            continue
        _apply_options(engine, command, channel)
        if "say" in command:
            _speak(engine, command, channel)


def main() -> int:
    channel = _protocol_channel()
    try:
        import pyttsx3

        engine = pyttsx3.init()
    except (ImportError, RuntimeError, OSError) as exc:
        _send(channel, error=f"{type(exc).__name__}: {exc}")
        return 1
    _send(channel, ready=True)
    _serve(engine, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Choosing a speech backend by name, with a fallback chain that always ends in silence.

Each backend says whether it can run here (``check``) and which backend to try when it
cannot (``fallback``). ``make_speaker`` walks that chain and reports, in one line, why the
requested backend was not used, so the CLI or the app can tell the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from lookaloud.core.errors import SpeechError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.speech.base import Speaker
from lookaloud.core.speech.pyttsx3_voice import Pyttsx3Speaker
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.core.speech.wav_file import WavFileSpeaker

DEFAULT_BACKEND = "pyttsx3"


@dataclass(frozen=True)
class SpeakerOptions:
    """What every backend is created with; each uses the parts that apply to it."""

    rate: int = 180
    voice: str = ""
    wav_path: Path | None = None


@dataclass(frozen=True)
class SpeakerBackend:
    """One entry of the registry."""

    name: str
    label: str  # how the user hears it named, e.g. "the built-in voice"
    check: Callable[[], bool]
    create: Callable[[SpeakerOptions], Speaker]  # raises SpeechError if it cannot start
    needs: str  # what it needs, said when check() fails
    fallback: str | None = "silent"


class SpeakerChoice(NamedTuple):
    """The speaker to use, and a one-line notice if it is not the one asked for ("" if it is)."""

    speaker: Speaker
    notice: str


def default_backends() -> dict[str, SpeakerBackend]:
    """The backends core knows about; the desktop app may add its own to a copy."""
    return {backend.name: backend for backend in (_PYTTSX3_BACKEND, _WAV_BACKEND, _SILENT_BACKEND)}


def available_speakers(backends: Mapping[str, SpeakerBackend] | None = None) -> dict[str, bool]:
    """Each backend's name and whether it can run on this computer."""
    return {name: backend.check() for name, backend in _or_default(backends).items()}


def make_speaker(
    name: str,
    *,
    rate: int = 180,
    voice: str = "",
    wav_path: Path | None = None,
    backends: Mapping[str, SpeakerBackend] | None = None,
) -> SpeakerChoice:
    """The speaker called ``name`` if it can start here, else the first of its fallbacks that can.

    Never raises: the chain ends in a silent speaker, and ``notice`` says why it was needed.
    """
    registry = _or_default(backends)
    options = SpeakerOptions(rate=rate, voice=voice, wav_path=wav_path)
    first_problem = (
        ""
        if name in registry
        else tr(
            "there is no speech backend called {name!r}.",
            name=name,
        )
    )
    for backend in _chain(name if name in registry else DEFAULT_BACKEND, registry):
        try:
            speaker = _start(backend, options)
        except SpeechError as exc:
            first_problem = first_problem or exc.message
            continue
        return SpeakerChoice(speaker, _notice(name, registry, backend, first_problem))
    return SpeakerChoice(SilentSpeaker(), _notice(name, registry, _SILENT_BACKEND, first_problem))


def _or_default(backends: Mapping[str, SpeakerBackend] | None) -> Mapping[str, SpeakerBackend]:
    return default_backends() if backends is None else backends


def _chain(name: str, registry: Mapping[str, SpeakerBackend]) -> list[SpeakerBackend]:
    chain: list[SpeakerBackend] = []
    current: str | None = name
    while current is not None and current in registry and registry[current] not in chain:
        chain.append(registry[current])
        current = registry[current].fallback
    return chain


def _start(backend: SpeakerBackend, options: SpeakerOptions) -> Speaker:
    if not backend.check():
        raise SpeechError(
            tr(
                "{label} needs {needs}.",
                "error",
                label=_capitalized(tr(backend.label)),
                needs=tr(backend.needs),
            )
        )
    return backend.create(options)


def _notice(
    requested: str, registry: Mapping[str, SpeakerBackend], used: SpeakerBackend, problem: str
) -> str:
    if used.name == requested and not problem:
        return ""
    wanted = tr(registry[requested].label) if requested in registry else repr(requested)
    return tr(
        "Using {label} instead of {wanted}: {problem}",
        label=tr(used.label),
        wanted=wanted,
        problem=problem,
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _create_pyttsx3(options: SpeakerOptions) -> Speaker:
    speaker = Pyttsx3Speaker(rate=options.rate, voice=options.voice)
    speaker.start()
    return speaker


def _create_wav(options: SpeakerOptions) -> Speaker:
    if options.wav_path is None:
        raise SpeechError(tr("Writing speech to a WAV file needs the path of the file to write."))
    return WavFileSpeaker(options.wav_path, rate=options.rate, voice=options.voice)


_PYTTSX3_BACKEND = SpeakerBackend(
    name="pyttsx3",
    label=N_("the built-in voice", "a voice"),
    check=Pyttsx3Speaker.check,
    create=_create_pyttsx3,
    needs=N_("pyttsx3, and on Linux espeak-ng and aplay (sudo apt install espeak-ng alsa-utils)"),
)
_WAV_BACKEND = SpeakerBackend(
    name="wav",
    label=N_("the WAV file writer", "a voice"),
    check=WavFileSpeaker.check,
    create=_create_wav,
    needs=N_("the espeak-ng program (on Debian or Ubuntu: sudo apt install espeak-ng)"),
)
_SILENT_BACKEND = SpeakerBackend(
    name="silent",
    label=N_("no speech (silent)", "a voice"),
    check=SilentSpeaker.check,
    create=lambda _options: SilentSpeaker(),
    needs=N_("nothing"),
    fallback=None,
)

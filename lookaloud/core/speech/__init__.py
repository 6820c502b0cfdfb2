"""Speech: a small ``Speaker`` interface and its backends, chosen by name through a registry."""

from lookaloud.core.speech.base import Speaker
from lookaloud.core.speech.pyttsx3_voice import Pyttsx3Speaker
from lookaloud.core.speech.registry import (
    DEFAULT_BACKEND,
    SpeakerBackend,
    SpeakerChoice,
    SpeakerOptions,
    available_speakers,
    default_backends,
    make_speaker,
)
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.core.speech.wav_file import WavFileSpeaker

__all__ = [
    "DEFAULT_BACKEND",
    "Pyttsx3Speaker",
    "SilentSpeaker",
    "Speaker",
    "SpeakerBackend",
    "SpeakerChoice",
    "SpeakerOptions",
    "WavFileSpeaker",
    "available_speakers",
    "default_backends",
    "make_speaker",
]

"""What a running pipeline reports: phase changes, finished sentences, retries and the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import LookaloudError
from lookaloud.core.pipeline.check.score import QualityScore
from lookaloud.core.pipeline.facts import Box, Facts, ImageKind, RegionCaption, TextLine
from lookaloud.core.pipeline.retry import Clock
from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.core.writers.base import ChatMessage, ImagePart


class Phase(StrEnum):
    LOADING_IMAGE = "loading_image"
    LOADING_MODELS = "loading_models"
    CAPTIONING = "captioning"
    READING_TEXT = "reading_text"
    DESCRIBING = "describing"
    CHECKING = "checking"
    DONE = "done"


@dataclass(frozen=True)
class PhaseEvent:
    phase: Phase


@dataclass(frozen=True)
class SentenceEvent:
    """A sentence that passed the per-sentence checks; hand it to speech at once."""

    text: str
    attempt: int


@dataclass(frozen=True)
class RetryEvent:
    """An attempt was rejected; ``reason`` says why in plain words."""

    attempt: int
    rule: str
    reason: str


@dataclass(frozen=True)
class Result:
    image: str
    ok: bool
    description: str = ""
    facts: Facts | None = None
    attempts: int = 0
    fallback: bool = False
    backend: str = ""
    quality: QualityScore | None = None
    prompt_version: str = ""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    error: LookaloudError | None = None
    notices: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    sha256: str = ""
    cached: bool = False
    # Who wrote the description: the backend ("local", "local-vlm", "remote", "remote-vlm")
    # or "facts".
    written_by: str = ""
    # What ran the local writing model: "transformers", "llamacpp", or "" (remote, or none).
    engine: str = ""
    # The image a vision-language writer was shown, kept for follow-up questions (not in JSON).
    images: tuple[ImagePart, ...] = field(default=(), repr=False, compare=False)
    # Its chat with that writer, which a follow-up question carries on (not in JSON).
    chat: tuple[ChatMessage, ...] = field(default=(), repr=False, compare=False)

    @property
    def summary(self) -> str:
        sentences = split_sentences(self.description)
        return sentences[0] if sentences else ""

    def to_json_dict(self) -> dict[str, Any]:
        facts = self.facts
        return {
            "image": self.image,
            "ok": self.ok,
            "description": self.description,
            "summary": self.summary,
            "caption": facts.caption if facts else "",
            "regions": [r.to_dict() for r in facts.regions] if facts else [],
            "text_lines": [t.to_dict() for t in facts.text_lines] if facts else [],
            "blank": facts.blank if facts else False,
            "attempts": self.attempts,
            "fallback": self.fallback,
            "backend": self.backend,
            "quality": self.quality.total if self.quality else None,
            "quality_parts": self.quality.to_dict() if self.quality else None,
            "prompt_version": self.prompt_version,
            "timings_ms": dict(self.timings_ms),
            "error": self.error.to_dict() if self.error else None,
            "notices": list(self.notices),
            "rejected": list(self.rejected),
            "sha256": self.sha256,
            "cached": self.cached,
            "written_by": self.written_by,
            "engine": self.engine,
            "kind": facts.kind.value if facts else None,
            "size": [facts.width, facts.height] if facts else None,
            "frames": facts.frames if facts else None,
            "animated": facts.animated if facts else False,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a successful result saved with :meth:`to_json_dict` (the cache does this)."""
        parts = data.get("quality_parts")
        return cls(
            image=str(data["image"]),
            ok=bool(data["ok"]),
            description=str(data["description"]),
            facts=_facts_from_json(data) if data.get("size") else None,
            attempts=int(data["attempts"]),
            fallback=bool(data["fallback"]),
            backend=str(data["backend"]),
            quality=QualityScore(**parts) if parts else None,
            prompt_version=str(data["prompt_version"]),
            timings_ms=dict(data["timings_ms"]),
            notices=tuple(data.get("notices", ())),
            rejected=tuple(data.get("rejected", ())),
            sha256=str(data.get("sha256", "")),
            written_by=str(data.get("written_by", "")),
            engine=str(data.get("engine", "")),
        )


def _facts_from_json(data: dict[str, Any]) -> Facts:
    width, height = data["size"]
    return Facts(
        width=int(width),
        height=int(height),
        kind=ImageKind(data["kind"]),
        caption=str(data["caption"]),
        regions=tuple(RegionCaption(r["position"], r["caption"]) for r in data["regions"]),
        text_lines=tuple(
            TextLine(t["text"], Box(*t["box"]), float(t["confidence"]), int(t.get("block", 0)))
            for t in data["text_lines"]
        ),
        blank=bool(data["blank"]),
        notices=tuple(data.get("notices", ())),
        frames=int(data.get("frames") or 1),
        animated=bool(data.get("animated", False)),
    )


@dataclass(frozen=True)
class ResultEvent:
    result: Result


Event = PhaseEvent | SentenceEvent | RetryEvent | ResultEvent
EventSink = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """An event sink for callers that only want the final result."""


@dataclass
class RunState:
    """Mutable bookkeeping for one image: timings and notices gathered along the way."""

    name: str
    cancel: CancelToken
    emit: EventSink
    clock: Clock
    started: float
    from_screen: bool = False
    timings_ms: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def timed(self, phase: str, began: float) -> None:
        self.timings_ms[phase] = round((self.clock() - began) * 1000)

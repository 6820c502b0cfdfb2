"""Plain typed values passed between pipeline stages.

Everything after perception works from :class:`Facts`, never from pixels, so these values are the
contract between the stages and what the CLI prints as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ImageKind(StrEnum):
    SCREENSHOT = "screenshot"
    PHOTO = "photo"


class Detail(StrEnum):
    BRIEF = "brief"
    STANDARD = "standard"
    DETAILED = "detailed"


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in pixels of the original image: left, top, right, bottom."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre_y(self) -> float:
        return (self.y0 + self.y1) / 2

    def as_list(self) -> list[int]:
        return [round(self.x0), round(self.y0), round(self.x1), round(self.y1)]


@dataclass(frozen=True)
class TextLine:
    """One line of text read in the picture. ``block`` numbers the block it belongs to (a
    column, a sidebar, a paragraph, a row of a form), in reading order; lines of one block are
    next to each other in :attr:`Facts.text_lines`."""

    text: str
    box: Box
    confidence: float
    block: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "box": self.box.as_list(),
            "confidence": round(self.confidence, 3),
            "block": self.block,
        }


@dataclass(frozen=True)
class RegionCaption:
    """A caption of one part of the image; ``position`` is a stable key such as ``top-left``."""

    position: str
    caption: str

    def to_dict(self) -> dict[str, str]:
        return {"position": self.position, "caption": self.caption}


@dataclass(frozen=True)
class BlankInfo:
    """Result of the near-uniform check; ``colour_name`` is a plain word such as ``dark grey``."""

    blank: bool
    colour_name: str
    spread: float


@dataclass(frozen=True)
class Facts:
    """Everything perceived about one image."""

    width: int
    height: int
    kind: ImageKind
    caption: str = ""
    regions: tuple[RegionCaption, ...] = ()
    text_lines: tuple[TextLine, ...] = ()
    blank: bool = False
    blank_colour: str = ""
    notices: tuple[str, ...] = field(default=())
    # An animation (GIF, WebP, APNG) or a multi-page file (TIFF…) is described by its first frame.
    frames: int = 1
    animated: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.text_lines)

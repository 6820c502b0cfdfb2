"""What perception stages look like from the pipeline's side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from PIL import Image

from lookaloud.core.pipeline.facts import TextLine


class Captioner(Protocol):
    """Turns pictures into short captions; one call captions a whole batch.

    ``side`` is the square the pictures are resized to; None: the model's own size.
    """

    def caption(
        self, images: Sequence[Image.Image], max_new_tokens: int = 30, side: int | None = None
    ) -> list[str]: ...


class TextReader(Protocol):
    """Finds text lines in a picture; boxes are in the pixel coordinates of ``image``."""

    def read(self, image: Image.Image) -> list[TextLine]: ...


@runtime_checkable
class WarmsUp(Protocol):
    """A model, or a part of one, that reads its first picture faster for being prepared on a
    background thread ahead of it."""

    def warm_up(self) -> None: ...

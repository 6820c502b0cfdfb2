"""Results as the pipeline makes them, for tests of what stores and replays them."""

from __future__ import annotations

from lookaloud.core.pipeline.check.score import QualityScore
from lookaloud.core.pipeline.facts import Box, Facts, ImageKind, RegionCaption, TextLine
from lookaloud.core.pipeline.result import Result

DIALOG_DESCRIPTION = (
    'A dialog box asks "Save changes?" in the centre of the screen. '
    'Below the title, a line reads "Your document has unsaved changes." '
    'Three buttons sit at the bottom: "Save", "Don\'t Save" and "Cancel".'
)


def described(
    image: str = "dialog.png",
    sha256: str = "ab" * 32,
    description: str = DIALOG_DESCRIPTION,
    caption: str = "a computer screen with a dialog box",
    fallback: bool = False,
    texts: tuple[str, ...] = ("Save changes?", "Cancel"),
) -> Result:
    facts = Facts(
        800,
        400,
        ImageKind.SCREENSHOT,
        caption=caption,
        regions=(RegionCaption("left", "a white wall"),),
        text_lines=tuple(
            TextLine(text, Box(40, 44 + 60 * row, 309, 81 + 60 * row), 0.99)
            for row, text in enumerate(texts)
        ),
    )
    return Result(
        image=image,
        ok=True,
        description=description,
        facts=facts,
        attempts=1,
        fallback=fallback,
        backend="local",
        quality=QualityScore(0.9, 1.0, 1.0, 0.75),
        prompt_version="blind-reader-1/en",
        timings_ms={"total": 4200},
        sha256=sha256,
    )

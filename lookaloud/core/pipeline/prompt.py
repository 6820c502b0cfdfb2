"""Blind-reader prompts built from facts, with templates kept in versioned resource files.

The wording lives in ``lookaloud/resources/prompts/<lang>.toml`` so translators and prompt work
never touch code; the file's ``version`` travels with every result.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.facts import Box, Detail, Facts, TextLine
from lookaloud.core.writers.base import ChatMessage, ImagePart

LANGUAGES = ("en", "zh")

# Rough token budgets per detail level; Chinese needs more tokens per idea.
_TOKEN_BUDGET = {Detail.BRIEF: 80, Detail.STANDARD: 260, Detail.DETAILED: 520}


@dataclass(frozen=True)
class Templates:
    lang: str
    raw: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.raw["version"])

    def section(self, name: str) -> dict[str, str]:
        section: dict[str, str] = self.raw[name]
        return section

    def text(self, key: str) -> str:
        return str(self.raw[key]).strip()


@cache
def templates(lang: str) -> Templates:
    """The parsed template file for ``lang``; raises SettingsError for unknown languages."""
    if lang not in LANGUAGES:
        raise SettingsError(
            tr(
                "Lookaloud cannot describe in the language '{lang}'; choose one of: {languages}.",
                "error",
                lang=lang,
                languages=", ".join(LANGUAGES),
            )
        )
    source = resources.files("lookaloud.resources.prompts").joinpath(f"{lang}.toml")
    return Templates(lang, tomllib.loads(source.read_text(encoding="utf-8")))


def prompt_version(lang: str) -> str:
    return f"{templates(lang).version}/{lang}"


def token_budget(detail: Detail, lang: str) -> int:
    budget = _TOKEN_BUDGET[detail]
    return budget * 3 // 2 if lang == "zh" else budget


def grid_position(box: Box, width: int, height: int) -> str:
    """The 3×3 grid cell (``top-left`` … ``bottom-right``) holding the centre of ``box``."""
    column = _third((box.x0 + box.x1) / 2, width)
    row = _third((box.y0 + box.y1) / 2, height)
    name = f"{('top', 'middle', 'bottom')[row]}-{('left', 'centre', 'right')[column]}"
    return "centre" if name == "middle-centre" else name


def _third(value: float, extent: int) -> int:
    return min(2, max(0, int(3 * value / max(extent, 1))))


def position_words(position: str, lang: str) -> str:
    return templates(lang).section("positions").get(position, position)


def facts_block(facts: Facts, lang: str) -> str:
    """The facts as delimited plain text the writer can quote from."""
    tpl = templates(lang)
    f = tpl.section("facts")
    kind = tpl.section("kind")[facts.kind.value]
    lines = [f["open"], f["size"].format(kind=kind, width=facts.width, height=facts.height)]
    if facts.frames > 1:  # the first frame or page is what was looked at
        lines.append(f["animated" if facts.animated else "pages"].format(count=facts.frames))
    lines.append(f["caption"].format(caption=facts.caption) if facts.caption else f["no_caption"])
    lines += _region_lines(facts, tpl)
    lines += _text_lines(facts, tpl)
    lines.append(f["close"])
    return "\n".join(lines)


def _region_lines(facts: Facts, tpl: Templates) -> list[str]:
    regions = [r for r in facts.regions if r.caption]
    if not regions:
        return []
    f = tpl.section("facts")
    body = [
        f["region"].format(position=position_words(r.position, tpl.lang), caption=r.caption)
        for r in regions
    ]
    return [f["regions_heading"], *body]


def _text_lines(facts: Facts, tpl: Templates) -> list[str]:
    """One line per run of text (see :func:`text_runs`): the position is written once per run,
    which keeps the prompt short (it is read on the CPU)."""
    f = tpl.section("facts")
    if not facts.text_lines:
        return [f["no_text"]]
    runs = text_runs(facts.text_lines, facts.width, facts.height)
    return [f["text_heading"]] + [_text_run(position, run, tpl) for position, run in runs]


COLUMN_MIN_HEIGHT = 0.5
"""A block of text at least this share of the picture's height, and narrow (see
COLUMN_MAX_WIDTH), is a column or a sidebar: it is named by its side alone, so its lines stay
together instead of being cut where they cross from the top third to the middle one."""
COLUMN_MAX_WIDTH = 0.5


def text_runs(
    lines: Sequence[TextLine], width: int, height: int
) -> list[tuple[str, list[TextLine]]]:
    """The lines, in reading order, as runs that lie in one place, with that place's name.

    Where the reader found several blocks (:attr:`TextLine.block`), one that runs down a side of
    the picture is one run named ``left`` or ``right`` ("the left part": a sidebar, a column);
    the lines of any other block are grouped by the 3×3 grid cell of each line, as neighbours in
    one cell are.
    """
    runs: list[tuple[str, list[TextLine]]] = []
    stacks = _stacks(lines)
    for stack in stacks:
        side = _column_side(stack, width, height) if len(stacks) > 1 else None
        for line in stack:
            position = side or grid_position(line.box, width, height)
            if runs and runs[-1][0] == position:
                runs[-1][1].append(line)
            else:
                runs.append((position, [line]))
    return runs


def _stacks(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    """The lines cut into their blocks, and consecutive blocks that share most of their width
    joined again: the reader may cut a sidebar in two where the page beside it has a gap."""
    stacks: list[list[TextLine]] = []
    for block in _blocks(lines):
        if stacks and _share_width(stacks[-1], block):
            stacks[-1] += block
        else:
            stacks.append(list(block))
    return stacks


def _blocks(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    blocks: list[list[TextLine]] = []
    for line in lines:
        if blocks and blocks[-1][-1].block == line.block:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _share_width(upper: Sequence[TextLine], lower: Sequence[TextLine]) -> bool:
    a0, a1 = min(t.box.x0 for t in upper), max(t.box.x1 for t in upper)
    b0, b1 = min(t.box.x0 for t in lower), max(t.box.x1 for t in lower)
    overlap = min(a1, b1) - max(a0, b0)
    return overlap >= 0.5 * min(a1 - a0, b1 - b0)


def _column_side(block: Sequence[TextLine], width: int, height: int) -> str | None:
    """``left`` or ``right`` for a tall narrow block off the middle; None for any other."""
    if len(block) < 2:
        return None
    x0, x1 = min(b.box.x0 for b in block), max(b.box.x1 for b in block)
    y0, y1 = min(b.box.y0 for b in block), max(b.box.y1 for b in block)
    if y1 - y0 < COLUMN_MIN_HEIGHT * height or x1 - x0 > COLUMN_MAX_WIDTH * width:
        return None
    column = _third((x0 + x1) / 2, width)
    return ("left", None, "right")[column]


def _text_run(position: str, lines: list[TextLine], tpl: Templates) -> str:
    f = tpl.section("facts")
    texts = f["text_separator"].join(f["text_quote"].format(text=line.text) for line in lines)
    return f["text_group"].format(position=position_words(position, tpl.lang), texts=texts)


def build_messages(
    facts: Facts,
    lang: str,
    detail: Detail,
    *,
    simple: bool,
    image: ImagePart | None = None,
    heard: str = "",
) -> list[ChatMessage]:
    """System and user messages for one attempt; ``simple`` is the plainer retry prompt.

    With ``image`` (for a vision-language writer) the ``[vision]`` templates are used and the
    picture travels with the user message; the facts then serve as grounding for quoted text.
    ``heard`` is the first sentence already spoken from the facts: the user turn then asks the
    writer to carry on after it. The system turn stays the same for every image either way, so
    its computed state can be kept.
    """
    tpl = templates(lang)
    kind = tpl.section("kind")[facts.kind.value]
    prefix = "simple_" if simple else ""
    wording = tpl.section("vision") if image is not None else tpl.raw
    system = system_message(lang, detail, simple=simple, vision=image is not None)
    facts_text = facts_block(facts, lang)
    if heard:  # the writer's own opening instruction would ask for the summary again
        carry_on = tpl.section("opening")["heard"].format(opening=heard, kind=kind)
        user = f"{facts_text}\n\n{carry_on}"
    else:
        user = str(wording[f"{prefix}user"]).strip().format(facts=facts_text, kind=kind)
    images = (image,) if image is not None else ()
    return [system, ChatMessage("user", user, images)]


def system_message(lang: str, detail: Detail, *, simple: bool, vision: bool) -> ChatMessage:
    """The system turn of every description in one language and detail level: the same for
    every image, so a writer can read it once (see :class:`~lookaloud.core.writers.base.
    SystemTurnHolder`)."""
    tpl = templates(lang)
    wording = tpl.section("vision") if vision else tpl.raw
    length = tpl.section("length")[detail.value]
    prefix = "simple_" if simple else ""
    return ChatMessage("system", str(wording[f"{prefix}system"]).strip().format(length=length))

"""Blind-reader prompts built from facts, with templates kept in versioned resource files.

The wording lives in ``lookaloud/resources/prompts/<lang>.toml`` so translators and prompt work
never touch code; the file's ``version`` travels with every result.
"""

from __future__ import annotations

import tomllib
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
    """One line per run of text lines in the same part of the image, in reading order: the
    position is written once per run, which keeps the prompt short (it is read on the CPU)."""
    f = tpl.section("facts")
    if not facts.text_lines:
        return [f["no_text"]]
    runs: list[tuple[str, list[TextLine]]] = []
    for line in facts.text_lines:
        position = grid_position(line.box, facts.width, facts.height)
        if runs and runs[-1][0] == position:
            runs[-1][1].append(line)
        else:
            runs.append((position, [line]))
    return [f["text_heading"]] + [_text_run(position, run, tpl) for position, run in runs]


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
    length = tpl.section("length")[detail.value]
    kind = tpl.section("kind")[facts.kind.value]
    prefix = "simple_" if simple else ""
    wording = tpl.section("vision") if image is not None else tpl.raw
    system = str(wording[f"{prefix}system"]).strip().format(length=length)
    facts_text = facts_block(facts, lang)
    if heard:  # the writer's own opening instruction would ask for the summary again
        carry_on = tpl.section("opening")["heard"].format(opening=heard, kind=kind)
        user = f"{facts_text}\n\n{carry_on}"
    else:
        user = str(wording[f"{prefix}user"]).strip().format(facts=facts_text, kind=kind)
    images = (image,) if image is not None else ()
    return [ChatMessage("system", system), ChatMessage("user", user, images)]

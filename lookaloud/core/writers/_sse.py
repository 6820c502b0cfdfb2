"""Server-sent events as OpenAI-compatible servers stream them, read leniently.

A stream ends with ``data: [DONE]`` or simply when the body ends (``transformers serve`` sends
no ``[DONE]``). Lines starting with ``:`` are comments (keep-alives); ``event:`` and ``id:``
fields are ignored; several ``data:`` lines before a blank line form one payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"


class MalformedChunk(Exception):
    """A payload that is not a JSON object; ``payload`` is its start, for the log."""

    def __init__(self, payload: str) -> None:
        super().__init__(payload[:200])
        self.payload = payload[:200]


def sse_payloads(lines: Iterable[str]) -> Iterator[str]:
    """The data payload of each event, up to ``[DONE]`` or the end of the lines."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                payload = "\n".join(data)
                data = []
                if payload.strip() == DONE:
                    return
                yield payload
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data and "\n".join(data).strip() != DONE:
        yield "\n".join(data)


@dataclass(frozen=True)
class Delta:
    """What one chunk adds: visible text, hidden reasoning, or a server error."""

    content: str = ""
    reasoning: str = ""
    error: dict[str, Any] | None = None


def parse_chunk(payload: str) -> Delta:
    """One streamed chunk (or a whole non-streamed reply); raises MalformedChunk."""
    try:
        chunk = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise MalformedChunk(payload) from exc
    if not isinstance(chunk, dict):
        raise MalformedChunk(payload)
    if chunk.get("error"):
        error = chunk["error"]
        return Delta(error=error if isinstance(error, dict) else {"message": str(error)})
    return _delta_of(chunk.get("choices"))


def _delta_of(choices: object) -> Delta:
    # Chunks without choices (usage-only chunks, keep-alives) add nothing.
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return Delta()
    first = choices[0]
    delta = first.get("delta") or first.get("message") or {}
    if not isinstance(delta, dict):
        return Delta()
    reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
    return Delta(_text(delta.get("content")), _text(reasoning))


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content given as parts: keep the text parts
        return "".join(p.get("text", "") for p in value if isinstance(p, dict))
    return ""

"""``lookaloud remote check``: is the server reachable, which models does it have, does one answer?

The check lists the server's models, sends one tiny chat request and times it. Every failure is
the same WriterError the describe path would meet, so its sentence says precisely what is wrong:
refused connection, timeout, refused API key, unknown model, or an address that is not an
OpenAI-compatible API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import httpx

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import (
    SettingsError,
    WriterAuthRefused,
    WriterError,
    WriterReasoningOnly,
    WriterTimeout,
)
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.retry import Clock
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.openai_api import Endpoint
from lookaloud.core.writers.remote import RemoteWriter

PROBE = [ChatMessage("user", "Reply with the single word OK.")]
PROBE_PARAMS = GenerationParams(max_new_tokens=8, temperature=0.0)


@dataclass(frozen=True)
class CheckReport:
    base_url: str
    models: tuple[str, ...] | None  # None when the server does not list its models
    model: str
    reply: str
    first_text_ms: int | None  # None when the reply had no visible text
    total_ms: int
    notices: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        if self.models is None:
            listed = tr("the server does not list them")
        else:
            listed = ", ".join(self.models) if self.models else tr("none listed")
        first = (
            tr("first text after {ms} ms, ", ms=self.first_text_ms) if self.first_text_ms else ""
        )
        return [
            tr("Server: {url}", url=self.base_url),
            tr("Models: {models}", models=listed),
            tr(
                "Model {model} answered {reply!r} ({first}{ms} ms in all).",
                model=self.model,
                reply=self.reply,
                first=first,
                ms=self.total_ms,
            ),
        ]


def check_server(
    endpoint: Endpoint,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = time.perf_counter,
) -> CheckReport:
    """Lists the models and sends one tiny request; raises WriterError or SettingsError."""
    writer = RemoteWriter(endpoint, transport=transport)
    try:
        models, listing_error = _listed_models(writer)
        model = _model_to_try(endpoint.model, models, listing_error)
        if model != endpoint.model:
            writer = _with_model(writer, endpoint, model, transport)
        return _probe(writer, models, clock)
    finally:
        writer.close()


def _listed_models(writer: RemoteWriter) -> tuple[tuple[str, ...] | None, WriterError | None]:
    """The listed models, or None and why not: not every server lists them, or lists them well
    (``transformers serve`` fails when its download cache is missing), so a failed list does
    not fail the check unless the chat request would meet the same wall."""
    try:
        return tuple(writer.client.list_models()), None
    except (WriterTimeout, WriterAuthRefused):
        raise
    except WriterError as exc:
        return None, exc


def _model_to_try(
    asked: str, models: tuple[str, ...] | None, listing_error: WriterError | None
) -> str:
    if asked:
        return asked
    if models:
        return models[0]
    if listing_error is not None:
        raise listing_error
    raise SettingsError(
        tr(
            "The server does not list any model, so Lookaloud cannot pick one; give the "
            "model's name with --model NAME.",
            "error",
        )
    )


def _with_model(
    writer: RemoteWriter, endpoint: Endpoint, model: str, transport: httpx.BaseTransport | None
) -> RemoteWriter:
    writer.close()
    return RemoteWriter(replace(endpoint, model=model), transport=transport)


def _probe(writer: RemoteWriter, models: tuple[str, ...] | None, clock: Clock) -> CheckReport:
    began, first, reply, notices = clock(), None, "", []
    try:
        for piece in writer.stream(PROBE, PROBE_PARAMS, CancelToken()):
            first = first if first is not None else round((clock() - began) * 1000)
            reply += piece
    except WriterReasoningOnly as exc:
        notices.append(exc.message)
    return CheckReport(
        base_url=writer.endpoint.shown_url,
        models=models,
        model=writer.model_name,
        reply=reply.strip(),
        first_text_ms=first,
        total_ms=round((clock() - began) * 1000),
        notices=tuple(notices),
    )

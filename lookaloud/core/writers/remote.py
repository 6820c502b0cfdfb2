"""The remote writer: any OpenAI-compatible chat-completions server, streamed.

vLLM, Ollama, llama.cpp's server, ``transformers serve`` and hosted services such as DashScope
all speak this protocol. Only text leaves the computer here (the facts and the prompt); the
vision variant in :mod:`remote_vlm` also sends the picture.

Thinking is switched off with the hints servers understand (``chat_template_kwargs`` and a
top-level ``enable_thinking``), plus Qwen's preferred ``top_k`` and ``repetition_penalty``.
A server that refuses such a field by name gets the request again without it, and is not sent
it again. ``reasoning_content`` is ignored and ``<think>`` blocks are stripped, so the user
hears only the reply. This writer never retries on its own: transient failures are raised as
WriterTimeout/WriterUnavailable for the write loop's L1 retries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import httpx

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import WriterReasoningOnly
from lookaloud.core.i18n import tr
from lookaloud.core.writers._sse import Delta
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.openai_api import Endpoint, FieldsRefused, OpenAIClient
from lookaloud.core.writers.tags import ThinkTagFilter

log = logging.getLogger(__name__)

# Fields not every server accepts; each is dropped for a server that refuses it by name.
OPTIONAL_FIELDS = frozenset(
    {"chat_template_kwargs", "enable_thinking", "top_k", "repetition_penalty"}
)


class RemoteWriter:
    """A :class:`~lookaloud.core.writers.base.Writer` backed by a chat-completions server."""

    backend_name = "remote"

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: threading.BoundedSemaphore | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._client = OpenAIClient(endpoint, transport=transport)
        # Bounds parallel requests when many images are described at once.
        self._limiter = limiter or threading.BoundedSemaphore(endpoint.concurrency)
        self._refused: set[str] = set()

    @property
    def backend(self) -> str:
        return self.backend_name

    @property
    def model_name(self) -> str:
        return self.endpoint.model

    @property
    def client(self) -> OpenAIClient:
        return self._client

    def close(self) -> None:
        self._client.close()

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """The reply's visible text as it arrives; raises WriterError subclasses or Cancelled."""
        cancel.raise_if_cancelled()
        with self._limiter:
            yield from visible_text(self._deltas(messages, params, cancel), self.endpoint.model)

    def request_body(
        self, messages: Sequence[ChatMessage], params: GenerationParams
    ) -> dict[str, Any]:
        """The JSON sent to ``/chat/completions``, without the fields this server refused."""
        body: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": [message_json(message) for message in messages],
            "stream": True,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "repetition_penalty": params.repetition_penalty,
            "chat_template_kwargs": {"enable_thinking": False},
            "enable_thinking": False,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        return {key: value for key, value in body.items() if key not in self._refused}

    def _deltas(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[Delta]:
        # Each round can only drop more fields, so this ends after a few rounds at most.
        for _ in range(len(OPTIONAL_FIELDS) + 1):
            body = self.request_body(messages, params)
            try:
                yield from self._client.stream_chat(body, cancel, OPTIONAL_FIELDS)
                return
            except FieldsRefused as refused:
                if refused.fields <= self._refused:
                    raise
                log.info("%s refuses %s; sending without", self.endpoint.shown_url, refused.fields)
                self._refused |= refused.fields


def message_json(message: ChatMessage) -> dict[str, Any]:
    """One message in the OpenAI format; images become ``image_url`` data-URL parts."""
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": image.data_url()}} for image in message.images
    ]
    parts.append({"type": "text", "text": message.content})
    return {"role": message.role, "content": parts}


def visible_text(deltas: Iterable[Delta], model: str) -> Iterator[str]:
    """The reply without reasoning; WriterReasoningOnly when reasoning was all there was."""
    tag_filter = ThinkTagFilter()
    reasoned = shown = False
    for delta in deltas:
        reasoned = reasoned or bool(delta.reasoning.strip() or delta.content.strip())
        piece = tag_filter.feed(delta.content)
        if piece:
            shown = True
            yield piece
    tail = tag_filter.flush()
    if tail:
        yield tail
    elif not shown and reasoned:
        raise WriterReasoningOnly(
            tr(
                "The model {model} on the server spent its whole reply reasoning and "
                "wrote no description; switch its thinking mode off on the server, or "
                "choose another model.",
                model=model,
            )
        )

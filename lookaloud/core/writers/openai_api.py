"""HTTP for OpenAI-compatible servers: one client, explicit timeouts, errors a user can act on.

Every failure becomes a :class:`~lookaloud.core.errors.WriterError` subclass. Transient ones
(timeouts, refused or cut connections, 408, 429 and 500/502/503/504) are
:class:`WriterTimeout` or :class:`WriterUnavailable`, which the write loop retries with backoff
(honouring ``Retry-After``); the others say what to change. The API key never appears in a
message: server texts are redacted before they are repeated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Literal

import httpx

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import (
    Cancelled,
    WriterAuthRefused,
    WriterError,
    WriterModelNotFound,
    WriterNotAnApi,
    WriterRequestRejected,
    WriterTimeout,
    WriterUnavailable,
)
from lookaloud.core.i18n import tr
from lookaloud.core.writers._sse import Delta, MalformedChunk, parse_chunk, sse_payloads
from lookaloud.core.writers.address import display_url
from lookaloud.core.writers.api_keys import DEFAULT_KEY_ENV, ApiKey

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Phrases servers use when the model in a 400 reply does not exist (vLLM, Ollama, OpenAI,
# transformers serve's "pinned to" when it serves one model only).
_MISSING_MODEL_WORDS = (
    "not found",
    "does not exist",
    "unknown",
    "pinned",
    "no model",
    "invalid model",
)
_MAX_ERROR_BODY = 64 * 1024
_MAX_DETAIL_CHARS = 200


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one server; ``base_url`` is already normalized."""

    base_url: str
    model: str
    api_key: ApiKey | None = None
    key_env: str = DEFAULT_KEY_ENV
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    concurrency: int = 4

    @property
    def shown_url(self) -> str:
        return display_url(self.base_url)


class OpenAIClient:
    """``GET /models`` and streamed ``POST /chat/completions`` over one pooled httpx client."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint
        headers = {"Accept": "text/event-stream, application/json"}
        if endpoint.api_key is not None:
            headers["Authorization"] = f"Bearer {endpoint.api_key.reveal()}"
        self._client = httpx.Client(
            base_url=endpoint.base_url,
            headers=headers,
            timeout=httpx.Timeout(
                connect=endpoint.connect_timeout_s,
                read=endpoint.read_timeout_s,
                write=endpoint.read_timeout_s,
                pool=endpoint.connect_timeout_s,
            ),
            limits=httpx.Limits(max_connections=endpoint.concurrency + 2),
            transport=transport,
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def list_models(self) -> list[str]:
        """The model ids the server lists; raises WriterError subclasses."""
        with self._errors_mapped(CancelToken()):
            response = self._client.get("/models")
        if response.status_code != 200:
            raise self._status_error(response, _detail_of(response.text, self._redact))
        try:
            data = response.json().get("data", [])
            return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]
        except (ValueError, AttributeError, TypeError) as exc:
            raise self._not_an_api() from exc

    def stream_chat(
        self, body: dict[str, Any], cancel: CancelToken, optional: frozenset[str] = frozenset()
    ) -> Iterator[Delta]:
        """The reply's pieces as they arrive; closing the iterator closes the connection.

        Raises FieldsRefused when a 400/422 reply names fields of ``optional`` that the server
        does not accept, so the caller can send the request again without them.
        """
        request = self._client.stream("POST", "/chat/completions", json=body)
        with self._errors_mapped(cancel), request as response:
            if response.status_code != 200:
                detail = _read_detail(response, self._redact)
                _raise_if_fields_refused(response.status_code, detail, optional & set(body))
                raise self._status_error(response, detail)
            with _CancelWatch(response, cancel):
                yield from self._deltas(response)
        cancel.raise_if_cancelled()

    def _deltas(self, response: httpx.Response) -> Iterator[Delta]:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "text/html":
            raise self._not_an_api()
        if kind == "application/json":  # a server that ignored "stream": the whole reply at once
            yield self._checked(parse_chunk(response.read().decode("utf-8", "replace")))
            return
        for payload in sse_payloads(response.iter_lines()):
            yield self._checked(parse_chunk(payload))

    def _checked(self, delta: Delta) -> Delta:
        if delta.error is not None:
            raise self._stream_error(delta.error)
        return delta

    # ------------------------------------------------------------ errors

    def _errors_mapped(self, cancel: CancelToken) -> _ErrorMapper:
        return _ErrorMapper(self, cancel)

    def _redact(self, text: str) -> str:
        key = self.endpoint.api_key
        return key.redact(text) if key is not None else text

    def _status_error(self, response: httpx.Response, detail: str) -> WriterError:
        status = response.status_code
        if status in RETRY_STATUSES:
            return self._busy(status, detail, _retry_after(response.headers.get("retry-after")))
        if status in (401, 403):
            return self._auth_refused(status)
        if self._names_missing_model(status, detail):
            return self.missing_model(detail)
        if status in (404, 405, 415, 501):
            return self._not_an_api()
        return WriterRequestRejected(
            tr(
                "The server at {shown_url} turned the request down (HTTP "
                "{status}{value}); check the model name and the server's settings.",
                shown_url=self.endpoint.shown_url,
                status=status,
                value=": " + detail if detail else "",
            )
        )

    def _names_missing_model(self, status: int, detail: str) -> bool:
        text, model = detail.lower(), self.endpoint.model.lower()
        if status == 404:
            return "model" in text or (bool(model) and model in text)
        if status in (400, 422) and model and model in text:
            return any(word in text for word in _MISSING_MODEL_WORDS)
        return False

    def missing_model(self, detail: str) -> WriterModelNotFound:
        """The "no model named X; it has: A, B" error, asking the server for its list."""
        name = self.endpoint.model
        try:
            models = self.list_models()
        except WriterError:
            models = []
        if models:
            listed = ", ".join(models[:12]) + (", …" if len(models) > 12 else "")
            return WriterModelNotFound(
                tr(
                    "The server has no model named {name}; it has: {listed}.",
                    name=name,
                    listed=listed,
                )
            )
        said = tr(" (it said: {detail})", "the server's own words", detail=detail) if detail else ""
        return WriterModelNotFound(
            tr(
                "The server has no model named {name}{said}; check the model's name.",
                name=name,
                said=said,
            )
        )

    def _busy(self, status: int, detail: str, retry_after: float | None) -> WriterError:
        url = self.endpoint.shown_url
        if status == 408:
            return WriterTimeout(
                tr(
                    "The server at {url} gave up waiting for the request; trying again.",
                    url=url,
                )
            )
        if status == 429:
            return WriterUnavailable(
                tr(
                    "The server at {url} has too many requests right now; wait a moment and "
                    "try again.",
                    url=url,
                ),
                retry_after,
            )
        said = f" ({detail})" if detail else ""
        return WriterUnavailable(
            tr(
                "The server at {url} failed with HTTP {status}{said}; try again in a moment.",
                url=url,
                status=status,
                said=said,
            ),
            retry_after,
        )

    def _auth_refused(self, status: int) -> WriterAuthRefused:
        key, url = self.endpoint.api_key, self.endpoint.shown_url
        if key is None:
            return WriterAuthRefused(
                tr(
                    "The server at {url} needs an API key; store one with `lookaloud remote "
                    "set-key` or put it in the environment variable {key_env}.",
                    url=url,
                    key_env=self.endpoint.key_env,
                )
            )
        if status == 403:
            return WriterAuthRefused(
                tr(
                    "The server at {url} refused access with the API key from {source}; check "
                    "that the key may use the model {model}.",
                    url=url,
                    source=key.source,
                    model=self.endpoint.model,
                )
            )
        return WriterAuthRefused(
            tr(
                "The server refused the API key from {source}; check the key for {url}.",
                source=key.source,
                url=url,
            )
        )

    def _not_an_api(self) -> WriterNotAnApi:
        return WriterNotAnApi(
            tr(
                "The address {shown_url} answers, but not as an OpenAI-compatible API; "
                "check it (it usually ends in /v1, for example http://localhost:8000/v1).",
                shown_url=self.endpoint.shown_url,
            )
        )

    def _stream_error(self, error: dict[str, Any]) -> WriterError:
        detail = self._redact(str(error.get("message", "")))[:_MAX_DETAIL_CHARS]
        code = error.get("code")
        status = code if isinstance(code, int) else 500
        if status in RETRY_STATUSES or status >= 500:
            return self._busy(status if status in RETRY_STATUSES else 500, detail, None)
        return WriterRequestRejected(
            tr(
                "The server at {shown_url} stopped the reply with an error ({value}); "
                "check the model name and the server's settings.",
                shown_url=self.endpoint.shown_url,
                value=detail or status,
            )
        )

    def transport_error(self, exc: httpx.TransportError) -> WriterError:
        """The WriterError for a failure below HTTP: connecting, reading, a cut stream."""
        url, ep = self.endpoint.shown_url, self.endpoint
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return WriterTimeout(
                tr(
                    "The server at {url} did not accept a connection within "
                    "{connect_timeout_s:g} seconds; check the address and the network.",
                    url=url,
                    connect_timeout_s=ep.connect_timeout_s,
                )
            )
        if isinstance(exc, httpx.TimeoutException):
            return WriterTimeout(
                tr(
                    "The server at {url} sent nothing for {read_timeout_s:g} seconds; it may "
                    "be overloaded, or the model too large for it.",
                    url=url,
                    read_timeout_s=ep.read_timeout_s,
                )
            )
        if isinstance(exc, httpx.ConnectError):
            return _connect_error(url, exc)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return WriterUnavailable(
                tr(
                    "The connection to the server at {url} was cut off in the middle of the "
                    "reply; trying again.",
                    url=url,
                )
            )
        return WriterUnavailable(
            tr(
                "The connection to the server at {url} failed; trying again.",
                url=url,
            )
        )


class _ErrorMapper:
    """Turns httpx and stream errors raised inside ``with`` into WriterErrors (or Cancelled)."""

    def __init__(self, client: OpenAIClient, cancel: CancelToken) -> None:
        self._client = client
        self._cancel = cancel

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if exc is None or isinstance(exc, WriterError | Cancelled | GeneratorExit):
            return False
        if self._cancel.cancelled and isinstance(exc, httpx.HTTPError):
            raise Cancelled() from exc
        if isinstance(exc, httpx.TransportError):
            raise self._client.transport_error(exc) from exc
        if isinstance(exc, MalformedChunk):
            log.info("malformed chunk from %s: %r", self._client.endpoint.shown_url, exc.payload)
            raise WriterUnavailable(
                tr(
                    "The server at {shown_url} sent a damaged piece of its reply; trying again.",
                    shown_url=self._client.endpoint.shown_url,
                )
            ) from exc
        return False


class FieldsRefused(WriterRequestRejected):
    """The server rejected optional request fields by name; ``fields`` are the ones it named."""

    def __init__(self, fields: frozenset[str], detail: str) -> None:
        super().__init__(
            tr(
                "The server does not accept the request fields {sorted}: {detail}",
                sorted=sorted(fields),
                detail=detail,
            )
        )
        self.fields = fields


def _raise_if_fields_refused(status: int, detail: str, sent: frozenset[str]) -> None:
    named = frozenset(name for name in sent if name in detail)
    if status in (400, 422) and named:
        raise FieldsRefused(named, detail)


def _connect_error(url: str, exc: httpx.ConnectError) -> WriterError:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return WriterError(
            tr(
                "The secure connection to {url} failed because its certificate could not "
                "be checked; check the address, or the server's certificate.",
                url=url,
            )
        )
    if "Name or service not known" in text or "nodename nor servname" in text:
        return WriterUnavailable(
            tr(
                "The server name in {url} is not known; check the address.",
                url=url,
            )
        )
    return WriterUnavailable(
        tr(
            "Lookaloud could not connect to the server at {url}; check that the "
            "server is running and that the address and port are right.",
            url=url,
        )
    )


class _CancelWatch:
    """Shuts the socket when the user cancels, so a read blocked on a silent server ends at once.

    Closing from another thread does not wake a blocked ``recv`` on Linux; ``shutdown`` does.
    """

    def __init__(self, response: httpx.Response, cancel: CancelToken) -> None:
        self._cancel = cancel
        self._done = threading.Event()
        stream = response.extensions.get("network_stream")
        self._socket = stream.get_extra_info("socket") if stream is not None else None

    def __enter__(self) -> None:
        if self._socket is not None:
            threading.Thread(target=self._watch, name="remote-cancel", daemon=True).start()

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.is_set():
            if self._cancel.wait(0.1):
                if not self._done.is_set():
                    self._shutdown()
                return

    def _shutdown(self) -> None:
        # An OSError means the socket is already closed: the read has ended on its own.
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]


def _read_detail(response: httpx.Response, redact: Callable[[str], str]) -> str:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= _MAX_ERROR_BODY:
            break
    return _detail_of(body.decode("utf-8", "replace"), redact)


def _detail_of(text: str, redact: Callable[[str], str]) -> str:
    """The server's own explanation from an error body, short and without the key."""
    message = _json_message(text)
    if message is None:
        stripped = text.strip()
        message = "" if stripped.startswith("<") else stripped
    clean = " ".join(str(redact(message)).split())
    return clean[:_MAX_DETAIL_CHARS].rstrip(" .")


def _json_message(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("error", "detail", "message"):
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("message", "")
        if value:
            return value if isinstance(value, str) else json.dumps(value)
    return None


def _retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - (time.time() if now is None else now), 0.0)

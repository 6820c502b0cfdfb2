"""A scripted OpenAI-compatible server on loopback that misbehaves on purpose.

Each ``POST /chat/completions`` gets the next scripted :class:`Reply` (the last one repeats):
a good stream, an error status, a stream that stalls, is cut off, or carries damaged JSON.
``GET /models`` lists ``models``. Every request is recorded, so tests can assert exactly what
the client sent and how often. Streams use chunked transfer encoding, like real servers; a
"cut" stream closes the socket without the final chunk, which is what a crashed server or a
dropped connection looks like to the client.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def chunk(
    content: str | None = None, *, reasoning: str | None = None, finish: str | None = None
) -> str:
    """One ``chat.completion.chunk`` as JSON text."""
    delta: dict[str, str] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({"object": "chat.completion.chunk", "choices": [choice]})


def words(text: str) -> list[str]:
    """``text`` as streamed pieces, a word at a time."""
    parts = text.split(" ")
    return [parts[0]] + [" " + part for part in parts[1:]]


@dataclass
class Reply:
    """What the server does for one chat request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # a whole (non-streamed) body, such as an error
    content_type: str = "text/event-stream"
    events: list[str] = field(default_factory=list)  # raw SSE lines without the blank separator
    done: bool = True  # end with "data: [DONE]"
    cut_after: int | None = None  # close the connection after this many events
    stall_after: int | None = None  # go silent after this many events ...
    stall_s: float = 0.0  # ... for this long
    delay_s: float = 0.0  # wait this long before answering at all


def stream(pieces: list[str], **options: Any) -> Reply:
    """A good streamed reply of ``pieces``, ending with a finish chunk."""
    events = [f"data: {chunk(piece)}" for piece in pieces]
    events.append(f"data: {chunk(finish='stop')}")
    return Reply(events=events, **options)


def error(status: int, message: str, **headers: str) -> Reply:
    body = json.dumps({"error": {"message": message, "type": "error", "code": status}})
    return Reply(status=status, body=body, content_type="application/json", headers=headers)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class FaultServer:
    def __init__(
        self,
        replies: list[Reply],
        models: list[str] | None = None,
        models_reply: Reply | None = None,
    ) -> None:
        self.replies = replies
        self.models = ["m"] if models is None else models
        self.models_reply = models_reply  # instead of the list, e.g. a 401 or an HTML page
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_reply(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            index = len(self.chat_requests()) - 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return self.replies[min(index, len(self.replies) - 1)]

    def finished(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"
    _in_flight = False  # counted in the owner's in_flight (see _leave)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on recorded requests instead."""

    def _record(self, body: dict[str, Any] | None) -> Recorded:
        return Recorded(self.command, self.path, dict(self.headers.items()), body)

    def do_GET(self) -> None:
        self.owner.requests.append(self._record(None))
        reply = self.owner.models_reply
        if reply is not None and reply.body is not None:
            self._send_whole(reply.status, reply.body, reply.content_type, reply.headers)
        elif self.path.endswith("/models"):
            data = [{"id": name, "object": "model"} for name in self.owner.models]
            self._send_whole(200, json.dumps({"object": "list", "data": data}), "application/json")
        else:
            self._send_whole(404, "<html><body>Not here</body></html>", "text/html")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        if not self.path.endswith("/chat/completions"):
            self.owner.requests.append(self._record(body))
            self._send_whole(404, '{"detail":"Not Found"}', "application/json")
            return
        reply = self.owner.next_reply(self._record(body))
        self._in_flight = True
        try:
            self._answer(reply)
        except OSError:
            pass  # the client went away (a timeout or a cancel): that is the point of some tests
        finally:
            self._leave()

    def _leave(self) -> None:
        """No longer counted in flight: called before the reply's last bytes are written, as
        a client may send its next request the moment it has them, before this thread goes
        on (counting after the write made two allowed requests look like three)."""
        if self._in_flight:
            self._in_flight = False
            self.owner.finished()

    def _answer(self, reply: Reply) -> None:
        if reply.delay_s:
            self.owner.stopping.wait(reply.delay_s)
        if reply.body is not None:
            self._leave()
            self._send_whole(reply.status, reply.body, reply.content_type, reply.headers)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._stream(reply)

    def _stream(self, reply: Reply) -> None:
        events = [*reply.events, "data: [DONE]"] if reply.done else reply.events
        for number, event in enumerate(events):
            if number == reply.cut_after:
                self._cut()
                return
            if number == reply.stall_after:
                self.owner.stopping.wait(reply.stall_s)
            if number == len(events) - 1:
                self._leave()
            self._write_chunk(f"{event}\n\n".encode())
        self._write_chunk(b"")  # the last chunk: the body is complete

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _send_whole(
        self, status: int, text: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fault_server(
    replies: list[Reply], models: list[str] | None = None, models_reply: Reply | None = None
) -> Iterator[FaultServer]:
    server = FaultServer(replies, models, models_reply).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def unresponsive_port() -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback port whose listen queue is full, so a new connection is never accepted.

    The kernel drops further handshakes, which is what a firewall or a dead host looks like:
    the client's connect times out (rather than being refused at once).
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [_half_open(port) for _ in range(3)]
    try:
        yield f"http://127.0.0.1:{port}/v1", fillers
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def _half_open(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setblocking(False)
    # The handshake goes on in the kernel while the queue fills.
    with contextlib.suppress(BlockingIOError):
        sock.connect(("127.0.0.1", port))
    return sock


def closed_port_url() -> str:
    """The address of a loopback port nothing listens on: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


HTML_PAGE = Reply(body="<html><body>Welcome to nginx!</body></html>", content_type="text/html")

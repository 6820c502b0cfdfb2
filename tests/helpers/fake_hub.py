"""A stand-in for the Hugging Face hub on loopback: the few endpoints the real client uses to
fetch one file of one repository (repository info, its file tree, and the file itself)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@contextmanager
def serve_file(repo: str, filename: str, payload: bytes) -> Iterator[str]:
    """The hub's address while it serves ``repo`` holding ``filename`` (and one other file)."""
    handler = type("Hub", (_Hub,), {"repo": repo, "filename": filename, "payload": payload})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Hub(BaseHTTPRequestHandler):
    repo: str
    filename: str
    payload: bytes

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        api = f"/api/models/{self.repo}/"
        if self.path.startswith(api + "revision/main"):
            info = {"id": self.repo, "sha": COMMIT, "siblings": self._files()}
            self._send(json.dumps(info).encode(), body=body, kind="application/json")
        elif self.path.startswith(api + "tree/"):
            tree = [
                {"type": "file", "size": len(self.payload), "oid": "0" * 40} | f
                for f in ({"path": s["rfilename"]} for s in self._files())
            ]
            self._send(json.dumps(tree).encode(), body=body, kind="application/json")
        elif self.path in (
            f"/{self.repo}/resolve/{rev}/{self.filename}" for rev in (COMMIT, "main")
        ):
            self._send(self.payload, body=body, kind="application/octet-stream")
        else:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _files(self) -> list[dict[str, str]]:
        return [{"rfilename": self.filename}, {"rfilename": "other-weights.gguf"}]

    def _send(self, content: bytes, *, body: bool, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
        self.send_header("X-Repo-Commit", COMMIT)
        self.end_headers()
        if body:
            self.wfile.write(content)

    def log_message(self, *args: Any) -> None:
        """Quiet: the test output stays readable."""

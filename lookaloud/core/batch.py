"""Alt text for a whole folder: one JSON line per image, resumable after any interruption.

Each result is appended to the output as one complete line with a single ``write`` on an
append-only file, as soon as it exists. After a crash or ``kill -9`` the output can end in at
most one half-written line; ``--resume`` cuts that off, reads which images are done, and
describes only the rest, so every image appears exactly once.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.files import is_picture_file
from lookaloud.core.pipeline.load import image_suffixes
from lookaloud.core.pipeline.result import Result


def find_images(
    folder: Path, *, recursive: bool, on_unreadable: Callable[[str], None] | None = None
) -> list[Path]:
    """Regular files with an image suffix, sorted so runs and resumes visit them in the same
    order. Pipes, sockets and devices are skipped (opening a pipe would wait forever), links
    to folders are not followed (no circles), and each folder that cannot be listed is told
    to ``on_unreadable`` in a sentence."""

    def unreadable(exc: OSError) -> None:
        if on_unreadable is not None:
            on_unreadable(
                tr(
                    "The folder {folder} could not be read ({problem}); its pictures are left out.",
                    "notice",
                    folder=exc.filename,
                    problem=exc.strerror or exc,
                )
            )

    found: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=unreadable, followlinks=False):
        if not recursive:
            folders.clear()
        suffixes = image_suffixes()
        found += [Path(root, name) for name in files if Path(name).suffix.lower() in suffixes]
    return sorted(path for path in found if is_picture_file(path))


class JsonLinesOutput:
    """Appends whole lines to a file (or a stream) and knows which images it already holds."""

    def __init__(self, path: Path | None, stream: TextIO) -> None:
        self.path = path
        self._stream = stream
        self._fd: int | None = None

    def done_images(self) -> set[str]:
        """Images already in the file; a half-written last line is removed first."""
        if self.path is None or not self.path.exists():
            return set()
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with self.path.open("r+b") as file:
                file.truncate(len(complete))
        return {_image_of(line) for line in complete.splitlines() if line.strip()} - {""}

    def open(self, *, append: bool) -> None:
        if self.path is None:
            return
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        self._fd = os.open(self.path, flags, 0o644)
        if not append:
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self._fd is None:
            self._stream.write(line)
            self._stream.flush()
        else:
            os.write(self._fd, line.encode("utf-8"))  # one write: never interleaved or torn

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _image_of(line: bytes) -> str:
    try:
        return str(json.loads(line).get("image", ""))
    except (ValueError, AttributeError):
        return ""


def write_sidecar(image: Path, description: str) -> Path:
    """``photo.jpg`` gets ``photo.jpg.txt`` beside it, replaced atomically."""
    sidecar = image.with_name(image.name + ".txt")
    temporary = sidecar.with_name(f".{sidecar.name}.tmp")
    temporary.write_text(description.strip() + "\n", encoding="utf-8")
    temporary.replace(sidecar)
    return sidecar


@dataclass(frozen=True)
class BatchSummary:
    described: int
    failed: int


def run_batch(
    images: Iterable[Path],
    describe: Callable[[Path], Result],
    output: JsonLinesOutput,
    *,
    sidecar: bool,
    concurrency: int,
    on_done: Callable[[Result], None],
) -> BatchSummary:
    """Describe every image, writing each result the moment it is ready."""
    counts = {"described": 0, "failed": 0}
    lock = threading.Lock()

    def handle(image: Path) -> None:
        result = describe(image)
        if sidecar and result.ok:
            write_sidecar(image, result.description)
        with lock:
            output.write(result.to_json_dict())
            counts["described" if result.ok else "failed"] += 1
            on_done(result)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for future in [pool.submit(handle, image) for image in images]:
            future.result()
    return BatchSummary(counts["described"], counts["failed"])

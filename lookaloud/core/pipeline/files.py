"""Looking at a path before reading it: only regular files are opened, and never more than a cap.

A named pipe with an image's name blocks whoever opens it until something writes to it; a
device may never end; a symbolic link may point in a circle; a huge file would be read whole
into memory only to be refused. So every picture file is ``stat``-ed first and refused with a
sentence that says what the path is, opened without blocking, checked again on the open file
(it may have been swapped meanwhile), and read in chunks up to the cap while it is hashed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lookaloud.core.errors import (
    BrokenLink,
    ImageError,
    ImageIsDirectory,
    ImageNotFound,
    ImageTooLarge,
    NotARegularFile,
)
from lookaloud.core.i18n import N_, tr

# What is read at most from one picture file unless the settings say otherwise.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
CHUNK = 1 << 20

_KINDS = (  # English; translated where they are said
    (stat.S_ISFIFO, N_("a named pipe (FIFO)", "a kind of file")),
    (stat.S_ISSOCK, N_("a socket", "a kind of file")),
    (stat.S_ISCHR, N_("a character device", "a kind of file")),
    (stat.S_ISBLK, N_("a block device", "a kind of file")),
)


@dataclass(frozen=True)
class FileBytes:
    data: bytes
    sha256: str


def checked_size(path: Path, label: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> int:
    """The size of the regular file at ``path``; ImageError with a sentence for anything else."""
    info = _stat(path, label)
    _require_regular(info.st_mode, path, label)
    if info.st_size > max_bytes:
        raise ImageTooLarge(
            tr(
                "{label} is {size}, larger than the {cap} Lookaloud reads; use a smaller copy of "
                "the picture, or raise max_file_mb in the settings.",
                "error",
                label=label,
                size=_megabytes(info.st_size),
                cap=_megabytes(max_bytes),
            )
        )
    return info.st_size


def read_file(path: Path, label: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileBytes:
    """The bytes and SHA-256 of a picture file, after checked_size; never blocks on a pipe."""
    digest, parts = hashlib.sha256(), []
    for block in _blocks(path, label, max_bytes):
        digest.update(block)
        parts.append(block)
    return FileBytes(b"".join(parts), digest.hexdigest())


def file_sha256(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """The SHA-256 of a picture file, streamed; ImageError as for read_file."""
    digest = hashlib.sha256()
    for block in _blocks(path, path.name, max_bytes):
        digest.update(block)
    return digest.hexdigest()


def _blocks(path: Path, label: str, max_bytes: int) -> Iterator[bytes]:
    """The file's contents in chunks, once it is known to be a regular file within the cap."""
    checked_size(path, label, max_bytes)
    with os.fdopen(_open(path, label), "rb") as stream:
        _require_regular(os.fstat(stream.fileno()).st_mode, path, label)  # swapped meanwhile?
        total = 0
        while block := stream.read(CHUNK):
            total += len(block)
            if total > max_bytes:  # it grew since it was looked at
                raise ImageTooLarge(tr("{label} grew while it was read.", label=label))
            yield block


def is_picture_file(path: Path) -> bool:
    """A regular file (or a link to one) that can be looked at; for folder listings."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _stat(path: Path, label: str) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise BrokenLink(
                tr(
                    "{label} is a link to {target}, which does not exist; fix the link or "
                    "choose the picture itself.",
                    "error",
                    label=label,
                    target=path.readlink(),
                )
            ) from exc
        raise ImageNotFound(
            tr(
                "{label} was not found at {path}; check the name and the folder.",
                "error",
                label=label,
                path=path,
            )
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BrokenLink(
                tr(
                    "{label} is a link that points back to itself; fix the link or choose the "
                    "picture itself.",
                    "error",
                    label=label,
                )
            ) from exc
        raise _unreadable(label, exc) from exc


def _require_regular(mode: int, path: Path, label: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise ImageIsDirectory(
            tr(
                "{label} is a folder, not a picture; choose an image file inside it, or "
                "describe them all with `lookaloud batch {path}` (in the app: Browse folder).",
                "error",
                label=label,
                path=path,
            )
        )
    kind = next((words for test, words in _KINDS if test(mode)), N_("not a regular file"))
    raise NotARegularFile(
        tr(
            "{label} is {kind}, not a picture file; Lookaloud reads only ordinary files.",
            "error",
            label=label,
            kind=tr(kind),
        )
    )


def _open(path: Path, label: str) -> int:
    # O_NONBLOCK: a pipe swapped in after the stat must not block the open.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags)
    except OSError as exc:
        raise _unreadable(label, exc) from exc


def _unreadable(label: str, exc: OSError) -> ImageError:
    return ImageError(
        tr(
            "{label} could not be read ({problem}); check that you are allowed to open it.",
            "error",
            label=label,
            problem=exc.strerror or exc,
        )
    )


def _megabytes(size: int) -> str:
    if size >= 1024**3:
        return tr("{size:.1f} GB", size=size / 1024**3)
    return tr("{size:.0f} MB", size=max(size / 1024**2, 1))

"""The description cache: answers an image seen before at once, without loading any model.

SQLite in the platformdirs cache folder, in WAL mode so the app and a batch run can share it.
A key is the SHA-256 of the image's bytes plus a fingerprint of every setting that changes the
output (models, backend, language, detail, prompt version…). Entries are evicted least recently
used first beyond a size limit. A full-text index (FTS5) over descriptions, captions and OCR
text serves ``lookaloud search``. A cache file that SQLite cannot read is set aside and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.result import Result

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    result TEXT NOT NULL,
    size INTEGER NOT NULL,
    last_used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_last_used ON entries(last_used);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(description, facts, path UNINDEXED);
"""


def cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("lookaloud")) / "descriptions.sqlite3"


def fingerprint(settings: Mapping[str, Any]) -> str:
    """A short stable hash of everything that changes a description."""
    canonical = json.dumps(dict(settings), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    bytes: int
    max_bytes: int

    def to_lines(self) -> list[str]:
        return [
            tr("Cache file: {path}", path=self.path),
            tr("Descriptions stored: {count}", count=self.entries),
            tr(
                "Size: {value:.1f} MB of {value2:.0f} MB",
                value=self.bytes / 1000000.0,
                value2=self.max_bytes / 1000000.0,
            ),
        ]


@dataclass(frozen=True)
class SearchHit:
    path: str
    summary: str
    sha256: str = ""  # the image's content, to find it again under another name


class DescriptionCache:
    """Thread-safe; one connection guarded by a lock (SQLite work here takes microseconds)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path or cache_path()
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self.notices: list[str] = []
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError as exc:
            aside = self._set_aside(exc)
            self.notices.append(
                tr(
                    "The description cache was damaged; it was moved to {aside} and a new one "
                    "was started.",
                    aside=aside,
                )
            )
            return _connect(self.path)

    def _set_aside(self, exc: sqlite3.DatabaseError) -> Path:
        log.warning("cache %s unreadable (%s); setting it aside", self.path, exc)
        aside = self.path.with_name(f"{self.path.name}.broken-{int(self._clock())}")
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        return aside

    def get(self, sha256: str, print_: str, path: str) -> Result | None:
        key = f"{sha256}:{print_}"
        with self._lock, self._transaction() as db:
            row = db.execute("SELECT result FROM entries WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE entries SET last_used = ?, path = ? WHERE key = ?",
                (self._clock(), path, key),
            )
        return Result.from_json_dict({**json.loads(row[0]), "image": path})

    def peek(self, sha256: str, print_: str) -> Result | None:
        """The stored result without counting it as used: for listing a folder's pictures."""
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM entries WHERE key = ?", (f"{sha256}:{print_}",)
            ).fetchone()
        return None if row is None else Result.from_json_dict(json.loads(row[0]))

    def put(self, result: Result, print_: str) -> None:
        """Store a description worth keeping: successful and written (or honestly blank)."""
        if not result.ok or result.fallback or not result.sha256:
            return
        text = json.dumps(result.to_json_dict(), ensure_ascii=False)
        with self._lock, self._transaction() as db:
            self._replace(db, result, print_, text)
            self._evict(db)

    def _replace(self, db: sqlite3.Connection, result: Result, print_: str, text: str) -> None:
        key = f"{result.sha256}:{print_}"
        old = db.execute("SELECT id FROM entries WHERE key = ?", (key,)).fetchone()
        if old is not None:
            db.execute("DELETE FROM search WHERE rowid = ?", old)
            db.execute("DELETE FROM entries WHERE id = ?", old)
        cursor = db.execute(
            "INSERT INTO entries (key, sha256, path, result, size, last_used) VALUES (?,?,?,?,?,?)",
            (key, result.sha256, result.image, text, len(text.encode()), self._clock()),
        )
        db.execute(
            "INSERT INTO search (rowid, description, facts, path) VALUES (?,?,?,?)",
            (cursor.lastrowid, result.description, _searchable_facts(result), result.image),
        )

    def _evict(self, db: sqlite3.Connection) -> None:
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        rows = db.execute("SELECT id, size FROM entries ORDER BY last_used ASC").fetchall()
        for row_id, size in rows:
            if total <= self.max_bytes:
                break
            db.execute("DELETE FROM search WHERE rowid = ?", (row_id,))
            db.execute("DELETE FROM entries WHERE id = ?", (row_id,))
            total -= size

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Images whose description or text matches every word of ``query``."""
        match = " ".join(_fts_term(word) for word in query.split())
        if not match:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT e.path, e.result, e.sha256 FROM search "
                "JOIN entries e ON e.id = search.rowid WHERE search MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            ).fetchall()
        return [SearchHit(path, _summary(text), sha256) for path, text, sha256 in rows]

    def stats(self) -> CacheStats:
        with self._lock:
            count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries"
            ).fetchone()
        return CacheStats(self.path, count, size, self.max_bytes)

    def clear(self) -> int:
        with self._lock, self._transaction() as db:
            count: int = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM search")
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=10)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # A hit records when it was used; with the default FULL every such write waits for the
        # disk to flush (147 ms once on a loaded CI machine, against about 1.5 ms for the whole
        # cached answer). NORMAL flushes at checkpoints only; a crash can lose the newest
        # writes of a cache, never its consistency.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("SELECT COUNT(*) FROM entries").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _searchable_facts(result: Result) -> str:
    """Caption, region captions and OCR text: words a user may remember from the image."""
    if result.facts is None:
        return ""
    facts = result.facts
    parts = [facts.caption, *(r.caption for r in facts.regions)]
    return "\n".join(parts + [line.text for line in facts.text_lines])


def _summary(stored: str) -> str:
    return Result.from_json_dict(json.loads(stored)).summary


def _fts_term(word: str) -> str:
    # Quote each word so punctuation in a query cannot be read as FTS syntax.
    return '"' + word.replace('"', '""') + '"'

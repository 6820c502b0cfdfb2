"""The cache thread: answers pictures seen before, and finds what is known about a folder.

Looking a file up (hashing it, one SQLite query) takes milliseconds, but the model thread may be
busy for seconds loading a model or writing another description; so lookups run on a thread of
their own and a cached picture is answered at once whatever the models are doing. The same
thread goes through an opened folder in small steps, between lookups, to find which pictures
are described already (for the first sentence in the list, and for search).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from lookaloud.core.describer import answer_from_cache
from lookaloud.core.errors import ImageError
from lookaloud.core.pipeline.files import file_sha256
from lookaloud.core.pipeline.result import Event, Result, SentenceEvent
from lookaloud.desktop.tasks import Setup, SetupBox, Task

log = logging.getLogger(__name__)

# Files hashed per step of a folder scan; a lookup waits at most for one step.
SCAN_STEP = 4


@dataclass(frozen=True)
class Known:
    """What the cache holds about one picture of a folder."""

    path: Path
    sha256: str
    summary: str  # the first sentence with the current settings; "" if not described yet


class CacheReader(QObject):
    """Lives on the cache thread; reports through signals, tagged like the model thread's."""

    sentence = Signal(int, str)
    described = Signal(int, object)
    missed = Signal(int)
    scanned = Signal(int, object)  # the scan's number, list[Known]
    _next_step = Signal()

    def __init__(self, setups: SetupBox) -> None:
        super().__init__()
        self._setups = setups
        self._scan_number = 0
        self._unscanned: list[Path] = []
        # Queued even within this thread, so lookups that arrived meanwhile go first.
        self._next_step.connect(self._scan_step, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def look_up(self, task: Task) -> None:
        if task.cancel.cancelled:
            return  # the user moved on before it was looked up; nobody waits for it
        assert isinstance(task.source, Path)  # Worker.describe sends only files here
        hit = self._answer(self._setups.get(), task)
        if hit is None:
            self.missed.emit(task.id)
        else:
            self.described.emit(task.id, replace(hit, image=task.name or hit.image))

    def _answer(self, setup: Setup, task: Task) -> Result | None:
        assert isinstance(task.source, Path)
        if setup.cache is None:
            return None

        def forward(event: Event) -> None:
            if isinstance(event, SentenceEvent):
                self.sentence.emit(task.id, event.text)

        try:
            return answer_from_cache(setup.cache, setup.fingerprint, task.source, forward)
        except sqlite3.Error as exc:
            # A cache another program holds locked for long is no reason to fail: describe.
            log.warning("the description cache could not be read: %s", exc)
            return None

    @Slot(int, object)
    def scan(self, number: int, paths: list[Path]) -> None:
        """Starts going through ``paths``; a scan still under way is abandoned."""
        idle = not self._unscanned
        self._scan_number, self._unscanned = number, list(paths)
        if idle and paths:
            self._next_step.emit()

    @Slot()
    def _scan_step(self) -> None:
        batch, self._unscanned = self._unscanned[:SCAN_STEP], self._unscanned[SCAN_STEP:]
        setup = self._setups.get()
        known = [item for item in (self._known(path, setup) for path in batch) if item]
        if known:
            self.scanned.emit(self._scan_number, known)
        if self._unscanned:
            self._next_step.emit()

    def _known(self, path: Path, setup: Setup) -> Known | None:
        try:
            sha256 = file_sha256(path)
            hit = setup.cache.peek(sha256, setup.fingerprint) if setup.cache else None
        except (OSError, sqlite3.Error, ImageError) as exc:
            log.info("could not look up %s: %s", path, exc)
            return None
        return Known(path, sha256, hit.summary if hit else "")

"""Recent results kept across restarts, so a user can go back to what they heard.

One JSON line per result in ``history.jsonl`` in the platformdirs data folder. Adding appends
one line; when the file holds twice the limit it is rewritten atomically with the newest
``limit`` entries, so it never grows without bound and a crash never loses it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from pathlib import Path

import platformdirs

from lookaloud.core.pipeline.result import Result

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200


def history_path() -> Path:
    return Path(platformdirs.user_data_dir("lookaloud")) / "history.jsonl"


class History:
    def __init__(self, path: Path | None = None, *, limit: int = HISTORY_LIMIT) -> None:
        self.path = path or history_path()
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: deque[Result] = deque(self._read(), maxlen=limit)
        self._lines_on_disk = len(self._entries)

    def _read(self) -> list[Result]:
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entries.append(Result.from_json_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("skipping a damaged history line: %s", exc)
        return entries[-self.limit :]

    def add(self, result: Result) -> None:
        """Remember a described image (failures are not history)."""
        if not result.ok:
            return
        with self._lock:
            self._entries.append(result)
            self._append(result)
            if self._lines_on_disk >= 2 * self.limit:
                self._rewrite()

    def recent(self) -> list[Result]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._entries))

    def _append(self, result: Result) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(result.to_json_dict(), ensure_ascii=False) + "\n")
        self._lines_on_disk += 1

    def _rewrite(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        lines = (json.dumps(r.to_json_dict(), ensure_ascii=False) + "\n" for r in self._entries)
        temporary.write_text("".join(lines), encoding="utf-8")
        temporary.replace(self.path)
        self._lines_on_disk = len(self._entries)

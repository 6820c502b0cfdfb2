"""Browse mode: move through a folder's pictures and hear each one; find described pictures.

Moving to a picture asks for its description at once (the cache answers a picture seen before
without any model). When it has been told, the next few pictures of the list are described in
the background, at a lower priority than anything the user asks for; moving elsewhere stops
the prefetching of pictures no longer ahead. Meanwhile the cache thread goes through the
folder to find which pictures are described already, so the list can say their first sentence.

The search box filters the folder by name and by the words of descriptions, captions and text
found in the pictures (the full-text search of ``lookaloud search``); "Find described pictures"
runs that search over every picture described so far, like ``lookaloud search`` does.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from lookaloud.core.batch import find_images
from lookaloud.core.i18n import N_, tr
from lookaloud.core.pipeline.result import Result
from lookaloud.core.storage.cache import DescriptionCache, SearchHit
from lookaloud.desktop.browse_view import BrowsePanel
from lookaloud.desktop.lookup import Known
from lookaloud.desktop.worker import Worker

log = logging.getLogger(__name__)

# How many search hits are considered: a folder's filter must see all of its own pictures.
FOLDER_SEARCH_LIMIT = 100_000
EVERYTHING_SEARCH_LIMIT = 500
FOLDER_HINT = N_(
    "Words from a picture's name, description or text; Down goes to the pictures.", "search box"
)
EVERYTHING_HINT = N_(
    "Words from the description or text of any picture described so far.", "search box"
)


class Browser(QObject):
    """The logic of the browse panel; the controller describes and speaks."""

    describe_requested = Signal(object, bool)  # the picture's Path, whether to bypass the cache
    told = Signal(str)  # a sentence for the status line and the screen reader

    def __init__(
        self,
        panel: BrowsePanel,
        worker: Worker,
        cache: DescriptionCache | None,
        prefetch_count: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.panel = panel
        self.worker = worker
        self.cache = cache
        self._prefetch_count = prefetch_count
        self.folder: Path | None = None
        self.current: Path | None = None
        self._hashes: dict[Path, str] = {}
        self._waiting = False  # the current picture's description has not come yet
        self._connect()

    def _connect(self) -> None:
        self.panel.pictures.moved.connect(self._moved)
        self.panel.pictures.redescribe.connect(self._redescribe)
        self.panel.query_changed.connect(self.search)
        self.worker.described.connect(self._on_described)
        self.worker.failed.connect(self._on_failed)
        self.worker.prefetched.connect(self._on_prefetched)
        self.worker.scanned.connect(self._on_scanned)

    # ------------------------------------------------------------ commands

    def open_folder(self, folder: Path) -> int:
        """Lists the folder's pictures and goes to the first; how many there are."""
        pictures = find_images(folder, recursive=False, on_unreadable=self.told.emit)
        self.folder, self._hashes = folder, {}
        title = tr("Pictures in {name}", "list name: a folder", name=folder.name)
        self._new_collection(pictures, {}, title, tr(FOLDER_HINT))
        self.worker.scan(pictures)
        if pictures:
            self.panel.focus_list()
        return len(pictures)

    def find_described(self) -> None:
        """Search over every picture described so far; the list shows what is found."""
        self.folder = None
        self._new_collection([], {}, tr("Described pictures", "list name"), tr(EVERYTHING_HINT))
        self.panel.focus_search()

    def search(self, query: str) -> None:
        if self.folder is not None:
            self._filter_folder(query)
        else:
            self._find_everywhere(query)

    def pause(self) -> None:
        """Another command took over: prefetching stops."""
        self._waiting = False
        self.worker.retain_prefetch([])

    def settings_changed(self) -> None:
        """First sentences written with other settings no longer hold: find them again."""
        self.panel.model.forget_summaries()
        if self.current is not None:
            self.panel.pictures.select(self.current)
        if self.folder is not None:
            self.worker.scan(self.panel.model.pictures)

    def _new_collection(
        self, pictures: list[Path], summaries: dict[Path, str], title: str, hint: str
    ) -> None:
        self.current = None
        self.worker.retain_prefetch([])
        self.panel.search.clear()
        self.panel.model.set_pictures(pictures, summaries)
        self.panel.pictures.forget_reported()
        self.panel.show_collection(title, hint)

    # ------------------------------------------------------------ moving

    def _moved(self, path: Path) -> None:
        self.current, self._waiting = path, True
        # Kept: the picture itself (its prefetch, if running, becomes the answer) and the
        # pictures still ahead.
        self.worker.retain_prefetch([path, *self._ahead(path)])
        self.describe_requested.emit(path, False)

    def _redescribe(self, path: Path) -> None:
        self.current, self._waiting = path, True
        self.describe_requested.emit(path, True)

    def _ahead(self, path: Path) -> list[Path]:
        model = self.panel.model
        row = model.row_of(path)
        rows = range(row + 1, row + 1 + self._prefetch_count()) if row >= 0 else range(0)
        return [p for p in (model.path_at(r) for r in rows) if p is not None]

    def _prefetch_ahead(self) -> None:
        self._waiting = False
        if self.current is None:
            return
        model = self.panel.model
        self.worker.prefetch([p for p in self._ahead(self.current) if not model.summary_of(p)])

    # ------------------------------------------------------------ reports

    def _on_described(self, result: Result) -> None:
        if not self._waiting or self.current is None or result.image != str(self.current):
            return
        if result.ok:
            self.panel.model.learn(self.current, result.summary)
        self._prefetch_ahead()

    def _on_failed(self, _message: str) -> None:
        if self._waiting:
            self._prefetch_ahead()  # a broken picture does not stop the ones after it

    def _on_prefetched(self, path: Path, result: Result) -> None:
        if result.ok:
            self.panel.model.learn(path, result.summary)

    def _on_scanned(self, known: list[Known]) -> None:
        for item in known:
            self._hashes[item.path] = item.sha256
            self.panel.model.learn(item.path, item.summary)

    # ------------------------------------------------------------ searching

    def _filter_folder(self, query: str) -> None:
        model = self.panel.model
        model.show_only(self._matching(query) if query.strip() else None)
        if self.current is not None:
            self.panel.pictures.select(self.current)
        total, shown = len(model.pictures), model.rowCount()
        if not query.strip():
            self.told.emit(tr("All {pictures} are shown.", "status", pictures=_pictures(total)))
        elif shown:
            self.told.emit(
                tr(
                    "{shown} of {pictures} match {query!r}.",
                    "status",
                    shown=shown,
                    pictures=_pictures(total),
                    query=query.strip(),
                )
            )
        else:
            self.told.emit(
                tr("No picture in this folder matches {query!r}.", "status", query=query.strip())
            )

    def _matching(self, query: str) -> set[Path]:
        """Pictures whose name holds every word, or whose description or text matches."""
        pictures = self.panel.model.pictures
        words = query.lower().split()
        by_name = {p for p in pictures if all(word in p.name.lower() for word in words)}
        hits = self._search_cache(query, FOLDER_SEARCH_LIMIT)
        found = {hit.sha256 for hit in hits} | {hit.path for hit in hits}
        by_text = {p for p in pictures if self._hashes.get(p) in found or str(p) in found}
        return by_name | by_text

    def _find_everywhere(self, query: str) -> None:
        hits = self._search_cache(query, EVERYTHING_SEARCH_LIMIT) if query.strip() else []
        found: dict[Path, str] = {}
        for hit in hits:
            path = Path(hit.path)
            if path not in found and path.is_file():  # a picture moved away is not offered
                found[path] = hit.summary
        title = tr("Described pictures", "list name")
        self._new_collection(list(found), found, title, tr(EVERYTHING_HINT))
        self.panel.search.setText(query)
        if found:
            self.told.emit(
                tr(
                    "{pictures} match {query!r}.",
                    "status",
                    pictures=_pictures(len(found)),
                    query=query.strip(),
                )
            )
        elif query.strip():
            self.told.emit(
                tr("No described picture matches {query!r}.", "status", query=query.strip())
            )

    def _search_cache(self, query: str, limit: int) -> list[SearchHit]:
        if self.cache is None:
            return []
        try:
            return self.cache.search(query, limit)
        except sqlite3.Error as exc:
            log.warning("searching the description cache failed: %s", exc)
            return []


def _pictures(count: int) -> str:
    return tr("1 picture") if count == 1 else tr("{count} pictures", count=count)

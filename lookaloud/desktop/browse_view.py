"""The browse panel: a search box and the list of a folder's pictures, made for screen readers.

Each picture is read as its name, its position and, once known, its first sentence ("beach.jpg,
3 of 120. A sandy beach under a blue sky."): that text is the item's accessible name, so it
is what Orca or NVDA says when the item gets the focus. The list is a view over a model; the
model computes each item's text when asked, so filtering 10,000 pictures or learning a first
sentence updates no widgets one by one.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from lookaloud.core.i18n import tr
from lookaloud.desktop.fields import SpokenLineEdit

ModelIndex = QModelIndex | QPersistentModelIndex
# Typing in the search box filters once the typing pauses this long.
SEARCH_PAUSE_MS = 250


class PictureModel(QAbstractListModel):
    """The pictures of a folder (or of a search), the ones shown, and their first sentences."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pictures: list[Path] = []
        self._shown: list[Path] = []
        self._rows: dict[Path, int] = {}
        self._summaries: dict[Path, str] = {}

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._shown):
            return None
        path = self._shown[index.row()]
        summary = self._summaries.get(path, "")
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{path.name} — {summary}" if summary else path.name
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.spoken_text(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return summary or None
        if role == Qt.ItemDataRole.UserRole:
            return path
        return None

    def spoken_text(self, row: int) -> str:
        """What a screen reader says for the item: name, position, first sentence if known."""
        path = self._shown[row]
        text = tr(
            "{name}, {number} of {count}",
            "a picture in the browse list: file name, position",
            name=path.name,
            number=row + 1,
            count=len(self._shown),
        )
        summary = self._summaries.get(path, "")
        return f"{text}. {summary}" if summary else text

    @property
    def pictures(self) -> list[Path]:
        return list(self._pictures)

    @property
    def shown(self) -> list[Path]:
        return list(self._shown)

    def set_pictures(self, pictures: list[Path], summaries: dict[Path, str] | None = None) -> None:
        self.beginResetModel()
        self._pictures = list(pictures)
        self._summaries = dict(summaries or {})
        self._show(self._pictures)
        self.endResetModel()

    def show_only(self, allowed: Collection[Path] | None) -> None:
        """Shows the pictures in ``allowed`` (all of them for None), in their own order."""
        self.beginResetModel()
        self._show([p for p in self._pictures if allowed is None or p in allowed])
        self.endResetModel()

    def _show(self, shown: list[Path]) -> None:
        self._shown = shown
        self._rows = {path: row for row, path in enumerate(shown)}

    def learn(self, path: Path, summary: str) -> None:
        if not summary or self._summaries.get(path) == summary:
            return
        self._summaries[path] = summary
        row = self._rows.get(path)
        if row is not None:
            self.dataChanged.emit(self.index(row), self.index(row))

    def forget_summaries(self) -> None:
        """The settings changed: first sentences written with the old ones no longer hold."""
        self.beginResetModel()
        self._summaries = {}
        self.endResetModel()

    def summary_of(self, path: Path) -> str:
        return self._summaries.get(path, "")

    def row_of(self, path: Path) -> int:
        return self._rows.get(path, -1)

    def path_at(self, row: int) -> Path | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None


class PictureList(QListView):
    """Moving to a picture reports it once; Enter asks for it to be described again."""

    moved = Signal(object)  # Path
    redescribe = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUniformItemSizes(True)
        self._reported: Path | None = None

    def current_path(self) -> Path | None:
        path = self.currentIndex().data(Qt.ItemDataRole.UserRole)
        return path if isinstance(path, Path) else None

    def select(self, path: Path) -> None:
        model = self.model()
        assert isinstance(model, PictureModel)
        row = model.row_of(path)
        if row >= 0:
            self.setCurrentIndex(model.index(row))

    def forget_reported(self) -> None:
        """The next current picture is reported even if it is the same as the last one."""
        self._reported = None

    def currentChanged(self, current: ModelIndex, previous: ModelIndex) -> None:  # noqa: N802
        super().currentChanged(current, previous)
        path = current.data(Qt.ItemDataRole.UserRole) if current.isValid() else None
        # A filter puts the same picture back as current: that is no move.
        if isinstance(path, Path) and path != self._reported:
            self._reported = path
            self.moved.emit(path)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        path = self.current_path()
        if path is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.redescribe.emit(path)
        else:
            super().keyPressEvent(event)


class SearchBox(SpokenLineEdit):
    """Down or Enter goes to the list of pictures."""

    to_list = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.to_list.emit()
        else:
            super().keyPressEvent(event)


class BrowsePanel(QWidget):
    """Hidden until a folder is opened or pictures are searched."""

    query_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PictureModel(self)
        self.pictures = PictureList()
        self.pictures.setModel(self.model)
        self.search = SearchBox()
        self.heading = QLabel(tr("P&ictures:", "label"))
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SEARCH_PAUSE_MS)
        self._build()
        self._pause.timeout.connect(lambda: self.query_changed.emit(self.search.value()))
        self.search.textEdited.connect(lambda _text: self._pause.start())
        self.search.to_list.connect(self.focus_list)
        self.setVisible(False)

    def _build(self) -> None:
        search_label = QLabel(tr("S&earch:", "label"))
        search_label.setBuddy(self.search)
        self.heading.setBuddy(self.pictures)
        self.search.setAccessibleName(tr("Search pictures", "field name"))
        self.pictures.setAccessibleDescription(
            tr(
                "Up, Down, Home, End, Page Up and Page Down move and describe the picture; "
                "Enter describes it again with the current settings.",
                "accessible description of the picture list",
            )
        )
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(search_label)
        layout.addWidget(self.search)
        layout.addWidget(self.heading)
        layout.addWidget(self.pictures, 1)
        self.setLayout(layout)

    def show_collection(self, title: str, search_hint: str) -> None:
        """Shows the panel for a folder or a search; ``title`` names the list."""
        self.setVisible(True)
        self.pictures.setAccessibleName(title)
        self.search.setAccessibleDescription(search_hint)
        self.search.setPlaceholderText(search_hint)

    def focus_list(self) -> None:
        self.pictures.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.pictures.currentIndex().isValid() and self.model.rowCount():
            self.pictures.setCurrentIndex(self.model.index(0))

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

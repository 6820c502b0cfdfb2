"""The dialog shown when models are missing: what is missing, and two ways to fix it.

"Download" runs the core's ``pull_for_engine`` (the writer's published .gguf file instead of its
folder where llama.cpp will run it, as ``lookaloud models pull`` does) on a thread of its own
(network work never runs on the model thread or the GUI thread) with a progress bar fed by a
tqdm class of ours; "Use a
local folder" sets the model setting to a folder the user picks. Either way the new settings
are saved and ``models_changed`` asks the app to load the models again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from tqdm import tqdm

from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.runtime.models import ModelChoice
from lookaloud.core.settings import Settings, save_settings, with_overrides
from lookaloud.core.writers.engines import pull_for_engine
from lookaloud.desktop.announce import announce
from lookaloud.desktop.worker import ModelProblem

# Downloads the models (ids) for these settings, reporting through the tqdm class.
Puller = Callable[[Settings, Sequence[str], type[tqdm]], object]


def _pull(settings: Settings, ids: Sequence[str], bar: type[tqdm]) -> object:
    writing = ModelChoice.from_settings(settings).local_writing_model
    return pull_for_engine(ids, writing, settings.models.engine, progress=bar)


class DownloadReports(QObject):
    """Signals that carry download progress from the download thread to the dialog."""

    progress = Signal(int, int)  # bytes done, bytes in all (0 when not known yet)
    finished = Signal(str)  # "" on success, else the sentence to show


def progress_class(reports: DownloadReports) -> type[tqdm]:
    """A tqdm class whose bars report to ``reports`` instead of printing."""

    class _Reporting(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = _Nowhere()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            shown: bool | None = super().update(n)
            reports.progress.emit(int(self.n), int(self.total or 0))
            return shown

    return _Reporting


class _Nowhere:
    """A file that swallows tqdm's text bar: the dialog shows a real progress bar instead."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""


class MissingModelsDialog(QDialog):
    models_changed = Signal(object)  # the saved Settings

    def __init__(
        self,
        problems: Sequence[ModelProblem],
        settings: Settings,
        *,
        settings_path: Path | None = None,
        puller: Puller = _pull,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Lookaloud needs its models", "dialog title"))
        self._problems = list(problems)
        self._settings = settings
        self._path = settings_path
        self._puller = puller
        self.reports = DownloadReports(self)
        self.reports.progress.connect(self._show_progress)
        self.reports.finished.connect(self._downloaded)
        self.explanation = QLabel(self._explanation())
        self.explanation.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(tr("Download progress", "progress bar"))
        self.progress.hide()
        self.download = QPushButton(tr("&Download the models", "button"))
        self.download.clicked.connect(self.start_download)
        self.folder = QPushButton(tr("Use a &local folder…", "button"))
        self.folder.clicked.connect(self.choose_folder)
        close = QPushButton(tr("&Close", "button"))
        close.clicked.connect(self.reject)
        self._lay_out(close)
        self.setAccessibleDescription(self.explanation.text())

    def _lay_out(self, close: QPushButton) -> None:
        buttons = QHBoxLayout()
        for button in (self.download, self.folder, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)

    def _explanation(self) -> str:
        lines = [problem.message for problem in self._problems]
        lines.append(
            tr(
                "Until then Lookaloud reads the text it finds in pictures. Download the models "
                "now (this needs the internet), or choose folders that already hold them.",
                "dialog text",
            )
        )
        return "\n\n".join(lines)

    def missing_ids(self) -> list[str]:
        models = self._settings.models
        wanted = {
            "caption_model": models.caption_model,
            "writer_model": models.writer_model,
            "vlm_model": models.vlm_model,
        }
        return [wanted[p.role] for p in self._problems if p.role in wanted]

    # ------------------------------------------------------------ download

    def start_download(self) -> None:
        self.download.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the first byte counts arrive
        self.progress.show()
        announce(self, tr("Downloading the models; this can take several minutes.", "status"))
        bar = progress_class(self.reports)
        ids = self.missing_ids()
        threading.Thread(target=self._download, args=(ids, bar), daemon=True).start()

    def _download(self, ids: list[str], bar: type[tqdm]) -> None:
        try:
            self._puller(self._settings, ids, bar)
        except LookaloudError as exc:
            self.reports.finished.emit(exc.message)
            return
        self.reports.finished.emit("")

    def _show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * done / total))

    def _downloaded(self, problem: str) -> None:
        self.download.setEnabled(True)
        if problem:
            self.progress.hide()
            self.explanation.setText(problem)
            announce(self, problem, assertive=True)
            return
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        announce(self, tr("The models are downloaded; loading them now.", "status"))
        self.models_changed.emit(self._settings)
        self.accept()

    # ------------------------------------------------------------ local folder

    def choose_folder(self) -> None:
        chosen: dict[str, str] = {}
        for problem in self._problems:
            if problem.role != "ocr":
                folder = QFileDialog.getExistingDirectory(self, _folder_title(problem))
                if folder:
                    chosen[problem.role] = folder
        if chosen:
            self.use_folders(chosen)

    def use_folders(self, chosen: dict[str, str]) -> None:
        """Sets each model setting in ``chosen`` (role → folder), saves, and reloads."""
        try:
            self._settings = with_overrides(self._settings, **chosen)
            save_settings(self._settings, self._path)
        except LookaloudError as exc:
            announce(self, exc.message, assertive=True)
            self.explanation.setText(exc.message)
            return
        self.models_changed.emit(self._settings)
        self.accept()


def _folder_title(problem: ModelProblem) -> str:
    if problem.role == "caption_model":
        return tr("Choose the folder of the captioning model", "folder dialog title")
    if problem.role == "vlm_model":
        return tr("Choose the folder of the vision-language model", "folder dialog title")
    return tr("Choose the folder of the writing model", "folder dialog title")

"""Putting the desktop app together: settings, window, speech, worker, hotkeys, tray, dialogs.

``lookaloud`` with no arguments calls :func:`run_app`. The window opens at once; the models
load on the worker thread in the background and "ready" is announced when they have.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from lookaloud.core.assembly import ModelChoice, config_from_settings
from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.result import Result
from lookaloud.core.settings import LoadedSettings, Settings, load_settings
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.core.storage.history import History
from lookaloud.core.storage.logs import RequestLog
from lookaloud.desktop.announce import use_route
from lookaloud.desktop.controller import Controller, PipelineFactory
from lookaloud.desktop.describing import open_cache, settings_pipeline
from lookaloud.desktop.focused_item import platform_finder
from lookaloud.desktop.hotkeys import GlobalHotkeys, bindings
from lookaloud.desktop.language import use_language
from lookaloud.desktop.models_dialog import MissingModelsDialog
from lookaloud.desktop.screen_reader import ScreenReaderRoute, platform_presence
from lookaloud.desktop.settings_dialog import SettingsDialog
from lookaloud.desktop.speech import make_output
from lookaloud.desktop.tray import Tray, app_icon, make_tray
from lookaloud.desktop.window import MainWindow
from lookaloud.desktop.worker import ModelProblem

log = logging.getLogger(__name__)


class DesktopApp(QObject):
    """Owns every part of the running app and applies new settings to all of them."""

    def __init__(
        self,
        loaded: LoadedSettings,
        pipeline_factory: PipelineFactory = settings_pipeline,
        hotkeys: GlobalHotkeys | None = None,
        *,
        history: History | None = None,
        cache: DescriptionCache | None = None,
    ) -> None:
        super().__init__()
        self.settings = loaded.settings
        self.settings_path: Path = loaded.path
        self.window = MainWindow(bindings(self.settings.hotkeys))
        # Every announcement of the app also reaches a screen reader that ignores announcements.
        # The focused item's place, for "describe focused item"; its AT-SPI listener is ours,
        # not a screen reader's, so the route leaves it out when it asks who listens.
        self.focus_finder = platform_finder()
        self.route = ScreenReaderRoute(
            self.settings.speech.screen_reader_speech,
            probe=lambda: platform_presence(self.focus_finder.listener_names),
        )
        use_route(self.route)
        speaker, notice = make_output(self.settings.speech, self.window, self.route)
        cache_notices: list[str] = []
        if cache is None:
            cache, cache_notices = open_cache(self.settings)
        self.cache = cache
        self.history = history or History(limit=self.settings.desktop.history_size)
        self.controller = Controller(
            self.window,
            self.settings,
            pipeline_factory,
            speaker,
            self,
            history=self.history,
            cache=self.cache,
            focus_finder=self.focus_finder,
        )
        self.hotkeys = hotkeys or GlobalHotkeys(parent=self)
        self.hotkeys.triggered.connect(self.controller.hotkey)
        self.show_action = QAction(tr("Show &window", "tray menu item"), self)
        self.show_action.triggered.connect(self._show_window)
        self.tray: Tray | None = make_tray(self.window.actions_by_name, self.show_action, self)
        self._notices = [*loaded.notices, *cache_notices, *([notice] if notice else [])]
        self._request_log = RequestLog() if self.settings.logging.request_log else None
        self._connect()

    def _connect(self) -> None:
        self.controller.settings_requested.connect(self.open_settings)
        self.controller.quit_requested.connect(QApplication.quit)
        self.controller.models_missing.connect(self.open_models_dialog)
        self.controller.worker.described.connect(self._log_result)

    def start(self) -> None:
        self.window.show()
        self._start_hotkeys()
        self.focus_finder.start()
        self.controller.start()
        for notice in self._notices:
            self.controller.status(notice, speak=True)

    def shutdown(self) -> None:
        self.hotkeys.stop()
        self.controller.shutdown()
        self.cache.close()  # the threads that used it have stopped
        use_route(None)
        self.route.close()
        self.focus_finder.stop()

    def _start_hotkeys(self) -> None:
        self.hotkeys.stop()
        if not self.settings.desktop.global_hotkeys:
            return
        try:
            self.hotkeys.start(bindings(self.settings.hotkeys))
        except LookaloudError as exc:
            self._notices.append(exc.message)

    def _show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # ------------------------------------------------------------ dialogs

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.settings_path, self.window)
        dialog.saved.connect(self.apply_settings)
        # While the user presses new keys for a hotkey, the old ones must not run their command.
        dialog.hotkey_editing.connect(self._pause_hotkeys)
        dialog.finished.connect(lambda _result: self._pause_hotkeys(False))
        dialog.open()
        return dialog

    def _pause_hotkeys(self, paused: bool) -> None:
        if paused:
            self.hotkeys.stop()
        elif not self.hotkeys.active:
            self._start_hotkeys()

    def open_models_dialog(self, problems: list[ModelProblem]) -> MissingModelsDialog:
        dialog = MissingModelsDialog(
            problems, self.settings, settings_path=self.settings_path, parent=self.window
        )
        dialog.models_changed.connect(lambda settings: self.apply_settings(settings, reload=True))
        dialog.open()
        return dialog

    def apply_settings(self, settings: Settings, *, reload: bool = False) -> None:
        """Uses new settings everywhere: hotkeys, speech, and the models if they changed."""
        old, self.settings = self.settings, settings
        self.controller.settings = settings
        self.controller.hider.include_own_windows = settings.desktop.include_own_window
        self.window.set_hotkeys(bindings(settings.hotkeys))
        self._start_hotkeys()
        self._replace_speaker(settings)
        saved = tr("Settings saved.", "status")
        if settings.general.lang != old.general.lang:
            saved += " " + tr(
                "The window changes language when Lookaloud starts again; descriptions change now.",
                "status",
            )
        self.controller.status(saved)
        self._apply_memory_settings(old, settings)
        pipeline_parts = (settings.models, settings.pipeline, settings.general)
        if reload or pipeline_parts != (old.models, old.pipeline, old.general):
            self.controller.reload_models()

    def _apply_memory_settings(self, old: Settings, settings: Settings) -> None:
        """The cache on disk or in memory, and the length of the history, as now chosen."""
        if settings.desktop.history_size != old.desktop.history_size:
            self.history = History(self.history.path, limit=settings.desktop.history_size)
            self.controller.history = self.history
        if settings.desktop.description_cache != old.desktop.description_cache:
            self.cache, notices = open_cache(settings)
            self.controller.use_cache(self.cache)
            for notice in notices:
                self.controller.status(notice, speak=True)

    def _replace_speaker(self, settings: Settings) -> None:
        self.controller.speaker.stop()
        self.controller.speaker.close()
        self.route.mode = settings.speech.screen_reader_speech
        speaker, notice = make_output(settings.speech, self.window, self.route)
        self.controller.speaker = speaker
        if notice:
            self.controller.status(notice, speak=True)

    def _log_result(self, result: Result) -> None:
        if self._request_log is None:
            return
        config = config_from_settings(self.settings)
        self._request_log.record(
            source="desktop",
            image=result.image,
            image_sha256=result.sha256,
            ok=result.ok,
            attempts=result.attempts,
            fallback=result.fallback,
            backend=result.backend,
            quality=result.quality.total if result.quality else None,
            timings_ms=dict(result.timings_ms),
            lang=config.lang,
            detail=config.detail.value,
            prompt_version=result.prompt_version,
            error_code=result.error.code if result.error else None,
            caption_model=self.settings.models.caption_model,
            writer_model=ModelChoice.from_settings(self.settings).local_writing_model,
        )


def run_app(argv: Sequence[str] | None = None) -> int:
    """Runs the app until it quits; launch() has set up logging first."""
    app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("Lookaloud")
    app.setApplicationDisplayName("Lookaloud")
    app.setDesktopFileName("lookaloud")
    app.setWindowIcon(app_icon())
    use_language(app, load_settings().settings.general.lang)
    loaded = load_settings()  # again, so what it tells the user is in the user's language
    desktop = DesktopApp(loaded)
    desktop.start()
    ticker = _quit_on_terminate(app)
    try:
        return app.exec()
    finally:
        ticker.stop()
        desktop.shutdown()


def _quit_on_terminate(app: QApplication) -> QTimer:
    """SIGTERM (a logout, a service manager) quits cleanly, so the voice stops with the app.

    Python runs signal handlers only when it gets control, which Qt's event loop does not give
    it; the timer hands it control a few times a second.
    """
    signal.signal(signal.SIGTERM, lambda _number, _frame: app.quit())
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    return ticker

"""What each command does: capture, describe, speak, announce, answer, remember.

The controller joins the window, the model worker, speech and the global hotkeys. It is the
one place that turns errors into what the user meets: a sentence in the status line, said
assertively to the screen reader and spoken by the voice. Cancellation shows nothing but
"Stopped." when the user asked for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog

from lookaloud.core.errors import LookaloudError, user_message
from lookaloud.core.i18n import N_, tr
from lookaloud.core.pipeline.load import image_suffixes
from lookaloud.core.pipeline.result import Result
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.core.session import Answer
from lookaloud.core.settings import Settings
from lookaloud.core.speech.base import Speaker
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.core.storage.history import History
from lookaloud.desktop import capture
from lookaloud.desktop.announce import announce, silence
from lookaloud.desktop.browse import Browser
from lookaloud.desktop.commands import BY_NAME
from lookaloud.desktop.describing import settings_fingerprint
from lookaloud.desktop.focus import FocusedWindow, Rect, focused_window, give_focus_back
from lookaloud.desktop.focused_item import FocusedItemFinder, NoFinder
from lookaloud.desktop.hiding import OwnWindowHider
from lookaloud.desktop.images import clipboard_image, crop_png
from lookaloud.desktop.overlay import RegionOverlay
from lookaloud.desktop.speech import announces
from lookaloud.desktop.window import MainWindow
from lookaloud.desktop.worker import ModelProblem, Worker

log = logging.getLogger(__name__)

PipelineFactory = Callable[[Settings], Pipeline]

PHASE_WORDS = {  # English; translated where they are shown
    "loading_image": N_("Loading the image.", "status"),
    "loading_models": N_("Loading the models.", "status"),
    "captioning": N_("Looking at the picture.", "status"),
    "reading_text": N_("Reading the text.", "status"),
    "describing": N_("Writing the description.", "status"),
    "checking": N_("Checking the description.", "status"),
}
# A window shortcut and the global hotkey for the same key press arrive this close together.
SAME_PRESS_S = 0.3
# While browsing, a picture the cache cannot answer waits this long for the models, so holding
# an arrow key down starts no model work for the pictures passed on the way.
BROWSE_SETTLE_MS = 250


class Controller(QObject):
    """Carries out the window's, the tray's and the hotkeys' commands."""

    models_missing = Signal(object)  # list[ModelProblem]
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        pipeline_factory: PipelineFactory,
        speaker: Speaker | None = None,
        parent: QObject | None = None,
        *,
        history: History | None = None,
        cache: DescriptionCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        focus_finder: FocusedItemFinder | None = None,
    ) -> None:
        super().__init__(parent)
        self.focus_finder: FocusedItemFinder = focus_finder or NoFinder()
        self._clock = clock  # when key presses came, to drop the same press seen twice
        self.window = window
        self.settings = settings
        self._factory = pipeline_factory
        self.speaker: Speaker = speaker or SilentSpeaker()
        self.history = history
        self.worker = Worker(
            lambda: pipeline_factory(self.settings),
            self,
            cache=cache,
            fingerprint=settings_fingerprint(settings),
        )
        self.browser = Browser(
            window.browse, self.worker, cache, lambda: self.settings.desktop.prefetch, self
        )
        self.hider = OwnWindowHider(self)
        self.hider.include_own_windows = settings.desktop.include_own_window
        self.last_text = ""
        self.overlay: RegionOverlay | None = None
        self._phases_told: set[str] = set()
        self._sentence_said = False  # of the description under way
        self._fresh = True  # the next sentence starts a new text in the view
        self._started_at = 0.0
        self._last_command = ("", "", 0.0)
        self._quiet = False  # browsing: "done" is shown, not announced after every move
        self._connect()
        self._restore_history()

    def _connect(self) -> None:
        self.window.command.connect(self.run_command)
        self.window.question_asked.connect(self.ask)
        self.window.history.reread.connect(self.reread)
        self.window.history.copy_requested.connect(self._copy)
        worker = self.worker
        worker.phase.connect(self._on_phase)
        worker.sentence.connect(self._on_sentence)
        worker.retried.connect(self._on_retry)
        worker.described.connect(self._on_described)
        worker.answered.connect(self._on_answered)
        worker.failed.connect(self.show_error)
        worker.warmed.connect(self._on_warmed)
        self.browser.describe_requested.connect(self.browse_to)
        self.browser.told.connect(self.status)

    # ------------------------------------------------------------ commands

    def run_command(self, name: str) -> None:
        """A command from the window, its menus or the tray."""
        if not self._duplicate(name, "window"):
            self._run(name)

    def hotkey(self, name: str) -> None:
        """A global hotkey. While Lookaloud's window has the focus, the window's own shortcut
        sees the same key press; whichever comes second within a moment is dropped."""
        if not self._duplicate(name, "hotkey"):
            self._run(name)

    def _duplicate(self, name: str, via: str) -> bool:
        now = self._clock()
        last_name, last_via, last_time = self._last_command
        self._last_command = (name, via, now)
        return name == last_name and via != last_via and now - last_time < SAME_PRESS_S

    def _run(self, name: str) -> None:
        command = BY_NAME.get(name)
        if command is None or not command.handler:
            return
        handler: Callable[[], None] = getattr(self, command.handler)
        try:
            handler()
        # A command's failure must reach the user as a sentence and leave the app ready, not
        # end in a traceback on stderr with the status stuck at "Describing…".
        except Exception as exc:
            log.exception("the command %s failed", name)
            self.show_error(user_message(exc))

    def copy_description(self) -> None:
        self._copy(self.last_text)

    def open_settings(self) -> None:
        self.settings_requested.emit()

    def request_quit(self) -> None:
        self.quit_requested.emit()

    def start(self) -> None:
        self.status(tr("Loading the models in the background; commands work already.", "status"))
        self.worker.warm()

    def reload_models(self) -> None:
        """Builds the pipeline again from the current settings and warms it."""
        self.worker.replace_pipeline(
            lambda: self._factory(self.settings), settings_fingerprint(self.settings)
        )
        self.browser.settings_changed()
        self.start()

    def use_cache(self, cache: DescriptionCache) -> None:
        self.worker.use_cache(cache)
        self.browser.cache = cache
        self.browser.settings_changed()

    def shutdown(self) -> None:
        self.speaker.stop()
        self.worker.shutdown()
        self.speaker.close()

    def describe_screen(self) -> None:
        self._begin(tr("Describing the screen.", "status"))
        self.hider.run_hidden(
            lambda cover: self._describe_capture(lambda: capture.grab_screen(cover)),
            self._screen_area(),
        )

    def describe_window(self) -> None:
        self._begin(tr("Describing the active window.", "status"))
        self._capture_active_window()

    def _capture_active_window(self) -> None:
        window = focused_window()
        other = window is not None and not self._is_own_window(window)
        area = self._window_area(window) if other and window is not None else None
        self.hider.run_hidden(
            lambda cover: self._describe_capture(lambda: self._grab_window(window, cover)), area
        )

    def describe_focused(self) -> None:
        """The item the screen reader is on, exactly its bounds; else the active window."""
        item = self.focus_finder.current()
        if item is None:
            self._begin(
                tr(
                    "The focused item has no place on the screen that Lookaloud can find, so "
                    "the active window is described.",
                    "status",
                )
            )
            self._capture_active_window()
            return
        rect = item.rect
        self._begin(
            tr(
                "Describing the focused item, {width} by {height} pixels.",
                "status",
                width=rect.width,
                height=rect.height,
            )
        )
        if item.own:  # one of Lookaloud's own controls: it is the picture, nothing to hide
            self._describe_capture(lambda: capture.grab(rect, "focused item"))
            return
        self.hider.run_hidden(
            lambda cover: self._describe_capture(lambda: capture.grab(rect, "focused item", cover)),
            rect,
        )

    def describe_region(self) -> None:
        self._begin(tr("Opening the region chooser.", "status"))
        before = focused_window()
        self.hider.run_hidden(lambda cover: self._capture_for_overlay(before, cover))

    def describe_clipboard(self) -> None:
        self._begin(tr("Describing the clipboard image.", "status"))
        try:
            source, name = clipboard_image(QGuiApplication.clipboard().mimeData())
        except LookaloudError as exc:
            self.show_error(exc.message)
            return
        self._describe(source, name, from_screen=False)

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            tr("Open an image to describe", "file dialog title"),
            "",
            tr(
                "Images ({patterns});;All files (*)",
                "file dialog filter",
                patterns=" ".join("*" + suffix for suffix in image_suffixes()),
            ),
        )
        if path:
            self.describe_file(Path(path))

    def describe_file(self, path: Path) -> None:
        self._begin(tr("Describing {name}.", "status: a file name", name=path.name))
        self._describe(path, path.name, from_screen=False)

    def stop(self) -> None:
        """Stops speech at once and the description being written, if any."""
        self.speaker.stop()
        silence()  # statuses said through the screen reader's speech server, too
        stopped = self.worker.cancel()
        self.browser.pause()
        self._close_overlay()
        self.status(tr("Stopped.", "status") if stopped else tr("Speech stopped.", "status"))

    def repeat_last(self) -> None:
        if not self.last_text:
            self.status(tr("Nothing has been described yet.", "status"), speak=True)
            return
        self.speaker.stop()
        self._speak_text(self.last_text)

    def reread(self, text: str) -> None:
        self.window.show_description(text)
        self.last_text = text
        self.speaker.stop()
        self._speak_text(text)

    def ask(self, question: str) -> None:
        if not question.strip():
            self.show_error(tr("Type a question first, then press Enter.", "error"))
            return
        if self.worker.busy:
            self.speaker.stop()
        self._fresh = True
        self.status(tr("Asking: {question}", "status", question=question.strip()))
        self.worker.ask(question.strip())

    # ------------------------------------------------------------ browsing

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a folder of pictures")
        if folder:
            self.browse_folder(Path(folder))

    def browse_folder(self, folder: Path) -> None:
        """Lists the folder's pictures and describes the first; the arrow keys go on."""
        self._begin(tr("Opening {name}.", "status: a folder name", name=folder.name))
        count = self.browser.open_folder(folder)
        if not count:
            self.show_error(
                tr(
                    "There are no pictures in {folder}; choose a folder with PNG, JPEG, WebP, "
                    "BMP, TIFF or GIF files.",
                    "error",
                    folder=folder,
                )
            )
            return
        pictures = tr("1 picture") if count == 1 else tr("{count} pictures", count=count)
        self.status(
            tr(
                "{pictures} in {name}; the arrow keys move.",
                "status: how many pictures a folder has",
                pictures=pictures,
                name=folder.name,
            ),
            speak=True,
        )

    def find_pictures(self) -> None:
        self.browser.find_described()
        self.status(tr("Type words from a description or from text in a picture.", "status"))

    def browse_to(self, path: Path, fresh: bool) -> None:
        """A picture of the browse list became current, or Enter asked for it again."""
        self.speaker.stop()
        self._fresh, self._quiet = True, not fresh
        self._phases_told, self._sentence_said = set(), False
        self._started_at = time.monotonic()
        settle = 0 if fresh else BROWSE_SETTLE_MS
        self.worker.describe(path, str(path), fresh=fresh, settle_ms=settle)
        if fresh:
            self.status(
                tr("Describing {name} again with the current settings.", "status", name=path.name)
            )

    # ------------------------------------------------------------ capturing

    def _begin(self, what: str) -> None:
        """A new command replaces whatever was being said or described."""
        self.speaker.stop()
        self.worker.cancel()
        self.browser.pause()
        self._quiet = False
        self._close_overlay()
        self._fresh = True
        self._started_at = time.monotonic()
        self.status(what)

    def _describe_capture(self, grab: Callable[[], capture.Capture]) -> None:
        try:
            shot = grab()
        except LookaloudError as exc:
            self.show_error(exc.message)
            return
        self._describe(shot.png, shot.name, from_screen=True)

    def _grab_window(self, window: FocusedWindow | None, cover: Sequence[Rect]) -> capture.Capture:
        if window is None or self._is_own_window(window):
            self.status(tr("No other window has the focus, so the screen is described.", "status"))
            return capture.grab_screen(cover)
        return capture.grab_window(window.rect, cover)

    def _screen_area(self) -> Rect | None:
        """Where a screen capture will look; None (anywhere) when that cannot be known yet."""
        try:
            return capture.current_screen()
        except LookaloudError:
            return None  # the capture itself says what went wrong

    def _window_area(self, window: FocusedWindow) -> Rect | None:
        try:
            return capture.window_area(window.rect)
        except LookaloudError:
            return None

    def _is_own_window(self, window: FocusedWindow) -> bool:
        return any(int(w.winId()) == window.handle for w in QApplication.topLevelWidgets())

    def _capture_for_overlay(self, before: FocusedWindow | None, cover: Sequence[Rect]) -> None:
        try:
            screen = capture.current_screen()
            shot = capture.grab(screen, "region", cover)
        except LookaloudError as exc:
            self.show_error(exc.message)
            return
        picture = QPixmap()
        picture.loadFromData(shot.png, "PNG")
        # After the hidden windows are back, so the overlay is in front and keeps the focus.
        QTimer.singleShot(0, lambda: self._open_overlay(picture, screen, before))

    def _open_overlay(self, picture: QPixmap, screen: Rect, before: FocusedWindow | None) -> None:
        overlay = RegionOverlay(picture)
        overlay.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        overlay.accepted.connect(lambda region: self._region_chosen(picture, region, before))
        overlay.cancelled.connect(lambda: self._region_cancelled(before))
        self.overlay = overlay
        overlay.open_on(QRect(screen.left, screen.top, screen.width, screen.height))

    def _region_chosen(self, picture: QPixmap, region: QRect, before: FocusedWindow | None) -> None:
        self.overlay = None
        give_focus_back(before)
        self.status(
            tr(
                "Describing the region of {width} by {height} pixels.",
                "status",
                width=region.width(),
                height=region.height(),
            )
        )
        self._describe(crop_png(picture, region), "region", from_screen=True)

    def _region_cancelled(self, before: FocusedWindow | None) -> None:
        self.overlay = None
        give_focus_back(before)
        self.status(tr("Region choice cancelled.", "status"))

    def _close_overlay(self) -> None:
        overlay, self.overlay = self.overlay, None
        if overlay is not None:
            overlay.close()

    def _describe(self, source: Path | bytes, name: str, *, from_screen: bool) -> None:
        self._phases_told, self._sentence_said = set(), False
        self.worker.describe(source, name, from_screen=from_screen)

    # ------------------------------------------------------------ reports from the worker

    def _on_phase(self, phase: str) -> None:
        words = PHASE_WORDS.get(phase)
        if words and phase not in self._phases_told:  # each status once per description
            self._phases_told.add(phase)
            if self._sentence_said:
                # The first sentence (from the facts) comes before captioning ends: later steps
                # are shown, not announced over the description being read.
                self.window.set_status(tr(words))
            else:
                self.status(tr(words))

    def _on_sentence(self, sentence: str) -> None:
        self._sentence_said = True
        if self._fresh:
            self._fresh = False
            self.window.clear_description()
            log.info("first sentence after %.2f s", time.monotonic() - self._started_at)
        self.window.add_sentence(sentence)
        self.speaker.say(sentence)

    def _on_retry(self, reason: str) -> None:
        self.status(
            tr("A description was turned down ({reason}); trying again.", "status", reason=reason)
        )

    def _on_described(self, result: Result) -> None:
        if result.error is not None:
            self.show_error(result.error.message)
            return
        self.last_text = result.description
        self.window.show_description(result.description)
        if not self._quiet:  # pictures passed while browsing stay in the list, not history
            self._remember_result(result)
        if self._quiet:
            self.window.set_status(self._done_words(result))  # the sentences were said
        else:
            self.status(self._done_words(result))

    def _done_words(self, result: Result) -> str:
        words = tr("Done; ask a follow-up question with Ctrl+L.", "status")
        if result.fallback:
            words = tr(
                "Done; the model's text did not pass the checks, so the facts were read.", "status"
            )
        notices = " ".join(result.notices[:1])
        return f"{words} {notices}".strip()

    def _on_answered(self, answer: Answer | None) -> None:
        if answer is None:
            self.show_error(tr("Describe an image first; then ask questions about it.", "error"))
            return
        self.last_text = answer.text
        self.window.show_description(answer.text)
        self._remember(tr("Q: {question}", "history item", question=answer.question), answer.text)
        self.window.question.clear()
        self.status(tr("Answered.", "status"))

    def _on_warmed(self, problems: list[ModelProblem]) -> None:
        if not problems:
            self.status(tr("Lookaloud is ready.", "status"), speak=True)
            return
        self.status(problems[0].message)
        self.models_missing.emit(problems)

    # ------------------------------------------------------------ telling the user

    def status(self, text: str, *, speak: bool = False) -> None:
        """Shows ``text`` in the status line and announces it; ``speak`` also says it aloud."""
        self._tell(text, assertive=False, speak=speak)

    def show_error(self, message: str) -> None:
        """The one place errors reach the user: shown, announced assertively and spoken."""
        self._tell(message, assertive=True, speak=True)

    def _tell(self, text: str, *, assertive: bool, speak: bool) -> None:
        self.window.set_status(text)
        if speak:
            self.speaker.say(text)
        if not (speak and announces(self.speaker)):  # said once to the screen reader, not twice
            announce(self.window, text, assertive=assertive)

    def _speak_text(self, text: str) -> None:
        for sentence in split_sentences(text):
            self.speaker.say(sentence)

    def _remember(self, label: str, text: str) -> None:
        stamp = time.strftime("%H:%M")
        self.window.add_history(f"{stamp} {label}", text, self.settings.desktop.history_size)

    def _remember_result(self, result: Result) -> None:
        self._remember(_history_label(result), result.description)
        if self.history is None:
            return
        try:
            self.history.add(result)
        except OSError as exc:
            log.warning("the history could not be saved: %s", exc)

    def _restore_history(self) -> None:
        """The history kept from earlier runs, newest at the top (its times are not kept)."""
        if self.history is None:
            return
        limit = self.settings.desktop.history_size
        for result in reversed(self.history.recent()[:limit]):
            self.window.add_history(_history_label(result), result.description, limit)

    def _copy(self, text: str) -> None:
        if not text:
            self.status(tr("Nothing to copy yet.", "status"))
            return
        QGuiApplication.clipboard().setText(text)
        self.status(tr("Copied.", "status"))


def _history_label(result: Result) -> str:
    return f"{Path(result.image).name}: {result.summary or result.description}"

"""The one thread that owns the models, and the GUI-side handle that gives it work.

Every model call (warming up, describing, answering a follow-up question) runs on one QThread,
so a model is never loaded twice and never used by two tasks at once. Tasks wait in a priority
queue: what the user asked for comes before prefetching (the next pictures of a folder,
described in advance), and a user's task that needs the models stops a running prefetch and
puts it back in the queue, so the user never waits for work they did not ask for. A picture
file is first looked up in the description cache on a thread of its own (see lookup.py), so a
picture seen before is answered at once whatever the models are doing.

The GUI talks to both threads only through queued signals: :class:`Worker` numbers each task,
and forwards the reports only for the task that is current, so a result that arrives after the
user moved on (a stale one) is dropped. Starting a task cancels the one before; tasks
cancelled while waiting in the queue are skipped without running.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from lookaloud.core.cancel import CancelToken
from lookaloud.core.describer import Describer
from lookaloud.core.errors import Cancelled, ModelError, PerceptionError, user_message
from lookaloud.core.perception.base import WarmsUp
from lookaloud.core.pipeline.result import Event, PhaseEvent, Result, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import ModelSlot
from lookaloud.core.session import Answer, Session
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.desktop.lookup import CacheReader, Known
from lookaloud.desktop.tasks import (
    PREFETCH,
    PipelineFactory,
    Setup,
    SetupBox,
    Task,
    TaskQueue,
)

log = logging.getLogger(__name__)

_STOP_WAIT_MS = 10_000


@dataclass(frozen=True)
class ModelProblem:
    """A model that could not be loaded while warming up; ``role`` names its setting."""

    role: Literal["caption_model", "writer_model", "vlm_model", "ocr"]
    message: str


class _ModelWorker(QObject):
    """Lives on the model thread; runs one task at a time and reports through signals."""

    phase = Signal(int, str)
    sentence = Signal(int, str)
    retried = Signal(int, str)
    described = Signal(int, object)
    answered = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    warmed = Signal(int, object)

    def __init__(self, setups: SetupBox, queue: TaskQueue) -> None:
        super().__init__()
        self._setups = setups
        self._queue = queue
        self._pipeline: Pipeline | None = None
        self._generation = -1
        self._session: Session | None = None

    @Slot()
    def run_next(self) -> None:
        """Runs the most urgent waiting task (one wake-up is sent per task put in the queue)."""
        task = self._queue.take()
        if task is not None:
            self.run(task)

    @Slot(object, object)
    def remember(self, result: Result, source: Path | None = None) -> None:
        """Follow-up questions are about the picture the user was told about last (``source``
        is its file, if it came from one)."""
        lang = self.pipeline().config.lang
        self._session = Session.from_result(result, lang, source=source)

    def run(self, task: Task) -> None:
        if task.cancel.cancelled:
            self.cancelled.emit(task.id)
            return
        try:
            self._run(task)
        except Cancelled:
            self.cancelled.emit(task.id)
        # The boundary of the worker thread: an unexpected error must reach the user as a
        # sentence (spoken and shown), never kill the thread or vanish into a console.
        except Exception as exc:
            log.exception("task %s (%s) failed", task.id, task.kind)
            self.failed.emit(task.id, user_message(exc))

    def _run(self, task: Task) -> None:
        if task.kind == "warm":
            self.warmed.emit(task.id, self._warm())
            self._prepare_reader()
        elif task.kind == "describe":
            self.described.emit(task.id, self._describe(task))
        else:
            self.answered.emit(task.id, self._ask(task))

    def pipeline(self) -> Pipeline:
        """The pipeline of the current settings, built on first use after they changed."""
        setup = self._setups.get()
        if self._pipeline is None or self._generation != setup.generation:
            self._pipeline, self._session = setup.factory(), None
            self._generation = setup.generation
        return self._pipeline

    def _warm(self) -> list[ModelProblem]:
        models = self.pipeline().models
        problems = [
            ModelProblem("caption_model", _load(models.captioner)),
            ModelProblem("ocr", _load(models.reader)),
            ModelProblem(_writer_setting(models.backend), _load(models.writer)),
        ]
        if not problems[-1].message:
            self._hold_system_turn()
        return [problem for problem in problems if problem.message]

    def _prepare_reader(self) -> None:
        """Readies the text reader for its first picture once the app has said it is ready.

        With OpenVINO this creates the OCR engine and has it prepare the recognizer's input
        widths (about 2 s of both cores on the Xeon), which the first picture would otherwise
        pay: a capture asked for meanwhile waits for it, and is then read almost as fast as
        later ones (a 10 px dialog in 0.6 s instead of about 2 s).
        A reader that cannot start is left for that picture to report, in words."""
        slot = self.pipeline().models.reader
        try:
            reader = None if slot is None else slot.get()
            if isinstance(reader, WarmsUp):
                reader.warm_up()
        except (ModelError, PerceptionError):
            log.warning("the text reader could not be prepared ahead", exc_info=True)

    def _hold_system_turn(self) -> None:
        try:
            self.pipeline().hold_system_turn()
        except (ModelError, RuntimeError):  # only time is lost: the first picture reads it
            log.warning("the writer could not read its system turn ahead", exc_info=True)

    def _describe(self, task: Task) -> Result:
        assert task.source is not None  # Worker.describe always gives the image
        forward = self._forward(task.id)
        if isinstance(task.source, Path):
            setup = self._setups.get()
            describer = Describer(self.pipeline(), setup.cache, setup.fingerprint)
            result = describer.describe(
                task.source, cancel=task.cancel, on_event=forward, fresh=task.fresh
            )
            return replace(result, image=task.name or result.image)
        # Screenshots are not cached: rarely the same twice, and full of private text.
        return self.pipeline().run(
            task.source,
            name=task.name,
            cancel=task.cancel,
            on_event=forward,
            from_screen=task.from_screen,
        )

    def _ask(self, task: Task) -> Answer | None:
        if self._session is None:
            return None
        slot = self.pipeline().models.writer
        writer = None
        try:
            writer = slot.get() if slot is not None else None
        except ModelError:
            writer = None  # the session answers from the facts and says so
        return self._session.ask(
            task.question, writer, cancel=task.cancel, on_event=self._forward(task.id)
        )

    def _forward(self, task_id: int) -> Callable[[Event], None]:
        def forward(event: Event) -> None:
            if isinstance(event, SentenceEvent):
                self.sentence.emit(task_id, event.text)
            elif isinstance(event, PhaseEvent):
                self.phase.emit(task_id, event.phase.value)
            elif isinstance(event, RetryEvent):
                self.retried.emit(task_id, event.reason)

        return forward


def _writer_setting(backend: str) -> Literal["writer_model", "vlm_model"]:
    """The setting that names the writer's model: the local vision model has its own."""
    return "vlm_model" if backend == "local-vlm" else "writer_model"


def _load(slot: ModelSlot[Any] | None) -> str:
    """Loads the slot's model now; the reason it cannot be loaded, or "" when it is ready."""
    try:
        if slot is not None:
            slot.get()
    except ModelError as exc:
        return exc.message
    return ""


@dataclass
class _Prefetch:
    """A picture being described in advance, and the sentences it has reported so far."""

    task: Task
    sentences: list[str] = field(default_factory=list)


class Worker(QObject):
    """The GUI thread's handle on the model and cache threads; re-emits reports for the
    current task only, and prefetch results on ``prefetched``."""

    phase = Signal(str)
    sentence = Signal(str)
    retried = Signal(str)
    described = Signal(object)
    answered = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    warmed = Signal(object)
    prefetched = Signal(object, object)  # the picture's Path, its Result
    scanned = Signal(object)  # list[Known] from the latest scan

    _wake = Signal()
    _look_up = Signal(object)
    _scan = Signal(int, object)
    _remember = Signal(object, object)  # the result, and its file or None

    def __init__(
        self,
        factory: PipelineFactory,
        parent: QObject | None = None,
        *,
        cache: DescriptionCache | None = None,
        fingerprint: str = "",
    ) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._scans = itertools.count(1)
        self._scan_number = 0
        self._current: Task | None = None
        self._prefetching: dict[Path, _Prefetch] = {}
        self.queue = TaskQueue()
        self._setups = SetupBox(Setup(factory, cache, fingerprint))
        self._worker = _ModelWorker(self._setups, self.queue)
        self._reader = CacheReader(self._setups)
        self._thread = _thread_for(self._worker, "lookaloud-models")
        self._cache_thread = _thread_for(self._reader, "lookaloud-cache")
        self._connect()
        self._thread.start()
        self._cache_thread.start()

    def _connect(self) -> None:
        self._wake.connect(self._worker.run_next)
        self._remember.connect(self._worker.remember)
        self._look_up.connect(self._reader.look_up)
        self._scan.connect(self._reader.scan)
        # Bound methods of this GUI-thread object, so Qt queues every report onto the GUI thread.
        for source in (self._worker, self._reader):
            source.sentence.connect(self._on_sentence)
            source.described.connect(self._on_described)
        worker = self._worker
        worker.phase.connect(self._on_phase)
        worker.retried.connect(self._on_retried)
        worker.answered.connect(self._on_answered)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.warmed.connect(self._on_warmed)
        self._reader.missed.connect(self._on_missed)
        self._reader.scanned.connect(self._on_scanned)

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def prefetching(self) -> list[Path]:
        """The pictures being described in advance, waiting or running."""
        return list(self._prefetching)

    # ------------------------------------------------------------ giving work

    def warm(self) -> None:
        """Loads every model in the background; ``warmed`` reports what is missing."""
        self._put(Task(next(self._ids), "warm"))

    def describe(
        self,
        image: Path | bytes,
        name: str,
        *,
        from_screen: bool = False,
        fresh: bool = False,
        settle_ms: int = 0,
    ) -> int:
        """Describes ``image`` for the user: from the cache at once if it is there (unless
        ``fresh``), else with the models, first in line."""
        task = Task(
            next(self._ids),
            "describe",
            source=image,
            name=name,
            from_screen=from_screen,
            fresh=fresh,
            settle_ms=settle_ms,
        )
        self.cancel()
        self._current = task
        adopted = self._take_over_prefetch(image, fresh) if isinstance(image, Path) else None
        if adopted is not None:
            return adopted.id
        if isinstance(image, Path) and not fresh and self._setups.get().cache is not None:
            self._look_up.emit(task)
        else:
            self._run_for_user(task)
        return task.id

    def ask(self, question: str) -> int:
        task = Task(next(self._ids), "ask", question=question)
        self.cancel()
        self._current = task
        self._run_for_user(task)
        return task.id

    def prefetch(self, images: Sequence[Path]) -> None:
        """Describes ``images`` in the background, after anything the user asks for; the
        prefetching of any other picture stops."""
        self.retain_prefetch(images)
        current = self._current.source if self._current else None
        for image in images:
            if image not in self._prefetching and image != current:
                task = Task(
                    next(self._ids), "describe", source=image, name=str(image), priority=PREFETCH
                )
                self._prefetching[image] = _Prefetch(task)
                self._put(task)

    def retain_prefetch(self, images: Sequence[Path]) -> None:
        """Stops prefetching every picture not in ``images``: waiting ones never run, a
        running one is cancelled."""
        for image in [image for image in self._prefetching if image not in images]:
            self._stop_prefetch(self._prefetching.pop(image))

    def scan(self, images: Sequence[Path]) -> None:
        """Finds what the cache knows of ``images``, in the background; see ``scanned``."""
        self._scan_number = next(self._scans)
        self._scan.emit(self._scan_number, list(images))

    def cancel(self) -> bool:
        """Cancels the current task; its later reports are dropped. True if there was one."""
        task, self._current = self._current, None
        if task is not None:
            task.cancel.cancel()
        return task is not None

    def replace_pipeline(self, factory: PipelineFactory, fingerprint: str | None = None) -> None:
        """New settings or models: the next task builds its pipeline again."""
        self.cancel()
        self.retain_prefetch([])
        old = self._setups.get()
        print_ = old.fingerprint if fingerprint is None else fingerprint
        self._setups.set(Setup(factory, old.cache, print_, old.generation + 1))

    def use_cache(self, cache: DescriptionCache | None) -> None:
        self._setups.set(replace(self._setups.get(), cache=cache))

    def shutdown(self) -> None:
        self.cancel()
        self.retain_prefetch([])
        for thread in (self._thread, self._cache_thread):
            thread.quit()
            if not thread.wait(_STOP_WAIT_MS):
                log.warning("the %s thread did not stop in time", thread.objectName())

    def _put(self, task: Task) -> None:
        self.queue.put(task)
        self._wake.emit()

    def _run_for_user(self, task: Task) -> None:
        """Puts ``task`` ahead of all prefetching; a prefetch already running is stopped and
        waits again, so the models start on the user's task next."""
        for image, entry in list(self._prefetching.items()):
            if not self.queue.holds(entry.task):
                entry.task.cancel.cancel()
                again = replace(
                    entry.task,
                    id=next(self._ids),
                    cancel=CancelToken(),
                    place=entry.task.place or entry.task.id,
                )
                self._prefetching[image] = _Prefetch(again)
                self._put(again)
        self._put(task)

    def _take_over_prefetch(self, image: Path, fresh: bool) -> Task | None:
        """A prefetch of ``image`` that is running becomes the user's task, returned (its
        sentences so far are said at once); a waiting one gives way to the user's own task."""
        entry = self._prefetching.pop(image, None)
        if entry is None:
            return None
        if fresh or self.queue.discard(entry.task) or entry.task.cancel.cancelled:
            self._stop_prefetch(entry)
            return None
        self._current = entry.task
        for sentence in entry.sentences:
            self.sentence.emit(sentence)
        return entry.task

    def _stop_prefetch(self, entry: _Prefetch) -> None:
        self.queue.discard(entry.task)
        entry.task.cancel.cancel()

    # ------------------------------------------------------------ reports

    def _is_current(self, task_id: int) -> bool:
        return self._current is not None and self._current.id == task_id

    def _finish(self, task_id: int) -> bool:
        """Whether ``task_id`` is current; it stops being current, as it has ended."""
        if not self._is_current(task_id):
            return False
        self._current = None
        return True

    def _prefetch_of(self, task_id: int) -> _Prefetch | None:
        return next((e for e in self._prefetching.values() if e.task.id == task_id), None)

    def _end_prefetch(self, task_id: int) -> Path | None:
        entry = self._prefetch_of(task_id)
        if entry is None:
            return None
        assert isinstance(entry.task.source, Path)
        del self._prefetching[entry.task.source]
        return entry.task.source

    @Slot(int)
    def _on_missed(self, task_id: int) -> None:
        task = self._current
        if task is None or task.id != task_id:
            return
        if task.settle_ms:
            QTimer.singleShot(task.settle_ms, self, lambda: self._settled(task))
        else:
            self._run_for_user(task)

    def _settled(self, task: Task) -> None:
        if self._current is task:
            self._run_for_user(task)

    @Slot(int, str)
    def _on_phase(self, task_id: int, phase: str) -> None:
        if self._is_current(task_id):
            self.phase.emit(phase)

    @Slot(int, str)
    def _on_sentence(self, task_id: int, text: str) -> None:
        if self._is_current(task_id):
            self.sentence.emit(text)
        elif (entry := self._prefetch_of(task_id)) is not None:
            entry.sentences.append(text)

    @Slot(int, str)
    def _on_retried(self, task_id: int, reason: str) -> None:
        if self._is_current(task_id):
            self.retried.emit(reason)

    @Slot(int, object)
    def _on_described(self, task_id: int, result: Result) -> None:
        source = self._current.source if self._current is not None else None
        if self._finish(task_id):
            self._remember.emit(result, source if isinstance(source, Path) else None)
            self.described.emit(result)
        elif (image := self._end_prefetch(task_id)) is not None:
            self.prefetched.emit(image, result)

    @Slot(int, object)
    def _on_answered(self, task_id: int, answer: Answer | None) -> None:
        if self._finish(task_id):
            self.answered.emit(answer)

    @Slot(int, str)
    def _on_failed(self, task_id: int, message: str) -> None:
        if self._finish(task_id):
            self.failed.emit(message)
        elif self._end_prefetch(task_id) is not None:
            log.info("a picture described in advance failed: %s", message)

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        if self._finish(task_id):
            self.cancelled.emit()
        else:
            self._end_prefetch(task_id)

    @Slot(int, object)
    def _on_warmed(self, _task_id: int, problems: list[ModelProblem]) -> None:
        self.warmed.emit(problems)

    @Slot(int, object)
    def _on_scanned(self, number: int, known: list[Known]) -> None:
        if number == self._scan_number:
            self.scanned.emit(known)


def _thread_for(worker: QObject, name: str) -> QThread:
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    return thread

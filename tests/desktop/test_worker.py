"""The model worker: one thread, results by signals only, cancellable tasks, stale ones dropped."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from helpers.desktop import ANSWER, DESCRIPTION, SENTENCES, GatedWriter, pipeline_with
from helpers.render import render_dialog
from helpers.scripted import ScriptedWriter
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.errors import PerceptionError
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import TextLine
from lookaloud.core.pipeline.result import Result
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import ModelSlot
from lookaloud.core.session import Answer
from lookaloud.desktop.worker import ModelProblem, Worker


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return render_dialog(tmp_path / "dialog.png")


@pytest.fixture
def make_worker(qtbot: QtBot):  # type: ignore[no-untyped-def]
    made: list[Worker] = []

    def make(factory) -> Worker:  # type: ignore[no-untyped-def]
        worker = Worker(factory)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.shutdown()


def test_a_description_arrives_by_signals_on_the_gui_thread(
    qtbot: QtBot, make_worker, image: Path
) -> None:
    factory_threads: list[int] = []

    def factory() -> Pipeline:
        factory_threads.append(threading.get_ident())
        return pipeline_with(ScriptedWriter([DESCRIPTION]))

    worker = make_worker(factory)
    sentences: list[str] = []
    receiving_threads: list[QThread] = []

    def on_sentence(text: str) -> None:
        sentences.append(text)
        receiving_threads.append(QThread.currentThread())

    worker.sentence.connect(on_sentence)
    with qtbot.waitSignal(worker.described, timeout=10_000) as described:
        worker.describe(image, "dialog.png")
    result = described.args[0]
    assert isinstance(result, Result) and result.ok and result.description == DESCRIPTION
    assert sentences == SENTENCES
    assert all(thread is QThread.currentThread() for thread in receiving_threads)
    assert factory_threads and factory_threads[0] != threading.get_ident()
    assert not worker.busy


def test_models_are_built_once_for_many_tasks(qtbot: QtBot, make_worker, image: Path) -> None:
    built: list[Pipeline] = []

    def factory() -> Pipeline:
        built.append(pipeline_with(ScriptedWriter([DESCRIPTION])))
        return built[-1]

    worker = make_worker(factory)
    for _ in range(3):
        with qtbot.waitSignal(worker.described, timeout=10_000):
            worker.describe(image, "dialog.png")
    assert len(built) == 1


def test_a_new_task_cancels_the_old_one_and_its_result_is_dropped(
    qtbot: QtBot, make_worker, image: Path
) -> None:
    gated = GatedWriter()
    writers = iter([gated, ScriptedWriter([DESCRIPTION])])
    worker = make_worker(lambda: pipeline_with(_Switching(writers)))
    results: list[Result] = []
    worker.described.connect(results.append)
    worker.describe(image, "first")
    assert gated.started.wait(10)
    with qtbot.waitSignal(worker.described, timeout=10_000):
        worker.describe(image, "second")
        gated.release.set()  # the first task may now finish, but it was cancelled
    qtbot.wait(100)
    assert [r.image for r in results] == ["second"]


def test_cancel_stops_the_task_and_reports_nothing_more(
    qtbot: QtBot, make_worker, image: Path
) -> None:
    gated = GatedWriter()
    worker = make_worker(lambda: pipeline_with(gated))
    reports: list[object] = []
    worker.described.connect(reports.append)
    worker.sentence.connect(reports.append)
    worker.describe(image, "dialog.png")
    assert gated.started.wait(10)
    assert worker.cancel() is True
    gated.release.set()
    qtbot.wait(300)
    assert reports == [] and not worker.busy
    assert worker.cancel() is False


def test_tasks_cancelled_while_queued_never_run(qtbot: QtBot, make_worker, image: Path) -> None:
    gated = GatedWriter()
    worker = make_worker(lambda: pipeline_with(gated))
    worker.describe(image, "one")
    assert gated.started.wait(10)
    for name in ("two", "three", "four"):
        worker.describe(image, name)
    with qtbot.waitSignal(worker.described, timeout=10_000) as described:
        gated.release.set()
    assert described.args[0].image == "four"


def test_warming_up_reports_missing_models(qtbot: QtBot, make_worker, tmp_path: Path) -> None:
    missing = ModelChoice(str(tmp_path / "no-blip"), str(tmp_path / "no-qwen"), ocr=False)
    worker = make_worker(lambda: Pipeline(models_for(missing), PipelineConfig()))
    with qtbot.waitSignal(worker.warmed, timeout=10_000) as warmed:
        worker.warm()
    problems = warmed.args[0]
    assert [p.role for p in problems] == ["caption_model", "writer_model"]
    assert all(isinstance(p, ModelProblem) and "does not exist" in p.message for p in problems)


class _ReaderToPrepare:
    """A text reader that can be prepared ahead, as the RapidOCR one is; its preparation lasts
    until ``release`` is set."""

    def __init__(self, failure: PerceptionError | None = None) -> None:
        self.release = threading.Event()
        self.prepared = 0
        self.read_pictures = 0
        self._failure = failure

    def read(self, image: Image.Image) -> list[TextLine]:
        self.read_pictures += 1
        return []

    def warm_up(self) -> None:
        assert self.release.wait(10)
        self.prepared += 1
        if self._failure is not None:
            raise self._failure


@pytest.mark.parametrize("fails", [False, True])
def test_the_text_reader_is_prepared_after_the_app_says_it_is_ready(
    qtbot: QtBot, make_worker, image: Path, fails: bool
) -> None:
    failure = PerceptionError("The text reader could not start; reinstall Lookaloud.")
    reader = _ReaderToPrepare(failure if fails else None)
    base = pipeline_with(ScriptedWriter([DESCRIPTION]))
    models = replace(base.models, reader=ModelSlot(lambda: reader))
    worker = make_worker(lambda: Pipeline(models, base.config))
    with qtbot.waitSignal(worker.warmed, timeout=10_000) as warmed:
        worker.warm()  # ready is reported while the reader is still being prepared
    assert warmed.args[0] == [] and reader.prepared == 0
    reader.release.set()
    qtbot.waitUntil(lambda: reader.prepared == 1, timeout=10_000)
    # Prepared or not (a failure is only logged), the next picture is read as usual.
    with qtbot.waitSignal(worker.described, timeout=10_000):
        worker.describe(image, "after")
    assert reader.read_pictures == 1 and reader.prepared == 1


def test_warming_up_loads_real_models(
    qtbot: QtBot, make_worker, tiny_blip_dir: Path, tiny_qwen_dir: Path
) -> None:
    choice = ModelChoice(str(tiny_blip_dir), str(tiny_qwen_dir), ocr=False)
    models = models_for(choice)
    worker = make_worker(lambda: Pipeline(models, PipelineConfig()))
    with qtbot.waitSignal(worker.warmed, timeout=60_000) as warmed:
        worker.warm()
    assert warmed.args[0] == []
    assert models.captioner is not None and models.captioner._value is not None


def test_follow_up_question_uses_the_last_image(qtbot: QtBot, make_worker, image: Path) -> None:
    writer = ScriptedWriter([DESCRIPTION, ANSWER])
    worker = make_worker(lambda: pipeline_with(writer))
    with qtbot.waitSignal(worker.answered, timeout=10_000) as before:
        worker.ask("Where are the buttons?")
    assert before.args[0] is None  # nothing described yet: nothing to ask about
    with qtbot.waitSignal(worker.described, timeout=10_000):
        worker.describe(image, "dialog.png")
    with qtbot.waitSignal(worker.answered, timeout=10_000) as answered:
        worker.ask("Where are the buttons?")
    answer = answered.args[0]
    assert isinstance(answer, Answer) and answer.text == ANSWER
    assert writer.calls[-1][0][2].content == DESCRIPTION  # the description is in the chat


def test_an_unexpected_error_becomes_one_sentence(qtbot: QtBot, make_worker, image: Path) -> None:
    def broken() -> Pipeline:
        raise RuntimeError("boom")

    worker = make_worker(broken)
    with qtbot.waitSignal(worker.failed, timeout=10_000) as failed:
        worker.describe(image, "dialog.png")
    assert failed.args[0].startswith("Something unexpected went wrong inside Lookaloud")
    assert "log file" in failed.args[0]


class _Switching:
    """A writer that hands each call to the next writer of ``writers``."""

    backend = "switching"
    model_name = "switching"

    def __init__(self, writers) -> None:  # type: ignore[no-untyped-def]
        self._writers = writers

    def stream(self, messages, params, cancel):  # type: ignore[no-untyped-def]
        return next(self._writers).stream(messages, params, cancel)

"""The controller: commands turn into descriptions, speech, announcements and history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from helpers.desktop import (
    ANSWER,
    DESCRIPTION,
    SENTENCES,
    CountingFactory,
    GatedWriter,
    pipeline_with,
)
from helpers.render import render_dialog
from lookaloud.core.settings import Settings
from lookaloud.core.speech.silent import SilentSpeaker
from lookaloud.desktop.controller import SAME_PRESS_S, Controller
from lookaloud.desktop.hotkeys import bindings
from lookaloud.desktop.window import MainWindow


@pytest.fixture
def speaker() -> SilentSpeaker:
    return SilentSpeaker()


@pytest.fixture
def factory() -> CountingFactory:
    return CountingFactory()


@pytest.fixture
def controller(
    qtbot: QtBot, speaker: SilentSpeaker, factory: CountingFactory
) -> Iterator[Controller]:
    settings = Settings()
    window = MainWindow(bindings(settings.hotkeys))
    qtbot.addWidget(window)
    made = Controller(window, settings, factory, speaker)
    yield made
    made.shutdown()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return render_dialog(tmp_path / "dialog.png")


def describe(qtbot: QtBot, controller: Controller, image: Path) -> None:
    with qtbot.waitSignal(controller.worker.described, timeout=10_000):
        controller.describe_file(image)


def test_a_file_is_described_spoken_shown_and_kept(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, image: Path
) -> None:
    describe(qtbot, controller, image)
    assert speaker.said == SENTENCES
    assert controller.window.description.text().splitlines() == SENTENCES
    assert controller.window.history.count() == 1
    assert controller.window.history.item(0).text().endswith(f"dialog.png: {SENTENCES[0]}")
    assert controller.window.status.text().startswith("Done")
    assert controller.last_text == DESCRIPTION


def test_stop_silences_speech_and_cancels_the_description(
    qtbot: QtBot, speaker: SilentSpeaker, image: Path
) -> None:
    gated = GatedWriter()
    window = MainWindow({})
    qtbot.addWidget(window)
    controller = Controller(
        window, Settings(), CountingFactory(lambda: pipeline_with(gated)), speaker
    )
    try:
        controller.describe_file(image)
        assert gated.started.wait(10)
        stops = speaker.stop_count
        controller.run_command("stop_speech")
        assert speaker.stop_count == stops + 1
        assert window.status.text() == "Stopped."
        gated.release.set()
        qtbot.wait(300)
        assert speaker.said == [] and window.history.count() == 0
    finally:
        controller.shutdown()


def test_repeat_says_the_last_description_again(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, image: Path
) -> None:
    controller.repeat_last()
    assert speaker.said == ["Nothing has been described yet."]
    describe(qtbot, controller, image)
    controller.run_command("repeat_last")
    assert speaker.said[-3:] == SENTENCES and speaker.said.count(SENTENCES[0]) == 2


def test_history_reread_shows_and_speaks_an_older_result(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, image: Path
) -> None:
    describe(qtbot, controller, image)
    controller.window.clear_description()
    controller.reread(DESCRIPTION)
    assert controller.window.description.text().splitlines() == SENTENCES
    assert speaker.said[-3:] == SENTENCES


def test_a_follow_up_question_is_answered(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, image: Path
) -> None:
    describe(qtbot, controller, image)
    controller.window.question.setText("Where are the buttons?")
    with qtbot.waitSignal(controller.worker.answered, timeout=10_000):
        controller.window.buttons["ask"].click()
    assert speaker.said[-1] == ANSWER
    assert controller.window.description.text() == ANSWER
    assert controller.window.history.item(0).text().endswith("Q: Where are the buttons?")
    assert controller.window.question.text() == ""


def test_an_empty_question_is_refused_aloud(controller: Controller, speaker: SilentSpeaker) -> None:
    controller.ask("   ")
    assert controller.window.status.text() == "Type a question first, then press Enter."
    assert speaker.said == ["Type a question first, then press Enter."]


def test_errors_are_shown_and_spoken_in_one_place(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, tmp_path: Path
) -> None:
    describe(qtbot, controller, tmp_path / "missing.png")
    message = controller.window.status.text()
    assert "missing.png" in message and message.endswith(".")
    assert speaker.said == [message]


def test_quick_key_presses_leave_only_the_last_description(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, tmp_path: Path
) -> None:
    images = [render_dialog(tmp_path / f"dialog{i}.png") for i in range(5)]
    results = []
    controller.worker.described.connect(results.append)
    with qtbot.waitSignal(controller.worker.described, timeout=10_000):
        for image in images:
            controller.describe_file(image)
    qtbot.wait(200)
    assert [r.image for r in results] == ["dialog4.png"]
    assert controller.window.history.count() == 1
    assert controller.window.status.text().startswith("Done")


def test_clipboard_without_an_image_says_what_to_do(
    controller: Controller, speaker: SilentSpeaker
) -> None:
    QGuiApplication.clipboard().setText("just words")
    controller.run_command("describe_clipboard")
    assert speaker.said == [
        "The clipboard holds no image; copy an image or an image file first, then try again."
    ]


def test_clipboard_image_is_described(qtbot: QtBot, controller: Controller) -> None:
    picture = QImage(400, 300, QImage.Format.Format_RGB32)
    picture.fill(QColor("white"))
    for x in range(0, 400, 40):  # stripes, so the picture is not blank
        picture.setPixelColor(x, 150, QColor("black"))
    for y in range(300):
        for x in range(0, 400, 7):
            picture.setPixelColor(x, y, QColor((x * 5) % 255, (y * 3) % 255, 90))
    QGuiApplication.clipboard().setImage(picture)
    with qtbot.waitSignal(controller.worker.described, timeout=10_000) as described:
        controller.describe_clipboard()
    assert described.args[0].image == "clipboard image" and described.args[0].ok


def test_a_copied_image_file_is_described(
    qtbot: QtBot, controller: Controller, image: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image))])
    QGuiApplication.clipboard().setMimeData(mime)
    try:
        with qtbot.waitSignal(controller.worker.described, timeout=10_000) as described:
            controller.describe_clipboard()
    finally:
        # The clipboard owns the data now; letting it go while Qt is still whole avoids a
        # crash of the offscreen platform when the application is torn down at exit.
        QGuiApplication.clipboard().clear()
    assert described.args[0].image == "dialog.png"


def test_the_same_key_press_seen_twice_runs_once(
    qtbot: QtBot, speaker: SilentSpeaker, factory: CountingFactory
) -> None:
    now = [100.0]
    window = MainWindow(bindings(Settings().hotkeys))
    qtbot.addWidget(window)
    controller = Controller(window, Settings(), factory, speaker, clock=lambda: now[0])
    try:
        controller.run_command("repeat_last")
        now[0] += SAME_PRESS_S / 2
        controller.hotkey("repeat_last")  # the global listener saw the same press
        assert speaker.said == ["Nothing has been described yet."]
        controller.hotkey("stop_speech")
        controller.hotkey("repeat_last")  # a new press of the hotkey alone counts again
        assert len(speaker.said) == 2
        now[0] += 10
        controller.run_command("repeat_last")
        now[0] += SAME_PRESS_S + 0.01
        controller.hotkey("repeat_last")  # the same keys again, but later: a second press
        assert len(speaker.said) == 4
    finally:
        controller.shutdown()


def test_warm_up_announces_ready_or_what_is_missing(qtbot: QtBot, controller: Controller) -> None:
    with qtbot.waitSignal(controller.worker.warmed, timeout=10_000):
        controller.start()
    assert controller.window.status.text() == "Lookaloud is ready."


@pytest.mark.timeout(60)  # opening the pipe for reading would wait forever
def test_odd_files_each_give_one_spoken_and_shown_error_and_the_app_goes_on(
    qtbot: QtBot, controller: Controller, speaker: SilentSpeaker, tmp_path: Path, image: Path
) -> None:
    import os

    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    pdf = tmp_path / "report.pdf"
    QImage(8, 8, QImage.Format.Format_RGB32).save(str(tmp_path / "tiny.png"))
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n")
    expected = [
        (pipe, "named pipe"),
        (loop, "points back to itself"),
        (pdf, "PDF"),
        (tmp_path, "is a folder"),
    ]
    for odd, words in expected:
        describe(qtbot, controller, odd)
        qtbot.waitUntil(lambda w=words: w in controller.window.status.text())
    describe(qtbot, controller, image)  # and the app still describes
    qtbot.waitUntil(lambda: speaker.said[-len(SENTENCES) :] == SENTENCES)
    errors = speaker.said[: -len(SENTENCES)]
    assert [len([e for e in errors if words in e]) for _, words in expected] == [1, 1, 1, 1]
    assert len(errors) == len(expected)  # one sentence each, nothing else


def test_a_command_that_fails_unexpectedly_is_said_and_the_app_stays_ready(
    qtbot: QtBot,
    controller: Controller,
    speaker: SilentSpeaker,
    image: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise AttributeError("'int' object has no attribute 'id'")

    monkeypatch.setattr(controller, "describe_window", broken)
    controller.run_command("describe_window")
    said = "Something unexpected went wrong inside Lookaloud (AttributeError)"
    assert controller.window.status.text().startswith(said)
    assert speaker.said and speaker.said[-1].startswith(said)
    describe(qtbot, controller, image)  # the next command works
    assert speaker.said[-len(SENTENCES) :] == SENTENCES

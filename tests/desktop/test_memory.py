"""What the app remembers between runs: the history (last 200 results) and the description
cache, in the user's folders (here in tmp_path, see conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.browse import picture_folder, untouchable_models
from helpers.desktop import DESCRIPTION, SENTENCES, CountingFactory, NoListener
from helpers.render import render_dialog
from lookaloud.cli import build_parser
from lookaloud.cli.common import choice_and_config
from lookaloud.core.assembly import output_fingerprint
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.result import Result
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.settings import LoadedSettings, Settings, with_overrides
from lookaloud.desktop.app import DesktopApp
from lookaloud.desktop.describing import settings_fingerprint
from lookaloud.desktop.hotkeys import GlobalHotkeys

MakeApp = Callable[..., DesktopApp]


def settings(**changes: object) -> Settings:
    return with_overrides(Settings(), backend="silent", request_log=False, **changes)


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[MakeApp]:
    running: list[DesktopApp] = []

    def make(chosen: Settings, factory: CountingFactory) -> DesktopApp:
        loaded = LoadedSettings(chosen, [], tmp_path / "settings.toml")
        app = DesktopApp(loaded, factory, GlobalHotkeys(NoListener))
        qtbot.addWidget(app.window)
        running.append(app)
        return app

    yield make
    for app in running:
        app.shutdown()


def describe(qtbot: QtBot, app: DesktopApp, image: Path) -> Result:
    with qtbot.waitSignal(app.controller.worker.described, timeout=10_000) as described:
        app.controller.describe_file(image)
    result = described.args[0]
    assert isinstance(result, Result)
    return result


def user_folder(name: str) -> Path:
    return Path(os.environ[name]) / "lookaloud"


def test_history_persists_across_a_restart(qtbot: QtBot, make_app: MakeApp, tmp_path: Path) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    first = make_app(settings(), CountingFactory())
    describe(qtbot, first, image)
    first.shutdown()
    assert (user_folder("XDG_DATA_HOME") / "history.jsonl").is_file()

    again = make_app(settings(), CountingFactory())
    history = again.window.history
    assert history.count() == 1
    assert history.item(0).text() == f"dialog.png: {SENTENCES[0]}"
    history.setCurrentRow(0)
    with qtbot.waitSignal(history.reread) as reread:
        qtbot.keyClick(history, Qt.Key.Key_Return)
    assert reread.args == [DESCRIPTION]


def test_history_keeps_as_many_results_as_the_setting_says(
    qtbot: QtBot, make_app: MakeApp, tmp_path: Path
) -> None:
    pictures = picture_folder(tmp_path / "three", 3)
    first = make_app(settings(history_size=2), CountingFactory())
    for picture in pictures:
        describe(qtbot, first, picture)
    first.shutdown()
    again = make_app(settings(history_size=2), CountingFactory())
    labels = [again.window.history.item(row).text() for row in range(again.window.history.count())]
    assert [label.split(":")[0] for label in labels] == ["p2.png", "p1.png"]  # newest first


def test_a_picture_described_before_is_answered_after_a_restart_without_models(
    qtbot: QtBot, make_app: MakeApp, tmp_path: Path
) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    first = make_app(settings(), CountingFactory())
    assert not describe(qtbot, first, image).cached
    first.shutdown()
    assert (user_folder("XDG_CACHE_HOME") / "descriptions.sqlite3").is_file()

    loads: list[str] = []
    again = make_app(
        settings(), CountingFactory(lambda: Pipeline(untouchable_models(loads), PipelineConfig()))
    )
    result = describe(qtbot, again, image)
    assert result.cached and result.description == DESCRIPTION and loads == []


def test_with_the_cache_off_nothing_is_kept_on_disk_but_repeats_are_instant(
    qtbot: QtBot, make_app: MakeApp, tmp_path: Path
) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    app = make_app(settings(description_cache=False), CountingFactory())
    assert not describe(qtbot, app, image).cached
    assert describe(qtbot, app, image).cached
    assert not (user_folder("XDG_CACHE_HOME") / "descriptions.sqlite3").exists()


def test_turning_the_cache_on_in_the_settings_uses_the_disk(
    qtbot: QtBot, make_app: MakeApp, tmp_path: Path
) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    app = make_app(settings(description_cache=False), CountingFactory())
    app.apply_settings(settings(description_cache=True))
    describe(qtbot, app, image)
    assert app.cache.stats().entries == 1
    assert (user_folder("XDG_CACHE_HOME") / "descriptions.sqlite3").is_file()


def test_the_app_and_the_command_line_share_cache_entries() -> None:
    chosen = Settings()
    args = build_parser().parse_args(["describe", "picture.png"])
    assert settings_fingerprint(chosen) == output_fingerprint(*choice_and_config(chosen, args))
    assert settings_fingerprint(chosen) != settings_fingerprint(settings(detail="detailed"))

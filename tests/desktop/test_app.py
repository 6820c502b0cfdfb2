"""The assembled app: it opens at once, warms the models, and applies new settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpers.desktop import CountingFactory
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.settings import LoadedSettings, Settings, with_overrides
from lookaloud.desktop.app import DesktopApp
from lookaloud.desktop.hotkeys import GlobalHotkeys
from lookaloud.desktop.models_dialog import MissingModelsDialog
from lookaloud.desktop.settings_dialog import SettingsDialog


class RecordingListener:
    def __init__(self, handlers: dict[str, Callable[[], None]]) -> None:
        self.handlers = handlers

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""


def silent_settings(**changes: object) -> Settings:
    return with_overrides(Settings(), backend="silent", request_log=False, **changes)


@pytest.fixture
def listeners() -> list[RecordingListener]:
    return []


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path, listeners: list[RecordingListener]):  # type: ignore[no-untyped-def]
    apps: list[DesktopApp] = []

    def make(settings: Settings, factory) -> DesktopApp:  # type: ignore[no-untyped-def]
        def listener(handlers: dict[str, Callable[[], None]]) -> RecordingListener:
            listeners.append(RecordingListener(handlers))
            return listeners[-1]

        loaded = LoadedSettings(settings, [], tmp_path / "settings.toml")
        app = DesktopApp(loaded, factory, GlobalHotkeys(listener))
        qtbot.addWidget(app.window)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.shutdown()


def test_the_window_opens_before_the_models_are_ready(qtbot: QtBot, make_app) -> None:
    factory = CountingFactory()
    app = make_app(silent_settings(), factory)
    app.start()
    assert app.window.isVisible()
    assert app.window.status.text().startswith("Loading the models in the background")
    qtbot.waitUntil(lambda: app.window.status.text() == "Lookaloud is ready.", timeout=10_000)
    assert len(factory.calls) == 1
    assert set(listeners_of(app)) == {
        "<ctrl>+<alt>+d",
        "<ctrl>+<alt>+f",
        "<ctrl>+<alt>+w",
        "<ctrl>+<alt>+r",
        "<ctrl>+<alt>+v",
        "<ctrl>+<alt>+s",
        "<ctrl>+<alt>+a",
    }


def listeners_of(app: DesktopApp) -> list[str]:
    listener = app.hotkeys._listener
    assert isinstance(listener, RecordingListener)
    return list(listener.handlers)


def test_new_hotkeys_and_models_are_applied(qtbot: QtBot, make_app) -> None:
    factory = CountingFactory()
    app = make_app(silent_settings(), factory)
    app.start()
    qtbot.waitUntil(lambda: len(factory.calls) == 1, timeout=10_000)
    app.apply_settings(with_overrides(app.settings, describe_screen="Ctrl+Shift+F2"))
    assert "<ctrl>+<shift>+<f2>" in listeners_of(app)
    assert app.window.actions_by_name["describe_screen"].shortcut().toString() == "Ctrl+Shift+F2"
    qtbot.wait(200)
    assert len(factory.calls) == 1  # hotkeys alone do not reload the models
    app.apply_settings(with_overrides(app.settings, lang="zh"))
    qtbot.waitUntil(lambda: len(factory.calls) == 2, timeout=10_000)
    assert factory.calls[-1].general.lang == "zh"


def test_global_hotkeys_can_be_switched_off(make_app) -> None:
    app = make_app(silent_settings(global_hotkeys=False), CountingFactory())
    app.start()
    assert not app.hotkeys.active


def test_missing_models_open_the_dialog(qtbot: QtBot, make_app, tmp_path: Path) -> None:
    missing = ModelChoice(str(tmp_path / "none-blip"), str(tmp_path / "none-qwen"), ocr=False)
    app = make_app(
        silent_settings(),
        CountingFactory(lambda: Pipeline(models_for(missing), PipelineConfig())),
    )
    app.start()
    qtbot.waitUntil(lambda: bool(app.window.findChildren(MissingModelsDialog)), timeout=10_000)
    [dialog] = app.window.findChildren(MissingModelsDialog)
    assert dialog.isVisible() and "does not exist" in dialog.explanation.text()


def test_settings_dialog_opens_from_the_menu(qtbot: QtBot, make_app) -> None:
    app = make_app(silent_settings(), CountingFactory())
    app.start()
    app.window.actions_by_name["settings"].trigger()
    [dialog] = app.window.findChildren(SettingsDialog)
    assert dialog.isVisible() and dialog.windowTitle() == "Lookaloud settings"

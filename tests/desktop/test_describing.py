"""The app describes with the backend its settings choose, remote servers included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpers.desktop import NoListener
from helpers.fault_server import fault_server, stream, words
from helpers.render import render_dialog
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.pipeline.prompt import system_message
from lookaloud.core.pipeline.result import Result
from lookaloud.core.settings import LoadedSettings, Settings, with_overrides
from lookaloud.core.writers.base import ChatMessage
from lookaloud.desktop.app import DesktopApp
from lookaloud.desktop.describing import model_choice, settings_pipeline
from lookaloud.desktop.hotkeys import GlobalHotkeys

REPLY = 'A dialog asks "Save changes?". Below it are the buttons Save, Don\'t Save and Cancel.'
KEY_ENV = "LOOKALOUD_TEST_SERVER_KEY"


def remote_settings(**remote: object) -> Settings:
    changes = {f"remote.{name}": value for name, value in remote.items()}
    return with_overrides(Settings(), backend="silent", request_log=False, **changes)


@pytest.fixture
def app_with() -> Iterator[list[DesktopApp]]:
    """The apps a test starts, shut down after it."""
    running: list[DesktopApp] = []
    yield running
    for app in running:
        app.shutdown()


def start_app(
    qtbot: QtBot, tmp_path: Path, chosen: Settings, running: list[DesktopApp]
) -> DesktopApp:
    loaded = LoadedSettings(chosen, [], tmp_path / "settings.toml")
    app = DesktopApp(loaded, settings_pipeline, GlobalHotkeys(NoListener))
    qtbot.addWidget(app.window)
    running.append(app)
    return app


def test_model_choice_follows_the_remote_section() -> None:
    local = model_choice(Settings())
    assert local.backend == "local"
    chosen = model_choice(
        remote_settings(writer="remote", base_url="http://127.0.0.1:8000/v1", model="qwen")
    )
    assert chosen.backend == "remote"
    assert chosen.remote is not None
    assert (chosen.remote.base_url, chosen.remote.model) == ("http://127.0.0.1:8000/v1", "qwen")


def test_app_describes_through_the_remote_vision_model_the_settings_name(
    qtbot: QtBot, tmp_path: Path, app_with: list[DesktopApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "test-key-123")
    image = render_dialog(tmp_path / "dialog.png")
    with fault_server([stream(words(REPLY))]) as server:
        chosen = remote_settings(
            writer="remote-vlm", base_url=server.url, model="m", api_key_env=KEY_ENV
        )
        app = start_app(qtbot, tmp_path, chosen, app_with)
        with qtbot.waitSignal(app.controller.worker.described, timeout=30_000) as described:
            app.controller.describe_file(image)
        requests = server.chat_requests()
    result = described.args[0]
    assert isinstance(result, Result)
    assert result.written_by == "remote-vlm"
    assert result.description.endswith(REPLY)  # after the first sentence from the text
    assert len(requests) == 1
    assert requests[0].headers["Authorization"] == "Bearer test-key-123"
    content = (requests[0].body or {})["messages"][1]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_a_remote_backend_without_an_address_is_told_not_swallowed(
    qtbot: QtBot, tmp_path: Path, app_with: list[DesktopApp]
) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    app = start_app(qtbot, tmp_path, remote_settings(writer="remote", model="m"), app_with)
    with qtbot.waitSignal(app.controller.worker.failed, timeout=30_000) as failed:
        app.controller.describe_file(image)
    message = failed.args[0]
    assert "needs the server's address" in message
    assert "[remote] section of the settings" in message
    qtbot.waitUntil(lambda: "needs the server's address" in app.window.status.text(), timeout=5000)


def test_a_follow_up_after_a_cached_answer_still_shows_the_vision_model_the_picture(
    qtbot: QtBot, tmp_path: Path, app_with: list[DesktopApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "test-key-123")
    image = render_dialog(tmp_path / "dialog.png")
    answer = 'The button on the right reads "Cancel".'
    with fault_server([stream(words(REPLY)), stream(words(answer))]) as server:
        chosen = with_overrides(
            remote_settings(
                writer="remote-vlm", base_url=server.url, model="m", api_key_env=KEY_ENV
            ),
            description_cache=False,  # a cache of its own, in memory, for this app only
        )
        app = start_app(qtbot, tmp_path, chosen, app_with)
        for _ in range(2):  # the second time, the answer comes from the cache
            with qtbot.waitSignal(app.controller.worker.described, timeout=30_000) as described:
                app.controller.describe_file(image)
        assert described.args[0].cached
        with qtbot.waitSignal(app.controller.worker.answered, timeout=30_000) as answered:
            app.controller.ask("What does the right button say?")
        requests = server.chat_requests()
    assert answered.args[0].text == answer
    assert len(requests) == 2  # one description, one answer: the cached one asked nothing
    content = (requests[1].body or {})["messages"][1]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_app_describes_with_the_local_vision_model_the_settings_choose(
    qtbot: QtBot, tmp_path: Path, app_with: list[DesktopApp], tiny_qwen3_vl_dir: Path
) -> None:
    from lookaloud.core.writers.local_vlm import LocalVlmWriter

    image = render_dialog(tmp_path / "dialog.png")
    chosen = with_overrides(
        remote_settings(writer="local-vlm"), vlm_model=str(tiny_qwen3_vl_dir), max_attempts=1
    )
    loaded = LocalVlmWriter(str(tiny_qwen3_vl_dir)).load()  # the copy the app will share
    loaded.seen.clear()
    looks: list[object] = []
    hook = loaded.model.model.visual.register_forward_hook(lambda *args: looks.append(args))
    try:
        app = start_app(qtbot, tmp_path, chosen, app_with)
        with qtbot.waitSignal(app.controller.worker.described, timeout=60_000) as described:
            app.controller.describe_file(image)
        with qtbot.waitSignal(app.controller.worker.answered, timeout=60_000) as answered:
            app.controller.ask("What does the right button say?")
    finally:
        hook.remove()
    result = described.args[0]
    assert isinstance(result, Result) and result.ok and result.backend == "local-vlm"
    assert result.written_by in ("local-vlm", "facts") and "Save changes?" in result.description
    assert answered.args[0] is not None and answered.args[0].text
    assert len(looks) == 1  # the follow-up question did not look again


def test_app_describes_with_the_vision_model_on_llama_cpp_when_its_gguf_pair_is_chosen(
    qtbot: QtBot,
    tmp_path: Path,
    app_with: list[DesktopApp],
    tiny_qwen3_vl_gguf_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
    from lookaloud.core.writers.llamacpp_vlm import LlamaCppVlmWriter
    from lookaloud.core.writers.mtmd import Mtmd

    looks: list[object] = []
    encode = Mtmd.encode
    monkeypatch.setattr(Mtmd, "encode", lambda *a: looks.append(a) or encode(*a))
    systems: list[ChatMessage] = []
    hold = LlamaCppVlmWriter.hold_system_turn
    monkeypatch.setattr(
        LlamaCppVlmWriter, "hold_system_turn", lambda w, s: systems.append(s) or hold(w, s)
    )
    image = render_dialog(tmp_path / "dialog.png")
    chosen = with_overrides(
        remote_settings(writer="local-vlm"), vlm_model=str(tiny_qwen3_vl_gguf_dir), max_attempts=1
    )
    app = start_app(qtbot, tmp_path, chosen, app_with)
    with qtbot.waitSignal(app.controller.worker.warmed, timeout=60_000) as warmed:
        app.controller.start()  # what DesktopApp.start does once its window is shown
    # Warming up read the vision prompt's system turn, before any picture was asked for.
    assert warmed.args[0] == [] and len(systems) == 1
    general = chosen.general
    assert systems[0] == system_message(
        general.lang, Detail(general.detail), simple=False, vision=True
    )
    with qtbot.waitSignal(app.controller.worker.described, timeout=60_000) as described:
        app.controller.describe_file(image)
    with qtbot.waitSignal(app.controller.worker.answered, timeout=60_000) as answered:
        app.controller.ask("What does the right button say?")
    result = described.args[0]
    assert isinstance(result, Result) and result.ok and result.backend == "local-vlm"
    assert result.engine == "llamacpp"
    assert result.written_by in ("local-vlm", "facts") and "Save changes?" in result.description
    assert answered.args[0] is not None and answered.args[0].text
    assert len(looks) == 1  # the vision tower ran once: the follow-up question did not look again


def test_warming_up_the_local_vision_model_names_its_setting(
    qtbot: QtBot, tmp_path: Path, app_with: list[DesktopApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookaloud.desktop.models_dialog import MissingModelsDialog

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    chosen = with_overrides(remote_settings(writer="local-vlm"), ocr=False)
    app = start_app(qtbot, tmp_path, chosen, app_with)
    app.start()
    qtbot.waitUntil(lambda: bool(app.window.findChildren(MissingModelsDialog)), timeout=30_000)
    [dialog] = app.window.findChildren(MissingModelsDialog)
    assert "Qwen/Qwen3-VL-2B-Instruct" in dialog.explanation.text()
    assert "blip" not in dialog.explanation.text().lower()
    assert dialog.missing_ids() == ["Qwen/Qwen3-VL-2B-Instruct"]
    dialog.close()  # a dialog left open would be hidden by the next test's capture

"""The missing-models dialog: it explains, downloads with progress, or takes local folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tqdm import tqdm

from lookaloud.core.errors import ModelMissing
from lookaloud.core.runtime.hub import ModelStatus
from lookaloud.core.settings import Settings, load_settings
from lookaloud.desktop.models_dialog import DownloadReports, MissingModelsDialog, progress_class
from lookaloud.desktop.worker import ModelProblem

PROBLEMS = [
    ModelProblem("caption_model", "The captioning model Salesforce/blip is not on this computer."),
    ModelProblem("writer_model", "The writing model Qwen/Qwen3-0.6B is not on this computer."),
]


def make(qtbot: QtBot, tmp_path: Path, puller=None) -> MissingModelsDialog:  # type: ignore[no-untyped-def]
    options = {"puller": puller} if puller else {}
    dialog = MissingModelsDialog(
        PROBLEMS, Settings(), settings_path=tmp_path / "settings.toml", **options
    )
    qtbot.addWidget(dialog)
    return dialog


def test_it_says_what_is_missing(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = make(qtbot, tmp_path)
    for problem in PROBLEMS:
        assert problem.message in dialog.explanation.text()
    assert dialog.missing_ids() == ["Salesforce/blip-image-captioning-base", "Qwen/Qwen3-0.6B"]
    assert dialog.progress.accessibleName() == "Download progress"


def test_local_folders_are_saved_and_the_models_reloaded(
    qtbot: QtBot, tmp_path: Path, tiny_blip_dir: Path
) -> None:
    dialog = make(qtbot, tmp_path)
    with qtbot.waitSignal(dialog.models_changed) as changed:
        dialog.use_folders({"caption_model": str(tiny_blip_dir)})
    saved = load_settings(tmp_path / "settings.toml", env={}).settings
    assert saved.models.caption_model == str(tiny_blip_dir) == changed.args[0].models.caption_model


def test_a_failed_download_is_explained(qtbot: QtBot, tmp_path: Path) -> None:
    message = "Lookaloud could not reach the model hub; check the internet connection."

    def offline(_settings: Settings, ids: Sequence[str], bar: type[tqdm]) -> list[ModelStatus]:
        raise ModelMissing(message)

    dialog = make(qtbot, tmp_path, offline)
    with qtbot.waitSignal(dialog.reports.finished, timeout=5000):
        dialog.start_download()
    assert dialog.explanation.text() == message and dialog.download.isEnabled()


def test_a_download_drives_the_progress_bar(qtbot: QtBot, tmp_path: Path) -> None:
    pulled: list[Sequence[str]] = []

    def pull(_settings: Settings, ids: Sequence[str], bar: type[tqdm]) -> list[ModelStatus]:
        pulled.append(ids)
        with bar(total=1000, unit="B") as progress:
            progress.update(250)
            progress.update(750)
        return []

    dialog = make(qtbot, tmp_path, pull)
    values: list[int] = []
    dialog.reports.progress.connect(lambda done, _total: values.append(done))
    with qtbot.waitSignal(dialog.models_changed, timeout=5000):
        dialog.start_download()
    assert pulled == [["Salesforce/blip-image-captioning-base", "Qwen/Qwen3-0.6B"]]
    assert values == [250, 1000] and dialog.progress.value() == dialog.progress.maximum()


def test_the_progress_class_prints_nothing(capsys, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    reports = DownloadReports()
    with progress_class(reports)(total=10) as bar:
        bar.update(10)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_with_llama_cpp_the_download_is_the_published_gguf_not_the_folder(
    qtbot: QtBot, tmp_path: Path, tiny_qwen_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialog's own download, as `lookaloud models pull` does it: the default writer's
    Q8_0 file from a hub stand-in on loopback, and no 1.5 GB folder."""
    pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
    from helpers.fake_hub import serve_file
    from lookaloud.core.runtime.gguf_convert import convert
    from lookaloud.core.runtime.gguf_release import RELEASES, cached_gguf
    from lookaloud.core.runtime.hub import HubAccess

    release = RELEASES["Qwen/Qwen3-0.6B"]
    payload = convert(tiny_qwen_dir, tmp_path / "tiny.gguf", "q8_0").read_bytes()
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    dialog = MissingModelsDialog(PROBLEMS[1:], Settings(), settings_path=tmp_path / "settings.toml")
    qtbot.addWidget(dialog)
    with serve_file(release.repo, release.filename, payload) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        with qtbot.waitSignal(dialog.models_changed, timeout=30_000):
            dialog.start_download()
    found = cached_gguf("Qwen/Qwen3-0.6B", HubAccess(cache_dir=cache))
    assert found is not None and found.read_bytes() == payload
    assert not list(cache.glob("models--Qwen--Qwen3-0.6B")), "the folder is not needed"

"""The settings dialog: one field per setting, checked by the schema, saved to the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from lookaloud.core.settings import Settings, load_settings, setting_specs
from lookaloud.desktop.settings_dialog import SettingsDialog


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "settings.toml"


@pytest.fixture
def dialog(qtbot: QtBot, path: Path) -> SettingsDialog:
    shown = SettingsDialog(Settings(), path)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_every_setting_has_a_named_described_field(dialog: SettingsDialog) -> None:
    names = {f"{spec.section}.{spec.key}" for spec in setting_specs()}
    assert set(dialog.fields) == names
    for spec in setting_specs():
        field = dialog.fields[f"{spec.section}.{spec.key}"]
        assert field.accessibleName() and field.accessibleDescription() == spec.rule.description
    bound = {label.buddy() for label in dialog.findChildren(QLabel) if label.buddy()}
    unlabelled = [
        f for f in dialog.fields.values() if f not in bound and not isinstance(f, QCheckBox)
    ]
    assert unlabelled == []


def test_fields_hold_the_current_values(qtbot: QtBot, path: Path) -> None:
    settings = Settings()
    dialog = SettingsDialog(settings, path)
    qtbot.addWidget(dialog)
    assert dialog.values()["general.lang"] == "en"
    assert dialog.values()["hotkeys.describe_screen"] == "Ctrl+Alt+D"
    assert dialog.values()["pipeline.temperature"] == 0.7
    assert dialog.values()["desktop.include_own_window"] is False


def test_saving_writes_the_file_the_cli_reads(
    qtbot: QtBot, dialog: SettingsDialog, path: Path
) -> None:
    lang = dialog.fields["general.lang"]
    assert isinstance(lang, QComboBox)
    lang.setCurrentIndex(lang.findData("zh"))
    output = dialog.fields["speech.output"]
    assert isinstance(output, QComboBox)
    output.setCurrentIndex(output.findData("screen_reader"))
    hotkey = dialog.fields["hotkeys.repeat_last"]
    assert isinstance(hotkey, QLineEdit)
    hotkey.setText("Ctrl+Shift+F5")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    read = load_settings(path, env={}).settings
    assert read == saved.args[0]
    assert (read.general.lang, read.speech.output, read.hotkeys.repeat_last) == (
        "zh",
        "screen_reader",
        "Ctrl+Shift+F5",
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("pipeline.max_new_tokens", 5, "max_new_tokens: it should be 0 or from 16 to 2048"),
        ("models.writer_model", "", "it must not be empty"),
        ("hotkeys.stop_speech", "ctrl+s", "a key combination such as Ctrl+Alt+D"),
    ],
)
def test_an_invalid_value_is_explained_and_focused(
    qtbot: QtBot, dialog: SettingsDialog, path: Path, field: str, value: object, words: str
) -> None:
    editor = dialog.fields[field]
    if isinstance(editor, QSpinBox):
        editor.setValue(int(value))  # type: ignore[call-overload]
    else:
        assert isinstance(editor, QLineEdit)
        editor.setText(str(value))
    dialog.save()
    assert words in dialog.error.text() and dialog.error.isVisible()
    assert QApplication.focusWidget() is editor
    assert dialog.isVisible() and not path.exists()


def test_one_key_combination_for_two_commands_is_refused(
    dialog: SettingsDialog, path: Path
) -> None:
    editor = dialog.fields["hotkeys.repeat_last"]
    assert isinstance(editor, QLineEdit)
    editor.setText("Ctrl+Alt+D")
    dialog.save()
    assert "Ctrl+Alt+D is given to two commands" in dialog.error.text()
    assert not path.exists()


def test_the_dialog_works_from_the_keyboard(qtbot: QtBot, dialog: SettingsDialog) -> None:
    first = dialog.tabs.currentIndex()
    qtbot.keyClick(dialog.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert dialog.tabs.currentIndex() == first + 1
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

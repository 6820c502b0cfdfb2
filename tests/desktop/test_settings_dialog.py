"""The settings dialog: one field per setting, checked by the schema, saved to the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from lookaloud.core.settings import Settings, load_settings, setting_specs
from lookaloud.desktop import settings_dialog
from lookaloud.desktop.settings_dialog import LABELS, HotkeyEdit, SettingsDialog, key_combination


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


def accessible(widget: QWidget, text: QAccessible.Text) -> str:
    """What the screen reader is given for ``widget``."""
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(text)


def test_every_setting_has_a_named_described_field(dialog: SettingsDialog) -> None:
    names = {f"{spec.section}.{spec.key}" for spec in setting_specs()}
    assert set(dialog.fields) == names
    for spec in setting_specs():
        name = f"{spec.section}.{spec.key}"
        field = dialog.fields[name]
        description = accessible(field, QAccessible.Text.Description)
        assert description == spec.rule.description  # the tooltip, said once
        if not isinstance(field, QComboBox):  # on Linux Qt names a combo box by its value
            assert accessible(field, QAccessible.Text.Name) == LABELS[name]
        assert field.accessibleDescription() == ""  # never the value or the label again
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


def test_the_local_vision_model_can_be_chosen_and_named(
    qtbot: QtBot, dialog: SettingsDialog, path: Path
) -> None:
    writer = dialog.fields["remote.writer"]
    assert isinstance(writer, QComboBox)
    index = writer.findData("local-vlm")
    assert writer.itemText(index) == "A vision model on this computer, shown the image (local-vlm)"
    writer.setCurrentIndex(index)
    model = dialog.fields["models.vlm_model"]
    assert isinstance(model, QLineEdit)
    assert dialog.values()["models.vlm_model"] == "Qwen/Qwen3-VL-2B-Instruct"
    model.setText("/models/qwen3-vl")
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    read = load_settings(path, env={}).settings
    assert (read.remote.writer, read.models.vlm_model) == ("local-vlm", "/models/qwen3-vl")


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


def test_the_first_field_has_the_focus_when_it_opens(qtbot: QtBot, path: Path) -> None:
    dialog = SettingsDialog(Settings(), path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.fields["general.lang"])


def test_ctrl_tab_turns_the_pages_from_the_buttons_too(
    qtbot: QtBot, dialog: SettingsDialog
) -> None:
    save = next(b for b in dialog.findChildren(QPushButton) if "Save" in b.text())
    save.setFocus()
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(save, Qt.Key.Key_Tab, ctrl)
    assert dialog.tabs.currentIndex() == 1
    assert QApplication.focusWidget() is dialog.tabs.list  # where the page's name is read
    qtbot.keyClick(dialog.tabs.list, Qt.Key.Key_Backtab, ctrl | shift)
    qtbot.keyClick(dialog.tabs.list, Qt.Key.Key_Backtab, ctrl | shift)
    assert dialog.tabs.currentIndex() == dialog.tabs.count() - 1  # round the end


def test_no_tab_stop_without_a_meaning(dialog: SettingsDialog) -> None:
    assert dialog.findChildren(QToolButton) == []  # QTabWidget's scroll buttons
    assert accessible(dialog.tabs.list, QAccessible.Text.Name) == "Pages"


def test_nothing_is_selected_in_the_page_list_until_it_has_the_focus(
    dialog: SettingsDialog,
) -> None:
    pages = dialog.tabs.list
    assert pages.currentRow() == 0 and pages.selectedItems() == []
    pages.setFocus()
    assert pages.selectedItems() == [pages.item(0)]


@pytest.mark.parametrize(
    ("key", "modifiers", "keys"),
    [
        (
            Qt.Key.Key_D,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
            "Ctrl+Alt+D",
        ),
        (
            Qt.Key.Key_F5,
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier,
            "Ctrl+Shift+F5",
        ),
        (Qt.Key.Key_7, Qt.KeyboardModifier.MetaModifier, "Meta+7"),
        (Qt.Key.Key_D, Qt.KeyboardModifier.NoModifier, ""),
        (Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier, ""),
    ],
)
def test_key_combinations_are_written_as_the_settings_write_them(
    key: Qt.Key, modifiers: Qt.KeyboardModifier, keys: str
) -> None:
    assert key_combination(key.value, modifiers) == keys


@pytest.fixture
def spoken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(settings_dialog, "announce", lambda _source, text, **_: said.append(text))
    return said


def test_the_hotkey_field_records_the_keys_and_says_them(
    qtbot: QtBot, dialog: SettingsDialog, spoken: list[str]
) -> None:
    field = dialog.fields["hotkeys.describe_screen"]
    assert isinstance(field, HotkeyEdit)
    dialog.tabs.setCurrentWidget(field.parentWidget())
    field.setFocus()
    ctrl, alt = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(field, Qt.Key.Key_F9, ctrl | alt)
    assert (field.keys(), dialog.values()["hotkeys.describe_screen"]) == ("Ctrl+Alt+F9",) * 2
    qtbot.keyClick(field, Qt.Key.Key_E)
    assert field.keys() == "Ctrl+Alt+F9"  # a key alone cannot be a hotkey; it is explained
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert field.keys() == ""
    assert spoken[0] == "Ctrl+Alt+F9" and "cannot be a hotkey" in spoken[1]
    assert spoken[2] == "cleared"


def test_the_hotkey_field_is_read_whole_and_keeps_tab(qtbot: QtBot, dialog: SettingsDialog) -> None:
    field = dialog.fields["hotkeys.describe_screen"]
    assert isinstance(field, HotkeyEdit)
    # One character more than the keys: Orca 43 with Qt 6.12 drops a field's last character.
    assert accessible(field, QAccessible.Text.Value) == "Ctrl+Alt+D "
    dialog.tabs.setCurrentWidget(field.parentWidget())
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(field.hasFocus)
    assert field.selectedText() == ""  # Orca would add "selected"
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.fields["hotkeys.describe_window"]

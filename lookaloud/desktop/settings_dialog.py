"""The settings dialog: every setting of the schema, checked by it, saved to the same file.

The fields are made from ``setting_specs()``, so a setting added to the schema appears here
with its label, its allowed values and its description (read by the screen reader as the
field's description). One page per section; Ctrl+Tab moves between pages. Save checks every
value with the schema (``with_overrides``) and the hotkeys against each other; a problem is
shown above the buttons, announced, and the focus goes to the field at fault.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lookaloud.core.errors import SettingsError
from lookaloud.core.settings import (
    Settings,
    SettingSpec,
    save_settings,
    setting_specs,
    with_overrides,
)
from lookaloud.desktop.announce import announce
from lookaloud.desktop.hotkeys import duplicate_keys

SECTION_TITLES = {
    "general": "&General",
    "models": "&Models",
    "pipeline": "&Pipeline",
    "speech": "&Speech",
    "logging": "&Logging",
    "hotkeys": "&Hotkeys",
    "desktop": "&Desktop",
    "remote": "&Remote server",
}
CHOICE_WORDS = {
    "en": "English",
    "zh": "Simplified Chinese",
    "brief": "Brief: one sentence",
    "standard": "Standard: a paragraph",
    "detailed": "Detailed: everything seen",
    "pyttsx3": "Built-in voice (pyttsx3)",
    "qt": "Qt's voice (QTextToSpeech)",
    "wav": "WAV file (command line only)",
    "silent": "Silent",
    "voice": "The voice",
    "screen_reader": "My screen reader",
    "both": "Both",
    "none": "No speech",
}
Value = str | int | float | bool


class SettingsDialog(QDialog):
    """Edits ``settings``; on Save writes them to ``path`` and emits ``saved``."""

    saved = Signal(object)

    def __init__(self, settings: Settings, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Lookaloud settings")
        self._settings = settings
        self._path = path
        self.fields: dict[str, QWidget] = {}
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        self.tabs = QTabWidget()
        for section in dict.fromkeys(spec.section for spec in setting_specs()):
            self._add_page(section)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    # ------------------------------------------------------------ building

    def _add_page(self, section: str) -> None:
        specs = [spec for spec in setting_specs() if spec.section == section]
        if not specs:
            return
        page = QWidget()
        form = QFormLayout(page)
        for spec in specs:
            editor = self._editor(spec, getattr(getattr(self._settings, section), spec.key))
            self.fields[f"{section}.{spec.key}"] = editor
            if isinstance(editor, QCheckBox):
                form.addRow(editor)
            else:
                label = QLabel(f"{_words(spec.key)}:")
                label.setBuddy(editor)
                form.addRow(label, editor)
        self.tabs.addTab(page, SECTION_TITLES.get(section, section.capitalize()))

    def _editor(self, spec: SettingSpec, value: Value) -> QWidget:
        editor = _make_editor(spec, value)
        editor.setAccessibleName(_words(spec.key))
        editor.setAccessibleDescription(spec.rule.description)
        editor.setToolTip(spec.rule.description)
        return editor

    # ------------------------------------------------------------ saving

    def values(self) -> dict[str, Value]:
        return {name: _value_of(editor) for name, editor in self.fields.items()}

    def checked_settings(self) -> Settings:
        """The settings in the fields, checked; SettingsError names the first problem."""
        values = self.values()
        settings = self._settings
        for name, value in values.items():
            try:
                settings = with_overrides(settings, **{name: value})
            except SettingsError as exc:
                raise _FieldError(name, exc.message) from exc
        hotkeys = {n: str(v) for n, v in values.items() if n.startswith("hotkeys.") and v}
        for keys in duplicate_keys(hotkeys):
            name = next(n for n, v in hotkeys.items() if v == keys)
            raise _FieldError(name, f"{keys} is given to two commands; give each its own keys.")
        return settings

    def save(self) -> None:
        try:
            settings = self.checked_settings()
            save_settings(settings, self._path)
        except _FieldError as problem:
            self._show_problem(problem.message, self.fields[problem.field])
            return
        except SettingsError as exc:
            self._show_problem(exc.message, None)
            return
        self.saved.emit(settings)
        self.accept()

    def _show_problem(self, message: str, field: QWidget | None) -> None:
        self.error.setText(message)
        self.error.show()
        announce(self, message, assertive=True)
        if field is not None:
            page = field.parentWidget()
            if page is not None:
                self.tabs.setCurrentWidget(page)
            field.setFocus(Qt.FocusReason.OtherFocusReason)


class _FieldError(SettingsError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _make_editor(spec: SettingSpec, value: Value) -> QWidget:
    rule = spec.rule
    if isinstance(value, bool):
        box = QCheckBox(_words(spec.key))
        box.setChecked(value)
        return box
    if rule.choices:
        combo = QComboBox()
        for choice in rule.choices:
            combo.addItem(CHOICE_WORDS.get(choice, choice), choice)
        combo.setCurrentIndex(max(combo.findData(value), 0))
        return combo
    if isinstance(value, int):
        return _int_box(spec, value)
    if isinstance(value, float):
        return _float_box(spec, value)
    line = QLineEdit(str(value))
    if spec.section == "hotkeys":
        line.setPlaceholderText("for example Ctrl+Alt+D; empty switches it off")
    return line


def _int_box(spec: SettingSpec, value: int) -> QSpinBox:
    box = QSpinBox()
    low = min([int(spec.rule.minimum or 0), *spec.rule.also])
    box.setRange(low, int(spec.rule.maximum or 1_000_000))
    if spec.rule.also:
        box.setSpecialValueText(f"{spec.rule.also[0]} (automatic)")
    box.setValue(value)
    return box


def _float_box(spec: SettingSpec, value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(2)
    box.setSingleStep(0.1)
    box.setRange(spec.rule.minimum or 0.0, spec.rule.maximum or 1000.0)
    box.setValue(value)
    return box


def _value_of(editor: QWidget) -> Value:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return str(editor.currentData())
    if isinstance(editor, QSpinBox):
        return editor.value()
    if isinstance(editor, QDoubleSpinBox):
        return round(editor.value(), 2)
    assert isinstance(editor, QLineEdit)
    return editor.text().strip()


def _words(key: str) -> str:
    """``max_new_tokens`` → ``Max new tokens``."""
    return key.replace("_", " ").capitalize()

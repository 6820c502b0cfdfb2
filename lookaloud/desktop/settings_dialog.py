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
from lookaloud.core.i18n import N_, tr
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
    "general": N_("&General", "settings page"),
    "models": N_("&Models", "settings page"),
    "pipeline": N_("&Pipeline", "settings page"),
    "speech": N_("&Speech", "settings page"),
    "logging": N_("&Logging", "settings page"),
    "hotkeys": N_("&Hotkeys", "settings page"),
    "desktop": N_("&Desktop", "settings page"),
    "remote": N_("&Remote server", "settings page"),
}
# Each setting's label, in words (the keys are for the settings file); a test checks that every
# setting has one.
LABELS = {
    "general.lang": N_("Description language", "settings field"),
    "general.detail": N_("How much to say", "settings field"),
    "models.caption_model": N_("Captioning model", "settings field"),
    "models.writer_model": N_("Writing model", "settings field"),
    "pipeline.ocr": N_("Read text in images", "settings check box"),
    "pipeline.max_attempts": N_("Attempts at a good description", "settings field"),
    "pipeline.max_file_mb": N_("Largest picture file to read (MB)", "settings field"),
    "pipeline.phase_budget": N_("Seconds a picture may take per step", "settings field"),
    "pipeline.caption_image_side": N_("Picture size for the captioner (pixels)", "settings field"),
    "pipeline.max_new_tokens": N_("Longest description (tokens)", "settings field"),
    "pipeline.temperature": N_("Randomness of the wording", "settings field"),
    "speech.backend": N_("Voice", "settings field"),
    "speech.output": N_("Speak through", "settings field"),
    "speech.rate": N_("Speaking rate (words per minute)", "settings field"),
    "speech.voice": N_("Voice name", "settings field"),
    "logging.request_log": N_("Keep a request log for the statistics", "settings check box"),
    "hotkeys.describe_screen": N_("Describe the screen", "settings field: a hotkey"),
    "hotkeys.describe_window": N_("Describe the active window", "settings field: a hotkey"),
    "hotkeys.describe_region": N_("Describe a region", "settings field: a hotkey"),
    "hotkeys.describe_clipboard": N_("Describe the clipboard image", "settings field: a hotkey"),
    "hotkeys.stop_speech": N_("Stop speech", "settings field: a hotkey"),
    "hotkeys.repeat_last": N_("Repeat the last description", "settings field: a hotkey"),
    "desktop.global_hotkeys": N_("Hotkeys work in other programs", "settings check box"),
    "desktop.include_own_window": N_("Include Lookaloud's window in screenshots", "check box"),
    "desktop.history_size": N_("Descriptions kept in the history", "settings field"),
    "desktop.description_cache": N_("Keep descriptions on disk", "settings check box"),
    "desktop.prefetch": N_("Pictures described ahead while browsing", "settings field"),
    "remote.writer": N_("Who writes the descriptions", "settings field"),
    "remote.base_url": N_("Server address", "settings field"),
    "remote.model": N_("Model name on the server", "settings field"),
    "remote.api_key_env": N_("Environment variable holding the API key", "settings field"),
    "remote.connect_timeout": N_("Seconds to wait for a connection", "settings field"),
    "remote.read_timeout": N_("Seconds to wait for the next part of a reply", "settings field"),
    "remote.concurrency": N_("Images sent to the server at once", "settings field"),
}
CHOICE_WORDS = {
    "en": N_("English", "a language"),
    "zh": N_("Simplified Chinese", "a language"),
    "brief": N_("Brief: one sentence", "detail level"),
    "standard": N_("Standard: a paragraph", "detail level"),
    "detailed": N_("Detailed: everything seen", "detail level"),
    "pyttsx3": N_("Built-in voice (pyttsx3)", "a voice"),
    "qt": N_("Qt's voice (QTextToSpeech)", "a voice"),
    "wav": N_("WAV file (command line only)", "a voice"),
    "silent": N_("Silent", "a voice"),
    "voice": N_("The voice", "where speech goes"),
    "screen_reader": N_("My screen reader", "where speech goes"),
    "both": N_("Both", "where speech goes"),
    "none": N_("No speech", "where speech goes"),
    "local": N_("This computer (local)", "who writes"),
    "remote": N_("A remote server, sent the text found (remote)", "who writes"),
    "remote-vlm": N_("A remote vision model, sent the image (remote-vlm)", "who writes"),
}
Value = str | int | float | bool


class SettingsDialog(QDialog):
    """Edits ``settings``; on Save writes them to ``path`` and emits ``saved``."""

    saved = Signal(object)

    def __init__(self, settings: Settings, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Lookaloud settings", "dialog title"))
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
                label = QLabel(tr("{label}:", "a field's label", label=_label(spec)))
                label.setBuddy(editor)
                form.addRow(label, editor)
        self.tabs.addTab(page, tr(SECTION_TITLES.get(section, section.capitalize())))

    def _editor(self, spec: SettingSpec, value: Value) -> QWidget:
        editor = _make_editor(spec, value)
        editor.setAccessibleName(_label(spec))
        editor.setAccessibleDescription(tr(spec.rule.description))
        editor.setToolTip(tr(spec.rule.description))
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
            raise _FieldError(
                name,
                tr("{keys} is given to two commands; give each its own keys.", "error", keys=keys),
            )
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
        box = QCheckBox(_label(spec))
        box.setChecked(value)
        return box
    if rule.choices:
        combo = QComboBox()
        for choice in rule.choices:
            combo.addItem(tr(CHOICE_WORDS.get(choice, choice)), choice)
        combo.setCurrentIndex(max(combo.findData(value), 0))
        return combo
    if isinstance(value, int):
        return _int_box(spec, value)
    if isinstance(value, float):
        return _float_box(spec, value)
    line = QLineEdit(str(value))
    if spec.section == "hotkeys":
        line.setPlaceholderText(tr("for example Ctrl+Alt+D; empty switches it off", "placeholder"))
    return line


def _int_box(spec: SettingSpec, value: int) -> QSpinBox:
    box = QSpinBox()
    low = min([int(spec.rule.minimum or 0), *spec.rule.also])
    box.setRange(low, int(spec.rule.maximum or 1_000_000))
    if spec.rule.also:
        box.setSpecialValueText(tr("{value} (automatic)", "spin box", value=spec.rule.also[0]))
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


def _label(spec: SettingSpec) -> str:
    """The setting's label in words, in the user's language."""
    return tr(LABELS.get(f"{spec.section}.{spec.key}", spec.key))

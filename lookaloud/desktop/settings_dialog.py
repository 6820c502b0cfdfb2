"""The settings dialog: every setting of the schema, checked by it, saved to the same file.

The fields are made from ``setting_specs()``, so a setting added to the schema appears here
with its label, its allowed values and its description (the tooltip, which the screen reader
reads as the field's description). One page per section; Ctrl+Tab and Ctrl+Shift+Tab move
between pages from anywhere in the dialog. Save checks every value with the schema
(``with_overrides``) and the hotkeys against each other; a problem is shown above the buttons,
announced, and the focus goes to the field at fault.

Written for Orca 43 as much as for the newest screen readers: the pages sit under a tab bar in a
plain widget (QTabWidget puts them in an unnamed "layered pane" that Orca reads on every page,
and adds scroll buttons that are Tab stops), and the dialog sends as few accessibility events as
it can while it is built, so Orca is not flooded and speaks its title when it opens. The hotkey
fields record the keys pressed in them and say them back (:class:`HotkeyEdit`).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QSizePolicy,
    QSpinBox,
    QStackedLayout,
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
from lookaloud.desktop.fields import SpokenLineEdit
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
    "models.vlm_model": N_("Vision model on this computer (local-vlm)", "settings field"),
    "models.engine": N_("What runs the writing model", "settings field"),
    "pipeline.ocr": N_("Read text in images", "settings check box"),
    "pipeline.ocr_runtime": N_("What runs the text reader", "settings field"),
    "pipeline.first_sentence_from_facts": N_(
        "Say a first sentence from the facts at once", "settings check box"
    ),
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
    "speech.screen_reader_speech": N_("How the screen reader gets the words", "settings field"),
    "logging.request_log": N_("Keep a request log for the statistics", "settings check box"),
    "hotkeys.describe_screen": N_("Describe the screen", "settings field: a hotkey"),
    "hotkeys.describe_window": N_("Describe the active window", "settings field: a hotkey"),
    "hotkeys.describe_region": N_("Describe a region", "settings field: a hotkey"),
    "hotkeys.describe_clipboard": N_("Describe the clipboard image", "settings field: a hotkey"),
    "hotkeys.describe_focused": N_(
        "Describe what the screen reader is on", "settings field: a hotkey"
    ),
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
    "auto": N_("Find out on its own (auto)", "how the screen reader gets the words"),
    "announcements": N_(
        "Announcements it speaks itself (announcements)", "how the screen reader gets the words"
    ),
    "llamacpp": N_("llama.cpp, a .gguf file (llamacpp)", "what runs the writing model"),
    "transformers": N_("transformers (transformers)", "what runs the writing model"),
    "openvino": N_("OpenVINO (openvino)", "what runs the text reader"),
    "onnxruntime": N_("onnxruntime (onnxruntime)", "what runs the text reader"),
    "speech_server": N_(
        "Also through its speech server (speech_server)", "how the screen reader gets the words"
    ),
    "local": N_("This computer (local)", "who writes"),
    "local-vlm": N_("A vision model on this computer, shown the image (local-vlm)", "who writes"),
    "remote": N_("A remote server, sent the text found (remote)", "who writes"),
    "remote-vlm": N_("A remote vision model, sent the image (remote-vlm)", "who writes"),
}
Value = str | int | float | bool


# The keys a hotkey can end with, and the modifiers in the order the settings write them.
_MODIFIER_WORDS = (
    (Qt.KeyboardModifier.ControlModifier, "Ctrl"),
    (Qt.KeyboardModifier.AltModifier, "Alt"),
    (Qt.KeyboardModifier.ShiftModifier, "Shift"),
    (Qt.KeyboardModifier.MetaModifier, "Meta"),
)
_MODIFIER_KEYS = frozenset(
    key.value
    for key in (
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Shift,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_Hyper_L,
        Qt.Key.Key_Hyper_R,
    )
)
# Keys that keep their meaning in a hotkey field: moving on, closing, saving.
_PASSED_ON = frozenset(
    key.value for key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Escape, Qt.Key.Key_Return)
) | {Qt.Key.Key_Enter.value}
_CLEARING = frozenset({Qt.Key.Key_Backspace.value, Qt.Key.Key_Delete.value})


def key_combination(key: int, modifiers: Qt.KeyboardModifier) -> str:
    """The keys as the settings write them ("Ctrl+Alt+D"), or "" if they cannot be a hotkey."""
    words = [word for flag, word in _MODIFIER_WORDS if modifiers & flag]
    name = _key_name(key)
    return "+".join([*words, name]) if words and name else ""


def _key_name(key: int) -> str:
    if (
        Qt.Key.Key_A.value <= key <= Qt.Key.Key_Z.value
        or Qt.Key.Key_0.value <= key <= Qt.Key.Key_9.value
    ):
        return chr(key)
    if Qt.Key.Key_F1.value <= key <= Qt.Key.Key_F12.value:
        return f"F{key - Qt.Key.Key_F1.value + 1}"
    return ""


class HotkeyEdit(SpokenLineEdit):
    """A hotkey field: pressing keys records them ("Ctrl+Alt+D") and says them back; Backspace
    or Delete clears it. Tab, Escape and Enter keep their meaning, so the dialog still works.

    ``editing`` is True while it has the focus: the global hotkeys should not run the keys
    being recorded.
    """

    editing = Signal(bool)

    def __init__(self, keys: str, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # keys, not text
        self.setPlaceholderText(tr("Press the new keys; Backspace clears", "placeholder"))
        self.set_keys(keys)

    def keys(self) -> str:
        return self.value().strip()

    def set_keys(self, keys: str) -> None:
        self.setText(keys)

    def event(self, event: QEvent) -> bool:
        # Keys that are shortcuts elsewhere (Ctrl+Alt+D, Alt+S for Save) are recorded here.
        overridden = event.type() == QEvent.Type.ShortcutOverride
        if overridden and isinstance(event, QKeyEvent) and _records(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, modifiers = event.key(), _modifiers(event)
        if key in _PASSED_ON or key in _MODIFIER_KEYS:
            event.ignore()
        elif key in _CLEARING and not modifiers:
            self.set_keys("")
            announce(self, tr("cleared", "a hotkey field was emptied"), assertive=True)
        elif keys := key_combination(key, modifiers):
            self.set_keys(keys)
            announce(self, keys, assertive=True)
        else:
            announce(self, _not_a_hotkey(event), assertive=True)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        # Not selected on Tab (SpokenLineEdit): Orca would add "selected", and Backspace clears
        # it anyway. The caret is not moved either: a caret event on the way in silences Orca.
        super().focusInEvent(event)
        self.editing.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.editing.emit(False)


def _modifiers(event: QKeyEvent) -> Qt.KeyboardModifier:
    return event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier


def _records(event: QKeyEvent) -> bool:
    key = event.key()
    return bool(_modifiers(event)) and key not in _PASSED_ON and key not in _MODIFIER_KEYS


def _not_a_hotkey(event: QKeyEvent) -> str:
    pressed = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.NativeText)
    return tr(
        "{keys} cannot be a hotkey: hold Ctrl, Alt, Shift or Meta and press a letter, a digit "
        "or F1 to F12.",
        "spoken in a hotkey field",
        keys=pressed,
    )


class Pages(QWidget):
    """A list of pages beside the page shown: arrows or Ctrl+Tab choose, Alt+letter jumps.

    Not QTabWidget, for Orca 43: its tab bar selects the first tab while the dialog is built,
    and Orca follows that selection into the dialog before the dialog is shown, so it never
    says the dialog's title; it also puts the pages in an unnamed "layered pane" that Orca
    reads on every move into a page, and scroll buttons that are Tab stops. Here the first
    page is current but not selected until the list has the focus, which sends no event.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _PageList()
        self.list.setAccessibleName(tr("Pages", "the list of settings pages"))
        self.list.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustToContents)
        self.list.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self._stack = QStackedLayout()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(self._stack, 1)
        self.list.currentRowChanged.connect(self._stack.setCurrentIndex)

    def add_page(self, page: QWidget, title: str) -> None:
        """``title`` with an & before the letter that, with Alt, jumps to the page."""
        index = self.count()
        self._stack.addWidget(page)
        self.list.addItem(title.replace("&", ""))
        if index == 0:
            self.list.setCurrentRow(0, QItemSelectionModel.SelectionFlag.NoUpdate)
        letter = re.search(r"&(\w)", title)
        if letter:
            jump = QShortcut(QKeySequence(f"Alt+{letter.group(1).upper()}"), self)
            jump.activated.connect(lambda: self.go_to(index))

    def count(self) -> int:
        return self.list.count()

    def currentIndex(self) -> int:  # noqa: N802 - the name QTabWidget gives it
        return self.list.currentRow()

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802 - QTabWidget's name
        self.list.setCurrentRow(self._stack.indexOf(page))

    def go_to(self, index: int) -> None:
        """Shows page ``index``; the focus goes to its name in the list, which is read out."""
        self.list.setCurrentRow(index % self.count())
        self.list.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def turn(self, step: int) -> None:
        """The next (1) or previous (-1) page, round the end."""
        self.go_to(self.currentIndex() + step)


class _PageList(QListWidget):
    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        item = self.currentItem()
        if item is not None and not item.isSelected():
            item.setSelected(True)  # now that the user is here, the screen reader says it


class SettingsDialog(QDialog):
    """Edits ``settings``; on Save writes them to ``path`` and emits ``saved``.

    ``hotkey_editing`` is True while a hotkey field has the focus (see :class:`HotkeyEdit`).
    """

    saved = Signal(object)
    hotkey_editing = Signal(bool)

    def __init__(self, settings: Settings, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Lookaloud settings", "dialog title"))
        self._settings = settings
        self._path = path
        self.fields: dict[str, QWidget] = {}
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        self.tabs = Pages()
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
        self._page_keys()
        # The first field, not the tab bar, has the focus when the dialog opens.
        next(iter(self.fields.values())).setFocus(Qt.FocusReason.OtherFocusReason)

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
        self.tabs.add_page(page, tr(SECTION_TITLES.get(section, section.capitalize())))

    def _editor(self, spec: SettingSpec, value: Value) -> QWidget:
        editor = _make_editor(spec, value)
        # Set before the editor is in the dialog, and only what adds something: each change is
        # an event for the screen reader. A check box is named by its text; the tooltip is also
        # the accessible description.
        if not isinstance(editor, QCheckBox):
            editor.setAccessibleName(_label(spec))
        editor.setToolTip(tr(spec.rule.description))
        if isinstance(editor, HotkeyEdit):
            editor.editing.connect(self.hotkey_editing)
        return editor

    def _page_keys(self) -> None:
        """Ctrl+Tab and Ctrl+Shift+Tab turn the pages from any field or button."""
        for keys, step in (
            ([QKeySequence("Ctrl+Tab")], 1),
            ([QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+Shift+Backtab")], -1),
        ):
            shortcut = QShortcut(self)
            shortcut.setKeys(keys)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda step=step: self.tabs.turn(step))

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
        return _combo(spec, str(value))
    if isinstance(value, int):
        return _int_box(spec, value)
    if isinstance(value, float):
        return _float_box(spec, value)
    if spec.section == "hotkeys":
        return HotkeyEdit(str(value))
    return SpokenLineEdit(str(value))


def _combo(spec: SettingSpec, value: str) -> QComboBox:
    combo = QComboBox()
    for choice in spec.rule.choices:
        combo.addItem(tr(CHOICE_WORDS.get(choice, choice)), choice)
    combo.setCurrentIndex(max(combo.findData(value), 0))
    return combo


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
    assert isinstance(editor, SpokenLineEdit)
    return editor.value().strip()


def _label(spec: SettingSpec) -> str:
    """The setting's label in words, in the user's language."""
    return tr(LABELS.get(f"{spec.section}.{spec.key}", spec.key))

"""The one-line field Orca reads whole: its value without the kept space, typed and edited as
usual, the caret never behind that space."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from lookaloud.desktop.fields import PAD, SpokenLineEdit


@pytest.fixture
def field(qtbot: QtBot) -> SpokenLineEdit:
    shown = SpokenLineEdit("LOOKALOUD_API_KEY")
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_the_value_is_the_text_and_the_screen_reader_gets_one_space_more(
    field: SpokenLineEdit,
) -> None:
    assert field.value() == "LOOKALOUD_API_KEY"
    assert field.text() == "LOOKALOUD_API_KEY" + PAD


def test_an_empty_field_stays_empty_so_its_placeholder_shows(qtbot: QtBot) -> None:
    empty = SpokenLineEdit()
    qtbot.addWidget(empty)
    assert empty.text() == empty.value() == ""
    empty.setText("x")
    empty.clear()
    assert empty.text() == ""


def test_typing_at_the_end_goes_before_the_kept_space(qtbot: QtBot, field: SpokenLineEdit) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_End)
    assert field.cursorPosition() == len("LOOKALOUD_API_KEY")
    qtbot.keyClicks(field, "_2")
    assert field.value() == "LOOKALOUD_API_KEY_2"


def test_deleting_the_kept_space_brings_it_back(qtbot: QtBot, field: SpokenLineEdit) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_End)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    assert field.text() == "LOOKALOUD_API_KEY" + PAD
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert field.value() == "LOOKALOUD_API_KE"


def test_replacing_everything_keeps_the_space(qtbot: QtBot, field: SpokenLineEdit) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "OTHER")
    assert (field.value(), field.text()) == ("OTHER", "OTHER" + PAD)
    assert field.cursorPosition() == len("OTHER")


def test_a_space_the_user_typed_is_part_of_the_value(qtbot: QtBot, field: SpokenLineEdit) -> None:
    field.setText("two words")
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_End)
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert field.value() == "two words "

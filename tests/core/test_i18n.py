"""Translations: every message the code marks is in the Chinese catalogue, with the same
placeholders, and nothing stale is kept there."""

from __future__ import annotations

import string
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookaloud.core.i18n import N_, catalogue, language, set_language, tr

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n as extraction


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_english_is_the_code_s_own_text_and_unknown_languages_fall_back_to_it() -> None:
    assert language() == "en"
    assert tr("Lookaloud is ready.") == "Lookaloud is ready."
    set_language("fr")
    assert language() == "en"


def test_messages_are_translated_and_filled_in(chinese: None) -> None:
    assert tr("Lookaloud is ready.") == "Lookaloud 已就绪。"
    assert tr("Describing {name}.", "status", name="a.png") == "正在描述 a.png。"
    assert tr(N_("&Quit", "command")) == "退出(&Q)"
    assert tr("A message nobody translated.") == "A message nobody translated."


def test_every_marked_message_has_a_chinese_translation() -> None:
    lacking = [f"{m.where}: {m.text!r}" for m in extraction.missing("zh")]
    assert lacking == []
    assert len(extraction.messages()) > 250  # the scan found the app's messages


def test_translations_keep_the_placeholders_and_the_shortcut_letter() -> None:
    for english, chinese in catalogue("zh").items():
        assert placeholders(chinese) == placeholders(english), english
        assert ("&" in chinese) == ("&" in english), english


def test_the_catalogue_holds_nothing_the_code_no_longer_says() -> None:
    assert set(catalogue("zh")) - set(extraction.messages()) == set()

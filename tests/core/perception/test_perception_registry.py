"""The perception parts' registry: a part whose library is missing says what to install."""

from __future__ import annotations

import pytest

from lookaloud.core.errors import ModelMissing, SettingsError
from lookaloud.core.perception.registry import CAPTIONERS, READERS, PartBackend, part


def test_the_default_parts_can_run_here() -> None:
    assert part(CAPTIONERS, "blip").check() and part(READERS, "rapidocr").check()


def test_a_part_without_its_library_is_a_missing_model_with_a_sentence() -> None:
    made: list[str] = []
    absent = PartBackend("x", "the X reader", "no_such_library_here", "pip install x", made.append)
    assert not absent.check()
    with pytest.raises(ModelMissing, match=r"^The X reader needs pip install x\.$"):
        absent.make("model")
    assert made == []  # nothing was made


def test_an_unknown_part_names_the_ones_there_are() -> None:
    with pytest.raises(SettingsError, match="choose one of: rapidocr"):
        part(READERS, "tesseract")


def test_a_part_runs_with_any_of_its_libraries() -> None:
    either = PartBackend(
        "x", "the X reader", "no_such_library_here", "pip install x", str, ("json",)
    )
    assert either.check()

from __future__ import annotations

from pathlib import Path

from helpers.results import described
from lookaloud.core.pipeline.result import Result
from lookaloud.core.storage.history import History


def test_history_survives_a_restart_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history = History(path)
    history.add(described(image="one.png"))
    history.add(described(image="two.png"))
    assert [r.image for r in History(path).recent()] == ["two.png", "one.png"]
    assert History(path).recent()[0].summary == described().summary


def test_only_the_last_entries_are_kept_and_the_file_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history = History(path, limit=5)
    for index in range(23):
        history.add(described(image=f"{index}.png"))
    assert [r.image for r in history.recent()] == [f"{i}.png" for i in range(22, 17, -1)]
    assert len(path.read_text().splitlines()) < 10
    assert History(path, limit=5).recent()[0].image == "22.png"


def test_failures_are_not_history_and_damaged_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history = History(path)
    history.add(Result(image="broken.png", ok=False))
    history.add(described(image="good.png"))
    with path.open("a") as file:
        file.write('{"image": "half-writ')
    assert [r.image for r in History(path).recent()] == ["good.png"]

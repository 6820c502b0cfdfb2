from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers.results import described
from lookaloud.core.storage.cache import DescriptionCache, fingerprint


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def test_round_trip_keeps_the_whole_result(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    original = described()
    cache.put(original, "fp1")
    hit = cache.get(original.sha256, "fp1", "copy/of/dialog.png")
    assert hit is not None and hit.image == "copy/of/dialog.png"
    assert hit.description == original.description and hit.summary == original.summary
    assert hit.facts == original.facts and hit.quality == original.quality
    assert hit.prompt_version == "blind-reader-1/en"


def test_a_changed_setting_misses(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(), fingerprint({"lang": "en"}))
    assert cache.get("ab" * 32, fingerprint({"lang": "zh"}), "d.png") is None
    assert cache.get("ab" * 32, fingerprint({"lang": "en"}), "d.png") is not None


def test_fallback_results_are_not_kept(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(fallback=True), "fp")
    assert cache.get("ab" * 32, "fp", "d.png") is None


def test_least_recently_used_entries_are_evicted(tmp_path: Path) -> None:
    one = len(described().to_json_dict().__repr__())
    cache = DescriptionCache(tmp_path / "c.sqlite3", max_bytes=int(2.5 * one), clock=Clock())
    for name in "abc":
        cache.put(described(sha256=name * 64), "fp")
        if name == "b":
            assert cache.get("a" * 64, "fp", "a.png") is not None  # a is now fresher than b
    assert cache.get("b" * 64, "fp", "b.png") is None
    assert cache.get("a" * 64, "fp", "a.png") is not None
    assert cache.get("c" * 64, "fp", "c.png") is not None
    assert cache.stats().entries == 2


def test_a_corrupt_cache_file_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = DescriptionCache(path)
    assert cache.notices and "moved to" in cache.notices[0]
    assert list(tmp_path.glob("c.sqlite3.broken-*"))
    cache.put(described(), "fp")
    assert cache.get("ab" * 32, "fp", "d.png") is not None


def test_search_finds_by_description_caption_and_screen_text(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(image="dialog.png"), "fp")
    cache.put(
        described(
            image="street.jpg",
            sha256="cd" * 32,
            description="A red car is parked on a quiet street. Trees line the pavement.",
            caption="a red car parked next to a tree",
            texts=("PARKING",),
        ),
        "fp",
    )
    assert [h.path for h in cache.search("red car")] == ["street.jpg"]
    assert [h.path for h in cache.search("computer")] == ["dialog.png"]  # a caption word
    assert len(cache.search("wall")) == 2  # a region caption of both
    assert [h.path for h in cache.search("Cancel")] == ["dialog.png"]  # OCR text
    assert cache.search("red car")[0].summary == "A red car is parked on a quiet street."
    assert cache.search('"unbalanced') == []


def test_clear_and_stats(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(), "fp")
    assert cache.stats().entries == 1 and cache.stats().bytes > 0
    assert cache.clear() == 1 and cache.stats().entries == 0


def test_wal_mode_lets_two_processes_share_it(tmp_path: Path) -> None:
    DescriptionCache(tmp_path / "c.sqlite3").put(described(), "fp")
    mode = sqlite3.connect(tmp_path / "c.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_peek_reads_without_counting_as_a_use(tmp_path: Path) -> None:
    now = [100.0]
    cache = DescriptionCache(tmp_path / "c.sqlite3", clock=lambda: now[0])
    cache.put(described(), "fp")
    now[0] = 200.0
    cache.put(described(sha256="cd" * 32), "fp")
    now[0] = 300.0
    peeked = cache.peek("ab" * 32, "fp")
    assert peeked is not None and peeked.summary.startswith("A dialog box")
    assert cache.peek("ab" * 32, "other") is None
    cache.max_bytes = cache.stats().bytes - 1  # room for one: the least recently used goes
    cache.put(described(sha256="cd" * 32), "fp")
    assert cache.peek("ab" * 32, "fp") is None and cache.peek("cd" * 32, "fp") is not None


def test_search_hits_carry_the_pictures_content_hash(tmp_path: Path) -> None:
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(image="a/dialog.png", sha256="ef" * 32), "fp")
    assert [hit.sha256 for hit in cache.search("dialog")] == ["ef" * 32]

"""The OCR fidelity benchmark: its measures on known answers, its corpus, and its quick run."""

from __future__ import annotations

import pytest

from benchmarks.ocr import (
    char_recall,
    exact_lines,
    reading_order,
    run,
    table,
    word_recall,
)
from benchmarks.ocr_corpus import LIGHT, TruthLine, available_fonts, corpus, render
from lookaloud.core.pipeline.facts import Box, TextLine


def _read(text: str, box: tuple[int, int, int, int]) -> TextLine:
    return TextLine(text, Box(*box), 0.9)


def test_word_recall_counts_run_together_words_as_missing() -> None:
    assert word_recall(["Don't Save", "Cancel"], ["Don'tSave", "Cancel"]) == pytest.approx(1 / 3)
    assert word_recall(["a b"], ["b a"]) == 1.0


def test_exact_lines_ignore_only_repeated_spaces() -> None:
    assert exact_lines(["ticket 017 zebra"], ["ticket  017 zebra"]) == 1.0
    assert exact_lines(["ticket 017 zebra"], ["ticket017 zebra"]) == 0.0


def test_char_recall_ignores_spaces() -> None:
    assert char_recall(["保存 更改"], ["保存更"]) == pytest.approx(3 / 4)


def test_reading_order_is_the_share_of_pairs_in_print_order() -> None:
    truth = [TruthLine(t, (0, 20 * i, 100, 20 * i + 15), 0) for i, t in enumerate("abc")]
    in_order = [_read(t.text, t.box) for t in truth]
    assert reading_order(truth, in_order) == 1.0
    assert reading_order(truth, in_order[::-1]) == 0.0
    assert reading_order(truth, [in_order[1], in_order[0], in_order[2]]) == pytest.approx(2 / 3)


def test_corpus_boxes_hold_ink() -> None:
    sample = render("dialog", family=available_fonts("latin")[0], size=12, theme=LIGHT, seed=1)
    assert len(sample.lines) == 7 and sample.lines[-1].text == "Cancel"
    for line in sample.lines:
        crop = sample.image.convert("L").crop(line.box)
        low, high = crop.getextrema()  # type: ignore[misc]
        assert high - low > 100, line


def test_quick_corpus_covers_latin_and_chinese() -> None:
    scripts = {sample.script for sample in corpus(quick=True)}
    assert "latin" in scripts
    if available_fonts("cjk"):
        assert "cjk" in scripts


def test_quick_run_reports_every_measure_and_stays_faithful() -> None:
    report = run(quick=True)
    summary = report["summary"]
    for key in ("word_recall", "exact_lines", "reading_order", "seconds_1280x800_max"):
        assert summary[key] is not None and summary[key] >= 0
    assert report["machine"]["cores"] and report["machine"]["engine"] != "none"
    assert "word_recall" in table(report)
    # Measured 99.4 % words, 97.0 % lines (means), every pair of lines in order: a margin below.
    assert summary["mean_word_recall"] >= 0.97 and summary["mean_exact_lines"] >= 0.9
    assert summary["mean_reading_order"] >= 0.99

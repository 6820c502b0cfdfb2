"""``python -m benchmarks.ocr [--quick] [--json] [--only NAME] [--cold]``: how faithfully OCR reads
screens.

Renders the corpus of :mod:`benchmarks.ocr_corpus`, reads every picture with the product's text
reader, and prints per picture and as medians:
- word recall: printed words (split at spaces, punctuation attached) found among the words read;
- exact lines: printed lines read exactly, spaces included;
- reading order: of the pairs of printed lines that were found, the share read in the right order;
- Chinese character recall (Chinese pictures instead of word recall);
- seconds per picture, wall clock and CPU (all threads of the process: on a busy machine the CPU
  seconds divided by the cores is what the wall clock would be on an idle one), and the memory the
  read took above what the process held before it.

The reader is prepared first (``warm_up``: its engine created and the recognizer's input widths
run once); with ``--cold`` only its engine is created, as the app's first picture creates it, and
the first pictures pay for the models' first sight of each input shape.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks.ocr_corpus import Sample, TruthLine, corpus
from lookaloud.core.perception.ocr_runtime import RUNTIMES, choose_runtime
from lookaloud.core.pipeline.facts import TextLine

Reader = Callable[[Image.Image], list[TextLine]]
TARGETS = {"word_recall": 0.98, "exact_lines": 0.95, "reading_order": 0.99, "zh_char_recall": 0.98}
_PAGE = 4096


@dataclass
class Score:
    name: str
    word_recall: float | None
    exact_lines: float
    reading_order: float
    zh_char_recall: float | None
    seconds: float
    cpu_seconds: float
    extra_mb: float
    lines: int


def word_recall(truth: Sequence[str], read: Sequence[str]) -> float:
    return _recall(
        Counter(w for t in truth for w in t.split()), Counter(w for r in read for w in r.split())
    )


def char_recall(truth: Sequence[str], read: Sequence[str]) -> float:
    return _recall(
        Counter("".join("".join(truth).split())), Counter("".join("".join(read).split()))
    )


def exact_lines(truth: Sequence[str], read: Sequence[str]) -> float:
    return _recall(
        Counter(" ".join(t.split()) for t in truth), Counter(" ".join(r.split()) for r in read)
    )


def _recall(truth: Counter[str], read: Counter[str]) -> float:
    total = sum(truth.values())
    return sum((truth & read).values()) / total if total else 1.0


def reading_order(truth: Sequence[TruthLine], read: Sequence[TextLine]) -> float:
    """Kendall-style: the share of pairs of found printed lines that were read in print order."""
    order = _dedup(i for i in (_match(line, truth) for line in read) if i is not None)
    pairs = [(a, b) for n, a in enumerate(order) for b in order[n + 1 :]]
    return sum(a < b for a, b in pairs) / len(pairs) if pairs else 1.0


def _match(line: TextLine, truth: Sequence[TruthLine]) -> int | None:
    """The printed line that overlaps ``line``'s box most (at least a third of it), or None."""
    box = line.box
    area = max(1.0, (box.x1 - box.x0) * (box.y1 - box.y0))
    best, best_share = None, 1 / 3
    for index, printed in enumerate(truth):
        x0, y0, x1, y1 = printed.box
        overlap = max(0.0, min(box.x1, x1) - max(box.x0, x0)) * max(
            0.0, min(box.y1, y1) - max(box.y0, y0)
        )
        if overlap / area > best_share:
            best, best_share = index, overlap / area
    return best


def _dedup(indices: Any) -> list[int]:
    seen: dict[int, None] = {}
    for index in indices:
        seen.setdefault(index, None)
    return list(seen)


def score(sample: Sample, read: Reader) -> Score:
    memory = _PeakMemory()
    began, cpu_began = time.perf_counter(), time.process_time()
    with memory:
        lines = read(sample.image)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    truth, texts = [t.text for t in sample.lines], [line.text for line in lines]
    latin = sample.script == "latin"
    return Score(
        name=sample.name,
        word_recall=word_recall(truth, texts) if latin else None,
        exact_lines=exact_lines(truth, texts),
        reading_order=reading_order(sample.lines, lines),
        zh_char_recall=None if latin else char_recall(truth, texts),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        extra_mb=memory.extra_mb,
        lines=len(truth),
    )


class _PeakMemory:
    """Highest resident memory while the block runs, above what it was at the start (Linux)."""

    def __enter__(self) -> None:
        self._start = self._peak = _rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
        self._peak = max(self._peak, _rss())

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self._peak = max(self._peak, _rss())

    @property
    def extra_mb(self) -> float:
        return (self._peak - self._start) / 2**20


def _rss() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def summary(scores: Sequence[Score]) -> dict[str, Any]:
    """Medians over pictures, as the targets are stated, plus the worst cases."""

    def median(key: str) -> float | None:
        values = [v for s in scores if (v := getattr(s, key)) is not None]
        return round(statistics.median(values), 4) if values else None

    return {
        **{key: median(key) for key in TARGETS},
        "mean_word_recall": _mean(s.word_recall for s in scores),
        "mean_exact_lines": _mean(s.exact_lines for s in scores),
        "mean_reading_order": _mean(s.reading_order for s in scores),
        "seconds_1280x800_median": _over(scores, SCREEN, "seconds", statistics.median),
        "seconds_1280x800_max": _over(scores, SCREEN, "seconds", max),
        "seconds_1280x6000_max": _over(scores, PAGE, "seconds", max),
        "seconds_median": median("seconds"),
        "cpu_seconds_1280x800_median": _over(scores, SCREEN, "cpu_seconds", statistics.median),
        "cpu_seconds_1280x6000_max": _over(scores, PAGE, "cpu_seconds", max),
        "extra_mb_max": round(max(s.extra_mb for s in scores), 1),
    }


SCREEN, PAGE = (1280, 800), (1280, 6000)
"""The sizes the speed targets are stated for: a screen, and a full-page scroll capture."""

_SIZES: dict[str, tuple[int, int]] = {}


def _over(
    scores: Sequence[Score],
    size: tuple[int, int],
    key: str,
    reduce: Callable[[list[float]], float],
) -> float | None:
    """``reduce`` of the ``key`` times of the pictures of ``size`` (None when there are none)."""
    times = [float(getattr(s, key)) for s in scores if _size_of(s.name) == size]
    return round(reduce(times), 3) if times else None


def _size_of(name: str) -> tuple[int, int]:
    return _SIZES.get(name, (0, 0))


def _mean(values: Any) -> float | None:
    kept = [v for v in values if v is not None]
    return round(statistics.fmean(kept), 4) if kept else None


def machine(runtime: str = "auto") -> dict[str, Any]:
    """The CPU and the libraries the figures were measured with."""

    import onnxruntime

    cpuinfo = _cpuinfo()
    flags = set(next((ln.split(":", 1)[1].split() for ln in cpuinfo if ln.startswith("flags")), []))
    wanted = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
    return {
        "cpu": next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")),
            platform.processor(),
        ),
        "cores": os.cpu_count(),
        "flags": [f for f in wanted if f in flags],
        "engine": _engine(),
        "runtime": choose_runtime(runtime),
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def _engine() -> str:
    """The OCR package the product reader uses: the first of these that is installed."""
    from importlib.metadata import PackageNotFoundError, version

    for name in ("rapidocr", "rapidocr-onnxruntime"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "none"


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def product_reader(runtime: str = "auto", *, cold: bool = False) -> Reader:
    from lookaloud.core.perception.ocr import RapidOcrReader, shared_rapidocr_engine

    reader = RapidOcrReader(engine_factory=lambda: shared_rapidocr_engine(runtime))
    if cold:
        shared_rapidocr_engine(runtime)  # created, as the first read would, but not prepared
    else:
        reader.warm_up()
    return reader.read


def run(
    *,
    quick: bool,
    only: str | None = None,
    reader: Reader | None = None,
    runtime: str = "auto",
    cold: bool = False,
) -> dict[str, Any]:
    read = reader or product_reader(runtime, cold=cold)
    scores = []
    for sample in corpus(quick=quick):
        if only and only not in sample.name:
            continue
        _SIZES[sample.name] = sample.image.size
        scores.append(score(sample, read))
    images = [asdict(s) for s in scores]
    setup = {**machine(runtime), "prepared": not cold}
    return {"machine": setup, "summary": summary(scores), "images": images}


def table(report: dict[str, Any]) -> str:
    head = ("words", "lines", "order", "zh", "s", "cpu s", "MB")
    rows = [f"{'image':<48} " + " ".join(f"{h:>6}" for h in head)]
    for s in report["images"]:
        rows.append(
            f"{s['name']:<48} {_pct(s['word_recall'])} {_pct(s['exact_lines'])} "
            f"{_pct(s['reading_order'])} {_pct(s['zh_char_recall'])} {s['seconds']:6.2f} "
            f"{s['cpu_seconds']:6.2f} {s['extra_mb']:6.0f}"
        )
    rows.append("")
    rows += [f"{key}: {value}" for key, value in report["summary"].items()]
    rows += [f"{key}: {value}" for key, value in report["machine"].items()]
    return "\n".join(rows)


def _pct(value: float | None) -> str:
    return f"{'-':>6}" if value is None else f"{100 * value:6.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ocr", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="three small pictures (the tests)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--only", help="only pictures whose name contains this")
    parser.add_argument(
        "--runtime", choices=RUNTIMES, default="auto", help="what runs the OCR models"
    )
    parser.add_argument(
        "--cold", action="store_true", help="only create the engine, as a first picture does"
    )
    args = parser.parse_args(argv)
    report = run(quick=args.quick, only=args.only, runtime=args.runtime, cold=args.cold)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

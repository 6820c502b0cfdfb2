"""One measured path in a process of its own: ``python -m benchmarks.worker PATH …``.

A fresh process per path keeps the paths from sharing warmed state and gives each its own peak
memory figure. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.measure import RunFigures, peak_rss_mb, wait_for_quiet
from benchmarks.paths import (
    LLAMACPP_PATHS,
    LLAMACPP_VLM_PATHS,
    BaselinePath,
    DescribePath,
    Levers,
    LlamaCppVlmPath,
    LocalVlmPath,
    ModelFolders,
    ProductPath,
)
from benchmarks.scene import screenshot_png
from lookaloud.core.writers.base import engine_of


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folders = ModelFolders(args.blip, args.qwen, scripted=args.scripted, vlm=args.vlm)
    levers = Levers.parse(args.set)
    quiet = (args.quiet_below, args.quiet_wait)
    report = measure(args.path, folders, args.runs, quiet, levers, args.gguf)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument(
        "path",
        choices=("baseline", "product", *LLAMACPP_PATHS, "local_vlm", *LLAMACPP_VLM_PATHS),
    )
    parser.add_argument("--blip", required=True)
    parser.add_argument("--qwen", required=True)
    parser.add_argument("--vlm", default="", help="the Qwen3-VL folder (local_vlm path)")
    parser.add_argument("--scripted", action="store_true")
    parser.add_argument("--gguf", type=Path, help="the writer's GGUF file (llamacpp-* paths)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quiet-below", type=float, default=0.1)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--set", action="append", default=[], metavar="LEVER=VALUE")
    return parser


def measure(
    name: str,
    folders: ModelFolders,
    runs: int,
    quiet: tuple[float, float],
    levers: Levers,
    gguf: Path | None = None,
) -> dict[str, Any]:
    """Warm the path up, then time ``runs`` descriptions, each after waiting for a quiet CPU."""
    path = _path(name, folders, levers, gguf)
    began = time.perf_counter()
    path.warm_up()
    warm_up_s = time.perf_counter() - began
    figures: list[RunFigures] = []
    for _ in range(runs):
        wait_for_quiet(limit=quiet[0], timeout_s=quiet[1])
        figures.append(path.run())
    report = {
        "path": name,
        "runs": [f.to_dict() for f in figures],
        "median": medians(figures),
        "peak_rss_mb": peak_rss_mb(),
        "load_and_warm_up_s": round(warm_up_s, 2),
        "levers": asdict(levers) if name == "product" else None,
    }
    if isinstance(path, ProductPath):
        report["engine"] = path.writer.backend
        report["cached_ms"] = cached_ms(path, runs)
        report["writer_weights_gb"] = path.writer_weights_gb()
    if isinstance(path, LocalVlmPath | LlamaCppVlmPath):
        report["engine"] = engine_of(path.writer)
        report["writer_weights_gb"] = path.writer_weights_gb()
    return report


def _path(name: str, folders: ModelFolders, levers: Levers, gguf: Path | None) -> DescribePath:
    image = screenshot_png()
    if name == "baseline":
        return BaselinePath(folders, image)
    if name == "local_vlm":
        return LocalVlmPath(folders, image)
    if name in LLAMACPP_VLM_PATHS:
        if gguf is None:
            raise SystemExit(f"the {name} path needs --gguf")
        return LlamaCppVlmPath(folders, image, gguf)
    return ProductPath(folders, image, levers, gguf if name in LLAMACPP_PATHS else None)


_MEDIAN_FIELDS = (
    "caption_s",
    "ocr_s",
    "vision_s",
    "followup_first_sentence_s",
    "prefill_s",
    "first_sentence_s",
    "total_s",
    "decode_tok_s",
    "new_tokens",
    "prompt_tokens",
    "others_cpu_share",
)


def medians(figures: list[RunFigures]) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for name in _MEDIAN_FIELDS:
        values = [getattr(f, name) for f in figures if getattr(f, name) is not None]
        result[name] = round(statistics.median(values), 3) if values else None
    return result


def cached_ms(path: ProductPath, runs: int) -> float | None:
    """Answering the same picture again through the description cache, as the CLI does."""
    from lookaloud.core.describer import Describer
    from lookaloud.core.storage.cache import DescriptionCache

    with tempfile.TemporaryDirectory(prefix="lookaloud-bench-") as folder:
        image = Path(folder) / "benchmark.png"
        image.write_bytes(screenshot_png())
        cache = DescriptionCache(Path(folder) / "cache.sqlite3")
        describer = Describer(path.pipeline, cache, "benchmark")
        if path.last_result is not None:
            cache.put(path.last_result, "benchmark")  # the product's last answer for this picture
        timings = [_timed_ms(describer, image) for _ in range(runs)]
        cache.close()
    cached = [t for t, hit in timings if hit]
    return round(statistics.median(cached), 2) if cached else None


def _timed_ms(describer: Any, image: Path) -> tuple[float, bool]:
    began = time.perf_counter()
    result = describer.describe(image)
    return (time.perf_counter() - began) * 1000, bool(result.cached)


if __name__ == "__main__":
    sys.exit(main())

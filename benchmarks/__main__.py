"""``python -m benchmarks [--json] [--quick] …``: build the models, measure both paths, report.

Without ``--caption-model``/``--writer-model`` it builds randomly initialised BLIP-base and
Qwen3-0.6B (``--quick``: tiny ones) into a cache folder on first use and scripts their tokens
(see :mod:`benchmarks.script`); with them it measures real checkpoints as they are.

``--paths local_vlm`` (not measured by default: its random Qwen3-VL-2B takes minutes and
4.3 GB of disk to build) measures the local vision model, always on built random weights.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.app_ready import measure_app_ready
from benchmarks.machine import machine_info
from benchmarks.paths import LLAMACPP_PATHS, LLAMACPP_VLM_PATHS
from benchmarks.report import engine_ratios, ratios, table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ("baseline", "product", *LLAMACPP_PATHS)
VLM_PATHS = ("local_vlm", *LLAMACPP_VLM_PATHS)
PATHS = (*DEFAULT_PATHS, *VLM_PATHS)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    began = time.perf_counter()
    blip, qwen, scripted = _models(args)
    report: dict[str, Any] = {"machine": machine_info(), "sizes": _sizes_name(args)}
    paths, report["skipped"] = _runnable(args.paths or list(DEFAULT_PATHS))
    for path in paths:
        gguf = _gguf(qwen, LLAMACPP_PATHS[path], args.cache_dir) if path in LLAMACPP_PATHS else None
        vlm = _vlm(args) if path in VLM_PATHS else None
        if vlm is not None and path in LLAMACPP_VLM_PATHS:
            gguf = _vision_gguf(vlm, LLAMACPP_VLM_PATHS[path])
        report[path] = _run_worker(path, blip, qwen, scripted, args, gguf, vlm)
    report["ratios"] = ratios(report.get("baseline"), report.get("product"))
    report["engine_ratios"] = engine_ratios(report)
    report["auto_engine"] = _auto_engine(qwen)
    report["decode_ceiling_tok_s"] = decode_ceiling(report)
    report["app_ready_s"], report["app_ready_note"] = measure_app_ready(blip, qwen)
    report["cached_ms"] = (report.get("product") or {}).get("cached_ms")
    report["machine"]["load_after"] = os.getloadavg()
    report["benchmark_s"] = round(time.perf_counter() - began, 1)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


def decode_ceiling(report: dict[str, Any]) -> float | None:
    """Tokens per second if a step did nothing but read the writer's weights at full speed."""
    weights = (report.get("product") or {}).get("writer_weights_gb")
    bandwidth = report["machine"].get("read_gb_s")
    return round(bandwidth / weights, 1) if weights and bandwidth else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Lookaloud's speed benchmark."
    )
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--quick", action="store_true", help="tiny models: checks, not figures")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per path (median)")
    parser.add_argument(
        "--paths",
        nargs="+",
        choices=PATHS,
        help="the paths to measure (default: all but local_vlm; the llama.cpp ones where it "
        "is installed)",
    )
    parser.add_argument("--cache-dir", type=Path, default=_default_cache())
    parser.add_argument("--caption-model", help="a real BLIP checkpoint (hub id or folder)")
    parser.add_argument("--writer-model", help="a real Qwen3 checkpoint (hub id or folder)")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.1,
        help="before each run, wait until other processes use less than this share of the CPU",
    )
    parser.add_argument("--quiet-wait", type=float, default=30.0, help="…for at most this long (s)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="switch a product lever back to measure what it buys, e.g. reuse_prefix=false "
        "(levers: parallel_perception, reuse_prefix, caption_dtype, writer_dtype, "
        "writer_attention, native_decode_matmuls)",
    )
    return parser


def _default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("lookaloud")) / "benchmark-models"


def _sizes_name(args: argparse.Namespace) -> str:
    if args.caption_model or args.writer_model:
        return "checkpoints"
    return "quick" if args.quick else "real"


def _models(args: argparse.Namespace) -> tuple[str, str, bool]:
    """Folders (or hub ids) of the two models, and whether their tokens must be scripted."""
    if args.caption_model and args.writer_model:
        return args.caption_model, args.writer_model, False
    if args.caption_model or args.writer_model:
        raise SystemExit("give both --caption-model and --writer-model, or neither")
    from benchmarks.build import build_models
    from benchmarks.sizes import QUICK, REAL

    blip, qwen = build_models(QUICK if args.quick else REAL, args.cache_dir)
    return str(blip), str(qwen), True


def _vlm(args: argparse.Namespace) -> str:
    """The random Qwen3-VL of the benchmark's sizes, built on first use; its tokens are
    scripted like the writer's (so the --scripted flag of the BLIP and Qwen3 applies)."""
    if args.caption_model or args.writer_model:
        raise SystemExit("the local_vlm path runs on built random weights only, without models")
    from benchmarks.build import build_vlm
    from benchmarks.sizes import QUICK, REAL

    return str(build_vlm(QUICK if args.quick else REAL, args.cache_dir))


def _runnable(paths: list[str]) -> tuple[list[str], dict[str, str]]:
    """The paths that can run here, and why the others cannot."""
    from lookaloud.core.writers.engines import llamacpp_installed

    if llamacpp_installed():
        return paths, {}
    why = "llama-cpp-python is not installed (scripts/install.sh builds it)"
    needs = {*LLAMACPP_PATHS, *LLAMACPP_VLM_PATHS}
    return [p for p in paths if p not in needs], {p: why for p in paths if p in needs}


def _gguf(qwen: str, weights: str, cache: Path) -> Path:
    """The writer converted to ``weights``, once: beside a built model's weights (as
    `lookaloud models convert` puts it, so ``auto`` finds it), in the cache for a checkpoint."""
    from lookaloud.core.runtime.gguf_convert import convert

    folder = Path(qwen)
    if not folder.is_dir():
        raise SystemExit(f"the llama.cpp paths need --writer-model as a local folder: {qwen}")
    inside = (folder / "built.json").is_file()
    target = (folder if inside else cache / "gguf") / f"{folder.name}-{weights}.gguf"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        convert(folder, partial, weights)
        partial.replace(target)  # only a whole file is ever found under the final name
    return target


def _vision_gguf(vlm: str, weights: str) -> Path:
    """The built Qwen3-VL converted to ``weights`` beside its weights, once (its projector
    beside it, as `lookaloud models convert` writes them)."""
    from lookaloud.core.runtime.gguf_convert import PROJECTOR_MATRICES, convert_vision

    folder = Path(vlm)
    target = folder / f"{folder.name}-{weights}.gguf"
    projector = target.with_name(f"mmproj-{target.name}")
    # A pair converted by an older converter is converted again: what it writes is measured.
    stamp = target.with_suffix(".converted")
    wanted = f"projector matrices {PROJECTOR_MATRICES[weights]}"
    current = stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted
    if not (current and target.is_file() and projector.is_file()):
        partial = folder / "partial" / target.name
        partial.parent.mkdir(exist_ok=True)
        files = convert_vision(folder, partial, weights)
        files.projector.replace(projector)
        files.text.replace(target)  # only a whole pair is ever found under the final names
        stamp.write_text(wanted, encoding="utf-8")
    return target


def _auto_engine(qwen: str) -> dict[str, str | None]:
    """What ``engine = auto`` picks for the benchmark's writer, as the app would."""
    from lookaloud.core.writers.engines import choose_engine

    choice = choose_engine("auto", qwen)
    return {
        "engine": "transformers" if choice.gguf is None else "llamacpp",
        "file": None if choice.gguf is None else choice.gguf.name,
    }


def _run_worker(
    path: str,
    blip: str,
    qwen: str,
    scripted: bool,
    args: argparse.Namespace,
    gguf: Path | None = None,
    vlm: str | None = None,
) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.worker", path, "--blip", blip, "--qwen", qwen]
    command += ["--gguf", str(gguf)] if gguf else []
    command += ["--vlm", vlm] if vlm else []
    command += ["--runs", str(args.runs), "--quiet-below", str(args.quiet_below)]
    command += ["--quiet-wait", str(args.quiet_wait)] + (["--scripted"] if scripted else [])
    command += [f"--set={lever}" for lever in args.set]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, env=_worker_env()
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {path} path failed (exit {done.returncode})")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


if __name__ == "__main__":
    sys.exit(main())

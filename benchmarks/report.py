"""Ratios between the paths and the short human-readable table."""

from __future__ import annotations

from typing import Any

TIMES = ("caption_s", "ocr_s", "prefill_s", "first_sentence_s", "total_s")
ROWS = (
    *TIMES,
    "vision_s",
    "followup_first_sentence_s",
    "decode_tok_s",
    "peak_rss_mb",
    "prompt_tokens",
    "new_tokens",
    "others_cpu_share",
)
PATH_ORDER = (
    "baseline",
    "product",
    "llamacpp-bf16",
    "llamacpp-q8_0",
    "llamacpp-q4_0",
    "local_vlm",
    "local_vlm-q8_0",
    "local_vlm-q4_0",
)
SHORT = {
    "llamacpp-bf16": "llama-bf16",
    "llamacpp-q8_0": "llama-q8",
    "llamacpp-q4_0": "llama-q4",
    "local_vlm": "local-vlm",
    "local_vlm-q8_0": "vlm-q8",
    "local_vlm-q4_0": "vlm-q4",
}


def ratios(baseline: dict[str, Any] | None, product: dict[str, Any] | None) -> dict[str, Any]:
    """baseline / product for each time (above 1: the product is faster); for the decode
    speed product / baseline, so above 1 means faster there too."""
    if not baseline or not product:
        return {}
    base, prod = baseline["median"], product["median"]
    result = {name: _ratio(base.get(name), prod.get(name)) for name in TIMES}
    result["decode_tok_s"] = _ratio(prod.get("decode_tok_s"), base.get("decode_tok_s"))
    return result


def engine_ratios(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """For each llama.cpp path, the product (transformers) / that path, as :func:`ratios`
    reads: above 1, llama.cpp is faster. Measured in the same run, so the machine is the same."""
    product = report.get("product")
    return {
        name: ratios(product, report[name])
        for name in PATH_ORDER
        if name.startswith("llamacpp") and report.get(name)
    }


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if not top or not bottom:
        return None
    return round(top / bottom, 2)


def table(report: dict[str, Any]) -> str:
    paths = [name for name in PATH_ORDER if report.get(name)]
    header = "".join(f"{SHORT.get(name, name):>12}" for name in paths)
    lines = [f"{'median of runs':<20}{header}{'ratio':>10}"]
    for row in ROWS:
        cells = "".join(f"{_cell(report[name], row):>12}" for name in paths)
        ratio = report.get("ratios", {}).get(row)
        lines.append(f"{row:<20}{cells}{'' if ratio is None else f'{ratio:>9}x'}")
    app_note = report.get("app_ready_note", "")
    lines.append(f"app_ready_s: {_fmt(report.get('app_ready_s'))}  {app_note}")
    lines.append(f"cached_ms: {_fmt(report.get('cached_ms'))}")
    lines.append("ratio: baseline / product (decode: product / baseline)")
    for name, skipped in (report.get("skipped") or {}).items():
        lines.append(f"{name}: not measured, {skipped}")
    auto = report.get("auto_engine") or {}
    lines.append(f"engine = auto picks: {auto.get('engine')} {auto.get('file') or ''}".rstrip())
    lines.append(
        f"decode ceiling: {_fmt(report.get('decode_ceiling_tok_s'))} tokens/s "
        f"(memory read {_fmt(report['machine'].get('read_gb_s'))} GB/s, writer weights "
        f"{_fmt((report.get('product') or {}).get('writer_weights_gb'))} GB per token)"
    )
    machine = report["machine"]
    lines.append(f"cpu flags: {' '.join(machine.get('cpu_flags', []))}")
    lines.append(
        f"machine: {machine['cpu']}, {machine['cores']} cores, load {machine['load_before']}"
        f" -> {machine.get('load_after')}; sizes: {report.get('sizes')};"
        f" took {report.get('benchmark_s')} s"
    )
    return "\n".join(lines)


def _cell(path_report: dict[str, Any], row: str) -> str:
    value = path_report.get(row) if row == "peak_rss_mb" else path_report["median"].get(row)
    return _fmt(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)

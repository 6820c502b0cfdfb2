"""What every ``lookaloud`` command shares: exit codes, JSON output, messages on stderr, the
user's settings, and the command-line flags merged into them.

Flags are merged through the settings' own :func:`with_overrides`, so a value out of range is
refused with the same sentence as in the settings file (and exit code 2), not by a second set
of checks written here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from lookaloud.core.settings import Settings, load_settings, with_overrides

if TYPE_CHECKING:
    from lookaloud.core.assembly import ModelChoice
    from lookaloud.core.describer import Describer
    from lookaloud.core.pipeline.config import PipelineConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def tell(text: str, err: TextIO | None = None) -> None:
    """A notice or an error for the user, on standard error."""
    print(f"lookaloud: {text}", file=err or sys.stderr, flush=True)


def print_json_line(record: dict[str, object], out: TextIO) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def user_settings() -> Settings:
    """The settings file (or the defaults), telling the user about anything it had to repair."""
    loaded = load_settings()
    for notice in loaded.notices:
        tell(notice)
    return loaded.settings


def with_flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with the flags the user gave; flags not given (None) change nothing."""
    flag = vars(args).get
    return with_overrides(
        settings,
        lang=flag("lang"),
        detail=flag("detail"),
        caption_model=flag("caption_model"),
        writer_model=flag("writer_model"),
        vlm_model=flag("vlm_model"),
        engine=flag("engine"),
        ocr=False if flag("no_ocr") else None,
        max_attempts=flag("max_attempts"),
        **{
            "remote.writer": flag("backend"),
            "remote.base_url": flag("base_url"),
            "remote.model": flag("model"),
            "remote.api_key_env": flag("api_key_env"),
            "remote.concurrency": flag("concurrency"),
        },
    )


def choice_and_config(
    settings: Settings, args: argparse.Namespace
) -> tuple[ModelChoice, PipelineConfig]:
    """Which models describe, and how: the settings file overridden by the flags."""
    from lookaloud.core.assembly import ModelChoice, config_from_settings

    chosen = with_flags(settings, args)
    config = replace(config_from_settings(chosen), seed=vars(args).get("seed"))
    return ModelChoice.from_settings(chosen), config


def make_describer(
    choice: ModelChoice, config: PipelineConfig, *, use_cache: bool, notice: Callable[[str], None]
) -> Describer:
    """The pipeline for ``choice`` behind the description cache (unless ``use_cache`` is off)."""
    from lookaloud.core.assembly import build_pipeline, output_fingerprint
    from lookaloud.core.describer import Describer
    from lookaloud.core.storage.cache import DescriptionCache

    cache = DescriptionCache() if use_cache else None
    for text in cache.notices if cache else ():
        notice(text)
    return Describer(build_pipeline(choice, config), cache, output_fingerprint(choice, config))

"""``lookaloud models status|pull|convert``: which models are on this computer, fetch them, or
turn a local Qwen3 or Qwen3-VL folder into .gguf files for the llama.cpp engine."""

from __future__ import annotations

import argparse
from pathlib import Path

from lookaloud.cli.common import EXIT_OK, user_settings, with_flags
from lookaloud.core.i18n import tr
from lookaloud.core.settings import Settings


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from lookaloud.core.runtime.hub import model_status
    from lookaloud.core.runtime.models import ModelChoice
    from lookaloud.core.writers.engines import pull_for_engine

    if args.models_command == "convert":
        return _convert(args.folder, args.weights, args.out)
    settings = with_flags(user_settings(), args)
    ids = wanted_models(settings)
    if args.models_command == "pull":
        writing = ModelChoice.from_settings(settings).local_writing_model
        gguf = pull_for_engine(ids, writing, settings.models.engine)
        if gguf is not None:
            print(tr("The writing model for llama.cpp is in {path}.", path=str(gguf)))
        print(tr("The models are ready."))
        return EXIT_OK
    for status in model_status(ids):
        where = str(status.where) if status.present else tr("not on this computer")
        print(f"{status.id}: {where}")
    return EXIT_OK


def wanted_models(settings: Settings) -> list[str]:
    """The models the chosen writer loads: the local vision model needs no captioner and no
    other writer, the other writers need both (the remote ones as a fallback)."""
    if _local_vision(settings):
        return [settings.models.vlm_model]
    return [settings.models.caption_model, settings.models.writer_model]


def _local_vision(settings: Settings) -> bool:
    return settings.remote.writer == "local-vlm"


def _convert(folder: Path, weights: str, out: Path | None) -> int:
    from lookaloud.core.errors import SettingsError
    from lookaloud.core.runtime.gguf_convert import convert, convert_vision, model_type

    target = out or folder / f"{folder.name}-{weights}.gguf"
    try:
        if model_type(folder) == "qwen3_vl":
            files = convert_vision(folder, target, weights)
            print(
                tr(
                    "Wrote {path} and its vision projector {projector}.",
                    path=str(files.text),
                    projector=str(files.projector),
                )
            )
            return EXIT_OK
        convert(folder, target, weights)
    except (ValueError, OSError, KeyError) as failed:
        raise SettingsError(
            tr("{folder} could not be converted: {error}", folder=str(folder), error=failed)
        ) from failed
    print(
        tr(
            "Wrote {path}; set it as the writing model, or keep it in the model's folder.",
            path=str(target),
        )
    )
    return EXIT_OK

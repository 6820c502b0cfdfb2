"""``lookaloud models status|pull|convert``: which models are on this computer, fetch them, or
turn a local Qwen3 folder into a .gguf file for the llama.cpp engine."""

from __future__ import annotations

import argparse
from pathlib import Path

from lookaloud.cli.common import EXIT_OK, user_settings
from lookaloud.core.i18n import tr


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from lookaloud.core.runtime.hub import model_status, pull_models

    if args.models_command == "convert":
        return _convert(args.folder, args.weights, args.out)
    settings = user_settings()
    ids = [settings.models.caption_model, settings.models.writer_model]
    if args.models_command == "pull":
        gguf = _pull_gguf(settings.models.engine, settings.models.writer_model)
        pull_models(ids if gguf is None else ids[:1])
        if gguf is not None:
            print(tr("The writing model for llama.cpp is in {path}.", path=str(gguf)))
        print(tr("The models are ready."))
        return EXIT_OK
    for status in model_status(ids):
        where = str(status.where) if status.present else tr("not on this computer")
        print(f"{status.id}: {where}")
    return EXIT_OK


def _pull_gguf(engine: str, writer_model: str) -> Path | None:
    """With llama.cpp installed, the writer's published .gguf file is all it needs (a third of
    the download); None when the folder is pulled instead."""
    from lookaloud.core.runtime.gguf_release import pull_gguf, release_for
    from lookaloud.core.runtime.hub import HubAccess
    from lookaloud.core.writers.engines import llamacpp_installed

    release = release_for(writer_model)
    if engine == "transformers" or release is None or not llamacpp_installed():
        return None
    return pull_gguf(release, HubAccess.from_environment())


def _convert(folder: Path, weights: str, out: Path | None) -> int:
    from lookaloud.core.errors import SettingsError
    from lookaloud.core.runtime.gguf_convert import convert

    target = out or folder / f"{folder.name}-{weights}.gguf"
    try:
        convert(folder, target, weights)
    except (ValueError, OSError) as failed:
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

"""``lookaloud models status|pull``: which models are on this computer, or fetch them."""

from __future__ import annotations

import argparse

from lookaloud.cli.common import EXIT_OK, user_settings
from lookaloud.core.i18n import tr


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from lookaloud.core.runtime.hub import model_status, pull_models

    settings = user_settings()
    ids = [settings.models.caption_model, settings.models.writer_model]
    if args.models_command == "pull":
        pull_models(ids)
        print(tr("The models are ready."))
        return EXIT_OK
    for status in model_status(ids):
        where = str(status.where) if status.present else tr("not on this computer")
        print(f"{status.id}: {where}")
    return EXIT_OK

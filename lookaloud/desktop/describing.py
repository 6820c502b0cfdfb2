"""What the app describes with: its models, the cache's fingerprint of them, the cache itself."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from lookaloud.core.assembly import (
    ModelChoice,
    build_pipeline,
    config_from_settings,
    output_fingerprint,
)
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.settings import Settings
from lookaloud.core.storage.cache import DescriptionCache

log = logging.getLogger(__name__)

# SQLite keeps a database of this name in memory only: the cache while the app runs.
IN_MEMORY = Path(":memory:")


def model_choice(settings: Settings) -> ModelChoice:
    """The models the app describes with — local, or the remote server the [remote] section
    names; the cache's fingerprint is made from the same."""
    return ModelChoice.from_settings(settings)


def settings_pipeline(settings: Settings) -> Pipeline:
    """The pipeline the settings describe; raises SettingsError (a sentence for the user) when
    a remote backend is chosen without a server address or model name."""
    return build_pipeline(model_choice(settings), config_from_settings(settings))


def settings_fingerprint(settings: Settings) -> str:
    """The cache key part for ``settings``: equal to the command line's for the same settings,
    so pictures described by ``lookaloud batch`` are answered at once in the app."""
    return output_fingerprint(model_choice(settings), config_from_settings(settings))


def open_cache(settings: Settings) -> tuple[DescriptionCache, list[str]]:
    """The description cache on disk, or in memory when the setting says so or the file
    cannot be opened; with a sentence for each thing the user should know."""
    if not settings.desktop.description_cache:
        return DescriptionCache(IN_MEMORY), []
    try:
        cache = DescriptionCache()
    except (OSError, sqlite3.Error) as exc:
        log.warning("the description cache could not be opened: %s", exc)
        notice = tr(
            "The description cache could not be opened ({problem}); descriptions are kept only "
            "until Lookaloud closes. Check that your cache folder can be written to.",
            "notice",
            problem=exc,
        )
        return DescriptionCache(IN_MEMORY), [notice]
    return cache, list(cache.notices)

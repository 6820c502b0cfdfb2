"""``lookaloud cache stats|clear`` and ``lookaloud search WORDS``: the description cache."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lookaloud.cli.common import EXIT_FAILED, EXIT_OK, tell
from lookaloud.core.i18n import tr

if TYPE_CHECKING:
    from lookaloud.core.storage.cache import DescriptionCache


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from lookaloud.core.storage.cache import DescriptionCache

    cache = DescriptionCache()
    for notice in cache.notices:
        tell(notice)
    if args.command == "search":
        return _search(cache, " ".join(args.query))
    if args.cache_command == "clear":
        print(tr("Removed {count} cached descriptions.", count=cache.clear()))
    else:
        print("\n".join(cache.stats().to_lines()))
    return EXIT_OK


def _search(cache: DescriptionCache, query: str) -> int:
    hits = cache.search(query)
    for hit in hits:
        print(f"{hit.path}: {hit.summary}")
    if not hits:
        tell(tr("No described image matches {query!r}.", query=query))
    return EXIT_OK if hits else EXIT_FAILED

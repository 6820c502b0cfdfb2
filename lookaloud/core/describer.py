"""Describing an image file with the cache in front of the pipeline.

A cached answer is given without loading any model (or importing torch): its sentences are
sent as events like a fresh description, so speech works the same either way.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ImageError
from lookaloud.core.pipeline.files import file_sha256
from lookaloud.core.pipeline.result import (
    EventSink,
    Phase,
    PhaseEvent,
    Result,
    ResultEvent,
    SentenceEvent,
    ignore_events,
)
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.pipeline.sentences import split_sentences
from lookaloud.core.storage.cache import DescriptionCache


@dataclass
class Describer:
    pipeline: Pipeline
    cache: DescriptionCache | None
    fingerprint: str

    def describe(
        self,
        image: Path,
        *,
        cancel: CancelToken | None = None,
        on_event: EventSink = ignore_events,
        fresh: bool = False,
    ) -> Result:
        """The cached answer, else a new description (cached for next time).

        ``fresh`` describes the image again even when it is cached, and keeps the new result.
        """
        if not fresh and self.cache is not None:
            hit = answer_from_cache(self.cache, self.fingerprint, image, on_event)
            if hit is not None:
                return hit
        result = self.pipeline.run(image, name=str(image), cancel=cancel, on_event=on_event)
        if self.cache is not None and result.ok:
            # The absolute path, so `search` finds the file from any folder later; abspath, not
            # resolve(), which raises on a link that points in a circle.
            self.cache.put(replace(result, image=os.path.abspath(image)), self.fingerprint)  # noqa: PTH100
        return result


def answer_from_cache(
    cache: DescriptionCache, print_: str, image: Path, on_event: EventSink = ignore_events
) -> Result | None:
    """The cached description of ``image`` replayed as events, or None; no model is touched."""
    began = time.perf_counter()
    try:
        sha256 = file_sha256(image)
    except (OSError, ImageError):
        return None  # the pipeline reports the unreadable or special file properly
    hit = cache.get(sha256, print_, str(image))
    return None if hit is None else _replay(hit, began, on_event)


def _replay(hit: Result, began: float, on_event: EventSink) -> Result:
    for sentence in split_sentences(hit.description):
        on_event(SentenceEvent(sentence, attempt=hit.attempts))
    elapsed = round((time.perf_counter() - began) * 1000, 2)
    result = replace(hit, cached=True, timings_ms={"cache": elapsed, "total": elapsed})
    on_event(ResultEvent(result))
    on_event(PhaseEvent(Phase.DONE))
    return result

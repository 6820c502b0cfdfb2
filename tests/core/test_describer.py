from __future__ import annotations

from pathlib import Path

import pytest

from helpers.desktop import DESCRIPTION
from helpers.render import render_dialog
from helpers.results import described
from helpers.scripted import ScriptedWriter
from lookaloud.core.describer import Describer
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.files import file_sha256
from lookaloud.core.pipeline.result import Event, ResultEvent, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.core.writers.base import Writer


def untouchable() -> Writer:
    raise AssertionError("a cached image must not load any model")


def test_cached_image_is_answered_without_loading_a_model(tmp_path: Path) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(sha256=file_sha256(image)), "fp")
    models = Models(ModelSlot(untouchable), ModelSlot(untouchable), ModelSlot(untouchable))  # type: ignore[arg-type]
    describer = Describer(Pipeline(models, PipelineConfig()), cache, "fp")
    events: list[Event] = []
    result = describer.describe(image, on_event=events.append)
    assert result.cached and result.image == str(image)
    sentences = [e.text for e in events if isinstance(e, SentenceEvent)]
    assert sentences[0] == 'A dialog box asks "Save changes?" in the centre of the screen.'
    assert len(sentences) == 3 and isinstance(events[-2], ResultEvent)
    assert result.timings_ms["total"] < 50


def test_a_miss_runs_the_pipeline_and_stores_the_result(tmp_path: Path) -> None:
    image = tmp_path / "blank.png"
    from helpers.render import render_blank

    render_blank(image)
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    describer = Describer(Pipeline(Models(None, None, None), PipelineConfig()), cache, "fp")
    first = describer.describe(image)
    second = describer.describe(image)
    assert not first.cached and second.cached
    assert second.description == first.description


def test_without_a_cache_every_call_runs(tmp_path: Path) -> None:
    from helpers.render import render_blank

    image = render_blank(tmp_path / "blank.png")
    describer = Describer(Pipeline(Models(None, None, None), PipelineConfig()), None, "fp")
    assert not describer.describe(image).cached and not describer.describe(image).cached


def test_fresh_describes_again_and_keeps_the_new_description(tmp_path: Path) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    cache.put(described(sha256=file_sha256(image), description="An old description."), "fp")
    writer = ModelSlot(lambda: ScriptedWriter([DESCRIPTION]))
    describer = Describer(Pipeline(Models(None, None, writer), PipelineConfig()), cache, "fp")
    result = describer.describe(image, fresh=True)
    assert not result.cached and result.description != "An old description."
    stored = cache.peek(file_sha256(image), "fp")
    assert stored is not None and stored.description == result.description


def test_the_cache_remembers_the_absolute_path_for_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.render import render_blank

    render_blank(tmp_path / "blank.png")
    monkeypatch.chdir(tmp_path)
    cache = DescriptionCache(tmp_path / "c.sqlite3")
    describer = Describer(Pipeline(Models(None, None, None), PipelineConfig()), cache, "fp")
    assert describer.describe(Path("blank.png")).image == "blank.png"
    assert [hit.path for hit in cache.search("grey")] == [str(tmp_path / "blank.png")]

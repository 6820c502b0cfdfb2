"""The writer's published .gguf file: fetched through the real hub client from a hub stand-in on
loopback, with its progress bar, then found in the cache by ``engine = auto``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tqdm.auto import tqdm

from helpers.fake_hub import serve_file
from lookaloud.core.errors import ModelMissing
from lookaloud.core.runtime.gguf_release import (
    RELEASES,
    GgufRelease,
    cached_gguf,
    pull_gguf,
)
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.engines import choose_engine

RELEASE = RELEASES["Qwen/Qwen3-0.6B"]
PAYLOAD = b"GGUF" + bytes(range(256)) * 4096  # about 1 MB: the bar moves more than once


@pytest.fixture
def hub_url() -> Iterator[str]:
    with serve_file(RELEASE.repo, RELEASE.filename, PAYLOAD) as url:
        yield url


class _CountingBar(tqdm):  # type: ignore[misc]
    seen: ClassVar[list[int]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["disable"] = False
        super().__init__(*args, **kwargs)

    def update(self, n: float | None = 1) -> bool | None:
        shown: bool | None = super().update(n)
        _CountingBar.seen.append(int(self.n))
        return shown


def test_the_file_is_downloaded_with_progress_and_then_found_offline(
    hub_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = HubAccess(endpoint=hub_url, cache_dir=tmp_path / "hub", etag_timeout_s=5)
    assert cached_gguf("Qwen/Qwen3-0.6B", hub) is None
    _CountingBar.seen = []
    path = pull_gguf(RELEASE, hub, progress=_CountingBar)
    assert path.read_bytes() == PAYLOAD and path.name == RELEASE.filename
    assert len(PAYLOAD) in _CountingBar.seen  # the bytes bar reached the whole file
    assert cached_gguf("Qwen/Qwen3-0.6B", hub) == path
    # engine = auto, with the default hub model named, now takes llama.cpp on that file.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert choose_engine("auto", "Qwen/Qwen3-0.6B", installed=True).gguf == path
    assert choose_engine("transformers", "Qwen/Qwen3-0.6B", installed=True).gguf is None


def test_a_model_without_a_release_has_no_file(tmp_path: Path) -> None:
    assert cached_gguf("Qwen/Qwen3-1.7B", HubAccess(cache_dir=tmp_path)) is None


def test_a_missing_file_on_the_hub_says_what_else_to_do(hub_url: str, tmp_path: Path) -> None:
    gone = GgufRelease(RELEASE.repo, "Qwen3-0.6B-Q2_K.gguf", "about 300 MB")
    hub = HubAccess(endpoint=hub_url, cache_dir=tmp_path, etag_timeout_s=5)
    with pytest.raises(ModelMissing, match=r"no longer offers Qwen3-0\.6B-Q2_K\.gguf.*convert"):
        pull_gguf(gone, hub, progress=False)


def test_no_network_is_one_sentence_naming_the_file_and_size(tmp_path: Path) -> None:
    hub = HubAccess(endpoint="http://127.0.0.1:9", cache_dir=tmp_path, etag_timeout_s=2)
    with pytest.raises(ModelMissing) as raised:
        pull_gguf(RELEASE, hub, progress=False)
    assert raised.value.message == (
        "Lookaloud could not reach the model hub to download Qwen3-0.6B-Q8_0.gguf (about "
        "640 MB); check the internet connection and run `lookaloud models pull` again."
    )
    offline = HubAccess(offline=True, cache_dir=tmp_path)
    with pytest.raises(ModelMissing, match="offline mode is on"):
        pull_gguf(RELEASE, offline, progress=False)

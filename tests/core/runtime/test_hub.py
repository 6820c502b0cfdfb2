from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from lookaloud.core.errors import LookaloudError, ModelLoadFailed, ModelMissing
from lookaloud.core.runtime.hub import (
    CAPTIONING,
    WRITING,
    HubAccess,
    model_status,
    pull_models,
    resolve_model,
)

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: connections are refused at once
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def put_in_hub_cache(source: Path, cache: Path, model_id: str) -> Path:
    """Lay a saved model out the way huggingface_hub stores a downloaded snapshot."""
    repo = cache / ("models--" + model_id.replace("/", "--"))
    snapshot = repo / "snapshots" / COMMIT
    shutil.copytree(source, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    return snapshot


def offline_hub(cache: Path) -> HubAccess:
    return HubAccess(offline=True, endpoint=UNREACHABLE, cache_dir=cache)


def unreachable_hub(cache: Path) -> HubAccess:
    return HubAccess(offline=False, endpoint=UNREACHABLE, cache_dir=cache, etag_timeout_s=2)


def copy_without(source: Path, target: Path, *patterns: str) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*patterns))
    return target


def test_local_folder_is_used_as_is(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    assert resolve_model(str(tiny_qwen_dir), WRITING, offline_hub(tmp_path)) == tiny_qwen_dir


def test_folder_with_only_pickled_weights_is_refused(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_qwen_dir, tmp_path / "bin-only", "*.safetensors")
    (folder / "pytorch_model.bin").write_bytes(b"not loaded, ever")
    with pytest.raises(ModelLoadFailed) as caught:
        resolve_model(str(folder), WRITING, offline_hub(tmp_path))
    assert "only PyTorch .bin weights" in caught.value.message
    assert "safetensors" in caught.value.message
    assert "--writer-model" in caught.value.message


def test_folder_without_config_is_refused(tiny_blip_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_blip_dir, tmp_path / "no-config", "config.json")
    with pytest.raises(ModelLoadFailed, match=r"has no config\.json"):
        resolve_model(str(folder), CAPTIONING, offline_hub(tmp_path))


def test_half_downloaded_sharded_folder_is_refused(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_qwen_dir, tmp_path / "sharded", "*.safetensors")
    (folder / "model-00001-of-00002.safetensors").write_bytes(b"")
    shards = {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": shards}))
    with pytest.raises(ModelLoadFailed, match=r"model-00002-of-00002\.safetensors is missing"):
        resolve_model(str(folder), WRITING, offline_hub(tmp_path))


def test_missing_folder_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelMissing) as caught:
        resolve_model(str(missing), CAPTIONING, offline_hub(tmp_path))
    assert str(missing) in caught.value.message
    assert "--caption-model" in caught.value.message


def test_uncached_hub_model_offline_says_how_to_fetch_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as caught:
        resolve_model("Salesforce/blip-image-captioning-base", CAPTIONING, offline_hub(tmp_path))
    assert caught.value.message == (
        "The captioning model Salesforce/blip-image-captioning-base is not on this computer; "
        "run `lookaloud models pull` to download it (about 990 MB), or pass a local folder "
        "with --caption-model."
    )


def test_first_use_download_fails_fast_and_cleanly_without_network(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ModelMissing) as caught:
        resolve_model("Qwen/Qwen3-0.6B", WRITING, unreachable_hub(tmp_path))
    assert time.monotonic() - started < 5
    message = caught.value.message
    assert message.startswith("The writing model Qwen/Qwen3-0.6B is not on this computer")
    assert "could not be reached" in message
    assert "run `lookaloud models pull` when online" in message
    assert message.count(";") == 1 and message.endswith("--writer-model.")


def test_environment_offline_switch_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelMissing, match="is not on this computer; run"):
        resolve_model("Qwen/Qwen3-0.6B", WRITING)


def test_hub_access_reads_the_environment_when_asked(tmp_path: Path) -> None:
    hub = HubAccess.from_environment(
        {"TRANSFORMERS_OFFLINE": "true", "HF_ENDPOINT": UNREACHABLE, "HF_HUB_CACHE": str(tmp_path)}
    )
    assert hub == HubAccess(offline=True, endpoint=UNREACHABLE, cache_dir=tmp_path)
    assert HubAccess.from_environment({"HF_HUB_OFFLINE": "0"}).offline is False


def test_cached_hub_model_is_found_without_network(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    snapshot = put_in_hub_cache(tiny_qwen_dir, tmp_path, "Tiny/qwen3")
    assert resolve_model("Tiny/qwen3", WRITING, unreachable_hub(tmp_path)) == snapshot
    assert resolve_model("Tiny/qwen3", WRITING, offline_hub(tmp_path)) == snapshot


def test_nonsense_name_is_neither_folder_nor_id(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="neither a folder on this computer nor a model name"):
        resolve_model("two words", WRITING, offline_hub(tmp_path))


def test_status_reports_presence_place_and_size(tiny_blip_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    snapshot = put_in_hub_cache(tiny_blip_dir, cache, "Tiny/blip")
    expected_size = sum(p.stat().st_size for p in tiny_blip_dir.iterdir())
    names = ["Tiny/blip", "Qwen/Qwen3-0.6B", str(tiny_blip_dir)]
    cached, missing, folder = model_status(names, offline_hub(cache))
    assert (cached.present, cached.where, cached.size_bytes) == (True, snapshot, expected_size)
    assert (missing.present, missing.where, missing.size_bytes) == (False, None, 0)
    assert (folder.present, folder.where, folder.size_bytes) == (True, tiny_blip_dir, expected_size)


def test_status_counts_unusable_folder_as_absent(tiny_blip_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_blip_dir, tmp_path / "broken", "*.safetensors")
    [status] = model_status([str(folder)], offline_hub(tmp_path))
    assert status.present is False


def test_pull_without_network_is_one_clean_sentence(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(LookaloudError) as caught:
        pull_models(["Qwen/Qwen3-0.6B"], progress=False, hub=unreachable_hub(tmp_path))
    assert time.monotonic() - started < 5
    assert caught.value.message.startswith(
        "Lookaloud could not reach the model hub to download Qwen/Qwen3-0.6B (about 1.5 GB)"
    )
    assert "internet connection" in caught.value.message


def test_pull_in_offline_mode_says_offline_mode_is_on(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match=r"offline mode is on \(HF_HUB_OFFLINE\)"):
        pull_models(["Qwen/Qwen3-0.6B"], progress=False, hub=offline_hub(tmp_path))


def test_pull_of_cached_model_succeeds_offline(tiny_qwen_dir: Path, tmp_path: Path) -> None:
    snapshot = put_in_hub_cache(tiny_qwen_dir, tmp_path, "Tiny/qwen3")
    [status] = pull_models(["Tiny/qwen3"], progress=False, hub=offline_hub(tmp_path))
    assert status.present and status.where == snapshot

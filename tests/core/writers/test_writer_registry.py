"""The writers' registry: names, the remote → local → facts chain, checks before sending."""

from __future__ import annotations

import pytest

from lookaloud.core.assembly import models_for
from lookaloud.core.errors import SettingsError
from lookaloud.core.runtime.models import ModelChoice
from lookaloud.core.settings import RemoteSettings
from lookaloud.core.writers.registry import BACKENDS, WRITERS, writer_backend

SERVER = RemoteSettings(base_url="http://127.0.0.1:9", model="m")


def choice(backend: str, remote: RemoteSettings = SERVER) -> ModelChoice:
    return ModelChoice("unused-captioner", "unused-writer", backend=backend, remote=remote)


def test_the_chain_is_remote_then_local_then_the_facts() -> None:
    assert BACKENDS == ("local", "local-vlm", "remote", "remote-vlm")
    assert {name: WRITERS[name].takes_over for name in BACKENDS} == {
        "local": None,
        "local-vlm": None,  # the other local writer is not loaded in this mode: the facts
        "remote": "local",
        "remote-vlm": "local",
    }


def test_the_writers_that_see_images_and_the_ones_that_run_here() -> None:
    assert {name for name in BACKENDS if WRITERS[name].sees_images} == {"local-vlm", "remote-vlm"}
    assert {name for name in BACKENDS if WRITERS[name].on_this_computer} == {"local", "local-vlm"}


def test_models_follow_the_chain_without_loading_anything() -> None:
    local = models_for(choice("local"))
    assert local.backend == "local" and local.fallback_writer is None
    assert local.captioner is not None and local.reader is not None
    remote = models_for(choice("remote"))
    assert remote.fallback_writer is not None and remote.captioner is not None
    vision = models_for(choice("remote-vlm"))
    assert vision.fallback_writer is not None
    assert vision.captioner is None  # the vision model is shown the picture itself
    local_vision = models_for(choice("local-vlm"))
    assert local_vision.backend == "local-vlm" and local_vision.reader is not None
    assert local_vision.captioner is None and local_vision.fallback_writer is None


def test_an_unknown_backend_names_the_ones_there_are() -> None:
    with pytest.raises(SettingsError, match="choose one of: local, local-vlm, remote, remote-vlm"):
        writer_backend("gpt-on-a-toaster")


def test_a_remote_writer_without_a_server_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(SettingsError, match="needs the server's address"):
        models_for(choice("remote", RemoteSettings(model="m")))
    with pytest.raises(SettingsError, match="needs the name of a model"):
        models_for(choice("remote-vlm", RemoteSettings(base_url="http://127.0.0.1:9")))


def test_a_plain_http_server_elsewhere_is_warned_about_with_every_result() -> None:
    far = RemoteSettings(base_url="http://192.0.2.10:8000", model="m")
    assert models_for(choice("remote", far)).notices  # text would cross the network unencrypted
    assert models_for(choice("remote")).notices == ()  # loopback is this computer


def test_a_missing_gguf_file_for_the_local_vision_model_is_a_sentence_naming_it() -> None:
    gguf = ModelChoice("c", "w", backend="local-vlm", vlm_model="/models/qwen3-vl-2b.gguf")
    with pytest.raises(SettingsError, match=r"The model file /models/qwen3-vl-2b\.gguf is missing"):
        models_for(gguf)

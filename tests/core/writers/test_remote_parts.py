"""The remote writer's small parts: addresses, the SSE reader, the API key, Retry-After."""

from __future__ import annotations

import pytest
from PIL import Image

from lookaloud.core.errors import SettingsError
from lookaloud.core.writers._sse import MalformedChunk, parse_chunk, sse_payloads
from lookaloud.core.writers.address import (
    display_url,
    is_loopback,
    normalize_base_url,
    unencrypted_notice,
)
from lookaloud.core.writers.api_keys import ApiKey, find_api_key, save_api_key
from lookaloud.core.writers.base import ChatMessage
from lookaloud.core.writers.openai_api import Endpoint, _retry_after
from lookaloud.core.writers.remote import message_json
from lookaloud.core.writers.remote_vlm import RemoteVlmWriter


@pytest.mark.parametrize(
    ("typed", "base"),
    [
        ("http://localhost:8000", "http://localhost:8000/v1"),
        ("http://localhost:8000/", "http://localhost:8000/v1"),
        ("  http://localhost:8000/v1/ ", "http://localhost:8000/v1"),
        (
            "https://dashscope.example.com/compatible-mode/v1",
            "https://dashscope.example.com/compatible-mode/v1",
        ),
        ("http://10.0.0.2:11434/v1/chat/completions", "http://10.0.0.2:11434/v1"),
        ("https://api.example.com/api/v1beta", "https://api.example.com/api/v1beta"),
        ("http://host:9000/proxy", "http://host:9000/proxy/v1"),
    ],
)
def test_base_urls_are_normalized(typed: str, base: str) -> None:
    assert normalize_base_url(typed) == base


@pytest.mark.parametrize("typed", ["localhost:8000", "ftp://host/v1", "", "http://"])
def test_an_address_that_is_not_a_web_address_is_a_settings_error(typed: str) -> None:
    with pytest.raises(SettingsError, match="not a web address"):
        normalize_base_url(typed)


def test_plain_http_to_another_computer_gets_a_warning() -> None:
    assert is_loopback("http://127.0.0.5:1/v1") and is_loopback("http://[::1]:8000/v1")
    assert is_loopback("http://localhost/v1") and not is_loopback("http://192.168.1.20/v1")
    assert unencrypted_notice("http://localhost:8000/v1", sends_images=True) is None
    assert unencrypted_notice("https://gpu.example.org/v1", sends_images=True) is None
    text_only = unencrypted_notice("http://gpu.example.org/v1", sends_images=False)
    images = unencrypted_notice("http://gpu.example.org/v1", sends_images=True)
    assert text_only is not None and "the text found in your images" in text_only
    assert images is not None and "your images" in images and "unencrypted" in images


def test_a_password_in_the_address_is_never_shown() -> None:
    assert display_url("https://me:hunter22@host/v1") == "https://host/v1"


def test_sse_payloads_end_at_done_or_at_the_end_of_the_body() -> None:
    lines = [": ping", 'data: {"a": 1}', "", "event: x", 'data: {"b":', "data: 2}", ""]
    assert list(sse_payloads([*lines, "data: [DONE]", "", 'data: {"late": 1}', ""])) == [
        '{"a": 1}',
        '{"b":\n2}',
    ]
    assert list(sse_payloads(['data: {"c": 3}'])) == ['{"c": 3}']  # no blank line at the end


def test_chunks_are_read_leniently() -> None:
    assert parse_chunk('{"choices": [{"delta": {"content": "Hi"}}]}').content == "Hi"
    assert parse_chunk('{"choices": []}').content == ""
    assert parse_chunk('{"usage": {"total_tokens": 3}}').content == ""
    thought = parse_chunk('{"choices": [{"delta": {"reasoning_content": "hm"}}]}')
    assert thought.content == "" and thought.reasoning == "hm"
    parts = '{"choices": [{"delta": {"content": [{"type": "text", "text": "A"}]}}]}'
    assert parse_chunk(parts).content == "A"
    assert parse_chunk('{"error": "overloaded"}').error == {"message": "overloaded"}
    with pytest.raises(MalformedChunk):
        parse_chunk('{"choices": [')
    with pytest.raises(MalformedChunk):
        parse_chunk("[1, 2]")


def test_the_key_comes_from_the_environment_first_then_the_keyring() -> None:
    store = DictStore()
    save_api_key("http://h/v1", " from-keyring-123 \n", store)
    from_env = find_api_key("http://h/v1", "MY_KEY", env={"MY_KEY": "from-env-456"}, store=store)
    from_store = find_api_key("http://h/v1", "MY_KEY", env={}, store=store)
    assert from_env is not None and from_env.reveal() == "from-env-456"
    assert from_env.source == "the environment variable MY_KEY"
    assert from_store is not None and from_store.reveal() == "from-keyring-123"
    assert find_api_key("http://other/v1", "MY_KEY", env={}, store=store) is None


def test_no_usable_keyring_means_no_key_and_saving_says_what_to_do() -> None:
    import keyring.errors

    class Broken:
        def get_password(self, service_name: str, username: str) -> str | None:
            raise keyring.errors.NoKeyringError("none")

        def set_password(self, service_name: str, username: str, password: str) -> None:
            raise keyring.errors.NoKeyringError("none")

    assert find_api_key("http://h/v1", "K", env={}, store=Broken()) is None
    with pytest.raises(SettingsError, match="environment variable"):
        save_api_key("http://h/v1", "k", Broken())


def test_the_key_never_prints() -> None:
    key = ApiKey("sk-live-abcdefgh12345678", "the keyring")
    endpoint = Endpoint("http://h/v1", "m", api_key=key)
    assert "abcdefgh" not in repr(key) + str(key) + repr(endpoint)
    echoed = "Incorrect API key provided: sk-live-****5678 (sk-live-abcdefgh12345678)"
    assert "sk-live-abcdefgh12345678" not in key.redact(echoed)


def test_retry_after_reads_seconds_and_dates() -> None:
    assert _retry_after("3") == 3.0 and _retry_after("-2") == 0.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_images_travel_as_data_url_parts_before_the_text() -> None:
    writer = RemoteVlmWriter(Endpoint("http://h/v1", "vlm"))
    screenshot = Image.new("RGB", (2400, 1200), (240, 240, 240))
    part = writer.prepare_image(screenshot)
    assert part.mime_type == "image/png" and (part.width, part.height) == (1024, 512)
    message = message_json(ChatMessage("user", "Describe it.", (part,)))
    image_part, text_part = message["content"]
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert text_part == {"type": "text", "text": "Describe it."}
    assert message_json(ChatMessage("user", "Plain."))["content"] == "Plain."
    assert "bytes" in repr(part) and len(repr(part)) < 80


class DictStore:
    """A keyring in a dictionary."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service_name: str, username: str) -> str | None:
        return self.saved.get((service_name, username))

    def set_password(self, service_name: str, username: str, password: str) -> None:
        self.saved[(service_name, username)] = password

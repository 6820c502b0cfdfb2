"""``lookaloud remote …`` and ``describe --backend remote…`` as a user runs them, against the
scripted loopback server: precise sentences for each failure, the API key kept secret, the
keyring, and bounded parallel requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.fault_server import (
    HTML_PAGE,
    FaultServer,
    closed_port_url,
    error,
    fault_server,
    stream,
    unresponsive_port,
    words,
)
from helpers.render import render_blank, render_dialog
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.errors import SettingsError
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.settings import RemoteSettings

TESTS = Path(__file__).resolve().parents[1]
SECRET = "sk-cli-secret-9876543210"
# Passes every check for the rendered dialog (its text is read by the real OCR).
GOOD_DIALOG = (
    'A dialog box asks "Save changes?" at the top left of the screen. '
    'Below the title, a line reads "Your document has unsaved changes." '
    'At the bottom there are three buttons from left to right: "Save", "Don\'t Save" and '
    '"Cancel". The dialog is light grey with dark text.'
)


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[var] = str(tmp_path / var.lower())
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH", "")])),
        PYTHON_KEYRING_BACKEND="helpers.file_keyring.FileKeyring",
        LOOKALOUD_TEST_KEYRING=str(tmp_path / "keyring.json"),
    )
    env.pop("LOOKALOUD_API_KEY", None)
    return env


def write_settings(env: dict[str, str], text: str) -> None:
    folder = Path(env["XDG_CONFIG_HOME"]) / "lookaloud"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.toml").write_text(text)


def lookaloud(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lookaloud", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin if stdin is not None else "",
    )


def check(url: str, env: dict[str, str], model: str = "m") -> subprocess.CompletedProcess[str]:
    return lookaloud(["remote", "check", "--base-url", url, "--model", model], env)


@pytest.fixture
def good_server() -> Iterator[FaultServer]:
    with fault_server([stream(words("OK"))], models=["m", "n"]) as server:
        yield server


def test_check_prints_models_and_latency(
    good_server: FaultServer, user_env: dict[str, str]
) -> None:
    done = check(good_server.url, user_env)
    assert done.returncode == 0, done.stderr
    server, model, answer = done.stdout.splitlines()
    assert server == f"Server: {good_server.url}" and model == "Models: m, n"
    assert answer.startswith("Model m answered 'OK' (first text after ") and "ms in all" in answer
    assert good_server.paths() == ["GET /v1/models", "POST /v1/chat/completions"]
    body = good_server.chat_requests()[0].body
    assert body is not None and body["max_tokens"] == 8 and body["stream"] is True


def test_check_without_a_model_tries_the_first_listed(
    good_server: FaultServer, user_env: dict[str, str]
) -> None:
    done = lookaloud(["remote", "check", "--base-url", good_server.url], user_env)
    assert done.returncode == 0 and "Model m answered" in done.stdout


def test_check_says_when_the_connection_is_refused(user_env: dict[str, str]) -> None:
    url = closed_port_url()
    done = check(url, user_env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"lookaloud: Lookaloud could not connect to the server at {url}; check that the "
        "server is running and that the address and port are right."
    )


def test_check_says_when_the_server_does_not_answer_in_time(user_env: dict[str, str]) -> None:
    write_settings(user_env, "[remote]\nconnect_timeout = 0.5\n")
    with unresponsive_port() as (url, _):
        done = check(url, user_env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"lookaloud: The server at {url} did not accept a connection within 0.5 seconds; "
        "check the address and the network."
    )


def test_check_says_the_key_was_refused(user_env: dict[str, str]) -> None:
    refused = error(401, f"Incorrect API key provided: {SECRET}")
    env = dict(user_env, MY_KEY=SECRET)
    with fault_server([refused], models_reply=refused) as server:
        done = lookaloud(
            [
                "remote",
                "check",
                "--base-url",
                server.url,
                "--model",
                "m",
                "--api-key-env",
                "MY_KEY",
            ],
            env,
        )
    assert done.returncode == 1 and server.paths() == ["GET /v1/models"]
    assert done.stderr.strip() == (
        "lookaloud: The server refused the API key from the environment variable MY_KEY; "
        f"check the key for {server.url}."
    )
    assert SECRET not in done.stdout + done.stderr


def test_check_names_the_missing_model_and_the_ones_there_are(user_env: dict[str, str]) -> None:
    missing = error(404, "The model `qwen-huge` does not exist.")
    with fault_server([missing], models=["qwen3-0.6b", "qwen3-1.7b"]) as server:
        done = check(server.url, user_env, model="qwen-huge")
    assert done.returncode == 1
    assert server.paths() == [
        "GET /v1/models",
        "POST /v1/chat/completions",
        "GET /v1/models",
    ]
    assert done.stderr.strip() == (
        "lookaloud: The server has no model named qwen-huge; it has: qwen3-0.6b, qwen3-1.7b."
    )


def test_check_of_a_server_that_lists_no_models_still_asks_the_model(
    user_env: dict[str, str],
) -> None:
    # Servers that serve a model they do not list (older `transformers serve`, some proxies).
    with fault_server([stream(words("OK"))], models=[]) as server:
        done = check(server.url, user_env, model="qwen3-0.6b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "Models: none listed"
    assert "Model qwen3-0.6b answered 'OK'" in done.stdout
    assert server.paths() == ["GET /v1/models", "POST /v1/chat/completions"]


def test_check_of_a_server_whose_list_fails_still_asks_the_model(
    user_env: dict[str, str],
) -> None:
    broken_list = error(500, "no such folder: /root/.cache/huggingface/hub")
    with fault_server([stream(words("OK"))], models_reply=broken_list) as server:
        done = check(server.url, user_env, model="qwen3-0.6b")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "Models: the server does not list them"
    assert "Model qwen3-0.6b answered 'OK'" in done.stdout


def test_check_of_a_server_that_lists_nothing_quotes_its_missing_model_error(
    user_env: dict[str, str],
) -> None:
    refused = error(400, "The model is pinned to 'qwen3-0.6b'; qwen-huge is not served.")
    with fault_server([refused], models=[]) as server:
        done = check(server.url, user_env, model="qwen-huge")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "lookaloud: The server has no model named qwen-huge (it said: The model is pinned to "
        "'qwen3-0.6b'; qwen-huge is not served); check the model's name."
    )


def test_check_says_when_the_address_is_not_an_openai_api(user_env: dict[str, str]) -> None:
    with fault_server([HTML_PAGE], models_reply=HTML_PAGE) as server:
        done = check(server.url, user_env)
    assert done.returncode == 1 and len(server.requests) == 2
    assert done.stderr.strip() == (
        f"lookaloud: The address {server.url} answers, but not as an OpenAI-compatible API; "
        "check it (it usually ends in /v1, for example http://localhost:8000/v1)."
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--backend", "remote", "--model", "m"], "needs the server's address"),
        (["--backend", "remote", "--base-url", "http://127.0.0.1:9"], "needs the name of a model"),
        # Checked by the settings' own rule, as the same value in the settings file would be.
        (
            ["--backend", "remote-vlm", "--base-url", "localhost:8000", "--model", "m"],
            "'localhost:8000' is not a valid base_url: it should be an address written in full",
        ),
    ],
)
def test_describe_with_an_incomplete_server_setting_is_a_usage_error(
    args: list[str], sentence: str, tmp_path: Path, user_env: dict[str, str]
) -> None:
    done = lookaloud(["describe", str(render_blank(tmp_path / "b.png")), *args], user_env)
    assert done.returncode == 2 and sentence in done.stderr


def test_the_key_from_the_environment_is_sent_but_never_shown_or_logged(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    env = dict(user_env, MY_KEY=SECRET)
    refused = error(401, f"Incorrect API key provided: {SECRET}")
    with fault_server([refused]) as server:
        args = ["describe", str(dialog), "--json", "--backend", "remote", "--base-url", server.url]
        done = lookaloud([*args, "--model", "m", "--api-key-env", "MY_KEY"], env)
    assert done.returncode == 0, done.stderr
    assert server.chat_requests()[0].headers["Authorization"] == f"Bearer {SECRET}"
    record = json.loads(done.stdout)
    assert record["written_by"] == "facts" and record["fallback"]
    assert "The server refused the API key from the environment variable MY_KEY" in done.stderr
    assert "no local model is available, so these are the facts found" in done.stderr
    logs = "".join(p.read_text() for p in Path(env["XDG_STATE_HOME"]).rglob("*") if p.is_file())
    assert SECRET not in done.stdout + done.stderr + logs
    assert SECRET[:10] not in done.stdout + done.stderr + logs


def test_a_key_set_in_the_keyring_is_used_for_that_server(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    with fault_server([stream(words(GOOD_DIALOG))]) as server:
        stored = lookaloud(["remote", "set-key", "--base-url", server.url + "/"], user_env, SECRET)
        assert stored.returncode == 0, stored.stderr
        assert stored.stdout.strip() == (
            f"The API key for {server.url} is now kept in the keyring."
        )
        args = ["describe", str(render_dialog(tmp_path / "d.png")), "--json", "--no-cache"]
        done = lookaloud(
            [*args, "--backend", "remote-vlm", "--base-url", server.url, "--model", "m"], user_env
        )
    assert done.returncode == 0, done.stderr
    assert server.chat_requests()[0].headers["Authorization"] == f"Bearer {SECRET}"
    record = json.loads(done.stdout)
    assert record["written_by"] == "remote-vlm" and record["description"].endswith(GOOD_DIALOG)
    content = (server.chat_requests()[0].body or {})["messages"][1]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "Save changes?" in content[1]["text"]  # the OCR facts ground the vision model
    settings_file = Path(user_env["XDG_CONFIG_HOME"]) / "lookaloud" / "settings.toml"
    assert not settings_file.exists() or SECRET not in settings_file.read_text()
    assert SECRET not in done.stdout + done.stderr


def test_concurrency_bounds_parallel_requests_and_keeps_the_order(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    images = [render_dialog(tmp_path / f"dialog{i}.png") for i in range(4)]
    slow = stream(words(GOOD_DIALOG), delay_s=1.5)
    with fault_server([slow]) as server:
        # Without OCR the local work per image takes milliseconds, so the requests overlap
        # however busy the machine is; each one then takes the server's 1.5 s.
        args = ["describe", *map(str, images), "--json", "--backend", "remote-vlm", "--no-cache"]
        args += ["--no-ocr", "--base-url", server.url, "--model", "m", "--concurrency", "2"]
        done = lookaloud(args, user_env)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["image"]).name for r in records] == [p.name for p in images]
    assert all(r["ok"] and r["backend"] == "remote-vlm" for r in records)
    assert len(server.chat_requests()) >= 4 and server.max_in_flight == 2


def test_plain_http_to_another_computer_is_told_with_every_result(tmp_path: Path) -> None:
    # A blank image needs no writer, so nothing is sent to the (unreachable) address.
    remote = RemoteSettings(base_url="http://192.0.2.10:8000", model="m")
    choice = ModelChoice("c", "w", ocr=False, backend="remote-vlm", remote=remote)
    result = Pipeline(models_for(choice), PipelineConfig()).run(render_blank(tmp_path / "b.png"))
    assert result.ok and any(
        "uses plain http, so your images" in n and "unencrypted" in n for n in result.notices
    )
    with pytest.raises(SettingsError):
        models_for(ModelChoice("c", "w", backend="cloud", remote=remote))

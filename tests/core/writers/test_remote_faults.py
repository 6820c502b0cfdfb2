"""The remote writer against a scripted loopback server that fails in every way the issue lists.

Each case runs the real write loop (L1/L2/L3 and fallback) around the real RemoteWriter over
real HTTP, and asserts how many requests the server saw, the outcome, and the sentence the user
gets. Backoff waits go to an injected sleeper, so nothing here waits for real.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from helpers.fault_server import (
    FaultServer,
    Recorded,
    Reply,
    chunk,
    closed_port_url,
    error,
    fault_server,
    stream,
    unresponsive_port,
    words,
)
from helpers.samples import EN, GOOD_EN
from helpers.scripted import ScriptedWriter
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled
from lookaloud.core.pipeline.config import WriteSettings
from lookaloud.core.pipeline.result import Event, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.retry import Backoff
from lookaloud.core.pipeline.write import WriteLoop, WriteOutcome
from lookaloud.core.writers.api_keys import ApiKey
from lookaloud.core.writers.base import Writer
from lookaloud.core.writers.openai_api import Endpoint
from lookaloud.core.writers.remote import RemoteWriter

REFUSAL = "I'm sorry, but as an AI I cannot see images. Please describe it yourself."
SECRET = "sk-test-0123456789abcdef"
GOOD = stream(words(GOOD_EN))


class Run:
    """Events, backoff sleeps and the outcome of one description."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.sleeps: list[float] = []
        self.outcome: WriteOutcome | None = None

    @property
    def retries(self) -> list[RetryEvent]:
        return [e for e in self.events if isinstance(e, RetryEvent)]

    @property
    def sentences(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, SentenceEvent)]


def endpoint(url: str, **options: object) -> Endpoint:
    settings: dict[str, object] = {"connect_timeout_s": 1.0, "read_timeout_s": 2.0, **options}
    return Endpoint(url, "m", **settings)  # type: ignore[arg-type]


def describe(
    writer: Writer,
    fallback: Callable[[], Writer | None] | None = None,
    cancel: CancelToken | None = None,
) -> tuple[WriteOutcome, Run]:
    run = Run()
    loop = WriteLoop(
        writer,
        EN,
        WriteSettings(max_attempts=3),
        clock=time.perf_counter,
        sleeper=run.sleeps.append,
        backoff=Backoff(),
        fallback_writer=fallback,
    )
    outcome = loop.run(cancel or CancelToken(), run.events.append, lambda: None)
    return outcome, run


def describe_with(server: FaultServer, **options: object) -> tuple[WriteOutcome, Run]:
    return describe(RemoteWriter(endpoint(server.url, **options)))


def test_a_good_stream_is_spoken_and_sends_the_thinking_off_hints() -> None:
    with fault_server([GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 1 and run.sleeps == []
    assert outcome.description == GOOD_EN and outcome.written_by == "remote"
    assert outcome.attempts == 1 and not outcome.fallback
    body = server.chat_requests()[0].body
    assert body is not None and body["model"] == "m" and body["stream"] is True
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["enable_thinking"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert all(isinstance(m["content"], str) for m in body["messages"])  # text only: no image
    assert "Save changes?" in body["messages"][1]["content"]


def test_connection_refused_is_retried_then_the_facts_are_read() -> None:
    outcome, run = describe(RemoteWriter(endpoint(closed_port_url())))
    assert run.sleeps == [1.0, 1.5]  # three attempts, nobody listening
    assert outcome.fallback and outcome.written_by == "facts" and outcome.attempts == 3
    assert "could not connect to the server at http://127.0.0.1:" in outcome.notices[0]
    assert [r.rule for r in run.retries] == ["connection", "connection"]


def test_connect_timeout_is_retried_and_named() -> None:
    with unresponsive_port() as (url, _):
        began = time.perf_counter()
        outcome, run = describe(RemoteWriter(endpoint(url, connect_timeout_s=0.3)))
        elapsed = time.perf_counter() - began
    assert run.sleeps == [1.0, 1.5] and outcome.fallback and outcome.attempts == 3
    assert "did not accept a connection within 0.3 seconds" in outcome.notices[0]
    assert 0.8 < elapsed < 5  # three real 0.3 s connect timeouts, no real backoff


def test_read_timeout_mid_stream_is_an_l1_retry() -> None:
    # A 2 s read timeout, so a busy machine's pauses between healthy chunks do not trip it;
    # the stall outlasts it by far and ends when the server stops.
    stalled = stream(words(GOOD_EN), stall_after=3, stall_s=60.0)
    with fault_server([stalled, GOOD]) as server:
        outcome, run = describe_with(server, read_timeout_s=2.0)
    assert len(server.chat_requests()) == 2 and run.sleeps == [1.0]
    assert outcome.description == GOOD_EN and outcome.attempts == 2
    assert run.retries[0].rule == "connection"
    assert "sent nothing for 2 seconds" in run.retries[0].reason


def test_429_waits_as_long_as_retry_after_says() -> None:
    busy = error(429, "slow down", **{"Retry-After": "7"})
    with fault_server([busy, GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == [7.0]
    assert outcome.description == GOOD_EN
    assert "too many requests" in run.retries[0].reason


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    with fault_server([error(503, "maintenance", **{"Retry-After": later}), GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and 15 < run.sleeps[0] <= 20
    assert not outcome.fallback


def test_500_then_success() -> None:
    with fault_server([error(500, "boom"), GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == [1.0]
    assert outcome.description == GOOD_EN and outcome.attempts == 2
    assert "failed with HTTP 500 (boom)" in run.retries[0].reason


def test_500_every_time_ends_in_the_facts_after_three_requests() -> None:
    with fault_server([error(502, "bad gateway")]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 3 and run.sleeps == [1.0, 1.5]
    assert outcome.fallback and "HTTP 502" in outcome.notices[0]


def test_401_is_not_retried_and_never_shows_the_key() -> None:
    refused = error(401, f"Incorrect API key provided: {SECRET}")
    key = ApiKey(SECRET, "the environment variable MY_KEY")
    with fault_server([refused]) as server:
        outcome, run = describe(RemoteWriter(endpoint(server.url, api_key=key)))
    assert len(server.chat_requests()) == 1 and run.sleeps == []
    assert server.chat_requests()[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert outcome.fallback and outcome.notices[0] == (
        "The server refused the API key from the environment variable MY_KEY; check the key "
        f"for {server.url}."
    )
    assert SECRET not in repr(outcome) and SECRET[:8] not in repr(run.events)


def test_401_without_a_key_says_how_to_give_one() -> None:
    with fault_server([error(401, "missing key")]) as server:
        outcome, _ = describe_with(server)
    assert "needs an API key" in outcome.notices[0] and "remote set-key" in outcome.notices[0]
    assert "LOOKALOUD_API_KEY" in outcome.notices[0]


def test_404_for_the_model_lists_the_models_the_server_has() -> None:
    missing = error(404, "The model `m` does not exist.")
    with fault_server([missing], models=["qwen3-8b", "llava-1.5"]) as server:
        outcome, run = describe_with(server)
    assert server.paths() == ["POST /v1/chat/completions", "GET /v1/models"]
    assert run.sleeps == [] and outcome.fallback
    assert outcome.notices[0] == "The server has no model named m; it has: qwen3-8b, llava-1.5."


def test_a_stream_cut_after_a_few_chunks_is_an_l1_retry() -> None:
    cut = stream(words(GOOD_EN), cut_after=4)
    with fault_server([cut, GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == [1.0]
    assert outcome.description == GOOD_EN
    assert "cut off in the middle of the reply" in run.retries[0].reason


def test_a_malformed_json_chunk_is_an_l1_retry() -> None:
    broken = Reply(events=[f"data: {chunk('A dialog')}", 'data: {"choices": [{"delta": {"con'])
    with fault_server([broken, GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == [1.0]
    assert outcome.description == GOOD_EN
    assert "damaged piece of its reply" in run.retries[0].reason


THINKING = Reply(
    events=[f"data: {chunk(reasoning=w)}" for w in words("Let me think about it.")]
    + [f"data: {chunk(finish='length')}"]
)


def last_user_text(request: Recorded) -> str:
    assert request.body is not None
    content = request.body["messages"][-1]["content"]
    return content if isinstance(content, str) else content[-1]["text"]


def test_a_reasoning_only_reply_is_retried_more_firmly_then_the_facts_are_read() -> None:
    with fault_server([THINKING]) as server:
        outcome, run = describe_with(server)
    requests = server.chat_requests()
    assert len(requests) == 3 and run.sleeps == []  # an L2 rejection, not a broken server
    assert not last_user_text(requests[0]).endswith("/no_think")
    assert all(last_user_text(r).endswith(" /no_think") for r in requests[1:])
    assert [r.rule for r in run.retries] == ["think_only"] * 3
    assert outcome.fallback and run.sentences[0].startswith("Automatic description unavailable")
    assert "spent its whole reply reasoning" in outcome.notices[0]
    assert "think" not in " ".join(run.sentences).lower()


def test_after_a_reasoning_only_reply_the_firmer_retry_can_succeed() -> None:
    with fault_server([THINKING, GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and outcome.description == GOOD_EN
    assert outcome.attempts == 2 and not outcome.fallback
    assert outcome.rejected[0].startswith("think_only:")
    assert [r.rule for r in run.retries] == ["think_only"]


def test_a_reply_wrapped_in_think_tags_is_heard_without_them() -> None:
    pieces = ["<thi", "nk>The user wants a description.</th", "ink>\n\n", *words(GOOD_EN)]
    with fault_server([stream(pieces)]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 1 and outcome.description == GOOD_EN
    assert not any("think" in s.lower() or "user wants" in s for s in run.sentences)


def test_an_empty_reply_is_rejected_by_the_rules_and_retried() -> None:
    with fault_server([stream([]), GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == []
    assert outcome.rejected == ("empty: the reply is empty",) and outcome.attempts == 2


def test_a_refusal_is_not_spoken_and_the_retry_is_simpler() -> None:
    with fault_server([stream(words(REFUSAL)), GOOD]) as server:
        outcome, run = describe_with(server)
    first, second = (r.body for r in server.chat_requests())
    assert first is not None and second is not None
    assert outcome.attempts == 2 and outcome.rejected[0].startswith("refusal:")
    assert not any("sorry" in s.lower() for s in run.sentences)
    assert len(second["messages"][0]["content"]) < len(first["messages"][0]["content"])
    assert second["temperature"] < first["temperature"]


def test_fields_a_server_refuses_by_name_are_dropped_and_remembered() -> None:
    strict = Reply(
        status=422,
        body="{\"detail\": \"Unexpected fields in the request: {'enable_thinking', 'top_k'}\"}",
        content_type="application/json",
    )
    with fault_server([strict, GOOD, GOOD]) as server:
        writer = RemoteWriter(endpoint(server.url))
        outcome, run = describe(writer)
        again, _ = describe(writer)
    bodies = [r.body or {} for r in server.chat_requests()]
    assert len(bodies) == 3 and run.sleeps == [] and outcome.attempts == 1
    assert "enable_thinking" in bodies[0] and "top_k" in bodies[0]
    for body in bodies[1:]:
        assert "enable_thinking" not in body and "top_k" not in body
        assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert again.description == GOOD_EN


def test_stream_quirks_are_tolerated() -> None:
    # No [DONE] (transformers serve), keep-alive comments, a chunk without choices, a usage-only
    # chunk, an "event:" field and a data line split in two.
    head = "A dialog box asks whether to save changes to a document."
    events = [": keep-alive", f"data: {chunk(head)}"]
    events += ['data: {"object": "chat.completion.chunk"}', "event: message"]
    events += ['data: {"choices": [], "usage": {"completion_tokens": 9}}']
    events += [f"data: {chunk(piece)}" for piece in words(GOOD_EN[len(head) :])]
    events += ['data: {"choices": [{"index": 0,\ndata: "delta": {}, "finish_reason": "stop"}]}']
    with fault_server([Reply(events=events, done=False)]) as server:
        outcome, _ = describe_with(server)
    assert len(server.chat_requests()) == 1 and outcome.description == GOOD_EN


def test_a_server_that_ignores_stream_and_answers_in_one_piece() -> None:
    whole = {"choices": [{"index": 0, "message": {"role": "assistant", "content": GOOD_EN}}]}
    with fault_server([Reply(body=json.dumps(whole), content_type="application/json")]) as server:
        outcome, _ = describe_with(server)
    assert outcome.description == GOOD_EN and outcome.attempts == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body="<html><body>Welcome to nginx</body></html>", content_type="text/html"),
        Reply(status=404, body='{"detail":"Not Found"}', content_type="application/json"),
        Reply(status=405, body="Method Not Allowed", content_type="text/plain"),
    ],
)
def test_an_address_that_is_not_an_openai_api_is_named_and_not_retried(reply: Reply) -> None:
    with fault_server([reply]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 1 and run.sleeps == [] and outcome.fallback
    assert outcome.notices[0].startswith(f"The address {server.url} answers, but not as an OpenAI")


def test_an_error_inside_the_stream_is_retried_when_the_server_says_it_failed() -> None:
    failing = Reply(events=[f"data: {chunk('A dialog')}", 'data: {"error": {"message": "OOM"}}'])
    with fault_server([failing, GOOD]) as server:
        outcome, run = describe_with(server)
    assert len(server.chat_requests()) == 2 and run.sleeps == [1.0]
    assert "(OOM)" in run.retries[0].reason and outcome.description == GOOD_EN


def test_the_local_writer_takes_over_when_the_server_fails_for_good() -> None:
    local = ScriptedWriter([GOOD_EN], backend="local")
    with fault_server([error(401, "no")]) as server:
        outcome, _ = describe(RemoteWriter(endpoint(server.url)), fallback=lambda: local)
    assert len(server.chat_requests()) == 1 and len(local.calls) == 1
    assert outcome.written_by == "local" and not outcome.fallback
    assert outcome.description == GOOD_EN and outcome.attempts == 2
    assert outcome.notices[1] == (
        "The remote server could not write the description, so the local model on this "
        "computer wrote it."
    )


def test_without_a_local_writer_the_facts_are_read_and_the_user_is_told() -> None:
    with fault_server([error(503, "down")]) as server:
        outcome, _ = describe(RemoteWriter(endpoint(server.url)), fallback=lambda: None)
    assert len(server.chat_requests()) == 3
    assert outcome.written_by == "facts" and outcome.fallback
    assert outcome.notices[-1].endswith(
        "no local model is available, so these are the facts found."
    )


def test_cancel_while_the_server_is_silent_stops_at_once() -> None:
    silent = stream(words(GOOD_EN), stall_after=2, stall_s=20.0)
    cancel = CancelToken()
    with fault_server([silent]) as server:
        writer = RemoteWriter(endpoint(server.url, read_timeout_s=30.0))
        threading.Timer(0.5, cancel.cancel).start()
        began = time.perf_counter()
        with pytest.raises(Cancelled):
            describe(writer, cancel=cancel)
        elapsed = time.perf_counter() - began
    assert elapsed < 2.0 and len(server.chat_requests()) == 1


def test_parallel_requests_are_bounded_by_the_concurrency() -> None:
    slow = stream(words(GOOD_EN), delay_s=0.3)
    with fault_server([slow]) as server:
        writer = RemoteWriter(endpoint(server.url, concurrency=2))
        threads = [threading.Thread(target=describe, args=(writer,)) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(server.chat_requests()) == 5 and server.max_in_flight == 2

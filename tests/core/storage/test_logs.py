"""The request log (JSON lines), the metrics computed from it, and the warning log file."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.storage.logs import (
    Metrics,
    RequestLog,
    compute_metrics,
    configure_logging,
    request_log_path,
)


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, restored after the test so other tests keep pytest's setup."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def read_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_request_log_lives_in_the_user_log_folder(state_home: Path) -> None:
    assert request_log_path() == state_home / "lookaloud" / "log" / "requests.jsonl"
    assert RequestLog().path == request_log_path()


def test_record_appends_one_json_line_with_a_utc_timestamp(state_home: Path) -> None:
    log = RequestLog()
    before = datetime.now(UTC)

    log.record(image_sha256="ab" * 32, ok=True, attempts=1, timings_ms={"total": 1200})
    log.record(image_sha256="cd" * 32, ok=False, attempts=3, error_code="writer_timeout")

    first, second = read_lines(request_log_path())
    assert first["image_sha256"] == "ab" * 32
    assert first["timings_ms"] == {"total": 1200}
    assert second["error_code"] == "writer_timeout"
    stamp = datetime.fromisoformat(str(first["ts"]))
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)


def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "requests.jsonl")

    written = log.record(
        backend="remote",
        api_key="sk-secret",
        generation={"max_new_tokens": 200, "temperature": 0.7, "API-Key": "sk-2"},
        headers=[{"Authorization": "Bearer sk-3", "accept": "json"}],
        access_token="t",
    )

    text = (tmp_path / "requests.jsonl").read_text()
    assert "sk-" not in text
    assert "Bearer" not in text
    assert '"t"' not in text
    assert written["generation"] == {"max_new_tokens": 200, "temperature": 0.7}
    assert written["headers"] == [{"accept": "json"}]


@dataclass(frozen=True)
class Params:
    temperature: float
    api_key: str


def test_enums_paths_and_dataclasses_are_written_readably(tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "requests.jsonl")

    log.record(detail=Detail.BRIEF, image=Path("/pictures/cat.png"), params=Params(0.5, "sk-x"))

    (line,) = read_lines(tmp_path / "requests.jsonl")
    assert line["detail"] == "brief"
    assert line["image"] == "/pictures/cat.png"
    assert line["params"] == {"temperature": 0.5}


def test_lines_from_many_threads_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    logs = [RequestLog(path), RequestLog(path)]  # two writers, as two processes would be
    payload = "x" * 20_000  # far larger than one buffer, so a split write would show

    def write(writer: int) -> None:
        for number in range(50):
            logs[writer % 2].record(writer=writer, number=number, payload=payload)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = read_lines(path)
    assert len(lines) == 300
    assert {(line["writer"], line["number"]) for line in lines} == {
        (w, n) for w in range(6) for n in range(50)
    }
    assert all(line["payload"] == payload for line in lines)


def test_a_log_that_cannot_be_written_does_not_fail_the_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    RequestLog(blocker / "requests.jsonl").record(ok=True)

    assert "Could not write to the request log" in caplog.text


def write_log(path: Path, records: list[dict[str, object]], tail: str = "") -> Path:
    lines = [json.dumps(record) for record in records]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


RECORDS: list[dict[str, object]] = [
    {"ok": True, "attempts": 1, "fallback": False, "quality": 0.8, "timings_ms": {"total": 2000}},
    {"ok": True, "attempts": 2, "fallback": False, "quality": 0.6, "timings_ms": {"total": 4000}},
    {"ok": True, "attempts": 3, "fallback": True, "quality": 0.1, "timings_ms": {"total": 6000}},
    {"ok": False, "attempts": 1, "fallback": False, "error_code": "image_truncated"},
]


def test_metrics_from_a_log(tmp_path: Path) -> None:
    metrics = compute_metrics(write_log(tmp_path / "requests.jsonl", RECORDS))

    assert metrics == Metrics(
        count=4,
        average_attempts=1.75,
        first_attempt_success_rate=0.25,
        mean_quality=pytest.approx(0.5),  # type: ignore[arg-type]
        mean_time_ms=4000.0,
        fallback_rate=0.25,
    )


def test_metrics_skip_garbage_and_a_half_written_last_line(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    write_log(path, RECORDS[:2], tail='{"ok": true, "attempts": 1, "qual')
    with path.open("ab") as file:
        file.write(b"\nnot json\n[1, 2]\n\xff\xfe broken bytes\n\n")

    metrics = compute_metrics(path)

    assert metrics.count == 2
    assert metrics.average_attempts == pytest.approx(1.5)


def test_time_is_the_sum_of_phases_when_no_total_was_logged(tmp_path: Path) -> None:
    records: list[dict[str, object]] = [
        {"ok": True, "timings_ms": {"load": 100, "caption": 900.5, "write": "?"}}
    ]

    assert compute_metrics(write_log(tmp_path / "r.jsonl", records)).mean_time_ms == 1000.5


def test_missing_log_means_no_requests(tmp_path: Path) -> None:
    metrics = compute_metrics(tmp_path / "none.jsonl")

    assert metrics.count == 0
    assert metrics.average_attempts is None
    assert metrics.to_lines() == ["No descriptions have been logged yet."]


def test_metrics_read_as_sentences(tmp_path: Path) -> None:
    lines = compute_metrics(write_log(tmp_path / "requests.jsonl", RECORDS)).to_lines()

    assert lines == [
        "Images described: 4",
        "Average attempts per image: 1.75",
        "Good on the first attempt: 25%",
        "Mean quality score: 0.50",
        "Mean time per image: 4.0 s",
        "Facts-only fallback used: 25%",
    ]


def test_metrics_default_to_the_user_request_log() -> None:
    RequestLog().record(ok=True, attempts=1, fallback=False)

    assert compute_metrics().count == 1


def test_warnings_go_to_the_log_file_and_not_the_console(
    root_logger: logging.Logger, capfd: pytest.CaptureFixture[str], state_home: Path
) -> None:
    path = configure_logging(verbose=False)

    logging.getLogger("lookaloud.test").warning("the voice stopped")
    logging.getLogger("lookaloud.test").info("a detail")

    assert path == state_home / "lookaloud" / "log" / "lookaloud.log"
    text = path.read_text(encoding="utf-8")
    assert "WARNING lookaloud.test: the voice stopped" in text
    assert "a detail" not in text
    assert capfd.readouterr().err == ""


def test_verbose_logging_also_prints_information(
    root_logger: logging.Logger, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = configure_logging(verbose=True, folder=tmp_path)
    configure_logging(verbose=True, folder=tmp_path)  # again: no duplicated handlers

    logging.getLogger("lookaloud.test").info("loading the model")

    assert path is not None
    assert path.read_text(encoding="utf-8").count("loading the model") == 1
    assert capfd.readouterr().err.count("loading the model") == 1


def test_unwritable_log_folder_leaves_logging_working(
    root_logger: logging.Logger, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    assert configure_logging(folder=blocker / "logs") is None
    logging.getLogger("lookaloud.test").warning("still fine")

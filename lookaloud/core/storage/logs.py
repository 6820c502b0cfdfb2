"""Logs: one JSON line per request, the counters computed from them, and the warning log file.

Both files live in the user's log folder (``platformdirs.user_log_dir``; on Linux
``$XDG_STATE_HOME/lookaloud/log``):

* ``requests.jsonl`` — one JSON object per described image: hash, success, attempts,
  fallback, backend, quality score, timings and model parameters. ``compute_metrics`` turns
  it into the numbers a user or maintainer reads (``lookaloud stats``).
* ``lookaloud.log`` — warnings and errors from the standard ``logging`` module, rotated,
  set up by ``configure_logging``. A blind user never sees a console, so nothing goes there
  unless asked for.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import logging.handlers
import math
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from lookaloud.core.i18n import tr

APP_NAME = "lookaloud"
REQUEST_LOG_NAME = "requests.jsonl"
LOG_FILE_NAME = "lookaloud.log"

logger = logging.getLogger(__name__)

# Keys whose values must never reach a log file, wherever they appear in a record.
_SECRET_KEY = re.compile(
    r"api[_-]?key|authori[sz]ation|secret|password|passwd|bearer|cookie|(^|[_-])token$", re.I
)


def log_dir() -> Path:
    """The folder both log files live in (not created here)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def request_log_path() -> Path:
    return log_dir() / REQUEST_LOG_NAME


# ---------------------------------------------------------------- the request log


class RequestLog:
    """Appends one JSON object per line; safe to share between threads.

    Each line goes to the file in a single unbuffered write of a file opened for appending,
    so lines from threads (or from two Lookaloud processes) never interleave. Writing never
    raises: a request must not fail because its log line could not be written.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = request_log_path() if path is None else path
        self._lock = threading.Lock()

    def record(self, **fields: object) -> dict[str, object]:
        """Writes ``fields`` with a UTC timestamp ``ts``; returns what was written."""
        entry: dict[str, object] = {"ts": _utc_now(), **fields}
        cleaned = _without_secrets(entry)
        assert isinstance(cleaned, dict)  # a dict stays a dict
        line = (json.dumps(cleaned, ensure_ascii=False, default=_jsonable) + "\n").encode("utf-8")
        with self._lock:
            self._append(line)
        return cleaned

    def _append(self, line: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab", buffering=0) as file:
                file.write(line)
        except OSError as exc:
            logger.warning("Could not write to the request log %s: %s", self.path, exc)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _without_secrets(value: object) -> object:
    """A copy of ``value`` without any secret-looking key, at any depth."""
    if isinstance(value, dict):
        return {
            key: _without_secrets(item)
            for key, item in value.items()
            if not _SECRET_KEY.search(str(key))
        }
    if isinstance(value, list | tuple):
        return [_without_secrets(item) for item in value]
    return value


def _jsonable(value: object) -> object:
    """How values that JSON does not know are written: enums by value, paths as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _without_secrets(dataclasses.asdict(value))
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metrics:
    """Counters over the request log; an average is None when nothing was there to average."""

    count: int
    average_attempts: float | None
    first_attempt_success_rate: float | None
    mean_quality: float | None
    mean_time_ms: float | None
    fallback_rate: float | None

    def to_lines(self) -> list[str]:
        """The counters as short sentences for a person, one per line."""
        if self.count == 0:
            return [tr("No descriptions have been logged yet.")]
        return [
            tr("Images described: {count}", count=self.count),
            tr(
                "Average attempts per image: {number}",
                number=_number(self.average_attempts, "{:.2f}"),
            ),
            tr(
                "Good on the first attempt: {number}",
                number=_number(self.first_attempt_success_rate, "{:.0%}"),
            ),
            tr(
                "Mean quality score: {number}",
                number=_number(self.mean_quality, "{:.2f}"),
            ),
            tr(
                "Mean time per image: {seconds}",
                seconds=_seconds(self.mean_time_ms),
            ),
            tr(
                "Facts-only fallback used: {number}",
                number=_number(self.fallback_rate, "{:.0%}"),
            ),
        ]


def compute_metrics(path: Path | None = None) -> Metrics:
    """Counters over the request log at ``path``; a missing file means no requests.

    Lines that are not JSON objects (a half-written last line, garbage) are skipped.
    """
    records = list(_read_records(request_log_path() if path is None else path))
    attempts = [_number_field(r, "attempts") for r in records]
    return Metrics(
        count=len(records),
        average_attempts=_mean(attempts),
        first_attempt_success_rate=_rate(_first_attempt_success(r) for r in records),
        mean_quality=_mean(_number_field(r, "quality") for r in records),
        mean_time_ms=_mean(_total_ms(r) for r in records),
        fallback_rate=_rate(r.get("fallback") is True for r in records),
    )


def _read_records(path: Path) -> Iterator[dict[str, object]]:
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            for line in file:
                record = _parse_line(line)
                if record is not None:
                    yield record
    except FileNotFoundError:
        return


def _parse_line(line: str) -> dict[str, object] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _number_field(record: dict[str, object], key: str) -> float | None:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _first_attempt_success(record: dict[str, object]) -> bool:
    return record.get("ok") is True and record.get("attempts") == 1 and not record.get("fallback")


def _total_ms(record: dict[str, object]) -> float | None:
    """The request's whole time: ``timings_ms["total"]`` if logged, else the sum of phases."""
    timings = record.get("timings_ms")
    if not isinstance(timings, dict):
        return None
    if "total" in timings:
        return _number_field(timings, "total")
    phases = [_number_field(timings, key) for key in timings]
    known = [phase for phase in phases if phase is not None]
    return sum(known) if known else None


def _mean(values: Iterable[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def _rate(flags: Iterable[bool]) -> float | None:
    return _mean(1.0 if flag else 0.0 for flag in flags)


def _number(value: float | None, form: str) -> str:
    return tr("not recorded") if value is None else form.format(value)


def _seconds(milliseconds: float | None) -> str:
    if milliseconds is None:
        return tr("not recorded")
    return tr("{seconds:.1f} s", "a time in seconds", seconds=milliseconds / 1000)


# ---------------------------------------------------------------- the warning log file

_HANDLER_NAME = "lookaloud"  # marks our handlers so configure_logging can be called again


def configure_logging(verbose: bool = False, folder: Path | None = None) -> Path | None:
    """Sends warnings (and with ``verbose`` everything from INFO up) to ``lookaloud.log``.

    The file rotates at 1 MB, keeping three old files. Only with ``verbose`` does anything
    go to the console (stderr). Calling it again replaces the earlier setup. Returns the log
    file, or None if the folder cannot be written (then logs go nowhere unless verbose).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()
    level = logging.INFO if verbose else logging.WARNING
    root.setLevel(level)
    logging.captureWarnings(True)
    path = _add_file_handler(root, (log_dir() if folder is None else folder) / LOG_FILE_NAME)
    # Without a console handler, Python's last-resort handler would print warnings anyway.
    console = logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()
    _add(root, console, level)
    return path


def _add_file_handler(root: logging.Logger, path: Path) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _add(root, handler, logging.NOTSET)
    return path


def _add(root: logging.Logger, handler: logging.Handler, level: int) -> None:
    handler.set_name(_HANDLER_NAME)
    handler.setLevel(level)
    root.addHandler(handler)

from __future__ import annotations

import pytest

from lookaloud.core.errors import WriterError, WriterTimeout, WriterUnavailable
from lookaloud.core.pipeline.retry import Backoff, is_transient, retry_after_of


def test_backoff_starts_at_one_second_and_grows_by_half() -> None:
    backoff = Backoff()
    assert [backoff.delay(n) for n in (1, 2, 3)] == [1.0, 1.5, 2.25]


def test_retry_after_wins_but_is_capped() -> None:
    backoff = Backoff(max_s=10)
    assert backoff.delay(1, retry_after=4) == 4
    assert backoff.delay(1, retry_after=3600) == 10


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (WriterTimeout("slow"), True),
        (WriterUnavailable("busy", retry_after=2), True),
        (WriterError("the server refused the API key"), False),
    ],
)
def test_which_errors_are_retried(error: WriterError, transient: bool) -> None:
    assert is_transient(error) is transient


def test_retry_after_is_read_from_the_error() -> None:
    assert retry_after_of(WriterUnavailable("busy", retry_after=2.5)) == 2.5
    assert retry_after_of(WriterTimeout("slow")) is None

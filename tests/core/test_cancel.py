from __future__ import annotations

import threading
import time

import pytest

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled


def test_cancelling_a_parent_cancels_its_children() -> None:
    parent = CancelToken()
    child = parent.child()
    parent.cancel()
    assert child.cancelled
    with pytest.raises(Cancelled):
        child.raise_if_cancelled()


def test_cancelling_a_child_leaves_the_parent_running() -> None:
    parent = CancelToken()
    parent.child().cancel()
    assert not parent.cancelled


def test_child_of_a_cancelled_token_starts_cancelled() -> None:
    parent = CancelToken()
    parent.cancel()
    assert parent.child().cancelled


def test_wait_wakes_at_once_on_cancel() -> None:
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    began = time.monotonic()
    assert token.wait(5) is True
    assert time.monotonic() - began < 1

"""Choosing what to capture: the monitor under the focus or the pointer, windows cut to it."""

from __future__ import annotations

import pytest

from lookaloud.desktop.capture import CaptureError, blacked_out, monitor_at
from lookaloud.desktop.focus import Rect

LEFT = Rect(0, 0, 1920, 1080)
RIGHT = Rect(1920, 0, 2560, 1440)


def test_the_monitor_holding_the_point_is_chosen() -> None:
    assert monitor_at((2000, 100), [LEFT, RIGHT]) == RIGHT
    assert monitor_at((10, 10), [LEFT, RIGHT]) == LEFT


def test_without_a_point_the_first_monitor_is_chosen() -> None:
    assert monitor_at(None, [LEFT, RIGHT]) == LEFT
    assert monitor_at((-500, -500), [LEFT, RIGHT]) == LEFT


def test_no_monitor_is_one_sentence() -> None:
    with pytest.raises(CaptureError, match="found no screen"):
        monitor_at((0, 0), [])


def test_a_window_hanging_off_the_screen_is_cut_to_it() -> None:
    window = Rect(1800, 100, 400, 300)
    assert window.intersected(LEFT) == Rect(1800, 100, 120, 300)
    assert window.intersected(Rect(0, 2000, 10, 10)) is None
    assert window.centre == (2000, 250)


def test_own_windows_are_blacked_out_of_the_picture() -> None:
    area = Rect(10, 20, 4, 3)  # the pixels of the picture, on the screen
    rgb = bytes([200]) * (4 * 3 * 3)
    cover = [Rect(12, 21, 5, 1), Rect(100, 100, 5, 5)]  # one overlaps, one is elsewhere
    out = blacked_out(rgb, area, cover)
    rows = [out[row * 12 : (row + 1) * 12] for row in range(3)]
    assert rows[0] == bytes([200]) * 12
    assert rows[1] == bytes([200]) * 6 + bytes(6)  # the two right-hand pixels of the middle row
    assert rows[2] == bytes([200]) * 12

"""Screenshots with mss: the screen under the focus or the pointer, a window, a region.

Captures are PNG bytes, as the pipeline takes them. With several monitors, "the screen" is the
one holding the focused window's centre, else the one under the mouse pointer, else the first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import mss
import mss.tools
import numpy as np

from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.desktop.focus import Rect, focused_window

log = logging.getLogger(__name__)

# Compression level 1: a full-HD screenshot encodes in tens of milliseconds instead of hundreds,
# and the file is only read once, by the pipeline.
PNG_LEVEL = 1


class CaptureError(LookaloudError):
    code = "capture_error"


@dataclass(frozen=True)
class Capture:
    png: bytes
    rect: Rect
    name: str


def monitors() -> list[Rect]:
    """Every monitor, in the order mss lists them (the primary first on most systems)."""
    try:
        with mss.MSS() as shots:
            return [_rect(m) for m in shots.monitors[1:]]
    except mss.ScreenShotError as exc:
        raise CaptureError(_cannot_capture(exc)) from exc


def grab(rect: Rect, name: str, cover: Sequence[Rect] = ()) -> Capture:
    """The pixels of ``rect`` as a PNG, with the parts in ``cover`` blacked out."""
    region = {"left": rect.left, "top": rect.top, "width": rect.width, "height": rect.height}
    try:
        with mss.MSS() as shots:
            shot = shots.grab(region)
    except mss.ScreenShotError as exc:
        raise CaptureError(_cannot_capture(exc)) from exc
    rgb = blacked_out(shot.rgb, rect, cover) if cover else shot.rgb
    png = mss.tools.to_png(rgb, shot.size, level=PNG_LEVEL)
    assert png is not None  # to_png returns the bytes when no output file is given
    return Capture(png, rect, name)


def blacked_out(rgb: bytes, rect: Rect, cover: Sequence[Rect]) -> bytes:
    """``rgb`` (the pixels of ``rect``, 3 bytes each) with every part inside ``cover`` black."""
    pixels = np.frombuffer(rgb, dtype=np.uint8).reshape(rect.height, rect.width, 3).copy()
    for part in cover:
        inside = part.intersected(rect)
        if inside is not None:
            top, left = inside.top - rect.top, inside.left - rect.left
            pixels[top : top + inside.height, left : left + inside.width] = 0
    return pixels.tobytes()


def monitor_at(point: tuple[int, int] | None, screens: Sequence[Rect]) -> Rect:
    """The monitor holding ``point``; the first one when there is no point or it is off-screen."""
    if not screens:
        raise CaptureError(
            tr("Lookaloud found no screen to capture; check that a display is on.", "error")
        )
    if point is not None:
        for screen in screens:
            if screen.contains(*point):
                return screen
    return screens[0]


def pointer_position() -> tuple[int, int] | None:
    """Where the mouse pointer is, through pynput (X11, Windows and macOS alike)."""
    try:
        from pynput.mouse import Controller
    except ImportError:
        return None
    try:
        x, y = Controller().position
    except (OSError, RuntimeError, TypeError) as exc:  # no display, or the backend failed
        log.info("cannot find the mouse pointer: %s", exc)
        return None
    return int(x), int(y)


def current_screen() -> Rect:
    """The monitor under the focused window, or else under the pointer."""
    window = focused_window()
    point = window.rect.centre if window is not None else pointer_position()
    return monitor_at(point, monitors())


def grab_screen(cover: Sequence[Rect] = ()) -> Capture:
    return grab(current_screen(), "screen", cover)


def window_area(rect: Rect) -> Rect:
    """The part of a window on the screen it is on (a window may hang off the edge)."""
    whole = monitor_at(rect.centre, monitors())
    return rect.intersected(whole) or whole


def grab_window(rect: Rect, cover: Sequence[Rect] = ()) -> Capture:
    return grab(window_area(rect), "active window", cover)


def _rect(monitor: dict[str, int]) -> Rect:
    return Rect(monitor["left"], monitor["top"], monitor["width"], monitor["height"])


def _cannot_capture(exc: Exception) -> str:
    log.warning("screen capture failed: %s", exc)
    return tr(
        "Lookaloud could not take a screenshot; on Linux it needs an X11 session "
        "(or XWayland), so try describing an image file instead.",
        "error",
    )

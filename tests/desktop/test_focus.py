"""Finding the top-level window that holds the focus, as X reports it."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lookaloud.desktop.focus import _x11_top_level


@dataclass
class FakeWindow:
    id: int
    parent: Any  # a FakeWindow, or the number 0 that python-xlib gives for the root's parent

    def query_tree(self) -> SimpleNamespace:
        return SimpleNamespace(parent=self.parent)

    def get_geometry(self) -> SimpleNamespace:
        return SimpleNamespace(width=640, height=480)

    def translate_coords(self, root: FakeWindow, x: int, y: int) -> SimpleNamespace:
        return SimpleNamespace(x=-100, y=-50)


def display_with(root: FakeWindow) -> SimpleNamespace:
    return SimpleNamespace(screen=lambda: SimpleNamespace(root=root))


def test_the_root_window_itself_is_no_window_to_describe() -> None:
    root = FakeWindow(1, 0)  # its parent is the number 0: this used to raise AttributeError
    assert _x11_top_level(display_with(root), root) is None


def test_a_nested_window_gives_its_top_level_child_of_the_root() -> None:
    root = FakeWindow(1, 0)
    frame = FakeWindow(2, root)
    button = FakeWindow(3, frame)
    found = _x11_top_level(display_with(root), button)
    assert found is not None and found.handle == 2
    assert (found.rect.left, found.rect.top, found.rect.width, found.rect.height) == (
        100,
        50,
        640,
        480,
    )

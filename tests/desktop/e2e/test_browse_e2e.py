"""Browse mode in the real app, read like a screen reader: a folder opened from the keyboard,
the list's items named with position and first sentence, and each move heard at once."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from harness import APP_NAME, Announcements, RunningApp, XSession, wait_until

from helpers.browse import cache_descriptions, first_sentence, picture_folder
from lookaloud.core.settings import load_settings
from lookaloud.core.storage.cache import DescriptionCache
from lookaloud.desktop.describing import settings_fingerprint

DIALOG_TITLE = "Open a folder of pictures"


def describe_in_advance(app: RunningApp, pictures: list[Path]) -> None:
    """Puts descriptions in the app's own cache, as ``lookaloud batch`` would have."""
    settings = load_settings(app.home / "config" / "lookaloud" / "settings.toml").settings
    cache = DescriptionCache(app.home / "cache" / "lookaloud" / "descriptions.sqlite3")
    cache_descriptions(cache, settings_fingerprint(settings), pictures)
    cache.close()


def open_folder_from_the_keyboard(app: RunningApp, folder: Path) -> None:
    session = app.session
    window = session.xdotool("search", "--name", f"^{APP_NAME}$").split()[0]
    session.xdotool("windowfocus", "--sync", window)
    session.xdotool("key", "ctrl+shift+o")
    # The dialog's window is found by name a moment before it takes the keyboard; keys typed
    # in between went to the main window on a loaded CI machine. So type only once its path
    # field has the focus, and press Return only once the field holds the whole path.
    wait_until(lambda: focused_field(app) is not None, 20, "the folder dialog's path field")
    session.xdotool("type", "--delay", "10", str(folder))
    wait_until(lambda: focused_field(app) == str(folder), 10, f"the field to read {folder}")
    session.xdotool("key", "Return")
    wait_until(lambda: not dialog_is_open(session), 20, "the folder dialog to close")


def dialog_is_open(session: XSession) -> bool:
    try:
        return bool(session.xdotool("search", "--name", DIALOG_TITLE))
    except subprocess.CalledProcessError:  # xdotool fails while no window matches
        return False


def focused_field(app: RunningApp) -> str | None:
    """The text of the editable field that has the keyboard focus, if one has."""
    for node in app.tree():
        if node["text"] is not None and "focused" in node["states"]:
            return str(node["text"])
    return None


def test_browsing_reads_each_picture_at_once_with_its_position(
    lookaloud: RunningApp, announcements: Announcements, tmp_path: Path
) -> None:
    pictures = picture_folder(tmp_path / "album", 3)
    describe_in_advance(lookaloud, pictures)
    open_folder_from_the_keyboard(lookaloud, tmp_path / "album")
    announcements.wait_for(lambda text: text == first_sentence(0), timeout=30)
    lookaloud.session.xdotool("key", "Down")
    sent = time.monotonic()  # xdotool has sent the key; its own start-up is not the app's time
    heard = announcements.wait_for(lambda text: text == first_sentence(1), timeout=10)
    delay = float(str(heard["time"])) - sent
    print(f"Down sent → first sentence announced on AT-SPI: {delay * 1000:.0f} ms")
    assert delay < 1.0
    items = [str(n["name"]) for n in lookaloud.tree() if n["role"] == "list item"]
    assert f"p1.png, 2 of 3. {first_sentence(1)}" in items
    assert f"p2.png, 3 of 3. {first_sentence(2)}" in items
    lists = {str(n["name"]) for n in lookaloud.tree() if n["role"] == "list"}
    assert "Pictures in album" in lists


def test_access_keys_stay_unique_with_the_browse_panel_shown(lookaloud: RunningApp) -> None:
    nodes = [n for n in lookaloud.tree() if n["depth"] <= 6 and "showing" in n["states"]]
    assert any(n["name"] == "Search pictures" for n in nodes)  # the panel is showing
    keys = [str(n["bindings"][0]) for n in nodes if n["bindings"] and n["bindings"][0]]
    assert {"Alt+E", "Alt+I", "Alt+L"} <= set(keys)  # search, pictures, "Browse folder"
    assert len(keys) == len(set(keys)), sorted(keys)


def test_browsing_printed_nothing_to_a_console(lookaloud: RunningApp) -> None:
    # Runs last: the folder dialog and the list said everything through the screen reader.
    assert (lookaloud.home / "app-output.txt").read_text() == ""

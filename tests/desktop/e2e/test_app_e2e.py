"""The real app as a screen-reader user meets it: the accessibility tree, buttons pressed
through AT-SPI, global hotkeys sent from another application, speech stopped, the region
overlay worked with the keyboard alone."""

from __future__ import annotations

import time

import mss
import mss.tools
from harness import APP_NAME, ARTIFACTS, Announcements, RunningApp, wait_until
from other_app import TEXT_LINES

from helpers.processes import is_running

# Roles a user operates; each must have a name a screen reader can say.
INTERACTIVE_ROLES = {
    "push button",
    "text",
    "list",
    "menu",
    "menu item",
    "check box",
    "combo box",
    "spin button",
    "page tab",
    "list item",
}
EXPECTED_CONTROLS = {
    ("push button", "Describe screen"),
    ("push button", "Describe active window"),
    ("push button", "Describe region…"),
    ("push button", "Describe clipboard image"),
    ("push button", "Open image file…"),
    ("push button", "Browse folder…"),
    ("push button", "Stop speech"),
    ("push button", "Repeat"),
    ("push button", "Ask"),
    ("list", "Description"),
    ("list", "History"),
}


def is_description_of_other_app(text: str) -> bool:
    """The facts read from the other app's window (the tiny writer's prose is rejected)."""
    return any(line.lower() in text.lower() for line in TEXT_LINES)


def test_every_interactive_control_has_a_role_and_a_name(lookaloud: RunningApp) -> None:
    nodes = lookaloud.tree()
    interactive = [n for n in nodes if n["role"] in INTERACTIVE_ROLES or "focusable" in n["states"]]
    unnamed = [n for n in interactive if not str(n["name"]).strip() and n["role"] != "scroll bar"]
    assert unnamed == []
    present = {(n["role"], n["name"]) for n in nodes}
    assert present >= EXPECTED_CONTROLS
    menus = {n["name"] for n in nodes if "Show Menu" in n["actions"]}
    assert {"File", "Describe", "Speech"} <= menus
    question = [n for n in nodes if n["role"] == "text" and "question" in str(n["name"]).lower()]
    assert question, "the question box is named by its label"


def test_every_menu_command_has_a_keyboard_path(lookaloud: RunningApp) -> None:
    items = [n for n in lookaloud.tree() if n["role"] == "menu item"]
    commands = [n for n in items if "Press" in n["actions"]]
    assert len(commands) == 14
    without_keys = [n["name"] for n in items if not any(n["bindings"])]
    assert without_keys == []


def test_access_keys_of_the_window_are_unique(lookaloud: RunningApp) -> None:
    nodes = [n for n in lookaloud.tree() if n["depth"] <= 4 and "showing" in n["states"]]
    keys = [str(n["bindings"][0]) for n in nodes if n["bindings"] and n["bindings"][0]]
    assert len(keys) == len(set(keys)), sorted(keys)


def test_pressing_describe_screen_through_atspi_announces_a_description(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.session.probe("press", APP_NAME, "push button", "Describe screen")
    announcements.wait_for(lambda text: text == "Describing the screen.")
    event = announcements.wait_for(is_description_of_other_app)
    assert event["app"] == APP_NAME


def test_hotkey_from_another_window_announces_without_taking_focus(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    lookaloud.session.xdotool("key", "ctrl+alt+d")
    announcements.wait_for(lambda text: text == "Describing the screen.", timeout=10)
    description = announcements.wait_for(is_description_of_other_app)
    assert "Describe screen" not in str(description["text"])  # our own window was not in it
    assert lookaloud.session.focused_window() == lookaloud.other_window


def test_quick_repeated_hotkeys_end_in_one_description_and_no_error(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    lookaloud.session.xdotool("key", "--repeat", "6", "--delay", "40", "ctrl+alt+d")
    announcements.wait_for(lambda text: text.startswith("Done"), timeout=60)
    texts = announcements.all_after(1.0)  # with anything a cancelled description still said
    assert not [t for t in texts if "went wrong" in t or "could not" in t], texts
    assert len([t for t in texts if t.startswith("Done")]) == 1
    assert lookaloud.session.focused_window() == lookaloud.other_window


def test_stop_speech_hotkey_silences_the_voice_within_200_ms(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    before = len(lookaloud.player_pids())
    lookaloud.session.xdotool("key", "ctrl+alt+d")
    wait_until(lambda: len(lookaloud.player_pids()) > before, 60, "the voice to start playing")
    player = lookaloud.player_pids()[-1]
    lookaloud.session.xdotool("key", "ctrl+alt+s")
    # From the moment xdotool has sent the key (its own start-up is not the app's time),
    # checked every 5 ms so the polling itself does not eat the budget.
    sent = time.monotonic()
    wait_until(lambda: not is_running(player), 5, "the voice to stop", interval=0.005)
    elapsed = time.monotonic() - sent
    print(f"speech stopped {elapsed * 1000:.0f} ms after Ctrl+Alt+S was sent")
    assert elapsed < 0.2
    assert lookaloud.session.focused_window() == lookaloud.other_window


def test_region_overlay_works_with_the_keyboard_alone(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    lookaloud.session.xdotool("key", "ctrl+alt+r")
    opened = announcements.wait_for(
        lambda text: text.startswith("Choose a region to describe"), timeout=20
    )
    assert "Arrow keys move" in str(opened["text"])
    lookaloud.session.xdotool("key", "Right")
    moved = announcements.wait_for(lambda text: "at 420, 225" in text, timeout=10)
    assert str(moved["text"]) == "Region 800 by 450 pixels, at 420, 225."
    lookaloud.session.xdotool("key", "shift+Down")
    announcements.wait_for(lambda text: text.startswith("Region 800 by 470 pixels"), timeout=10)
    lookaloud.session.xdotool("key", "Return")
    announcements.wait_for(lambda text: text.startswith("Describing the region of 800 by 470"))
    assert lookaloud.session.focused_window() == lookaloud.other_window


def test_escape_cancels_the_region_and_gives_the_focus_back(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    lookaloud.session.xdotool("key", "ctrl+alt+r")
    announcements.wait_for(lambda text: text.startswith("Choose a region to describe"), timeout=20)
    lookaloud.session.xdotool("key", "Escape")
    announcements.wait_for(lambda text: text == "Region choice cancelled.", timeout=10)
    wait_until(
        lambda: lookaloud.session.focused_window() == lookaloud.other_window, 5, "focus back"
    )


def test_follow_up_question_is_answered_without_looking_again(
    lookaloud: RunningApp, announcements: Announcements
) -> None:
    lookaloud.focus_other_app()
    lookaloud.session.xdotool("key", "ctrl+alt+d")
    announcements.wait_for(lambda text: text.startswith("Done"), timeout=60)
    window = lookaloud.session.xdotool("search", "--name", f"^{APP_NAME}$").split()[0]
    lookaloud.session.xdotool("windowfocus", "--sync", window)  # the user goes to the window
    lookaloud.session.xdotool("key", "ctrl+l")
    lookaloud.session.xdotool("type", "--delay", "20", "What does the text say?")
    lookaloud.session.xdotool("key", "Return")
    asked = announcements.wait_for(lambda text: text == "Asking: What does the text say?")
    announcements.wait_for(lambda text: text == "Answered.", timeout=60)
    after = [str(e["text"]) for e in announcements.seen[announcements.seen.index(asked) :]]
    assert "Reading the text." not in after and "Looking at the picture." not in after
    # The tiny writer's words fail the checks, so the answer is the facts, said as such.
    assert any(text.startswith("No reliable answer") for text in after), after


def test_main_window_screenshot_is_saved(lookaloud: RunningApp) -> None:
    window = lookaloud.session.xdotool("search", "--name", f"^{APP_NAME}$").split()[0]
    geometry = dict(
        line.split("=")
        for line in lookaloud.session.xdotool("getwindowgeometry", "--shell", window).split()
    )
    box = {k.lower(): int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT")}
    region = {"left": box["x"], "top": box["y"], "width": box["width"], "height": box["height"]}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "main-window.png"
    with mss.MSS(display=lookaloud.session.env["DISPLAY"]) as shots:
        shot = shots.grab(region)
    mss.tools.to_png(shot.rgb, shot.size, output=str(target))
    assert target.stat().st_size > 10_000  # a real window, not an empty picture


def test_nothing_was_printed_to_a_console(lookaloud: RunningApp) -> None:
    # Runs last: whatever the app had to say in all the tests above went to speech, the
    # screen reader and its log file, never to a terminal a blind user would not see.
    assert (lookaloud.home / "app-output.txt").read_text() == ""


def test_terminating_the_app_ends_it_and_its_voice(lookaloud: RunningApp) -> None:
    # Runs last, as it ends the app: a logout sends SIGTERM; the app quits and stops speaking.
    lookaloud.focus_other_app()
    before = len(lookaloud.player_pids())
    lookaloud.session.xdotool("key", "ctrl+alt+d")
    wait_until(lambda: len(lookaloud.player_pids()) > before, 60, "the voice to start playing")
    player = lookaloud.player_pids()[-1]
    lookaloud.process.terminate()
    assert lookaloud.process.wait(10) == 0
    wait_until(lambda: not is_running(player), 5, "the voice to stop")

"""The end-to-end tests' screen reader: reads an app through AT-SPI, as Orca does.

Run with Debian's python3, which has pyatspi (python3-pyatspi, gir1.2-atspi-2.0); the test
suite's own virtual environment does not need it. Commands, each printing JSON:

    tree APP              every accessible of the app: role, name, description, states,
                          actions and key bindings, with its depth
    press APP ROLE NAME   does the first action ("Press") of the matching accessible
    listen EVENT...       prints {"ready": true}, then one line per event until killed
"""

from __future__ import annotations

import json
import sys
import time

import pyatspi
from gi.repository import GLib

INTERESTING_STATES = {
    pyatspi.STATE_FOCUSABLE: "focusable",
    pyatspi.STATE_FOCUSED: "focused",
    pyatspi.STATE_SHOWING: "showing",
    pyatspi.STATE_ENABLED: "enabled",
    pyatspi.STATE_ACTIVE: "active",
}


def find_app(name: str, timeout: float = 20.0):
    """The application called ``name``; the registry's list fills in a moment after start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = pyatspi.Registry.getDesktop(0)
        for index in range(desktop.childCount):
            app = desktop.getChildAtIndex(index)
            if app is not None and app.name == name:
                return app
        time.sleep(0.2)
    raise SystemExit(f"no application called {name!r} on the AT-SPI bus")


def describe(node, depth: int) -> dict:
    states = node.getState()
    actions, bindings = [], []
    try:
        action = node.queryAction()
        actions = [action.getName(i) for i in range(action.nActions)]
        bindings = [action.getKeyBinding(i) for i in range(action.nActions)]
    except NotImplementedError:
        pass
    return {
        "depth": depth,
        "role": node.getRoleName(),
        "name": node.name,
        "description": node.description,
        "states": [word for state, word in INTERESTING_STATES.items() if states.contains(state)],
        "actions": actions,
        "bindings": bindings,
        "text": _typed_text(node),
    }


def _typed_text(node) -> str | None:
    """What an editable field holds; None for anything else (labels say it in their name)."""
    if not node.getState().contains(pyatspi.STATE_EDITABLE):
        return None
    try:
        text = node.queryText()
    except NotImplementedError:
        return None
    return text.getText(0, -1)


def walk(node, depth: int = 0):
    yield node, depth
    try:
        children = [node.getChildAtIndex(index) for index in range(node.childCount)]
    except GLib.Error:  # the node went away while it was read
        return
    for child in children:
        if child is not None:
            yield from walk(child, depth + 1)


def tree(app_name: str) -> None:
    """Every node still there when it is read: a file dialog's completion list, for one, comes
    and goes while a path is typed, and a node gone by the time it is asked is left out."""
    nodes = []
    for node, depth in walk(find_app(app_name)):
        try:
            nodes.append(describe(node, depth))
        except GLib.Error:
            continue
    print(json.dumps(nodes))


def press(app_name: str, role: str, name: str) -> None:
    for node, _ in walk(find_app(app_name)):
        if node.getRoleName() == role and node.name == name:
            node.queryAction().doAction(0)
            print(json.dumps({"pressed": name}))
            return
    raise SystemExit(f"no {role} called {name!r}")


def listen(events: list[str]) -> None:
    def report(event) -> None:
        try:
            app = event.source.getApplication().name
        except Exception:  # noqa: BLE001 - the source may be gone already; the event still counts
            app = ""
        text = event.any_data if isinstance(event.any_data, str) else ""
        line = {"type": event.type, "text": text, "app": app, "time": time.monotonic()}
        print(json.dumps(line), flush=True)

    pyatspi.Registry.registerEventListener(report, *events)
    print(json.dumps({"ready": True}), flush=True)
    pyatspi.Registry.start()


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "tree":
        tree(*args)
    elif command == "press":
        press(*args)
    elif command == "listen":
        listen(args)
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

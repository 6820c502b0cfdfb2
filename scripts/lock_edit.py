"""Small edits of pip-compile lock files for scripts/lock.sh.

    python scripts/lock_edit.py drop LOCK NAME [NAME ...]   remove packages (entry, hashes, "via")
    python scripts/lock_edit.py pins LOCK OUT               write LOCK's name==version lines only

``drop`` is for PyTorch, whose CPU build is pinned by requirements/torch.txt instead. ``pins``
turns the test lock into a constraints file (pip refuses hashes there), so that the app's lock
takes exactly the versions the tests ran with.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ENTRY = re.compile(r"([A-Za-z0-9._-]+)==(\S+)")


def without(lines: list[str], names: set[str]) -> list[str]:
    kept: list[str] = []
    dropping = False
    for line in lines:
        entry = ENTRY.match(line)
        if entry:
            dropping = entry.group(1).lower() in names
        elif not line.startswith(" "):
            dropping = False  # a top-level comment or blank line ends an entry
        if not dropping:
            kept.append(line)
    return kept


def drop(lock: Path, names: set[str]) -> None:
    lines = lock.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = without(lines, names)
    if len(kept) == len(lines):
        sys.exit(f"lock_edit: none of {sorted(names)} is in {lock}")
    note = f"# Left out on purpose (see requirements/torch.txt): {', '.join(sorted(names))}\n"
    lock.write_text("".join(kept) + note, encoding="utf-8")


def pins(lock: Path, out: Path) -> None:
    found = (ENTRY.match(line) for line in lock.read_text(encoding="utf-8").splitlines())
    out.write_text("".join(f"{m.group(1)}=={m.group(2)}\n" for m in found if m), "utf-8")


def main(argv: list[str]) -> None:
    match argv:
        case ["drop", lock, *names] if names:
            drop(Path(lock), {name.lower() for name in names})
        case ["pins", lock, out]:
            pins(Path(lock), Path(out))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

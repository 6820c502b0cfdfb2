"""core/ is pure Python: it must never import Qt or the desktop package."""

from __future__ import annotations

import ast
from pathlib import Path

import lookaloud.core

FORBIDDEN = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "lookaloud.desktop")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_qt_or_desktop() -> None:
    core = Path(lookaloud.core.__file__).parent
    offenders = {
        f"{path.relative_to(core)}: {name}"
        for path in core.rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert offenders == set()


def test_the_scan_sees_imports() -> None:
    # Guards the test above against silently scanning nothing.
    assert "lookaloud.core.errors" in imported_modules(
        Path(lookaloud.core.__file__).parent / "pipeline.py"
    )

"""The layers of the package: core is pure Python and knows nothing of its front ends (the
desktop app and the command line); nothing imports in a circle when modules load."""

from __future__ import annotations

import ast
from pathlib import Path

import lookaloud

PACKAGE = Path(lookaloud.__file__).parent
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def loaded_with(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports while it loads: top-level statements (and
    their try/if blocks), not imports inside functions or under TYPE_CHECKING."""
    names: set[str] = set()
    pending = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if _is_type_checking(node):
            continue
        if isinstance(node, ast.If | ast.Try):
            pending.extend(ast.iter_child_nodes(node))  # type: ignore[arg-type]
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


def load_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: loaded_with(path, set(found)) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    done: set[str] = set()
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            circles.append([*trail[trail.index(name) :], name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return circles


def offenders(package: str, forbidden: tuple[str, ...]) -> set[str]:
    return {
        f"{name}: {imported}"
        for name, path in modules().items()
        if name == package or name.startswith(f"{package}.")
        for imported in imported_modules(path)
        if imported.startswith(forbidden)
    }


def test_core_never_imports_qt_or_a_front_end() -> None:
    assert offenders("lookaloud.core", (*QT, "lookaloud.desktop", "lookaloud.cli")) == set()


def test_the_command_line_never_imports_qt_or_the_desktop_app() -> None:
    assert offenders("lookaloud.cli", (*QT, "lookaloud.desktop")) == set()


def test_nothing_imports_in_a_circle_while_loading() -> None:
    assert cycles(load_graph()) == []


def test_a_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_the_scans_see_imports() -> None:
    # Guards the tests above against silently scanning nothing.
    found = modules()
    assert "lookaloud.core.errors" in imported_modules(found["lookaloud.core.pipeline.run"])
    assert "lookaloud.cli.common" in loaded_with(found["lookaloud.cli.describe"], set(found))
    assert offenders("lookaloud.desktop", QT)  # the desktop app does import Qt
    assert sum(map(len, load_graph().values())) > 100

"""English text to train the benchmark's tokenizers on, from what every Python install ships.

Python's own reference documentation (``pydoc_data.topics``) and, for the full corpus, the
docstrings of the standard library's modules, classes and functions: about 2 MB of plain technical
English, available offline everywhere.
"""

from __future__ import annotations

import ast
import pydoc_data.topics
import sysconfig
from pathlib import Path

# Folders of the standard library whose strings are test data or code samples, not prose.
_SKIPPED_PARTS = frozenset(
    {"test", "tests", "site-packages", "dist-packages", "idlelib", "lib2to3", "__pycache__"}
)
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def english_corpus(*, full: bool) -> str:
    docs = "\n".join(str(text) for text in pydoc_data.topics.topics.values())
    if not full:
        return docs
    return docs + "\n" + "\n".join(_stdlib_docstrings())


def _stdlib_docstrings() -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if not _SKIPPED_PARTS & set(path.relative_to(root).parts):
            found += _docstrings(path)
    return found


def _docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []  # a few files are deliberately not valid Python 3 text
    texts = (ast.get_docstring(node) for node in ast.walk(tree) if isinstance(node, _DOCUMENTED))
    return [text for text in texts if text]

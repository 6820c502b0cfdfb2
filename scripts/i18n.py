"""The translatable messages and what the catalogues lack.

    .venv/bin/python scripts/i18n.py            list, per language, the messages not translated
    .venv/bin/python scripts/i18n.py --missing  the same as TOML lines to paste and translate

Messages are the literal first arguments of ``tr(...)`` and ``N_(...)`` anywhere under
``lookaloud/`` (the second argument is the note for translators), plus the descriptions of the
settings schema. Exits 1 when anything is missing.
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lookaloud.core.i18n import LANGUAGES, catalogue  # noqa: E402
from lookaloud.core.settings import setting_specs  # noqa: E402


@dataclass(frozen=True)
class Message:
    text: str
    note: str
    where: str


def messages() -> dict[str, Message]:
    found: dict[str, Message] = {}
    for path in sorted((ROOT / "lookaloud").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            message = _marked(node, f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}")
            if message is not None:
                found.setdefault(message.text, message)
    for spec in setting_specs():
        text, hint = spec.rule.description, spec.rule.pattern_hint
        found.setdefault(text, Message(text, f"the setting {spec.section}.{spec.key}", "schema"))
        if hint:
            note = f"completes 'it should be …' for {spec.section}.{spec.key}"
            found.setdefault(hint, Message(hint, note, "schema"))
    return found


def _marked(node: ast.AST, where: str) -> Message | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    if node.func.id not in ("tr", "N_") or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None  # tr(variable): its text is marked with N_ where it is defined
    second = node.args[1] if len(node.args) > 1 else None
    note = second.value if isinstance(second, ast.Constant) else ""
    return Message(first.value, str(note), where)


def missing(lang: str) -> list[Message]:
    known = catalogue(lang)
    return [message for text, message in messages().items() if not known.get(text)]


def main(argv: list[str]) -> int:
    gaps = 0
    for lang in LANGUAGES[1:]:
        lacking = missing(lang)
        gaps += len(lacking)
        total = len(messages())
        print(f"{lang}: {len(lacking)} of {total} messages not translated", file=sys.stderr)
        for message in lacking:
            if "--missing" in argv:
                print(f"# {message.note or 'no note'} ({message.where})")
                print(f'{json.dumps(message.text, ensure_ascii=False)} = ""')
            else:
                print(f"  {message.where}: {message.text!r}", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

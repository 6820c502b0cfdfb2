"""What Lookaloud shows and says, in the user's language: the same ``[general] lang`` setting
that chooses the language of the descriptions.

Messages are written in English in the code and looked up in a catalogue per language
(``lookaloud/resources/translations/<lang>.toml``, ``[messages]``: English text → translation).
``tr(text, note)`` translates where a message is shown or raised; ``note`` tells translators
what the text is (a button, a sentence that is spoken…) and is also written into the catalogue
by ``scripts/i18n.py``, which lists what is missing. Text kept in tables is marked with
``N_(text, note)`` and translated with ``tr`` where it is shown. Placeholders are ``{name}``,
filled by ``tr``'s keyword arguments, so a translation can put them in its own order.
A message missing from a catalogue is shown in English rather than not at all.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("en", "zh")
_language = "en"


def set_language(lang: str) -> None:
    """The language of everything tr() returns from now on (unknown languages: English)."""
    global _language
    _language = lang if lang in LANGUAGES else "en"


def language() -> str:
    return _language


def tr(message: str, note: str = "", /, **fields: object) -> str:
    """``message`` in the current language, with ``fields`` filled in."""
    text = catalogue(_language).get(message, message)
    return text.format(**fields) if fields else text


def N_(message: str, note: str = "", /) -> str:  # noqa: N802 - gettext's name for the marker
    """Marks ``message`` for translation where it is defined; tr() translates it when shown."""
    return message


@cache
def catalogue(lang: str) -> dict[str, str]:
    """English text → translation for ``lang``; empty for English."""
    if lang == "en":
        return {}
    source = resources.files("lookaloud.resources.translations").joinpath(f"{lang}.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    messages = data.get("messages", {})
    return {str(key): str(value) for key, value in messages.items()}

"""Where the API key for a remote server comes from: an environment variable or the OS keyring.

The key is never read from or written to the settings file, and :class:`ApiKey` keeps it out of
reprs, logs and error messages: only ``reveal()`` gives the text, for the request header.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import tr

KEYRING_SERVICE = "lookaloud"
DEFAULT_KEY_ENV = "LOOKALOUD_API_KEY"


class KeyStore(Protocol):
    """The part of the ``keyring`` module Lookaloud uses; tests pass a dictionary-backed one."""

    def get_password(self, service_name: str, username: str) -> str | None: ...

    def set_password(self, service_name: str, username: str, password: str) -> None: ...


@dataclass(frozen=True, repr=False)
class ApiKey:
    """A secret that prints as ``ApiKey(***)`` and says where it came from."""

    _value: str
    source: str  # "the environment variable X" or "the keyring"

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with the key (and its longer pieces, which servers echo) blanked out."""
        value = self._value
        for piece in (value, value[:8], value[-8:]):
            if len(piece) >= 6:
                text = text.replace(piece, "***")
        return text

    def __repr__(self) -> str:
        return "ApiKey(***)"

    __str__ = __repr__


def find_api_key(
    base_url: str,
    env_var: str = DEFAULT_KEY_ENV,
    *,
    env: Mapping[str, str] | None = None,
    store: KeyStore | None = None,
) -> ApiKey | None:
    """The key from ``env_var`` if set, else the keyring entry for ``base_url``, else None.

    ``store`` defaults to the OS keyring; a keyring that cannot be used counts as empty, because
    many servers (a local vLLM or Ollama) need no key at all.
    """
    value = (os.environ if env is None else env).get(env_var, "").strip() if env_var else ""
    if value:
        return ApiKey(
            value,
            tr(
                "the environment variable {env_var}",
                env_var=env_var,
            ),
        )
    stored = _from_store(base_url, store)
    return ApiKey(stored, "the keyring") if stored else None


def _from_store(base_url: str, store: KeyStore | None) -> str | None:
    import keyring.errors

    try:
        return (store or _os_keyring()).get_password(KEYRING_SERVICE, base_url)
    except keyring.errors.KeyringError:
        return None


def save_api_key(base_url: str, key: str, store: KeyStore | None = None) -> None:
    """Stores ``key`` for ``base_url`` in the keyring; SettingsError when there is no keyring."""
    import keyring.errors

    try:
        (store or _os_keyring()).set_password(KEYRING_SERVICE, base_url, key.strip())
    except keyring.errors.KeyringError as exc:
        raise SettingsError(
            tr(
                "This computer has no usable keyring to keep the API key in; put the key "
                "in an environment variable instead (by default {DEFAULT_KEY_ENV}).",
                DEFAULT_KEY_ENV=DEFAULT_KEY_ENV,
            )
        ) from exc


def _os_keyring() -> KeyStore:
    import keyring

    return keyring.get_keyring()

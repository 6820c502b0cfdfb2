"""A keyring backend kept in a JSON file, so CLI tests can store and read an API key.

Selected in a child process with ``PYTHON_KEYRING_BACKEND=helpers.file_keyring.FileKeyring``
(with the tests folder on ``PYTHONPATH``); the file is named by ``LOOKALOUD_TEST_KEYRING``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["LOOKALOUD_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service} {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        saved = self._load()
        saved[f"{service} {username}"] = password
        self._path().write_text(json.dumps(saved))

    def delete_password(self, service: str, username: str) -> None:
        saved = self._load()
        saved.pop(f"{service} {username}", None)
        self._path().write_text(json.dumps(saved))

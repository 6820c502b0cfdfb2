"""Prints the versions of the libraries whose changes have broken Lookaloud before, so every test
run says what it ran with. Run with the environment's own python."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

WATCHED = (
    "torch",
    "transformers",
    "tokenizers",
    "PySide6",
    "rapidocr",
    "rapidocr-onnxruntime",
    "onnxruntime",
    "openvino",
)


def described(name: str) -> str:
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} (not installed)"


if __name__ == "__main__":
    print(f"versions: Python {platform.python_version()}, " + ", ".join(map(described, WATCHED)))

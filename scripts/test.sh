#!/usr/bin/env bash
# Installs everything the tests need, then runs the linters, the type checker and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh --test
echo "test: ruff" >&2
.venv/bin/ruff check .
echo "test: mypy" >&2
.venv/bin/mypy
echo "test: pytest" >&2
.venv/bin/python -m pytest -q "$@"

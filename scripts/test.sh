#!/usr/bin/env bash
# Installs everything the tests need (the locked versions), then runs the linters, the type
# checker and the tests. VENV=DIR runs them in another environment (scripts/check-latest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-.venv}
[[ -z "${VENV:-}" ]] && bash scripts/install.sh --test
"$venv/bin/python" scripts/versions.py >&2
echo "test: ruff" >&2
"$venv/bin/ruff" check .
echo "test: mypy" >&2
"$venv/bin/mypy"
echo "test: pytest" >&2
"$venv/bin/python" -m pytest -q "$@"

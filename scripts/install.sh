#!/usr/bin/env bash
# Installs Lookaloud into ./.venv with the CPU build of PyTorch.
#   bash scripts/install.sh          the app
#   bash scripts/install.sh --test   the app plus what the tests need (system packages too)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[[ "${1:-}" == "--test" ]] && with_tests=1
python=${PYTHON:-python3}

say() { printf 'install: %s\n' "$*" >&2; }

# System packages: the voice (espeak-ng) always; fonts, Xvfb and friends for the tests.
packages=(espeak-ng libespeak-ng1 alsa-utils)
if (( with_tests )); then
    mapfile -t extra < <(grep -v '^\s*#' scripts/apt-packages.txt | sed '/^\s*$/d')
    packages+=("${extra[@]}")
fi
bash scripts/system-packages.sh "${packages[@]}"

if [[ ! -x .venv/bin/python ]]; then
    say "creating .venv"
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

# PyTorch first, CPU build: a plain "torch" from PyPI brings gigabytes of CUDA libraries.
# Machines with a local wheel mirror (pip find-links, as on our build machines) take
# torch==2.13.0 from it; everyone else gets the official CPU wheel index.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    pip_config=$(.venv/bin/python -m pip config list 2>/dev/null || true)
    if [[ "$pip_config" == *find-links* ]]; then
        say "installing PyTorch 2.13.0 (CPU) from the local wheel folder"
        "${pip[@]}" "torch==2.13.0"
    else
        say "installing PyTorch (CPU build) from download.pytorch.org"
        "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu
    fi
fi

target="."
(( with_tests )) && target=".[test]"
say "installing Lookaloud and its libraries"
"${pip[@]}" -e "$target"
say "done: run .venv/bin/lookaloud describe IMAGE --speak"

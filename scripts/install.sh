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

# System packages: the voice (espeak-ng) and a compiler for llama.cpp always; fonts, Xvfb and
# friends for the tests.
packages=(espeak-ng libespeak-ng1 alsa-utils cmake g++)  # cmake, g++: the llama.cpp engine
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

# Exact versions with hashes from the lock files (bash scripts/lock.sh writes them). They hold
# every package the app (or the tests) needs, so pip resolves nothing on its own: --no-deps.
lock=requirements/app.txt
(( with_tests )) && lock=requirements/test.txt
say "installing the locked libraries ($lock)"
"${pip[@]}" --require-hashes --no-deps -r "$lock"

# PyTorch, CPU build, at the version in requirements/torch.txt: a plain "torch" from PyPI brings
# gigabytes of CUDA libraries. Machines with a local wheel folder (pip find-links, as on our
# build machines) take it from there; everyone else from PyTorch's CPU wheel index.
torch_pin=$(grep -v '^\s*#' requirements/torch.txt | sed '/^\s*$/d')
torch_wanted=${torch_pin#torch==}
torch_have=$(.venv/bin/python -c "import torch; print(torch.__version__.split('+')[0])" 2>/dev/null || true)
if [[ "$torch_have" != "$torch_wanted" ]]; then
    pip_config=$(.venv/bin/python -m pip config list 2>/dev/null || true)
    if [[ "$pip_config" == *find-links* ]]; then
        say "installing PyTorch $torch_wanted (CPU) from the local wheel folder"
        "${pip[@]}" --no-deps "$torch_pin"
    else
        say "installing PyTorch $torch_wanted (CPU build) from download.pytorch.org"
        "${pip[@]}" --no-deps "$torch_pin" --index-url https://download.pytorch.org/whl/cpu
    fi
fi

# The llama.cpp engine, compiled for this CPU; a failed build leaves the transformers engine.
bash scripts/build-llamacpp.sh

say "installing Lookaloud itself"
"${pip[@]}" --no-deps --no-build-isolation -e .
# Every locked package fits every other one (and torch); a lock out of step with pyproject.toml
# shows up here instead of as an import error later.
.venv/bin/python -m pip check >&2
say "done: run .venv/bin/lookaloud describe IMAGE --speak"

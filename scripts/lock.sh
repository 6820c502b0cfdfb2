#!/usr/bin/env bash
# Regenerates the lock files from pyproject.toml's ranges: exact versions and hashes of
# everything Lookaloud installs.
#   requirements/test.txt  the app plus what the tests need (bash scripts/install.sh --test)
#   requirements/app.txt   the app alone (bash scripts/install.sh), the same versions
#   requirements/llamacpp.txt  the llama.cpp binding, compiled by install.sh after the rest
# Upgrading is this deliberate step, never a surprise in CI:
#   bash scripts/lock.sh            resolve again, keeping the locked versions that still fit
#   bash scripts/lock.sh --upgrade  take the newest versions the ranges allow
# then run `bash scripts/test.sh` and commit the locks with the code they were tested with.
# (`bash scripts/check-latest.sh` shows what the newest versions would break, without locking.)
#
# PyTorch is left out of the locks: its CPU build comes from a wheel folder or PyTorch's own
# index, whose files differ from PyPI's (PyPI's Linux torch is the CUDA build and brings
# gigabytes of nvidia packages). requirements/torch.txt pins its version; it is a constraint
# here, so the packages torch itself needs are resolved for that CPU build and locked.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT

"$python" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "pip-tools==7.6.2"

upgrade=()
[[ "${1:-}" == "--upgrade" ]] && upgrade=(--upgrade)

compile() {  # compile OUTPUT [pip-compile options]: a hashed lock, build backend included
    local output=$1
    shift
    CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" "$tools/bin/pip-compile" --quiet \
        --all-build-deps --allow-unsafe --strip-extras --generate-hashes \
        --no-emit-index-url --no-emit-find-links --constraint requirements/torch.txt \
        --output-file "$output" "$@" pyproject.toml
    "$tools/bin/python" scripts/lock_edit.py drop "$output" torch
}

compile requirements/test.txt "${upgrade[@]}" --extra test
"$tools/bin/python" scripts/lock_edit.py pins requirements/test.txt "$tools/tested.txt"
compile requirements/app.txt --upgrade --constraint "$tools/tested.txt"
sed -i "s|-c $tools/tested.txt|-c requirements/test.txt|" requirements/app.txt  # not a temp path
# The llama.cpp binding with the tested versions of everything else: install.sh builds it after
# the rest, so a failed build leaves a working app.
compile requirements/llamacpp.txt --extra llamacpp --constraint "$tools/tested.txt"
sed -i "s|-c $tools/tested.txt|-c requirements/test.txt|" requirements/llamacpp.txt
for lock in requirements/test.txt requirements/app.txt requirements/llamacpp.txt; do
    echo "lock: wrote $lock ($(grep -c '^[A-Za-z0-9._-]*==' "$lock") packages)" >&2
done

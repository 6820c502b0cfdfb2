#!/usr/bin/env bash
# The drift check: installs the newest versions that pyproject.toml allows into a separate
# environment (.venv-latest; .venv and the lock files are left alone) and runs the whole suite
# there. A failure here is a heads-up, not a broken main: main installs the lock files.
# When it passes (or the failures are fixed), `bash scripts/lock.sh --upgrade` takes the new
# versions into the locks on purpose.
#   bash scripts/check-latest.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-latest
python=${PYTHON:-python3}
say() { printf 'check-latest: %s\n' "$*" >&2; }

# The same system packages as the tests (the voice, fonts, Xvfb, AT-SPI): installs nothing else.
mapfile -t packages < <(grep -v '^\s*#' scripts/apt-packages.txt | sed '/^\s*$/d')
bash scripts/system-packages.sh espeak-ng libespeak-ng1 alsa-utils "${packages[@]}"

rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
# PyTorch stays the pinned CPU build: a newer torch means a CUDA download of gigabytes here
# (requirements/torch.txt says why); its range in pyproject.toml is checked by the lock.
torch_pin=$(grep -v '^\s*#' requirements/torch.txt | sed '/^\s*$/d')
"${pip[@]}" "$torch_pin"
say "installing the newest versions pyproject.toml allows"
"${pip[@]}" --upgrade --upgrade-strategy eager -e ".[test]" "$torch_pin"

say "differences from requirements/test.txt:"
"$venv/bin/python" - <<'PY' >&2
import re
from importlib.metadata import distributions

def key(name):
    return re.sub(r"[-_.]+", "-", name).lower()

locked = {}
for line in open("requirements/test.txt", encoding="utf-8"):
    if m := re.match(r"([A-Za-z0-9._-]+)==(\S+)", line):
        locked[key(m.group(1))] = m.group(2)
newer = sorted(
    f"  {d.metadata['Name']} {locked[key(d.metadata['Name'])]} -> {d.version}"
    for d in distributions()
    if key(d.metadata["Name"]) in locked and locked[key(d.metadata["Name"])] != d.version
)
print("\n".join(newer) or "  none: the lock is the newest")
PY

status=0
VENV=$venv bash scripts/test.sh "$@" || status=$?
if (( status == 0 )); then
    say "passed with the newest versions: bash scripts/lock.sh --upgrade takes them"
else
    say "failed with the newest versions (exit $status): fix, then bash scripts/lock.sh --upgrade"
fi
exit "$status"

#!/usr/bin/env bash
# Installs the given Debian packages when they are missing. Needs root (or sudo without a
# password); otherwise it says which packages to install by hand and carries on.
set -euo pipefail

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
(( ${#missing[@]} == 0 )) && exit 0

if ! command -v apt-get >/dev/null; then
    echo "install: please install these with your system's package manager: ${missing[*]}" >&2
    exit 0
fi
sudo=()
if (( EUID != 0 )); then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
        echo "install: please run: sudo apt-get install ${missing[*]}" >&2
        exit 0
    fi
fi
echo "install: apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

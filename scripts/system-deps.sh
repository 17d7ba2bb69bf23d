#!/usr/bin/env bash
# Install the system packages the test suite needs, when they are missing:
# FluidSynth + a General MIDI soundfont (audio tests) and Chromium (browser tests).
# Debian/Ubuntu only; elsewhere it says what to install. Safe to re-run.
set -euo pipefail
packages=(libfluidsynth3 fluid-soundfont-gm chromium)

if ! command -v dpkg >/dev/null 2>&1; then
    echo "system-deps: not a Debian-like system; install FluidSynth, a GM soundfont and" \
         "Chromium yourself (macOS: brew install fluid-synth chromium)" >&2
    exit 0
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1; then
    run=(sudo)
else
    echo "system-deps: missing ${missing[*]}; as root run: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

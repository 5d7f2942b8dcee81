#!/usr/bin/env bash
# Installs r1safe into ./.venv, created with the system's site-packages visible so that a torch
# already installed there is kept. When torch is missing, it takes the CPU build torch==2.13.0:
# a looser pin would pull a multi-GB CUDA build.
#   ./install.sh          runtime only
#   ./install.sh --dev    plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv --system-site-packages .venv
PY=.venv/bin/python
"$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
"$PY" -m pip install --quiet --disable-pip-version-check -e ".${extras}"
echo "r1safe installed in $PWD/.venv"

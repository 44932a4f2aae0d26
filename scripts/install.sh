#!/usr/bin/env bash
# Install the Python side of KCloud Monitor into a virtual environment: what `make` (for the
# tests) and the container image (for production) both run, so CI exercises the image's steps.
#
#   scripts/install.sh [--dev] [--venv DIR]
#
# --dev adds the test and lint tools (requirements/dev.txt); without it only the runtime
# (requirements/base.txt) is installed. The versions are pinned in requirements/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
requirements=requirements/base.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) requirements=requirements/dev.txt ;;
    --venv) venv="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
python="${PYTHON:-python3}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet --no-cache-dir -r "$requirements"

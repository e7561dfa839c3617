#!/usr/bin/env bash
# Executes every notebook headless in a virtual environment with notebooks/requirements.txt.
# Needs python3 with venv and pip (PyPI reachable) and a built trialdose (`cargo build`); set
# TRIALDOSE to use another binary.
set -euo pipefail
cd "$(dirname "$0")"
venv="${TRIALDOSE_NOTEBOOK_VENV:-$HOME/.cache/trialdose-notebooks-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
"$venv/bin/python" -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
"$venv/bin/python" run.py

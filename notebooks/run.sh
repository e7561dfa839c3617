#!/usr/bin/env bash
# Executes every notebook headless in a virtual environment with notebooks/requirements.txt and
# the trialdose wheel installed, so the notebooks run `trialdose` from PATH as a user who
# installed the wheel does. The wheel is TRIALDOSE_WHEEL if set (one built elsewhere, or a
# release's), else packaging/build_wheel.sh builds it (from the dist build in CARGO_TARGET_DIR;
# seconds when that is up to date, a full build the first time). TRIALDOSE_BIN=PATH runs the
# notebooks with that binary instead (a debug build, say) and installs no wheel.
# Needs python3 with venv and pip (PyPI reachable); building the wheel needs Rust.
set -euo pipefail
cd "$(dirname "$0")"
venv="${TRIALDOSE_NOTEBOOK_VENV:-$HOME/.cache/trialdose-notebooks-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
if [ -n "${TRIALDOSE_BIN:-}" ]; then
    [ -x "$TRIALDOSE_BIN" ] || { echo "notebooks/run.sh: TRIALDOSE_BIN=$TRIALDOSE_BIN is not an executable" >&2; exit 2; }
    export TRIALDOSE_BIN
    echo "notebooks: $("$TRIALDOSE_BIN" --version) from TRIALDOSE_BIN=$TRIALDOSE_BIN"
else
    wheel="${TRIALDOSE_WHEEL:-$(../packaging/build_wheel.sh)}"
    # The same version number does not mean the same build: reinstall whatever is there.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel"
    export PATH="$venv/bin:$PATH"
    [ "$(command -v trialdose)" = "$venv/bin/trialdose" ] || { echo "notebooks/run.sh: trialdose on PATH is not the venv's" >&2; exit 1; }
    echo "notebooks: $(trialdose --version) from $(basename "$wheel"), on PATH"
fi
"$venv/bin/python" -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
"$venv/bin/python" run.py

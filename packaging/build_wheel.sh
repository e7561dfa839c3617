#!/usr/bin/env bash
# Builds the trialdose wheel (pyproject.toml: maturin's binary bindings, Cargo's [profile.dist])
# with the maturin pinned in packaging/requirements.txt, installed into a virtual environment.
#   packaging/build_wheel.sh [OUT_DIR]
# OUT_DIR defaults to wheels/ under CARGO_TARGET_DIR (or ./target). Earlier trialdose wheels
# there are removed first; the path of the new wheel is the one line printed on stdout (maturin's
# own output goes to stderr). Needs python3 with venv and pip (PyPI reachable) and Rust.
# TRIALDOSE_WHEEL_PROFILE=NAME builds from another Cargo profile instead of dist (for a quick
# local check of the packaging; what users get is the dist build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${CARGO_TARGET_DIR:-$root/target}/wheels}"
venv="${TRIALDOSE_MATURIN_VENV:-$HOME/.cache/trialdose-maturin-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/packaging/requirements.txt" >&2
mkdir -p "$out"
rm -f "$out"/trialdose-*.whl
profile=()
if [ -n "${TRIALDOSE_WHEEL_PROFILE:-}" ]; then
    profile=(--profile "$TRIALDOSE_WHEEL_PROFILE")
fi
"$venv/bin/maturin" build --manifest-path "$root/Cargo.toml" --out "$out" "${profile[@]}" >&2
wheels=("$out"/trialdose-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "build_wheel.sh: expected one trialdose wheel in $out, found: ${wheels[*]}" >&2
    exit 1
fi
echo "${wheels[0]}"

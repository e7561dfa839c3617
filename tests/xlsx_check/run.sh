#!/usr/bin/env bash
# The openpyxl check of results.xlsx (check_results_xlsx.py) and the polars check of the Parquet
# files (check_results_parquet.py): installs the pinned openpyxl and polars in
# a virtual environment, generates a 2,000-participant cohort whose first sites are a
# formula-like name and one row is rejected, runs `analyze --xlsx --parquet` with every optional
# table, and compares every cell of the workbook and of every Parquet file with the CSV files.
# Needs python3 with venv and pip (PyPI reachable) and a built trialdose: TRIALDOSE_BIN, or
# target/release/trialdose, or target/debug/trialdose under CARGO_TARGET_DIR (or ./target).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../../target}"
bin="${TRIALDOSE_BIN:-}"
if [ -z "$bin" ]; then
    for b in "$target/release/trialdose" "$target/debug/trialdose"; do
        if [ -x "$b" ]; then bin="$b"; break; fi
    done
fi
[ -x "$bin" ] || { echo "no trialdose binary: build it or set TRIALDOSE_BIN" >&2; exit 2; }
venv="${TRIALDOSE_XLSX_VENV:-$HOME/.cache/trialdose-xlsx-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" generate "$work/cohort" --participants 2000 --seed 11 >/dev/null
hostile='=HYPERLINK("http://x","y")'
"$venv/bin/python" - "$work/cohort/participants.csv" "$hostile" <<'PY'
import csv, sys
path, hostile = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(path, newline="")))
site, age = rows[0].index("site"), rows[0].index("age")
for r in rows[1:6]:
    r[site] = hostile
rows[6][site] = "-5 Site"
rows[7][age] = "forty"
with open(path, "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
PY
"$bin" analyze "$work/cohort" --out "$work/results" --xlsx --parquet --skip-invalid \
    --adjust baseline,age --stratify site --sensitivity --multiplicity holm --margin 0.1 >/dev/null 2>&1
"$venv/bin/python" "$here/check_results_xlsx.py" "$work/results" "$hostile"
"$venv/bin/python" "$here/check_results_parquet.py" "$work/results" "$hostile"

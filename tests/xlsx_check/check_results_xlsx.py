"""Checks results.xlsx of `trialdose analyze --xlsx` against the CSV files of the same run,
with openpyxl (the version pinned in requirements.txt beside this file).

    python check_results_xlsx.py RESULTS_DIR [HOSTILE_SITE_TEXT]

For every sheet that has a CSV file (arms, comparisons, trend, adjusted, stratified,
sensitivity, table1, participants, rejections; `NAME_2`, ... continue a sheet past Excel's
row limit): the header row is the CSV header; every cell equals the CSV value: a number
cell is an int or float equal to the CSV number (full precision, compared as doubles), a
boolean cell is a bool, an empty CSV cell is an empty cell, a text cell is the same text (the
CSV's `'` guard before a formula character removed). A CSV value that reads as a number or
boolean must not arrive as text, except in the text columns listed below. The header is
frozen (pane at A2). No cell of any sheet is a formula. With HOSTILE_SITE_TEXT, the
participants sheet holds that site name as text at least once.

Prints one line per sheet and a tally; exits 1 on any mismatch.
"""

import csv
import math
import sys
from pathlib import Path

import openpyxl

TEXT_COLUMNS = {
    "participant_id", "arm", "site", "outcome", "scores", "model", "note", "stratified_by",
    "row", "stratum", "estimand", "population", "strategy", "reference", "decision", "flags",
    "file", "column", "value", "reason",
}
SHEETS = ["arms", "comparisons", "trend", "adjusted", "stratified", "sensitivity", "table1",
          "participants", "rejections"]


def unguarded(text):
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return text[1:]
    return text


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def check_cell(want, got, column):
    """None when `got` (an openpyxl value) is the CSV text `want`, else the reason."""
    if got is None:
        return None if want == "" else "empty cell for a value"
    if isinstance(got, bool):
        return None if want == ("true" if got else "false") else "another boolean"
    if isinstance(got, (int, float)):
        n = as_number(want)
        if n is None:
            return "a number for a text"
        if math.isnan(n) or float(got) != n:
            return "another number"
        return None
    if isinstance(got, str):
        if got != unguarded(want):
            return "another text"
        if column not in TEXT_COLUMNS and (as_number(want) is not None or want in ("true", "false")):
            return "a number or boolean stored as text"
        return None
    return f"unexpected cell type {type(got).__name__}"


def main():
    results = Path(sys.argv[1])
    hostile = sys.argv[2] if len(sys.argv) > 2 else None
    book = openpyxl.load_workbook(results / "results.xlsx")
    failures = []
    checked = 0
    cell_failures = 0
    names = book.sheetnames
    if names[0] != "about":
        failures.append(f"the first sheet is {names[0]!r}, not 'about'")
    for sheet in SHEETS:
        path = results / f"{sheet}.csv"
        if not path.exists():
            if sheet in names:
                failures.append(f"sheet {sheet} without {path.name}")
            continue
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.reader(f))
        parts = [sheet] + [n for n in names if n.startswith(sheet + "_") and n[len(sheet) + 1:].isdigit()]
        rows = []
        for part in parts:
            ws = book[part]
            if ws.freeze_panes != "A2":
                failures.append(f"{part}: header not frozen ({ws.freeze_panes!r})")
            part_rows = [list(r) for r in ws.iter_rows()]
            header = [c.value for c in part_rows[0]]
            if header[: len(records[0])] != records[0]:
                failures.append(f"{part}: header {header} is not {records[0]}")
            for r in part_rows:
                for c in r:
                    if c.data_type == "f":
                        failures.append(f"{part}!{c.coordinate}: a formula {c.value!r}")
            rows.extend(part_rows[1:])
        if len(rows) != len(records) - 1:
            failures.append(f"{sheet}: {len(rows)} data rows, the CSV has {len(records) - 1}")
        header = records[0]
        for i, (record, row) in enumerate(zip(records[1:], rows), start=2):
            values = [c.value for c in row] + [None] * (len(record) - len(row))
            for c, want in enumerate(record):
                why = check_cell(want, values[c], header[c])
                checked += 1
                if why:
                    cell_failures += 1
                    failures.append(f"{sheet} row {i} {header[c]}: CSV {want!r}, sheet {values[c]!r}: {why}")
            if any(v is not None for v in values[len(record):]):
                failures.append(f"{sheet} row {i}: cells beyond the CSV's columns")
        print(f"{sheet}: {len(rows)} rows, {len(parts)} sheet(s)")
    if hostile is not None:
        ws = book["participants"]
        site = [c.value for c in next(ws.iter_rows())].index("site")
        found = [r[site] for r in ws.iter_rows(min_row=2) if r[site].value == hostile]
        if not found:
            failures.append(f"no participant has the site {hostile!r} as text")
        elif any(c.data_type != "s" for c in found):
            failures.append("the hostile site name is not a text cell")
        else:
            print(f"hostile site name: {len(found)} text cell(s)")
    for f in failures[:50]:
        print("FAIL", f)
    other = len(failures) - cell_failures
    print(f"cells: {checked - cell_failures} passed, {cell_failures} failed; other checks failed: {other}")
    print(f"{checked - cell_failures} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

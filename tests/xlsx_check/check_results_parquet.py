"""Checks the Parquet files of `trialdose analyze --parquet` against the CSV files of the same
run, with polars (the version pinned in requirements.txt beside this file).

    python check_results_parquet.py RESULTS_DIR [HOSTILE_SITE_TEXT]

For every CSV table that has a Parquet file beside it (arms, comparisons, trend, adjusted,
stratified, sensitivity, table1, participants, rejections): the columns are the CSV header in
order; every column has one of the documented types (Int64 for counts, Float64 for rates,
means and scores, Boolean for yes/no, String for text; see data/README.md), and a column the
CSV holds as numbers or booleans is not String; every value equals the CSV value (an empty CSV
field is a null; numbers compared as doubles, exactly; text after removing the CSV's `'`
guard before a formula character). With HOSTILE_SITE_TEXT, participants.parquet holds that
site name as text. Every CSV table has its Parquet file.

Prints one line per table and a tally; exits 1 on any mismatch.
"""

import csv
import sys
from pathlib import Path

import polars as pl

from check_results_xlsx import SHEETS, unguarded

TYPES = {pl.Int64, pl.Float64, pl.Boolean, pl.String}


def expected(dtype, text):
    """The Parquet value a CSV field of a column of `dtype` stands for."""
    if text == "":
        return None
    if dtype == pl.Int64:
        return int(text)
    if dtype == pl.Float64:
        return float(text)
    if dtype == pl.Boolean:
        return {"true": True, "false": False}[text]
    return unguarded(text)


def check(results, hostile):
    problems = []
    tables = 0
    for name in SHEETS:
        csv_path = results / f"{name}.csv"
        pq_path = results / f"{name}.parquet"
        if not csv_path.exists():
            if pq_path.exists():
                problems.append(f"{name}.parquet without {name}.csv")
            continue
        if not pq_path.exists():
            problems.append(f"{name}.csv has no {name}.parquet")
            continue
        tables += 1
        rows = list(csv.reader(open(csv_path, newline="", encoding="utf-8")))
        header, body = rows[0], rows[1:]
        frame = pl.read_parquet(pq_path)
        if frame.columns != header:
            problems.append(f"{name}: columns {frame.columns} != CSV header {header}")
            continue
        if frame.height != len(body):
            problems.append(f"{name}: {frame.height} rows, CSV has {len(body)}")
            continue
        for c, column in enumerate(header):
            dtype = frame.schema[column]
            if dtype not in TYPES:
                problems.append(f"{name}.{column}: type {dtype} is not documented")
                continue
            values = frame.get_column(column).to_list()
            for i, (text, got) in enumerate(zip((r[c] for r in body), values)):
                try:
                    want = expected(dtype, text)
                except (ValueError, KeyError):
                    problems.append(
                        f"{name} row {i + 2} {column}: CSV {text!r} is not a {dtype} value")
                    break
                if want != got or type(want) is not type(got):
                    problems.append(
                        f"{name} row {i + 2} {column}: parquet {got!r} != CSV {text!r}")
                    break
        print(f"{name}.parquet: {frame.height} rows x {frame.width} columns equal the CSV")
    if hostile is not None:
        sites = pl.read_parquet(results / "participants.parquet").get_column("site")
        if hostile not in sites.to_list():
            problems.append(f"participants.parquet: no site {hostile!r} as text")
    for p in problems:
        print("MISMATCH", p)
    print(f"{tables} Parquet files checked, {len(problems)} problem(s)")
    return 1 if problems or tables == 0 else 0


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))

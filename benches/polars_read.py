"""The read a Python user times: polars reading a cohort's three CSV files in a fresh
process, `time.perf_counter()` around the three `read_csv` calls (the interpreter's start and
`import polars` left out). Prints the seconds on stdout. Run by `benches/pipeline.rs` when
TRIALDOSE_BENCH_PYTHON names a Python with the packages of benches/requirements.txt."""

import sys
import time

import polars as pl

folder = sys.argv[1]
start = time.perf_counter()
frames = [pl.read_csv(f"{folder}/{name}.csv") for name in ("participants", "sessions", "scores")]
print(time.perf_counter() - start)

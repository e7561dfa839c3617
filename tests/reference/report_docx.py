"""python-docx reads `report.docx` back (issue 16): every number in its tables equals the CSV
outputs of `analyze`, the charts are embedded images drawn at print resolution (300 dpi at the
size Word sets them), with `--min-cell` no hidden count appears in any table or paragraph, and
no participant id appears without `--show-ids`.

Run from the repository root as `_docx.py` says:
`~/.venvs/td-ref/bin/python tests/reference/report_docx.py [BINARY]`."""

import os
import sys
import tempfile

import docx  # python-docx
from _docx import (COHORT, check, check_images, every_text, finish, read_csv, run, table,
                   tables, whole)

with tempfile.TemporaryDirectory() as tmp:
    rep, sup, ids, ana = (os.path.join(tmp, n) for n in ("rep", "sup", "ids", "ana"))
    run("report", COHORT, "--out", rep)
    run("report", COHORT, "--out", sup, "--min-cell", "5")
    run("report", COHORT, "--out", ids, "--show-ids")
    run("analyze", COHORT, "--out", ana)
    arms = read_csv(os.path.join(ana, "arms.csv"))
    comparisons = read_csv(os.path.join(ana, "comparisons.csv"))

    d = docx.Document(os.path.join(rep, "report.docx"))
    all_tables = tables(d)
    for outcome, caption in (("pain", "Table 2: Pain responders"), ("ndi", "Table 3: NDI responders")):
        rows = {r[0]: r for r in table(all_tables, caption)[1:]}
        for a in arms:
            x, n = a[f"{outcome}_responders"], a[f"{outcome}_n"]
            rate, lo, hi = (100 * float(a[f"{outcome}_rate{s}"]) for s in ("", "_low", "_high"))
            want = f"{x}/{n} ({rate:.1f}% [{lo:.1f} to {hi:.1f}])"
            check(f"{caption} {a['arm']}: {want}", rows[a["arm"]][1] == want)
        for c in (c for c in comparisons if c["outcome"] == outcome):
            rd = "{:+.1f} [{:+.1f} to {:+.1f}]".format(
                *(100 * float(c[k]) for k in ("risk_difference", "rd_low", "rd_high")))
            rr = "{:.2f} [{:.2f} to {:.2f}]".format(
                *(float(c[k]) for k in ("risk_ratio", "rr_low", "rr_high")))
            row = rows[c["arm"]]
            check(f"{caption} {c['arm']}: RD {rd}, RR {rr}", row[2] == rd and row[3] == rr)
    one = table(all_tables, "Table 1: Baseline characteristics")
    for i, a in enumerate(arms):
        check(f"Table 1 n of {a['arm']} = {a['randomized']}", one[1][i + 1] == a["randomized"])
    check_images(d, "report.docx", 6)

    text = every_text(docx.Document(os.path.join(sup, "report.docx")))
    for leak in ("4/38", "2/38", "3/38", "10.5%", "5.3%", "7.9%"):
        # As a whole number: 12/38 and 57.9% are not leaks.
        check(f"--min-cell 5: {leak} hidden", not whole(leak, text))
    check("--min-cell 5: [c] of 38 shown", "[c] of 38" in text)
    sup_tables = tables(docx.Document(os.path.join(sup, "report.docx")))
    for caption in ("Checkpoint decisions", "adverse event by arm"):
        cells = [c for r in table(sup_tables, caption)[1:] for c in r[1:]]
        counts = [c.split(" (")[0] for c in cells]
        check(f"--min-cell 5: {caption}: every count 0, at least 5 or [c]",
              all(c == "[c]" or (c.isdigit() and (int(c) == 0 or int(c) >= 5)) for c in counts))

    pids = [p["participant_id"] for p in read_csv(os.path.join(COHORT, "participants.csv"))]
    plain = every_text(d)
    check("no participant id without --show-ids", not any(p in plain for p in pids))
    shown = every_text(docx.Document(os.path.join(ids, "report.docx")))
    check("participant ids listed with --show-ids", sum(p in shown for p in pids) >= 7)

sys.exit(finish())

"""python-docx reads `audit.docx` back (issue 16): every number in its units and safety tables
equals the audit's own `units.csv` and `safety.csv`, the charts (funnel, run chart, each unit's
CUSUM) are embedded images drawn at print resolution (300 dpi at the size Word sets them), with
`--min-cell` no hidden count appears in any table or paragraph, and no participant id appears
without `--show-ids`.

Run from the repository root as `_docx.py` says:
`~/.venvs/td-ref/bin/python tests/reference/audit_docx.py [BINARY]`."""

import os
import sys
import tempfile

import docx  # python-docx
from _docx import (COHORT, check, check_images, every_text, finish, read_csv, run, table,
                   tables, whole)


def rate(row, x, n, share, low, high):
    """`x/n (rate% [low to high])` as the documents print a rate from the CSV columns."""
    r, lo, hi = (100 * float(row[k]) for k in (share, low, high))
    return f"{row[x]}/{row[n]} ({r:.1f}% [{lo:.1f} to {hi:.1f}])"


def small(cell):
    """Does a printed count (`n`, `x/n (...)`, `x of n`) show a count from 1 to 4?"""
    head = cell.split(" (")[0]
    parts = [p for p in head.replace("/", " ").split(" ") if p not in ("of", "[c]", "-")]
    return any(p.isdigit() and 1 <= int(p) < 5 for p in parts)


with tempfile.TemporaryDirectory() as tmp:
    aud, over, full, sup, ids = (os.path.join(tmp, n)
                                 for n in ("aud", "over", "full", "sup", "ids"))
    run("audit", COHORT, "--out", aud)
    run("audit", COHORT, "--out", over, "--over-time", "month")
    run("audit", COHORT, "--out", full, "--by", "therapist")
    run("audit", COHORT, "--out", sup, "--by", "therapist", "--min-cell", "5")
    run("audit", COHORT, "--out", ids, "--show-ids")

    d = docx.Document(os.path.join(aud, "audit.docx"))
    all_tables = tables(d)
    rows = {r[0]: r for r in table(all_tables, "Table 1: Responder rates by site")[1:]}
    for u in read_csv(os.path.join(aud, "units.csv")):
        want = rate(u, "responders", "n", "rate", "rate_low", "rate_high")
        row = rows[u["unit"]]
        check(f"units {u['unit']}: {u['patients']} patients, {want}",
              row[1] == u["patients"] and row[3] == want)
        expected = f"{100 * float(u['expected_rate']):.1f}%"
        z = f"{float(u['z']):+.2f}"
        check(f"units {u['unit']}: expected {expected}, z {z}, {u['verdict']}",
              row[4] == expected and row[6] == z and row[7].startswith(u["verdict"]))
    rows = {r[0]: r for r in table(all_tables, "adverse event by site")[1:]}
    for s in read_csv(os.path.join(aud, "safety.csv")):
        want = rate(s, "with_adverse_event", "treated", "share", "share_low", "share_high")
        check(f"safety {s['unit']}: {want}",
              rows[s["unit"]][1] == s["treated"] and rows[s["unit"]][2] == want)
    numbered = [c for c, _ in all_tables if c.startswith("Table ")]
    check(f"tables numbered 1 to {len(numbered)} in order",
          all(c.startswith(f"Table {i + 1}: ") for i, c in enumerate(numbered)) and len(numbered) == 4)

    sizes = check_images(docx.Document(os.path.join(over, "audit.docx")), "--over-time month", 6)
    check(f"the funnel for print is 1880 x 1253 pixels ({sizes[0] if sizes else None})",
          sizes[:1] == [(1880, 1253)])

    # --min-cell 5: the counts that units.csv and safety.csv leave empty appear nowhere.
    d = docx.Document(os.path.join(sup, "audit.docx"))
    text = every_text(d)
    hidden = 0
    for t, s in zip(read_csv(os.path.join(full, "units.csv")), read_csv(os.path.join(sup, "units.csv"))):
        if s["responders"] == "":
            hidden += 1
            for leak in (f"{t['responders']}/{t['n']}", f"{t['responders']} of {t['n']}"):
                check(f"--min-cell 5: {t['unit']} {leak} hidden", not whole(leak, text))
    check(f"--min-cell 5: {hidden} units with hidden responders (at least 5)", hidden >= 5)
    for t, s in zip(read_csv(os.path.join(full, "safety.csv")), read_csv(os.path.join(sup, "safety.csv"))):
        if s["with_adverse_event"] == "":
            leak = f"{t['with_adverse_event']}/{t['treated']}"
            check(f"--min-cell 5: safety {t['unit']} {leak} hidden", not whole(leak, text))
    sup_tables = tables(d)
    for caption, columns in (("Responder rates by therapist", (1, 3)),
                             ("adverse event by therapist", (1, 2)),
                             ("Checkpoint status", (1,)), ("Safety flags", (1,))):
        cells = [r[c] for r in table(sup_tables, caption)[1:] for c in columns]
        check(f"--min-cell 5: {caption}: every count 0, at least 5 or [c]",
              not any(small(c) for c in cells))
    settings = text[text.index("Settings: units by"):]
    counts = [part.rsplit(". ", 1)[-1].split(" ")[0]
              for part in settings[:settings.index("left out")].split("; ")]
    check(f"--min-cell 5: treated and control counts of the settings ({counts})",
          len(counts) == 2 and not any(small(c) for c in counts))
    check("--min-cell 5: suppressed cells marked [c]", "[c] of" in text)

    pids = [p["participant_id"] for p in read_csv(os.path.join(COHORT, "participants.csv"))]
    plain = every_text(docx.Document(os.path.join(aud, "audit.docx")))
    check("no participant id without --show-ids", not any(whole(p, plain) for p in pids))
    listed = table(tables(docx.Document(os.path.join(ids, "audit.docx"))),
                   "Participants needing attention")[1:]
    check(f"participant ids listed with --show-ids ({len(listed)})",
          len(listed) >= 7 and all(r[0] in pids for r in listed))

sys.exit(finish())

"""Shared helper of the reference scripts: print a value with 17 significant digits beside the
literal the Rust test expects, and count the ones outside the test's tolerance.

Every script in this folder ends with `sys.exit(report())`, so a script exits 1 when a value
it reproduces no longer matches the literal copied from the Rust test it backs."""

import math

_failures = []
_count = [0]


def check(what, got, expected, rel=None, abs_=None):
    """Compare `got` (the reference computation) with `expected` (the literal in the Rust
    test) under the test's own tolerance: relative `rel` or absolute `abs_`."""
    got = float(got)
    _count[0] += 1
    if math.isinf(expected) or math.isinf(got) or expected == got:
        ok = expected == got
        err = 0.0 if ok else math.inf
    elif rel is not None:
        err = abs(got - expected) / abs(expected)
        ok = err <= rel
    else:
        err = abs(got - expected)
        ok = err <= (abs_ or 0.0)
    if rel is not None:
        tol = f"rel {rel:g}"
    elif abs_ is not None:
        tol = f"abs {abs_:g}"
    else:
        tol = "exact"
    flag = "ok  " if ok else "FAIL"
    print(f"{flag} {what}: {got!r:<24} expected {expected!r:<24} diff {err:.1e} ({tol})")
    if not ok:
        _failures.append(what)


def report():
    """Print the tally; the exit code for sys.exit."""
    print(f"{_count[0] - len(_failures)} of {_count[0]} values within tolerance")
    for f in _failures:
        print("  outside tolerance:", f)
    return 1 if _failures else 0

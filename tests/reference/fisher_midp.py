"""Reference values for `stats::fisher::tests::mid_p_matches_exact_sums` (Fisher's mid-p).

mpmath at 50 digits: every table of the support with its exact hypergeometric probability;
mid-p = the tables less probable than the observed one (below P(obs)(1 - 1e-7)) plus half
those tied with it (|P/P(obs) - 1| <= 1e-7), R's tie tolerance for fisher.test. Run from the
repository root; `--print` shows the values with 17 digits."""

import sys

import mpmath as mp

from _check import check, report

mp.mp.dps = 50

TABLES = [(3, 10, 7, 10), (24, 38, 10, 38), (1, 9, 11, 14), (5, 12, 5, 12), (0, 20, 6, 20),
          (12, 38, 10, 38), (40, 400, 61, 410)]

# The literals of the Rust test.
EXPECTED = {
    (3, 10, 7, 10): 0.10095477278139817,
    (24, 38, 10, 38): 0.0014595699910061651,
    (1, 9, 11, 14): 0.0015479876160990713,
    (5, 12, 5, 12): 0.8400861488760264,
    (0, 20, 6, 20): 0.010098010098010098,
    (12, 38, 10, 38): 0.6246057190632768,
    (40, 400, 61, 410): 0.03826342292401887,
}


def mid_p(xt, nt, xc, nc):
    m, n = xt + xc, nt + nc
    lo, hi = max(0, m - nc), min(m, nt)
    pmf = {k: mp.binomial(m, k) * mp.binomial(n - m, nt - k) / mp.binomial(n, nt)
           for k in range(lo, hi + 1)}
    obs = pmf[xt]
    rel = mp.mpf("1e-7")
    less = sum((p for p in pmf.values() if p < obs * (1 - rel)), mp.mpf(0))
    ties = sum((p for p in pmf.values() if abs(p / obs - 1) <= rel), mp.mpf(0))
    return less + ties / 2


if __name__ == "__main__":
    show = "--print" in sys.argv
    for t in TABLES:
        v = mid_p(*t)
        if show:
            print(f"            ({t[0]}, {t[1]}, {t[2]}, {t[3]}, {float(v)!r}),")
        elif t in EXPECTED:
            check(f"{t}", v, EXPECTED[t], rel=1e-12)
    if not show:
        sys.exit(report())

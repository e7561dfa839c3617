"""Two-sided Fisher exact test p-values: exact sums at 50 digits with mpmath (R's rule), and
scipy's fisher_exact beside them.

Run from the repository root:  python tests/reference/fisher.py
Backs: stats::fisher::tests::{tea_tasting, matches_exact_sums_r_and_scipy,
exact_ties_on_the_other_side_are_counted, near_ties_follow_r_not_scipy}
(REFERENCE_REL = 1e-12 against the exact sums, SCIPY_REL = 2e-10 against scipy).

exact: w = the probabilities of the whole support (hypergeometric, margins fixed) by the
recurrence w[k+1]/w[k] = (n_t - k)(m - k) / ((k + 1)(n_c - m + k + 1)) from the lowest k,
p = sum(w[k] for k if w[k] <= w[x_t] (1 + 1e-7)) / sum(w): the rule of R's fisher.test
(relErr = 1 + 10^-7). scipy 1.17.1: stats.fisher_exact([[xt, nt - xt], [xc, nc - xc]]).pvalue.
R 4.2.2 fisher.test(matrix(c(xt, xc, nt - xt, nc - xc), 2))$p.value is not installable here:
its values, as recorded in the Rust comments, are checked against the exact sums.
The near ties are also confirmed in exact rational arithmetic (Python fractions).
"""

import sys
from fractions import Fraction
from math import comb

import mpmath as mp
from scipy import stats

from _check import check, report

mp.mp.dps = 50
REFERENCE_REL = 1e-12
SCIPY_REL = 2e-10


def exact_p(xt, nt, xc, nc):
    m = xt + xc
    lo, hi = max(0, m - nc), min(nt, m)
    w = [mp.mpf(1)]
    for k in range(lo, hi):
        w.append(w[-1] * (nt - k) * (m - k) / ((k + 1) * (nc - m + k + 1)))
    bound = w[xt - lo] * (1 + mp.mpf("1e-7"))
    return sum(v for v in w if v <= bound) / sum(w)


def scipy_p(xt, nt, xc, nc):
    return stats.fisher_exact([[xt, nt - xt], [xc, nc - xc]]).pvalue


def tie_ratio(xt, nt, xc, nc, other):
    """P(X = other) / P(X = x_t) - 1, in exact rational arithmetic."""
    m = xt + xc
    p = lambda k: comb(nt, k) * comb(nc, m - k)
    return Fraction(p(other), p(xt)) - 1


def main():
    check("tea tasting 34/70", exact_p(3, 4, 1, 4), 34 / 70, rel=REFERENCE_REL)

    print("# matches_exact_sums_r_and_scipy")
    for xt, nt, xc, nc, exact, scipy in [
        (56, 70, 48, 80, 0.012521129749209154, 0.012521129749209154),
        (7, 34, 1, 34, 0.05440013049506565, 0.054400130495065674),
        (5, 56, 0, 29, 0.16062144320947107, 0.1606214432094711),
        (40500, 400000, 40000, 400000, 0.06366384529348665, 0.06366384529839522),
        (100, 100, 0, 100, 2.2087606931995026e-59, 2.208760693199503e-59),
        (3, 400000, 15, 400000, 0.0075371997969680545, 0.007537199796992738),
    ]:
        what = f"{xt}/{nt} vs {xc}/{nc}"
        check(f"{what} exact", exact_p(xt, nt, xc, nc), exact, rel=REFERENCE_REL)
        check(f"{what} scipy", scipy_p(xt, nt, xc, nc), scipy, rel=SCIPY_REL)
    # R 4.2.2 on the 4e5-per-arm table, as recorded: 0.063663845293486648.
    check("4e5 per arm: R against exact", 0.063663845293486648,
          float(exact_p(40500, 400000, 40000, 400000)), rel=REFERENCE_REL)

    print("# exact_ties_on_the_other_side_are_counted")
    check("[[3,7],[7,3]] exact", exact_p(3, 10, 7, 10), 0.17889540799757518, rel=REFERENCE_REL)
    check("[[3,7],[7,3]] R 4.2.2 (recorded)", 0.1788954079975755, 0.17889540799757518,
          rel=REFERENCE_REL)
    p = exact_p(1200, 10000, 1100, 10000)
    check("1200/10000 vs 1100/10000 exact", p, 0.028195420289300322, rel=REFERENCE_REL)
    check("  R 4.2.2 (recorded)", 0.028195420289300329, float(p), rel=REFERENCE_REL)
    check("  scipy", scipy_p(1200, 10000, 1100, 10000), 0.028195420289300294, rel=SCIPY_REL)
    p = exact_p(4900, 10000, 5100, 10000)
    check("[[4900,5100],[5100,4900]] exact", p, 0.00488735267920006, rel=REFERENCE_REL)
    check("  scipy 2 * hypergeom.cdf(4900, 20000, 10000, 10000)",
          2 * stats.hypergeom.cdf(4900, 20000, 10000, 10000), 0.004887352679200073,
          rel=SCIPY_REL)

    print("# near_ties_follow_r_not_scipy")
    for (xt, nt, xc, nc, exact, r, scipy), other in [
        ((22, 32, 134, 360, 0.001030930196069846, 0.0010309301960698461, 0.000625041267090269),
         4),
        ((18, 35, 233, 513, 0.5994820466422575, 0.5994820466422575, 0.49021504810280403), 14),
        ((8, 36, 207, 466, 0.013368824774694585, 0.013368824774694588, 0.008946307887283391),
         23),
    ]:
        what = f"{xt}/{nt} vs {xc}/{nc}"
        p = exact_p(xt, nt, xc, nc)
        check(f"{what} exact", p, exact, rel=REFERENCE_REL)
        check(f"{what} R 4.2.2 (recorded) against exact", r, float(p), rel=REFERENCE_REL)
        check(f"{what} scipy", scipy_p(xt, nt, xc, nc), scipy, rel=SCIPY_REL)
        print(f"     P(X = {other}) / P(X = {xt}) - 1 = "
              f"{float(tie_ratio(xt, nt, xc, nc, other)):.3g} (exact fractions)")
    check("mode", exact_p(5, 10, 5, 10), 1.0, rel=1e-15)
    check("tiny", exact_p(1, 2, 0, 1), 1.0, rel=1e-15)
    return report()


if __name__ == "__main__":
    sys.exit(main())

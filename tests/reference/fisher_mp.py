"""Conditional maximum likelihood estimate and exact (Cornfield) limits of the odds ratio at
50 digits with mpmath; scipy's odds_ratio(kind='conditional') beside it.

Run from the repository root:  python tests/reference/fisher_mp.py
Backs: stats::exact_odds::tests::{matches_high_precision_values, edges_of_the_support}
(tolerance MPMATH_REL = 1e-11, relative); agrees_with_r_fisher_test_to_its_tolerance is
checked against the same exact values with R_UNIROOT_REL = 2e-4 (R is not installable here:
the R 4.2.2 fisher.test values in the Rust comments are not rerun).

Given the margins, X = x_t follows Fisher's noncentral hypergeometric law,
P(X = x; psi) proportional to C(n_t, x) C(n_c, m - x) psi^x, m = x_t + x_c, on
max(0, m - n_c) <= x <= min(n_t, m). MLE: E[X; psi] = x_t. Lower limit: P(X >= x_t; psi) =
alpha/2; upper: P(X <= x_t; psi) = alpha/2 (infinite at the top of the support, 0 at the
bottom). Roots in ln psi with mpmath.findroot (Anderson's method, bracketed) to 1e-40.
scipy 1.17.1: stats.contingency.odds_ratio([[xt, nt - xt], [xc, nc - xc]],
kind='conditional'), .statistic and .confidence_interval(confidence_level=level).
"""

import sys

import mpmath as mp
from scipy.stats.contingency import odds_ratio

from _check import check, report

mp.mp.dps = 50
MPMATH_REL = 1e-11
R_UNIROOT_REL = 2e-4
INF = float("inf")


def law(xt, nt, xc, nc):
    m = xt + xc
    lo, hi = max(0, m - nc), min(nt, m)
    support = list(range(lo, hi + 1))
    weights = [mp.binomial(nt, x) * mp.binomial(nc, m - x) for x in support]
    return support, weights


def probabilities(support, weights, lpsi):
    # Scaled by the largest term to keep the sums in range.
    logs = [mp.log(w) + x * lpsi for x, w in zip(support, weights)]
    top = max(logs)
    terms = [mp.exp(v - top) for v in logs]
    total = sum(terms)
    return [t / total for t in terms]


def root(f, lo=-200, hi=200):
    """f increasing in ln psi; the root by bisection to a bracket, polished by findroot."""
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    for _ in range(60):
        mid = (lo + hi) / 2
        if f(mid) > 0:
            hi = mid
        else:
            lo = mid
    return mp.findroot(f, (lo, hi), solver="anderson", tol=mp.mpf(10) ** -40)


def exact(xt, nt, xc, nc, level):
    support, weights = law(xt, nt, xc, nc)
    alpha = 1 - mp.mpf(level)
    mean = lambda l: sum(x * p for x, p in zip(support, probabilities(support, weights, l)))
    upper_tail = lambda l: sum(p for x, p in zip(support, probabilities(support, weights, l))
                               if x >= xt)
    lower_tail = lambda l: sum(p for x, p in zip(support, probabilities(support, weights, l))
                               if x <= xt)
    if xt == support[-1]:
        mle, high = mp.inf, mp.inf
    elif xt == support[0]:
        mle = mp.mpf(0)
    else:
        mle = mp.exp(root(lambda l: mean(l) - xt))
    if xt == support[0]:
        low = mp.mpf(0)
    else:
        low = mp.exp(root(lambda l: upper_tail(l) - alpha / 2))
    if xt != support[-1]:
        high = mp.exp(root(lambda l: alpha / 2 - lower_tail(l)))
    return mle, low, high


def main():
    print("# matches_high_precision_values: (table, level) -> (conditional MLE, lower, upper)")
    for (xt, nt, xc, nc, level), (mle, low, high) in [
        ((56, 70, 48, 80, 0.90), (2.6491872957236945, 1.3533073953805858, 5.3259586099023274)),
        ((56, 70, 48, 80, 0.95), (2.6491872957236945, 1.2091154789241256, 6.0398730131334436)),
        ((56, 70, 48, 80, 0.99), (2.6491872957236945, 0.97119656863202362, 7.7633717951914028)),
        ((9, 10, 3, 10, 0.95), (17.269033937971684, 1.3871135379434164, 1047.839981703822)),
        ((6, 7, 2, 7, 0.95), (11.714345924368008, 0.7203390686297659, 823.97984149114752)),
        ((7, 34, 1, 34, 0.95), (8.329343717551269, 0.97327363288239903, 396.99400217017906)),
        ((24, 38, 10, 38, 0.95), (4.6921508326840021, 1.6356460622777171, 14.401578647471057)),
        ((24, 38, 10, 38, 0.99), (4.6921508326840021, 1.230665540534563, 20.134038318083428)),
        ((29, 38, 10, 38, 0.95), (8.7108353019313146, 2.867107847183866, 29.22136407135363)),
        ((250, 400, 3, 9, 0.95), (3.323199802190417, 0.697530100197832, 20.836356531640351)),
    ]:
        g = exact(xt, nt, xc, nc, level)
        what = f"{xt}/{nt} vs {xc}/{nc} at {level}"
        for name, got, exp in zip(("MLE", "low", "high"), g, (mle, low, high)):
            check(f"{what} {name}", got, exp, rel=MPMATH_REL)
        r = odds_ratio([[xt, nt - xt], [xc, nc - xc]], kind="conditional")
        ci = r.confidence_interval(confidence_level=level)
        for name, got, exp in zip(("MLE", "low", "high"), (r.statistic, ci.low, ci.high),
                                  (mle, low, high)):
            check(f"{what} {name} (scipy)", got, exp, rel=MPMATH_REL)

    print("# edges_of_the_support: lower limits at the top of the support (MLE, upper = inf)")
    for (xt, nt, xc, nc), low in [
        ((5, 56, 0, 29), 0.48327150104200475),
        ((10, 10, 0, 20), 23.358071647209743),
        ((10, 10, 0, 10), 11.135840592560429),
        ((1, 1, 0, 1), 1.0 / 39.0),
    ]:
        mle, lo, hi = exact(xt, nt, xc, nc, 0.95)
        what = f"{xt}/{nt} vs {xc}/{nc}"
        check(f"{what} low", lo, low, rel=MPMATH_REL)
        check(f"{what} high", hi, INF)
        check(f"{what} MLE", mle, INF)
    mle, lo, hi = exact(0, 29, 5, 56, 0.95)
    check("0/29 vs 5/56 MLE", mle, 0.0)
    check("0/29 vs 5/56 low", lo, 0.0)
    check("0/29 vs 5/56 high (mirror)", hi, 1.0 / 0.48327150104200475, rel=MPMATH_REL)

    print("# agrees_with_r_fisher_test_to_its_tolerance: R 4.2.2 fisher.test values (from the "
          "Rust comments) against the exact values")
    mle, lo, hi = exact(24, 38, 10, 38, 0.95)
    # fisher.test(matrix(c(24, 14, 10, 28), 2, byrow = TRUE))
    check("R estimate", mle, 4.6921510414269338, rel=R_UNIROOT_REL)
    check("R low", lo, 1.6356481412971906, rel=R_UNIROOT_REL)
    check("R high", hi, 14.403356473677782, rel=R_UNIROOT_REL)
    # fisher.test(matrix(c(56, 14, 48, 32), 2, byrow = TRUE), conf.level = 0.9)
    mle, lo, hi = exact(56, 70, 48, 80, 0.90)
    check("R (a) low", lo, 1.3532977820232504, rel=R_UNIROOT_REL)
    check("R (a) high", hi, 5.3260535382358603, rel=R_UNIROOT_REL)
    return report()


if __name__ == "__main__":
    sys.exit(main())

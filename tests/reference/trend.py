"""Cochran-Armitage trend test at 50 digits with mpmath, from the formula in
src/stats/trend.rs.

Run from the repository root:  python tests/reference/trend.py
Backs: stats::trend::tests::{matches_sas_documentation_example,
matches_r_prop_trend_test_on_dose_arms} (tolerance REFERENCE_REL = 1e-12, relative).

Z = sum x_i (s_i - s_bar) / sqrt(p (1 - p) sum n_i (s_i - s_bar)^2), s_bar = sum n_i s_i / N,
p = sum x_i / N; two-sided p = erfc(|Z|/sqrt 2), one-sided p = erfc(Z/sqrt 2)/2 (rising
trend). R's prop.trend.test(x, n, score) reports X-squared = Z^2 and the two-sided p; R is
not installable here, so the R values in the Rust comments (R 4.2.2) are checked against Z^2
and the two-sided p of this computation, not rerun.
"""

import sys

import mpmath as mp

from _check import check, report

mp.mp.dps = 50
REFERENCE_REL = 1e-12


def cochran_armitage(x, n, s):
    x, n, s = [mp.mpf(v) for v in x], [mp.mpf(v) for v in n], [mp.mpf(v) for v in s]
    big_n = sum(n)
    s_bar = sum(ni * si for ni, si in zip(n, s)) / big_n
    p = sum(x) / big_n
    t = sum(xi * (si - s_bar) for xi, si in zip(x, s))
    spread = sum(ni * (si - s_bar) ** 2 for ni, si in zip(n, s))
    z = t / mp.sqrt(p * (1 - p) * spread)
    return z, mp.erfc(abs(z) / mp.sqrt(2)), mp.erfc(z / mp.sqrt(2)) / 2


def main():
    print("# matches_sas_documentation_example (SAS/STAT PROC FREQ, Cochran-Armitage example)")
    n = [32, 33, 32, 32, 32]
    z, p2, p1 = cochran_armitage([26, 26, 23, 18, 9], n, [0, 1, 2, 3, 4])
    check("Z for No", z, -4.791812576039571, rel=REFERENCE_REL)
    check("two-sided", p2, 1.6528126887567227e-6, rel=REFERENCE_REL)
    check("one-sided, rising", p1, 0.99999917359365562, rel=REFERENCE_REL)
    print(f"     SAS prints Z = -4.7918: |Z + 4.7918| = {float(abs(z + mp.mpf('4.7918'))):.1e}")
    z, p2, p1 = cochran_armitage([6, 7, 9, 14, 23], n, [0, 1, 2, 3, 4])
    check("Z for Yes", z, 4.791812576039571, rel=REFERENCE_REL)
    # R 4.2.2 prop.trend.test(c(6,7,9,14,23), c(32,33,32,32,32)): X-squared 22.961467763890997,
    # p-value 1.6528126887567163e-06 (as recorded in the Rust comment).
    check("R X-squared = Z^2", z * z, 22.961467763890997, rel=REFERENCE_REL)
    check("R two-sided p", p2, 1.6528126887567163e-06, rel=REFERENCE_REL)
    check("one-sided", p1, 8.2640634437836135e-7, rel=REFERENCE_REL)

    print("# matches_r_prop_trend_test_on_dose_arms (scores in minutes per week)")
    for (x, n, s), (ez, ep2, ep1) in [
        (([10, 11, 22, 25, 30], [38] * 5, [0, 60, 90, 120, 180]),
         (5.3712030810341491, 7.8213066503674094e-8, 3.9106533251837047e-8)),
        (([10, 11, 13, 22, 25, 30], [38] * 6, [0, 60, 90, 60, 120, 180]),
         (5.0130076124264286, 5.3585776025519284e-7, 2.6792888012759642e-7)),
        (([3, 5, 9], [20, 25, 30], [0, 1, 2]),
         (1.2782145985509919, 0.20117377012846273, 0.10058688506423137)),
    ]:
        z, p2, p1 = cochran_armitage(x, n, s)
        check(f"{x} Z", z, ez, rel=REFERENCE_REL)
        check(f"{x} two-sided p", p2, ep2, rel=REFERENCE_REL)
        check(f"{x} one-sided p", p1, ep1, rel=REFERENCE_REL)
        print(f"     R prop.trend.test X-squared should equal Z^2 = {mp.nstr(z * z, 17)}")
    return report()


if __name__ == "__main__":
    sys.exit(main())

"""Cross-checks of values the Rust tests take from R 4.2.2 (R itself is not installable on the
project's machines: CRAN is not reachable), with scipy 1.17.1 and statsmodels 0.15.0.

Run from the repository root:  python tests/reference/r_crosscheck.py
Backs: stats::chisq::tests::{matches_r_chisq_test,
yates_never_overcorrects_and_degenerate_tables_have_no_test} (R_REL = 1e-13), source
R 4.2.2 chisq.test(matrix(c(x1, n1 - x1, x2, n2 - x2), 2, byrow = TRUE), correct = FALSE /
TRUE); cross-check scipy.stats.chi2_contingency(table, correction=False / True), which applies
Yates' correction as R does (|O - E| reduced by min(0.5, |O - E|)).
stats::multiplicity::tests::matches_r_p_adjust (R_ABS = 1e-15), source R 4.2.2 p.adjust(p, "holm" /
"bonferroni"); cross-check statsmodels.stats.multitest.multipletests(p, method='holm' /
'bonferroni')[1].
"""

import sys

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from _check import check, report

R_REL = 1e-13


def main():
    print("# chisq.rs matches_r_chisq_test")
    for (xt, nt, xc, nc), (x2, p), (y2, yp) in [
        ((56, 70, 48, 80), (7.0234113712374571, 0.0080450813681965782),
         (6.114270410296224, 0.013409475178668959)),
        ((9, 10, 3, 10), (7.5, 0.0061698993205441532),
         (5.2083333333333339, 0.022478873366125231)),
        ((5, 56, 0, 29), (2.7511160714285716, 0.097186568170579746),
         (1.3747402247536946, 0.24099911419634254)),
        ((10, 10, 0, 20), (29.999999999999996, 4.3204630578275061e-08),
         (25.668749999999996, 4.0533792817570518e-07)),
        ((24, 38, 10, 38), (10.431372549019608, 0.0012389263721746765),
         (8.9943977591036415, 0.0027080850501157399)),
        ((29, 38, 10, 38), (19.013167013167013, 1.2981953787248864e-05),
         (17.064449064449065, 3.613240150198634e-05)),
        ((250, 400, 3, 9), (3.1736153339414215, 0.074836619084306902),
         (2.0577988092322337, 0.15142877834517671)),
    ]:
        table = np.array([[xt, nt - xt], [xc, nc - xc]])
        what = f"{xt}/{nt} vs {xc}/{nc}"
        r = stats.chi2_contingency(table, correction=False)
        check(f"{what} X2", r.statistic, x2, rel=R_REL)
        check(f"{what} p", r.pvalue, p, rel=R_REL)
        r = stats.chi2_contingency(table, correction=True)
        check(f"{what} Yates X2", r.statistic, y2, rel=R_REL)
        check(f"{what} Yates p", r.pvalue, yp, rel=R_REL)
    r = stats.chi2_contingency(np.array([[1, 0], [0, 1]]), correction=True)
    check("1/1 vs 0/1 Yates X2", r.statistic, 0.0)
    check("1/1 vs 0/1 Yates p", r.pvalue, 1.0)
    r = stats.chi2_contingency(np.array([[1, 0], [0, 1]]), correction=False)
    check("1/1 vs 0/1 p", r.pvalue, 0.15729920705028447, rel=R_REL)

    print("# multiplicity.rs matches_r_p_adjust")
    for p, method, expected in [
        ([0.01, 0.04, 0.03, 0.2], "holm", [0.04, 0.09, 0.09, 0.2]),
        ([0.01, 0.04, 0.03, 0.2], "bonferroni", [0.04, 0.16, 0.12, 0.8]),
        ([0.5, 0.5, 0.9, 0.01], "holm", [1.0, 1.0, 1.0, 0.04]),
        ([0.5, 0.5, 0.9, 0.01], "bonferroni", [1.0, 1.0, 1.0, 0.04]),
    ]:
        got = multipletests(p, method=method)[1]
        for i, (g, e) in enumerate(zip(got, expected)):
            check(f"{method} {p}[{i}]", g, e, abs_=1e-15)
    return report()


if __name__ == "__main__":
    sys.exit(main())

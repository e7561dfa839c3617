"""Single-arm and two-arm estimates with closed forms or scipy underneath: Welch's interval,
Wilson and Clopper-Pearson intervals, Katz and Woolf ratio intervals, mean and sd.
numpy 2.4.6, scipy 1.17.1, statsmodels 0.15.0.

Run from the repository root:  python tests/reference/estimates.py
Backs: stats::welch::tests::{matches_scipy, large_cohort_uses_accurate_t_quantile}
(SCIPY_REL = 1e-12); stats::proportion::tests::{wilson_matches_statsmodels,
clopper_pearson_matches_statsmodels} (SCIPY_REL = 1e-12); stats::ratio::tests::
{match_statsmodels_without_zero_cells, zero_cells_add_one_half_to_every_cell}
(STATSMODELS_REL = 1e-13); stats::descriptive::tests::{match_numpy,
large_sample_matches_numpy, moments_are_the_mean_and_sd} (NUMPY_REL = 1e-14).
"""

import sys

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint

from _check import check, report

A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
B1 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
A2 = [1.2, 3.4, 2.2, 5.1, 0.7]
B2 = [10.0, 12.5, 9.1, 30.2, 11.1, 8.8, 15.0]


def welch(a, b, level, expected, what):
    # r = stats.ttest_ind(a, b, equal_var=False); ci = r.confidence_interval(level)
    r = stats.ttest_ind(a, b, equal_var=False)
    ci = r.confidence_interval(confidence_level=level)
    got = (np.mean(a) - np.mean(b), ci.low, ci.high, r.df)
    for name, g, e in zip(("estimate", "low", "high", "df"), got, expected):
        check(f"{what} {name}", g, e, rel=1e-12)


def main():
    print("# welch.rs matches_scipy")
    welch(A1, B1, 0.95, (-2.166666666666668, -3.984096267140929, -0.3492370661924069,
                         24.988529290231416), "15 vs 15")
    welch(A2, B2, 0.95, (-11.294285714285714, -18.307143247037146, -4.281428181534281,
                         6.904311841249375), "5 vs 7 at 0.95")
    welch(A2, B2, 0.99, (-11.294285714285714, -21.692737235244007, -0.8958341933274205,
                         6.904311841249375), "5 vs 7 at 0.99")
    welch([2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0], 0.95,
          (-0.5, -2.5542602567605206, 1.5542602567605206, 3.0), "constant a")
    print("# welch.rs large_cohort_uses_accurate_t_quantile")
    a = [((i * 7919) % 1000) / 100 for i in range(300000)]
    b = [((i * 104729) % 997) / 90 + 0.3 for i in range(250000)]
    welch(a, b, 0.95, (-0.8382475111111116, -0.8544909443809293, -0.8220040778412939,
                       509155.0065156587), "large at 0.95")
    welch(a, b, 0.90, (-0.8382475111111116, -0.851879422430324, -0.8246155997918992,
                       509155.0065156587), "large at 0.90")

    print("# proportion.rs wilson_matches_statsmodels: proportion_confint(x, n, alpha=1 - level, "
          "method='wilson')")
    for x, n, level, (low, high) in [
        (81, 263, 0.95, (0.2552885198782742, 0.36620957698280004)),
        (1, 29, 0.95, (0.006113214292762653, 0.17175521879320288)),
        (7, 34, 0.90, (0.11566389757386855, 0.33945927680407395)),
        (499500, 1000000, 0.99, (0.49821209358217194, 0.5007879130526807)),
        (3, 400000, 0.95, (2.5506800246897105e-06, 2.2052730744572303e-05)),
        (399999, 400000, 0.95, (0.9999858378047186, 0.9999995586884762)),
    ]:
        lo, hi = proportion_confint(x, n, alpha=1 - level, method="wilson")
        check(f"wilson {x}/{n} at {level} low", lo, low, rel=1e-12)
        check(f"wilson {x}/{n} at {level} high", hi, high, rel=1e-12)

    print("# proportion.rs clopper_pearson_matches_statsmodels: method='beta'")
    for x, n, level, (low, high) in [
        (81, 263, 0.95, (0.25273674558527126, 0.36762192260135135)),
        (1, 29, 0.95, (0.0008726468835799228, 0.1776442954887229)),
        (7, 34, 0.90, (0.1008368995350108, 0.3521612169861841)),
        (0, 400000, 0.95, (0.0, 9.222156110941727e-06)),
        (1, 400000, 0.95, (6.329451795762666e-08, 1.3929028878962107e-05)),
        (5, 400000, 0.95, (4.058728032350724e-06, 2.917058704799547e-05)),
        (200000, 400000, 0.95, (0.49844926711688686, 0.5015507328831131)),
        (399999, 400000, 0.999, (0.9999750035874255, 0.9999999987496874)),
    ]:
        lo, hi = proportion_confint(x, n, alpha=1 - level, method="beta")
        check(f"cp {x}/{n} at {level} low", lo, low, rel=1e-12)
        check(f"cp {x}/{n} at {level} high", hi, high, rel=1e-12)

    print("# ratio.rs match_statsmodels_without_zero_cells: t = Table2x2([[a, b], [c, d]]); "
          "(t.riskratio, *t.riskratio_confint(alpha)) and oddsratio")
    for (xt, nt, xc, nc, level), rr, orr in [
        ((7, 34, 1, 34, 0.95), (7.0, 0.9096055118420767, 53.86950646414646),
         (8.555555555555555, 0.9904902816539896, 73.90030192115275)),
        ((56, 70, 48, 80, 0.95), (1.3333333333333335, 1.0766264227631928, 1.6512485112663873),
         (2.6666666666666665, 1.2762178705364344, 5.572019696074381)),
        ((12000, 100000, 11500, 100000, 0.99),
         (1.0434782608695652, 1.0110423327513498, 1.0769547877825185),
         (1.0494071146245059, 1.012522915059271, 1.0876349323512005)),
        ((3, 400000, 1, 400000, 0.95), (3.0, 0.31206151846747926, 28.840467239275814),
         (3.000015000112501, 0.3120604303454304, 28.840856211527655)),
    ]:
        t = Table2x2(np.array([[xt, nt - xt], [xc, nc - xc]]))
        what = f"{xt}/{nt} vs {xc}/{nc} at {level}"
        for name, got, e in zip(("RR", "RR low", "RR high"),
                                (t.riskratio, *t.riskratio_confint(alpha=1 - level)), rr):
            check(f"{what} {name}", got, e, rel=1e-13)
        for name, got, e in zip(("OR", "OR low", "OR high"),
                                (t.oddsratio, *t.oddsratio_confint(alpha=1 - level)), orr):
            check(f"{what} {name}", got, e, rel=1e-13)

    print("# ratio.rs zero_cells_add_one_half_to_every_cell: "
          "Table2x2(table + 0.5, shift_zeros=False)")
    for (xt, nt, xc, nc), rr, orr in [
        ((5, 56, 0, 29), (5.789473684210526, 0.3311897997581315, 101.2048244379641),
         (6.300970873786408, 0.336379984003089, 118.02793222066407)),
        ((10, 10, 0, 20), (40.09090909090909, 2.584427412441987, 621.9098992673356),
         (861.0, 15.93029647229231, 46535.29212650792)),
        ((0, 10, 0, 20), (1.9090909090909092, 0.040565992881340746, 89.84441992667175),
         (1.9523809523809523, 0.0361231212523635, 105.52220436849858)),
        ((3, 3, 1, 4), (2.916666666666667, 0.7270512820356562, 11.700611297494753),
         (16.333333333333332, 0.48013402644710773, 555.631892519424)),
    ]:
        t = Table2x2(np.array([[xt, nt - xt], [xc, nc - xc]]) + 0.5, shift_zeros=False)
        what = f"{xt}/{nt} vs {xc}/{nc} +0.5"
        for name, got, e in zip(("RR", "RR low", "RR high"),
                                (t.riskratio, *t.riskratio_confint(alpha=0.05)), rr):
            check(f"{what} {name}", got, e, rel=1e-13)
        for name, got, e in zip(("OR", "OR low", "OR high"),
                                (t.oddsratio, *t.oddsratio_confint(alpha=0.05)), orr):
            check(f"{what} {name}", got, e, rel=1e-13)

    print("# descriptive.rs match_numpy: (np.mean(xs), np.std(xs, ddof=1))")
    for xs, m, s in [
        ([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 5.0, 2.138089935299395),
        ([0.1, 0.2, 0.3], 0.20000000000000004, 0.09999999999999999),
        ([1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0], 1e9 + 10.0, 5.477225575051661),
    ]:
        check(f"mean {xs}", np.mean(xs), m, rel=1e-14)
        check(f"sd {xs}", np.std(xs, ddof=1), s, rel=1e-14)
    xs = [((i * 7919) % 1000) / 100 for i in range(300000)]
    check("large mean", np.mean(xs), 4.995, rel=1e-14)
    check("large sd", np.std(xs, ddof=1), 2.886754713833961, rel=1e-14)
    check("np.var(ddof=1)", np.var([2, 4, 4, 4, 5, 5, 7, 9], ddof=1), 4.571428571428571,
          rel=1e-14)
    return report()


if __name__ == "__main__":
    sys.exit(main())

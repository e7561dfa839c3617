"""Reference values of the integration tests in tests/statistics_cli.rs (and the one in
tests/report.rs that quotes them), from the same independent computations as the stats tests.

Run from the repository root:
    python tests/reference/cli_values.py               # compare and trend values only
    trialdose analyze data/dream-like --out RESULTS
    python tests/reference/cli_values.py RESULTS       # also the adjusted.csv fits
Backs: compare_json_has_the_documented_keys_and_reference_values,
compare_says_why_values_are_missing (MN ratio lower limit), trend_csv_matches_r_prop_trend_test,
adjusted_csv_matches_statsmodels_on_the_example_cohort (FIT_REL = 1e-6 on estimates,
LIMIT_REL = 1e-4 on limits and p; checked here at 1e-9 so drift is seen early).

The adjusted fits read RESULTS/participants.csv, the per-participant file trialdose derives from
data/dream-like (ITT, missing outcome counted as a non-responder): y = {pain,ndi}_responder,
X = [1, one indicator per treatment arm (control is the reference), {pain,ndi}_baseline, age];
statsmodels 0.15.0 GLM(y, X, family=Poisson()).fit(cov_type='HC0', tol=1e-14) and
Logit(y, X).fit(method='newton', tol=1e-14); exp(coef), exp(coef +- norm.ppf(0.975) se),
two-sided Wald p. The responder rule itself is trialdose's and is checked by the other tests.
"""

import csv
import os
import sys

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2

from _check import check, report
from fisher import exact_p
from fisher_mp import exact as exact_odds
from score_intervals import agresti_caffo, mn_difference, mn_ratio, wald
from trend import cochran_armitage

WITH_AGE = {
    ("pain", "modified_poisson", "30x2"): [1.0649174320169676, 0.52077250617520709,
                                          2.1776286642752924, 0.86317593958691474],
    ("pain", "modified_poisson", "60x1"): [1.9196917038476151, 1.048642510190863,
                                          3.5142731693669513, 0.034522228426437603],
    ("pain", "modified_poisson", "60x2"): [2.5984946908236761, 1.46864802247233,
                                          4.5975445136760449, 0.0010374417680606295],
    ("pain", "modified_poisson", "60x3"): [2.9109999276414116, 1.6863078593309297,
                                          5.0251325888325455, 0.00012511894003584196],
    ("pain", "logistic", "60x2"): [6.1840959640399582, 2.2506331113039622,
                                   16.992126659994888, 0.00041092017669524714],
    ("pain", "logistic", "60x3"): [10.458934248755046, 3.560999677192731,
                                   30.718706974446278, 1.9517448522649617e-05],
    ("ndi", "modified_poisson", "30x3"): [0.48617493106631671, 0.095623947944118368,
                                         2.471829167056224, 0.38471935297955595],
    ("ndi", "modified_poisson", "60x2"): [3.0141742706644719, 1.0665093177230851,
                                         8.5186752548322779, 0.037393795191773646],
    ("ndi", "modified_poisson", "60x3"): [4.5169997816784351, 1.6881387096976501,
                                         12.086262171748501, 0.0026759065688123883],
    ("ndi", "logistic", "30x2"): [0.71069212840820994, 0.14729137449453605,
                                  3.4291437846560937, 0.67061311389602429],
    ("ndi", "logistic", "60x1"): [2.5423167724713105, 0.70370855235105978,
                                  9.1847321593507516, 0.15451088465355953],
    ("ndi", "logistic", "60x3"): [8.0142421822577266, 2.3617916509562766,
                                  27.194641716119843, 0.00084197715466366473],
}
# Same calls without age.
BASELINE_ONLY = {
    ("pain", "modified_poisson", "60x3"): [2.9742363624055588, 1.7021297616470101,
                                          5.1970667212209651, None],
    ("ndi", "logistic", "60x3"): [8.0917896121038968, None, None, None],
}


def compare_values():
    print("# compare_json_has_the_documented_keys_and_reference_values: 24/38 vs 10/38")
    t = (24, 38, 10, 38)
    lo, hi = mn_difference(*t, 0.95)
    check("/risk_difference/miettinen_nurminen/0", lo, 0.14599013908842787, rel=1e-12)
    check("/risk_difference/miettinen_nurminen/1", hi, 0.55568975442860836, rel=1e-12)
    check("/risk_difference/wald/0", wald(*t, 0.95)[0], 0.1607561742000264, rel=1e-12)
    check("/risk_difference/agresti_caffo/1", agresti_caffo(*t, 0.95)[1], 0.55409757246695005,
          rel=1e-12)
    check("/risk_ratio/miettinen_nurminen/0", mn_ratio(*t, 0.95)[0], 1.3811076511112525,
          rel=1e-12)
    table = Table2x2(np.array([[24, 14], [10, 28]]))
    check("/risk_ratio/katz/1 (statsmodels Table2x2.riskratio_confint)",
          table.riskratio_confint(alpha=0.05)[1], 4.3072405262755857, rel=1e-12)
    _, olo, ohi = exact_odds(*t, 0.95)
    check("/odds_ratio/exact/0", olo, 1.6356460622777171, rel=1e-10)
    check("/odds_ratio/exact/1", ohi, 14.401578647471057, rel=1e-10)
    check("/fisher_p", exact_p(*t), 0.0024652054194623085, rel=1e-12)
    tab = np.array([[24, 14], [10, 28]])
    check("/chi2_p (scipy chi2_contingency, correction=False)",
          stats.chi2_contingency(tab, correction=False).pvalue, 0.0012389263721746765, rel=1e-12)
    check("/chi2_yates_p (correction=True)",
          stats.chi2_contingency(tab, correction=True).pvalue, 0.0027080850501157399, rel=1e-12)
    print("# compare_says_why_values_are_missing: 5/56 vs 0/29 MN ratio lower limit")
    check("MN ratio low", mn_ratio(5, 56, 0, 29, 0.95)[0], 0.71749507827711347, rel=1e-12)


def trend_values():
    print("# trend_csv_matches_r_prop_trend_test: R 4.2.2 prop.trend.test(x, rep(38, 6), "
          "c(0, 60, 60, 90, 120, 180)) X-squared = Z^2")
    s = [0, 60, 60, 90, 120, 180]
    z, p2, p1 = cochran_armitage([10, 11, 19, 12, 25, 30], [38] * 6, s)
    check("pain Z^2", z * z, 26.904105661543248, rel=1e-12)
    check("pain two-sided p", p2, 2.1380421529782543e-07, rel=1e-10)
    z, _, _ = cochran_armitage([4, 3, 9, 2, 12, 19], [38] * 6, s)
    check("ndi Z^2", z * z, 21.16201846995779, rel=1e-12)


def fit_table(rows, outcome, with_age):
    arms = sorted({r["arm"] for r in rows} - {"control"})
    y = np.array([1.0 if r[f"{outcome}_responder"] == "true" else 0.0 for r in rows])
    cols = [np.ones(len(rows))]
    cols += [np.array([1.0 if r["arm"] == a else 0.0 for r in rows]) for a in arms]
    cols.append(np.array([float(r[f"{outcome}_baseline"]) for r in rows]))
    if with_age:
        cols.append(np.array([float(r["age"]) for r in rows]))
    X = np.column_stack(cols)
    out = {}
    z = stats.norm.ppf(0.975)
    for model in ("modified_poisson", "logistic"):
        if model == "modified_poisson":
            res = sm.GLM(y, X, family=sm.families.Poisson()).fit(cov_type="HC0", tol=1e-14)
        else:
            res = sm.Logit(y, X).fit(method="newton", tol=1e-14, disp=0)
        for j, a in enumerate(arms, start=1):
            b, se = res.params[j], res.bse[j]
            out[(outcome, model, a)] = [np.exp(b), np.exp(b - z * se), np.exp(b + z * se),
                                        res.pvalues[j]]
    return out


def adjusted_values(results):
    path = os.path.join(results, "participants.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    print(f"# adjusted_csv_matches_statsmodels_on_the_example_cohort ({path}, {len(rows)} rows)")
    print("  responder values seen:", sorted({r["pain_responder"] for r in rows}),
          sorted({r["ndi_responder"] for r in rows}))
    for expected, with_age in ((WITH_AGE, True), (BASELINE_ONLY, False)):
        got = {}
        for outcome in ("pain", "ndi"):
            got.update(fit_table(rows, outcome, with_age))
        for key, values in expected.items():
            for name, g, e in zip(("estimate", "low", "high", "p"), got[key], values):
                if e is not None:
                    check(f"{key} age={with_age} {name}", g, e, rel=1e-9)


def main():
    compare_values()
    trend_values()
    if len(sys.argv) > 1:
        adjusted_values(sys.argv[1])
    else:
        print("(no RESULTS folder given: adjusted.csv fits not checked)")
    return report()


if __name__ == "__main__":
    sys.exit(main())

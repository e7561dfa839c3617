"""Reference values for `stats::margin::tests` (Farrington-Manning margin tests).

Risk difference: mpmath at 40 digits, the restricted maximum likelihood estimates found by
solving the constrained score equation numerically (`findroot`; an independent route from the
closed-form cubic the Rust code uses), then the Farrington-Manning statistic and normal tails.
statsmodels 0.15.0's `test_proportions_2indep(method="score", compare="diff",
correction=False)` is printed beside it and disagrees (its restricted estimates are not the
constrained maximum: 0.3952 instead of 0.4020 for 24/38 vs 10/38 at -0.1, by direct
maximisation), so it is not used for the difference. Risk ratio: statsmodels
`test_proportions_2indep(method="score", compare="ratio", correction=False)` and
`tost_proportions_2indep`, which agree with the same mpmath route. Run from the repository
root; `--print` shows every value with 17 digits to paste into the test."""

import sys

import mpmath as mp
from statsmodels.stats.proportion import test_proportions_2indep, tost_proportions_2indep

from _check import check, report

mp.mp.dps = 40

TABLES = [(24, 38, 10, 38), (30, 40, 28, 41), (12, 38, 10, 38), (45, 50, 44, 50)]
# (hypothesis, "diff"|"ratio", margin)
TESTS = [
    ("noninferiority", "diff", 0.1),
    ("noninferiority", "diff", 0.2),
    ("superiority", "diff", 0.0),
    ("superiority", "diff", 0.05),
    ("equivalence", "diff", 0.15),
    ("noninferiority", "ratio", 0.8),
    ("superiority", "ratio", 1.25),
    ("equivalence", "ratio", 0.8),
]

# The literals of the Rust test `matches_statsmodels_farrington_manning`.
EXPECTED = {
    ((24, 38, 10, 38), "noninferiority", "diff", 0.1): (4.123444279539148, 1.8662439122280532e-05),
    ((24, 38, 10, 38), "noninferiority", "diff", 0.2): (5.0766955171712915, 1.920277887284315e-07),
    ((24, 38, 10, 38), "superiority", "diff", 0.0): (3.229763543824781, 0.000619463186087338),
    ((24, 38, 10, 38), "superiority", "diff", 0.05): (2.7960397911683805, 0.0025866515292935956),
    ((24, 38, 10, 38), "equivalence", "diff", 0.15): (1.9386294393842076, 0.9737267619208964),
    ((24, 38, 10, 38), "noninferiority", "ratio", 0.8): (4.127994766224079, 1.8297022092707046e-05),
    ((24, 38, 10, 38), "superiority", "ratio", 1.25): (2.355001954927678, 0.009261304125143961),
    ((24, 38, 10, 38), "equivalence", "ratio", 0.8): (2.355001954927678, 0.9907386958748561),
    ((30, 40, 28, 41), "noninferiority", "diff", 0.1): (1.660756187208803, 0.048381211868092105),
    ((30, 40, 28, 41), "noninferiority", "diff", 0.2): (2.6582651333475025, 0.003927203758960858),
    ((30, 40, 28, 41), "superiority", "diff", 0.0): (0.6693223940531525, 0.2516449222933223),
    ((30, 40, 28, 41), "superiority", "diff", 0.05): (0.1708317036632673, 0.43217804978678853),
    ((30, 40, 28, 41), "equivalence", "diff", 0.15): (-0.8349824263241205, 0.2018638015724002),
    ((30, 40, 28, 41), "noninferiority", "ratio", 0.8): (2.177608622108943, 0.014717593544153066),
    ((30, 40, 28, 41), "superiority", "ratio", 1.25): (-0.9036992896800642, 0.8169225620608871),
    ((30, 40, 28, 41), "equivalence", "ratio", 0.8): (-0.9036992896800642, 0.1830774379391129),
    ((12, 38, 10, 38), "noninferiority", "diff", 0.1): (1.4648317865385756, 0.07148340860229574),
    ((12, 38, 10, 38), "noninferiority", "diff", 0.2): (2.432874550141993, 0.00748974489892318),
    ((12, 38, 10, 38), "superiority", "diff", 0.0): (0.5058579404262188, 0.3064781901597536),
    ((12, 38, 10, 38), "superiority", "diff", 0.05): (0.025333171804164025, 0.48989460757113706),
    ((12, 38, 10, 38), "equivalence", "diff", 0.15): (-0.9418122689376844, 0.1731443813044452),
    ((12, 38, 10, 38), "noninferiority", "ratio", 0.8): (1.131369026587234, 0.1289499011969363),
    ((12, 38, 10, 38), "superiority", "ratio", 1.25): (-0.11286065185041132, 0.5449294838851623),
    ((12, 38, 10, 38), "equivalence", "ratio", 0.8): (-0.11286065185041132, 0.4550705161148377),
    ((45, 50, 44, 50), "noninferiority", "diff", 0.1): (1.8037871387243867, 0.035632341413129),
    ((45, 50, 44, 50), "noninferiority", "diff", 0.2): (3.0627303052312818, 0.001096638154588374),
    ((45, 50, 44, 50), "superiority", "diff", 0.0): (0.31960138605029653, 0.3746352617642286),
    ((45, 50, 44, 50), "superiority", "diff", 0.05): (-0.4754331514427823, 0.6827608650152514),
    ((45, 50, 44, 50), "equivalence", "diff", 0.15): (-1.9158877807435084, 0.027689690578716678),
    ((45, 50, 44, 50), "noninferiority", "ratio", 0.8): (2.8518581871468864, 0.0021732243321333313),
    ((45, 50, 44, 50), "superiority", "ratio", 1.25): (-2.3696490549360236, 0.9910975116729807),
    ((45, 50, 44, 50), "equivalence", "ratio", 0.8): (-2.3696490549360236, 0.008902488327019393),
}


def fm_z(table, compare, bound):
    """Farrington-Manning z at `bound` (difference or ratio), by direct constrained ML."""
    x1, n1, x2, n2 = (mp.mpf(v) for v in table)
    bound = mp.mpf(bound)
    p1 = (lambda q: q + bound) if compare == "diff" else (lambda q: bound * q)

    def dll(q):
        return mp.diff(
            lambda r: x1 * mp.log(p1(r)) + (n1 - x1) * mp.log(1 - p1(r))
            + x2 * mp.log(r) + (n2 - x2) * mp.log(1 - r),
            q,
        )

    lo = max(mp.mpf(0), -bound) if compare == "diff" else mp.mpf(0)
    hi = min(mp.mpf(1), 1 - bound) if compare == "diff" else min(mp.mpf(1), 1 / bound)
    eps = mp.mpf("1e-30")
    q = mp.findroot(dll, (lo + eps, hi - eps), solver="anderson")
    a = p1(q)
    scale = 1 if compare == "diff" else bound
    var = a * (1 - a) / n1 + scale**2 * q * (1 - q) / n2
    num = x1 / n1 - x2 / n2 - bound if compare == "diff" else x1 / n1 - bound * x2 / n2
    return num / mp.sqrt(var)


def values(table, hypothesis, compare, margin):
    upper = lambda z: 1 - mp.ncdf(z)
    if hypothesis == "equivalence":
        low, upp = (-margin, margin) if compare == "diff" else (margin, 1 / margin)
        zl, zh = fm_z(table, compare, low), fm_z(table, compare, upp)
        pl, ph = upper(zl), mp.ncdf(zh)
        return (zl, pl) if pl >= ph else (zh, ph)
    value = -margin if (hypothesis == "noninferiority" and compare == "diff") else margin
    z = fm_z(table, compare, value)
    return z, upper(z)


def statsmodels_values(table, hypothesis, compare, margin):
    x1, n1, x2, n2 = table
    kw = dict(method="score", compare=compare, correction=False)
    if hypothesis == "equivalence":
        low, upp = (-margin, margin) if compare == "diff" else (margin, 1 / margin)
        r = tost_proportions_2indep(x1, n1, x2, n2, low, upp, **kw)
        return r.statistic, r.pvalue
    value = -margin if (hypothesis == "noninferiority" and compare == "diff") else margin
    r = test_proportions_2indep(x1, n1, x2, n2, value=value, alternative="larger", **kw)
    return r.statistic, r.pvalue


if __name__ == "__main__":
    show = "--print" in sys.argv
    for t in TABLES:
        for h, c, m in TESTS:
            z, p = values(t, h, c, m)
            key = (t, h, c, m)
            if c == "ratio":
                sz, sp = statsmodels_values(t, h, c, m)
                check(f"{key} z: mpmath against statsmodels", sz, float(z), rel=1e-9)
                check(f"{key} p: mpmath against statsmodels", sp, float(p), rel=1e-8)
            if show:
                print(f"    ({t}, \"{h}\", \"{c}\", {m}, {float(z)!r}, {float(p)!r}),")
            elif key in EXPECTED:
                check(f"{key} z", z, EXPECTED[key][0], rel=1e-12)
                check(f"{key} p", p, EXPECTED[key][1], rel=1e-9)
    if not show:
        sys.exit(report())

"""Poisson-binomial reference values for src/stats/poisson_binomial.rs, at 50 digits.

Each probability set is named `n:a:b:m:q` and has p_i = a + b * ((i * m % q) / q) for
i = 0..n-1, computed in IEEE doubles exactly as the Rust test computes it; every p_i is then
taken exactly (its double) and the distribution is built by convolution in mpmath at 50
significant digits (exact rationals, tried first, grow too long beyond a few hundred patients).
The CDF, the survival function (1 - CDF at 50 digits) and Spiegelhalter's interpolated limits
(F(r_P) >= P smallest, alpha = (F(r_P) - P) / P(R = r_P), lower r_P - alpha, upper
r_P + 1 - alpha) are printed as doubles with 17 significant digits.

mpmath 1.4.1 (tests/reference/requirements.txt). Run from the repository root:
    ~/.venvs/td-ref/bin/python tests/reference/poisson_binomial.py
It writes tests/reference/data/poisson_binomial.csv.
"""

import mpmath
from mpmath import mpf
import csv
import sys

SETS = [
    "1:0.3:0:1:1",
    "2:0.1:0.8:1:2",
    "7:0.05:0.9:3:7",
    "20:0.2:0.6:7:11",
    "57:0.4:0.5:5:13",
    "120:0.01:0.2:11:17",
    "300:0.3:0.65:13:29",
    "800:0.55:0.4:17:31",
    "2000:0.1:0.85:23:97",
]


def probabilities(spec):
    n, a, b, m, q = spec.split(":")
    n, m, q = int(n), int(m), int(q)
    a, b = float(a), float(b)
    return [a + b * (float((i * m) % q) / float(q)) for i in range(n)]


def distribution(ps):
    pmf = [mpf(1)]
    for p in ps:
        p = mpf(p)
        new = [mpf(0)] * (len(pmf) + 1)
        for k, v in enumerate(pmf):
            new[k] += v * (1 - p)
            new[k + 1] += v * p
        pmf = new
    return pmf


def limit(pmf, prob):
    cdf = mpf(0)
    for r, v in enumerate(pmf):
        cdf += v
        if cdf >= prob:
            alpha = (cdf - prob) / v
            alpha = min(max(alpha, mpf(0)), mpf(1))
            return r + (0 if prob < mpf(1) / 2 else 1) - alpha
    raise AssertionError("F(n) = 1")


def main():
    mpmath.mp.dps = 50
    out = "tests/reference/data/poisson_binomial.csv"
    rows = 0
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["set", "k", "cdf", "sf", "low_998", "low_95", "high_95", "high_998"])
        for spec in SETS:
            ps = probabilities(spec)
            pmf = distribution(ps)
            # The Rust code compares with the doubles 0.001, 0.025, 0.975 and 0.999: use those
            # exactly.
            lims = [limit(pmf, mpf(p)) for p in (0.001, 0.025, 0.975, 0.999)]
            mean = sum(mpf(p) for p in ps)
            n = len(ps)
            ks = sorted({0, n, int(mean), max(int(mean) - 1, 0), int(lims[0]), int(lims[3]), n // 3})
            for k in ks:
                cdf = sum(pmf[: k + 1])
                sf = 1 - cdf
                w.writerow(
                    [spec, k, f"{float(cdf):.17g}", f"{float(sf):.17g}"]
                    + [f"{float(x):.17g}" for x in lims]
                )
                rows += 1
    print(f"{rows} rows written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Normal and Student t quantiles, the Stirling remainder, binomial log-probabilities and
upper tails: scipy 1.17.1 and mpmath 1.4.1.

Run from the repository root:  python tests/reference/special_functions.py
Backs: stats::tests::z_matches_scipy_norm_ppf (src/stats/mod.rs, SCIPY_REL = 1e-14);
stats::special::tests::{t_quantile_matches_scipy_across_df (2e-12 below df 1000, 1e-12 from
it), stirling_remainder_series_matches_mpmath (abs 2e-16), binomial_pmf_matches_mpmath and
binomial_upper_tail_matches_scipy (SCIPY_REL = 1e-13)}.
"""

import sys

import mpmath as mp
from scipy import stats

from _check import check, report

mp.mp.dps = 40


def main():
    print("# mod.rs z_matches_scipy_norm_ppf: scipy stats.norm.ppf / isf")
    for got, expected, what in [
        (stats.norm.ppf(0.975), 1.959963984540054, "norm.ppf(0.975)"),
        (stats.norm.ppf(0.95), 1.6448536269514722, "norm.ppf(0.95)"),
        (stats.norm.ppf(0.995), 2.5758293035489004, "norm.ppf(0.995)"),
        (stats.norm.isf((1 - 0.999999) / 2), 4.8916384756929325, "norm.isf(5e-7)"),
    ]:
        check(what, got, expected, rel=1e-14)

    print("# special.rs t_quantile_matches_scipy_across_df: scipy stats.t.isf(tail, df)")
    for df, tail, expected in [
        (1.0, 0.025, 12.706204736174705),
        (2.5, 0.005, 7.163728138948786),
        (17.3, 0.025, 2.107032003753469),
        (999.0, 0.025, 1.9623414611334498),
        (1000.0, 0.025, 1.9623390808264085),
        (1800.0, 0.025, 1.9612827845812766),
        (1e5, 0.025, 1.95998770753461),
        (1e7, 0.025, 1.9599642217672055),
        (1e5, 0.05, 1.6448688647849699),
        (2e5, 5e-7, 4.891790904068292),
    ]:
        tol = 2e-12 if df < 1000 else 1e-12
        check(f"t.isf({tail}, {df})", stats.t.isf(tail, df), expected, rel=tol)

    print("# special.rs stirling_remainder_series_matches_mpmath: "
          "loggamma(n+1) - (n+1/2) log n + n - log(2 pi)/2 at 40 digits")
    for n, expected in [
        (16, 0.0052076559196096404),
        (36, 0.002314755290514684),
        (81, 0.0010288013577107775),
        (501, 0.0001663339765799327),
        (400000, 2.0833333333328993e-7),
    ]:
        n_ = mp.mpf(n)
        got = mp.loggamma(n_ + 1) - (n_ + mp.mpf(1) / 2) * mp.log(n_) + n_ - mp.log(2 * mp.pi) / 2
        check(f"delta({n})", got, expected, abs_=2e-16)

    print("# special.rs binomial_pmf_matches_mpmath: "
          "log(binomial(n, x)) + x log p + (n - x) log(1 - p) at 40 digits")
    for x, n, p, expected in [
        (3, 10, "0.3", -1.3211512777668886),
        (0, 20, "0.01", -0.20100671707002883),
        (200000, 400000, "0.5", -6.675401890689787),
        (3, 400000, "1e-5", -1.6328738858673416),
        (1000, 400000, "0.5", -270273.0303677823),
        (0, 400000, "1e-9", -0.0004000000002),
    ]:
        # p as the double the Rust test passes (0.3 is not exactly 3/10).
        pp = mp.mpf(float(p))
        got = mp.log(mp.binomial(n, x)) + x * mp.log(pp) + (n - x) * mp.log(1 - pp)
        check(f"ln b({x}; {n}, {p})", got, expected, rel=1e-13)

    print("# special.rs binomial_upper_tail_matches_scipy: scipy stats.binom.sf(x - 1, n, p); "
          "an mpmath sum at 50 digits beside it")
    for x, n, p, expected in [
        (3, 10, 0.3, 0.6172172136000003),
        (8, 10, 0.3, 0.0015903863999999995),
        (200000, 400000, 0.5, 0.5006307827362645),
        (201000, 400000, 0.5, 0.0007869459614574595),
        (5, 400000, 1e-6, 6.1242040095744e-05),
    ]:
        check(f"binom.sf({x - 1}, {n}, {p})", stats.binom.sf(x - 1, n, p), expected, rel=1e-13)
        with mp.workdps(50):
            pp = mp.mpf(p)
            if x > n // 2:
                # the upper tail directly, by the term ratio
                term = mp.binomial(n, x) * pp**x * (1 - pp) ** (n - x)
                total = mp.mpf(0)
                k = x
                while k <= n and (total == 0 or term > total * mp.mpf(10) ** -55):
                    total += term
                    term *= mp.mpf(n - k) / (k + 1) * pp / (1 - pp)
                    k += 1
            else:
                # one minus the lower tail
                lower = mp.mpf(0)
                term = (1 - pp) ** n
                for k in range(0, x):
                    lower += term
                    term *= mp.mpf(n - k) / (k + 1) * pp / (1 - pp)
                total = 1 - lower
            check(f"  mpmath P(X >= {x}; {n}, {p})", total, expected, rel=1e-13)
    return report()


if __name__ == "__main__":
    sys.exit(main())

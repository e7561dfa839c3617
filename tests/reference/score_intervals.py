"""Intervals for the difference and the ratio of two proportions, computed independently at
60 digits with mpmath, and with statsmodels where it has the method.

Run from the repository root:  python tests/reference/score_intervals.py
Backs (src/stats/difference.rs): stats::difference::tests::{matches_statsmodels,
wald_matches_reference_values, agresti_caffo_matches_reference_values_and_clips};
(src/stats/score.rs): stats::score::tests::{difference_matches_high_precision_values,
ratio_matches_high_precision_values}.

Methods (closed forms as in the module documentation of src/stats/difference.rs and
src/stats/score.rs):
* Wald: d +- z sqrt(pt(1-pt)/nt + pc(1-pc)/nc), clipped to [-1, 1].
* Agresti-Caffo: the same after adding one success and one failure to each arm, clipped to
  [-1, 1] (statsmodels' 'agresti-caffo' does not clip).
* Newcombe hybrid score (method 10): statsmodels confint_proportions_2indep(method='newcomb').
* Miettinen-Nurminen (difference and ratio): the score statistic with the N/(N-1) factor,
  inverted by 200 bisection steps (width 2^-199); the restricted MLE of the difference from mpmath.polyroots
  on the cubic (the root with both probabilities in [0, 1], and of these the one of
  highest likelihood), of the ratio from the smaller
  root of the quadratic. z = sqrt(2) erfinv(level).
"""

import sys

import mpmath as mp
from statsmodels.stats.proportion import confint_proportions_2indep

from _check import check, report

mp.mp.dps = 60
INF = float("inf")


def z_of(level):
    return mp.sqrt(2) * mp.erfinv(mp.mpf(level))


def clip(v):
    return min(max(v, mp.mpf(-1)), mp.mpf(1))


def wald(xt, nt, xc, nc, level):
    pt, pc = mp.mpf(xt) / nt, mp.mpf(xc) / nc
    half = z_of(level) * mp.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    return clip(pt - pc - half), clip(pt - pc + half)


def agresti_caffo(xt, nt, xc, nc, level):
    return wald(xt + 1, nt + 2, xc + 1, nc + 2, level)


def restricted_difference(pt, pc, nt, nc, delta):
    """Restricted MLEs (p~t, p~c) with p~t - p~c = delta: the root of the MN cubic."""
    theta = mp.mpf(nc) / nt
    a = 1 + theta
    b = -(1 + theta + pt + theta * pc + delta * (theta + 2))
    c = delta**2 + delta * (2 * pt + theta + 1) + pt + theta * pc
    d = -pt * delta * (1 + delta)
    eps = mp.mpf(10) ** -40
    admissible = []
    for r in mp.polyroots([a, b, c, d], maxsteps=2000, extraprec=400):
        if abs(mp.im(r)) > eps:
            continue
        t = min(max(mp.re(r), mp.mpf(0)), mp.mpf(1))
        if -eps <= t - delta <= 1 + eps:
            admissible.append((t, min(max(t - delta, mp.mpf(0)), mp.mpf(1))))
    # Where more than one root lies in the square, the MLE is the one of highest likelihood.
    return max(admissible, key=lambda q: loglik(q, pt, pc, nt, nc))


def loglik(q, pt, pc, nt, nc):
    def term(k, p):
        return 0 if k == 0 else (-mp.inf if p == 0 else k * mp.log(p))

    qt, qc = q
    return (term(pt * nt, qt) + term((1 - pt) * nt, 1 - qt)
            + term(pc * nc, qc) + term((1 - pc) * nc, 1 - qc))


def mn_difference_z(xt, nt, xc, nc, delta):
    pt, pc = mp.mpf(xt) / nt, mp.mpf(xc) / nc
    num = pt - pc - delta
    if num == 0:
        return mp.mpf(0)
    qt, qc = restricted_difference(pt, pc, nt, nc, delta)
    n = nt + nc
    var = (qt * (1 - qt) / nt + qc * (1 - qc) / nc) * mp.mpf(n) / (n - 1)
    if var == 0:
        return mp.inf if num > 0 else (-mp.inf if num < 0 else mp.mpf(0))
    return num / mp.sqrt(var)


def bisect(f, lo, hi, target, steps=200):
    """Root of f(v) = target on [lo, hi], f decreasing; the bracket ends if none inside."""
    if f(lo) <= target:
        return lo
    if f(hi) >= target:
        return hi
    for _ in range(steps):
        mid = (lo + hi) / 2
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mn_difference(xt, nt, xc, nc, level):
    z = z_of(level)
    d = mp.mpf(xt) / nt - mp.mpf(xc) / nc
    f = lambda delta: mn_difference_z(xt, nt, xc, nc, delta)
    low = bisect(f, mp.mpf(-1), d, z)
    high = bisect(f, d, mp.mpf(1), -z)
    return low, high


def restricted_ratio(xt, nt, xc, nc, phi):
    """Restricted MLE p~c under p_t = phi p_c: the smaller root of A p^2 + B p + C."""
    n = nt + nc
    A = n * phi
    B = -(nt * phi + xt + nc + xc * phi)
    C = mp.mpf(xt + xc)
    pc = (-B - mp.sqrt(B * B - 4 * A * C)) / (2 * A)
    return phi * pc, pc


def mn_ratio_z(xt, nt, xc, nc, phi):
    pt, pc = mp.mpf(xt) / nt, mp.mpf(xc) / nc
    qt, qc = restricted_ratio(xt, nt, xc, nc, phi)
    n = nt + nc
    var = (qt * (1 - qt) / nt + phi**2 * qc * (1 - qc) / nc) * mp.mpf(n) / (n - 1)
    return (pt - phi * pc) / mp.sqrt(var)


def mn_ratio(xt, nt, xc, nc, level):
    z = z_of(level)
    f = lambda lphi: mn_ratio_z(xt, nt, xc, nc, mp.exp(lphi))
    if xc == 0:
        est = mp.mpf(60)
    else:
        est = mp.log((mp.mpf(xt) / nt) / (mp.mpf(xc) / nc))
    low = mp.exp(bisect(f, mp.mpf(-60), est, z))
    high = mp.inf if xc == 0 else mp.exp(bisect(f, est, mp.mpf(60), -z))
    return low, high


def main():
    STATSMODELS_ABS = 1e-14
    CLOSED_FORM_ABS = 1e-14
    MPMATH_ABS = 1e-12
    MPMATH_REL = 1e-12

    print("# difference.rs matches_statsmodels: statsmodels 0.15.0 "
          "confint_proportions_2indep(xt, nt, xc, nc, method='newcomb', compare='diff', "
          "alpha=1 - level)")
    for (xt, nt, xc, nc, level), (low, high) in [
        ((56, 70, 48, 80, 0.95), (0.05243147240236498, 0.333872654036906)),
        ((5, 56, 0, 29, 0.95), (-0.03813714790353688, 0.19256001385511162)),
        ((10, 10, 0, 20, 0.95), (0.6790860371419147, 1.0)),
        ((12000, 100000, 11500, 100000, 0.99), (0.0012905438441639231, 0.008709648914606178)),
        ((40500, 400000, 40000, 400000, 0.95), (-6.843475162821933e-05, 0.002568447694908157)),
    ]:
        lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff",
                                           alpha=1 - level)
        what = f"Newcombe {xt}/{nt} - {xc}/{nc} at {level}"
        check(f"{what} low", lo, low, abs_=STATSMODELS_ABS)
        check(f"{what} high", hi, high, abs_=STATSMODELS_ABS)

    print("# difference.rs wald_matches_reference_values: mpmath 60 digits; statsmodels "
          "method='wald' beside it")
    for (xt, nt, xc, nc, level), (low, high) in [
        ((56, 70, 48, 80, 0.95), (0.057504899149037077, 0.34249510085096292)),
        ((56, 70, 48, 80, 0.99), (0.012729693362094923, 0.38727030663790508)),
        ((9, 10, 3, 10, 0.95), (0.26052427977714845, 0.93947572022285155)),
        ((7, 34, 1, 34, 0.95), (0.029169416110856988, 0.32377176035973125)),
        ((24, 38, 10, 38, 0.90), (0.19414319284797979, 0.5426989124151781)),
        ((250, 400, 3, 9, 0.95), (-0.019944773843173684, 0.60327810717650702)),
        ((0, 10, 0, 20, 0.95), (0.0, 0.0)),
        ((10, 10, 0, 20, 0.95), (1.0, 1.0)),
    ]:
        lo, hi = wald(xt, nt, xc, nc, level)
        what = f"Wald {xt}/{nt} - {xc}/{nc} at {level}"
        check(f"{what} low", lo, low, abs_=CLOSED_FORM_ABS)
        check(f"{what} high", hi, high, abs_=CLOSED_FORM_ABS)
        slo, shi = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff",
                                             alpha=1 - level)
        check(f"{what} low (statsmodels)", slo, low, abs_=CLOSED_FORM_ABS)
        check(f"{what} high (statsmodels)", shi, high, abs_=CLOSED_FORM_ABS)

    print("# difference.rs agresti_caffo_matches_reference_values_and_clips: mpmath 60 digits; "
          "statsmodels method='agresti-caffo' beside it (unclipped)")
    for (xt, nt, xc, nc, level), (low, high) in [
        ((56, 70, 48, 80, 0.95), (0.052452926638053699, 0.33575845547576744)),
        ((9, 10, 3, 10, 0.95), (0.16000080110040034, 0.83999919889959966)),
        ((5, 56, 0, 29, 0.95), (-0.028865846303125844, 0.17124626899500571)),
        ((0, 10, 0, 10, 0.95), (-0.22115031502926003, 0.22115031502926003)),
        ((24, 38, 10, 38, 0.99), (0.081770322265928594, 0.61822967773407141)),
        ((250, 400, 3, 9, 0.95), (-0.027447766152180538, 0.5489312577849259)),
        ((10, 10, 0, 20, 0.95), (0.6922432378831911, 1.0)),
        ((1, 1, 0, 1, 0.95), (-0.42105715605078122, 1.0)),
    ]:
        lo, hi = agresti_caffo(xt, nt, xc, nc, level)
        what = f"AC {xt}/{nt} - {xc}/{nc} at {level}"
        check(f"{what} low", lo, low, abs_=CLOSED_FORM_ABS)
        check(f"{what} high", hi, high, abs_=CLOSED_FORM_ABS)
        slo, shi = confint_proportions_2indep(xt, nt, xc, nc, method="agresti-caffo",
                                             compare="diff", alpha=1 - level)
        check(f"{what} low (statsmodels)", slo, low, abs_=CLOSED_FORM_ABS)
        if high < 1.0:
            check(f"{what} high (statsmodels)", shi, high, abs_=CLOSED_FORM_ABS)
        else:
            print(f"     {what} high: statsmodels unclipped {shi!r}")

    print("# score.rs difference_matches_high_precision_values: Miettinen-Nurminen, mpmath")
    for (xt, nt, xc, nc, level), (low, high) in [
        ((56, 70, 48, 80, 0.90), (0.077019942272081662, 0.316667210529263)),
        ((56, 70, 48, 80, 0.99), (0.0051030360285440741, 0.37926514741801705)),
        ((7, 34, 1, 34, 0.95), (0.027041626583446764, 0.34529121696622378)),
        ((24, 38, 10, 38, 0.90), (0.18293971102593631, 0.5288120527775333)),
        ((24, 38, 10, 38, 0.95), (0.14599013908842787, 0.55568975442860836)),
        ((24, 38, 10, 38, 0.99), (0.073610939638959208, 0.604397791309626)),
        ((29, 38, 10, 38, 0.95), (0.28304672520225736, 0.6683018660028275)),
        ((1, 1, 0, 1, 0.95), (-0.58690137124552522, 1.0)),
        ((250, 400, 3, 9, 0.95), (-0.025311397635832334, 0.51184572769182693)),
        ((5, 56, 0, 29, 0.95), (-0.032596561743513758, 0.19333097669088073)),
        ((0, 10, 0, 10, 0.95), (-0.28793394128201218, 0.28793394128201218)),
    ]:
        lo, hi = mn_difference(xt, nt, xc, nc, level)
        what = f"MN {xt}/{nt} - {xc}/{nc} at {level}"
        check(f"{what} low", lo, low, abs_=MPMATH_ABS)
        check(f"{what} high", hi, high, abs_=MPMATH_ABS)

    print("# score.rs ratio_matches_high_precision_values: Miettinen-Nurminen ratio, mpmath; "
          "statsmodels compare='ratio', method='score' beside it")
    for (xt, nt, xc, nc, level), (low, high) in [
        ((56, 70, 48, 80, 0.95), (1.0790471195344265, 1.6721453590897677)),
        ((56, 70, 48, 80, 0.99), (1.0074753596216869, 1.8056648729483657)),
        ((9, 10, 3, 10, 0.95), (1.3279565734835245, 8.6919149490172978)),
        ((6, 7, 2, 7, 0.95), (1.0636865203144117, 11.147770894161666)),
        ((24, 38, 10, 38, 0.95), (1.3811076511112525, 4.413278101858593)),
        ((29, 38, 10, 38, 0.95), (1.7273673417081106, 5.2324350461197618)),
        ((250, 400, 3, 9, 0.95), (0.96056276238838742, 5.2015577682811369)),
    ]:
        lo, hi = mn_ratio(xt, nt, xc, nc, level)
        what = f"MN {xt}/{nt} / {xc}/{nc} at {level}"
        check(f"{what} low", lo, low, rel=MPMATH_REL)
        check(f"{what} high", hi, high, rel=MPMATH_REL)
        slo, shi = confint_proportions_2indep(xt, nt, xc, nc, method="score", compare="ratio",
                                             alpha=1 - level)
        check(f"{what} low (statsmodels)", slo, low, rel=2e-14)
        check(f"{what} high (statsmodels)", shi, high, rel=2e-14)
    for (xt, nt, xc, nc), low in [
        ((5, 56, 0, 29), 0.71749507827711347),
        ((10, 10, 0, 20), 6.0328102514554429),
        ((10, 10, 0, 10), 3.4730188304565539),
        ((1, 1, 0, 1), 0.26031777162700567),
    ]:
        lo, hi = mn_ratio(xt, nt, xc, nc, 0.95)
        what = f"MN {xt}/{nt} / {xc}/{nc} at 0.95"
        check(f"{what} low", lo, low, rel=MPMATH_REL)
        check(f"{what} high", hi, INF)
    check("1/1 vs 0/1 low = 1/z^2", 1 / z_of(0.95) ** 2, 0.26031777162700567, rel=MPMATH_REL)
    return report()


if __name__ == "__main__":
    sys.exit(main())

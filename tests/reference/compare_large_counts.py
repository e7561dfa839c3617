"""Independent reference values for `compare` at large counts (tests/compare_limits.rs and the
unit tests of src/stats/{fisher,exact_odds,proportion}.rs).

Run: python3 tests/reference/compare_large_counts.py   (mpmath 1.3.0, numpy 2.4.6, scipy 1.17.1)

Method, independent of trialdose's code: the log central weights ln C(m, k) + ln C(N - m, n_t - k)
come from mpmath's loggamma at 40 digits (relative to the largest), on a window of +-60 standard
deviations (terms outside are below e^-1800 of the largest); the noncentral sums at ln(psi) are
plain float64 sums of exp(weight + k ln psi - max) (numpy), and the exact conditional limits and
MLE are scipy.optimize.brentq roots in ln(psi) to xtol 1e-15. Fisher's p is scipy.stats
.fisher_exact, and also the window sum with R's tie tolerance 1e-7. Clopper-Pearson is
scipy.stats.beta.ppf.
"""
import sys
import mpmath
import numpy as np
import scipy
from scipy.optimize import brentq
from scipy.stats import beta, fisher_exact

mpmath.mp.dps = 40


def weights(xt, nt, xc, nc):
    m, n, f = xt + xc, nt, nt + nc - xt - xc
    low, high = max(0, m - nc), min(m, nt)
    cells = [xt, nt - xt, xc, nc - xc]
    var = 1.0 / sum(1.0 / max(c, 0.5) for c in cells)
    N = nt + nc
    var0 = n * (m / N) * (f / N) * (nc / max(N - 1, 1))
    width = int(60 * (max(var, var0) ** 0.5)) + 60
    centre = round(n * m / N)
    lo = max(low, min(xt, centre) - width)
    hi = min(high, max(xt, centre) + width)
    ks = np.arange(lo, hi + 1)
    lg = mpmath.loggamma

    def lw(k):
        return -lg(k + 1) - lg(m - k + 1) - lg(n - k + 1) - lg(f - n + k + 1)

    # exact log weights by recurrence from lo, anchored at loggamma (40 digits)
    out = np.empty(len(ks))
    acc = lw(lo)
    base = acc
    out[0] = 0.0
    for i in range(1, len(ks)):
        k = lo + i - 1
        acc += mpmath.log(mpmath.mpf((m - k) * (n - k)) / ((k + 1) * (f - n + k + 1)))
        out[i] = float(acc - base)
    return ks, out


def sums(ks, lw, t, x):
    e = lw + (ks - x) * t
    e = np.exp(e - e.max())
    tot = e.sum()
    return e, tot


def exact_or(xt, nt, xc, nc, level):
    ks, lw = weights(xt, nt, xc, nc)
    tail = (1 - level) / 2
    x = xt

    def upper(t):
        e, tot = sums(ks, lw, t, x)
        return np.log(e[ks >= x].sum() / tot) - np.log(tail)

    def lower(t):
        e, tot = sums(ks, lw, t, x)
        return np.log(tail) - np.log(e[ks <= x].sum() / tot)

    def mean(t):
        e, tot = sums(ks, lw, t, x)
        return (e * (ks - x)).sum() / tot

    a, b, c, d = xt, nt - xt, xc, nc - xc
    start = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    span = 4 * np.sqrt(1 / (a + .5) + 1 / (b + .5) + 1 / (c + .5) + 1 / (d + .5)) + 0.05
    root = lambda g: brentq(g, start - span, start + span, xtol=1e-15, rtol=1e-15, maxiter=500)
    return np.exp(root(mean)), np.exp(root(upper)), np.exp(root(lower))


def fisher_r(xt, nt, xc, nc):
    ks, lw = weights(xt, nt, xc, nc)
    # the window covers the central law (+-60 sd) and the observed value
    e = np.exp(lw - lw.max())
    obs = e[ks == xt][0]
    return e[e <= obs * (1 + 1e-7)].sum() / e.sum()


print("scipy", scipy.__version__, "numpy", np.__version__, "mpmath", mpmath.__version__)
for table in [
    (24000, 38000, 10000, 38000),
    (500300, 1000000, 500000, 1000000),
    (250000, 1000000, 249000, 1000000),
    (50010000, 100000000, 50000000, 100000000),
]:
    if table[1] <= 10**6:
        print(table, "fisher scipy", repr(float(fisher_exact([[table[0], table[1] - table[0]], [table[2], table[3] - table[2]]]).pvalue)))
    print(table, "fisher window", repr(float(fisher_r(*table))))
    print(table, "exact OR (mle, low, high)", [repr(float(v)) for v in exact_or(*table, 0.95)])
    sys.stdout.flush()
for x, n in [(250_000_000, 1_000_000_000), (3, 1_000_000_000), (500_000_000_000, 1_000_000_000_000)]:
    print((x, n), "clopper-pearson", repr(float(beta.ppf(0.025, x, n - x + 1))), repr(float(beta.isf(0.025, x + 1, n - x))))

"""Average run lengths of the risk-adjusted Bernoulli CUSUM (src/stats/cusum.rs,
src/sim/cusum.rs) by an independent method: the Markov-chain approximation of Brook & Evans
(Biometrika 59 (1972) 539-549) as Steiner, Cook, Farewell & Treasure (Biostatistics 1 (2000)
441-452, Appendix) apply it to the risk-adjusted chart, with numpy 2.4.6 for the linear solve.

Run from the repository root:  ~/.venvs/td-ref/bin/python tests/reference/cusum.py
Backs: sim::cusum::tests::{simulated_arl_matches_the_markov_chain,
threshold_matches_the_markov_chain}.

The chain: [0, h) is cut into M cells of width d = h/M; each patient's two weights
W = y ln R_A - ln(1 - q + R_A q) are rounded to whole multiples of d, so the rounded chart
moves on the lattice exactly and X = max(0, X + W) is a Markov chain on the states 0..M-1,
absorbed when it reaches M (X >= h). A patient's expected response p is one of the K values
of the case mix, each with probability 1/K, and fails (does not respond) with probability
q = 1 - p in control, R q / (1 - q + R q) when the odds of failure are R times the expected.
The ARL from 0 solves (I - P) L = 1. The rounding error vanishes as M grows, about in
proportion to d (M = 1000, 2000, 4000 at h = 4: 1378.96, 1366.31, 1360.94), so the reference
is the Richardson extrapolation 2 L(2M) - L(M) from M = 2000 and 4000, and the change of that
extrapolation from the one of M = 1000 and 2000 (0.14% at h = 4) is the discretisation
allowance the Rust test names (MARKOV_CHAIN_REL, 0.5%). The threshold for ARL0 = 1000 is
found by bisection on the extrapolation from M = 1000 and 2000.

The case mix is the one of the Rust tests: 40 expected probabilities of response
0.15 + 0.6 k / 39, k = 0..39 (evaluated in the same order, so the same doubles).
"""

import math
import sys

import numpy as np

from _check import check, report

CASE_MIX = [0.15 + 0.6 * k / 39.0 for k in range(40)]
R_A = 2.0


def arl(h, m, true_or=1.0, odds_ratio=R_A, case_mix=CASE_MIX):
    """ARL from X = 0 of the chart with threshold h on the lattice of M cells."""
    d = h / m
    k = len(case_mix)
    p_matrix = np.zeros((m, m))
    for p in case_mix:
        q = 1.0 - p
        log_den = math.log1p((odds_ratio - 1.0) * q)
        w_fail = math.log(odds_ratio) - log_den
        w_resp = -log_den
        q_true = true_or * q / (1.0 + (true_or - 1.0) * q)
        for w, prob in ((w_fail, q_true / k), (w_resp, (1.0 - q_true) / k)):
            jump = round(w / d)
            targets = np.arange(m) + jump
            targets = np.maximum(targets, 0)
            inside = targets < m
            np.add.at(p_matrix, (np.arange(m)[inside], targets[inside]), prob)
    lengths = np.linalg.solve(np.eye(m) - p_matrix, np.ones(m))
    return float(lengths[0])


def extrapolated(h, m, true_or=1.0):
    """Richardson extrapolation 2 L(2M) - L(M) of the lattice ARL."""
    return 2.0 * arl(h, 2 * m, true_or) - arl(h, m, true_or)


def threshold_for(target, m):
    """The h with the extrapolated ARL0(h) = target, by bisection (to 7 / 2^20)."""
    lo, hi = 1.0, 8.0
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        if extrapolated(mid, m) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def main():
    h = 4.0
    lengths = {m: (arl(h, m), arl(h, m, R_A)) for m in (1000, 2000, 4000)}
    for m, (a0, a1) in lengths.items():
        print(f"h = {h}, M = {m}: ARL0 {a0:.6f}, ARL1 (OR 2) {a1:.6f}")
    arl0 = 2.0 * lengths[4000][0] - lengths[2000][0]
    arl1 = 2.0 * lengths[4000][1] - lengths[2000][1]
    coarse0 = 2.0 * lengths[2000][0] - lengths[1000][0]
    coarse1 = 2.0 * lengths[2000][1] - lengths[1000][1]
    print(f"extrapolated: ARL0 {arl0:.6f} (from M = 1000/2000: {coarse0:.6f}, "
          f"{abs(arl0 / coarse0 - 1):.2%}), ARL1 {arl1:.6f} (from 1000/2000: {coarse1:.6f}, "
          f"{abs(arl1 / coarse1 - 1):.2%})")
    # Literals in sim::cusum::tests::simulated_arl_matches_the_markov_chain.
    check("ARL0 at h = 4, extrapolated", arl0, ARL0_AT_4, rel=1e-6)
    check("ARL1 (OR 2) at h = 4, extrapolated", arl1, ARL1_AT_4, rel=1e-6)
    h1000 = threshold_for(1000.0, 1000)
    slope = (math.log(extrapolated(h1000 + 0.05, 1000))
             - math.log(extrapolated(h1000 - 0.05, 1000))) / 0.1
    print(f"h for ARL0 = 1000: {h1000:.6f}; d ln ARL0 / dh there: {slope:.4f}")
    # Literal in sim::cusum::tests::threshold_matches_the_markov_chain.
    check("h for ARL0 = 1000", h1000, H_FOR_1000, abs_=1e-4)
    check("d ln ARL0 / dh at that h", slope, SLOPE, rel=1e-3)
    return report()


ARL0_AT_4 = 1355.558112960842
ARL1_AT_4 = 68.55419752416765
H_FOR_1000 = 3.718503475189209
SLOPE = 1.1018

if __name__ == "__main__":
    sys.exit(main())

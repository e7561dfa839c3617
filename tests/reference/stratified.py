"""Reference values for `stats::stratified::tests` (Mantel-Haenszel, CMH, Breslow-Day/Tarone).

Odds ratio, its Robins-Breslow-Greenland SE and interval, the pooled risk ratio, the CMH test
and the Breslow-Day test with and without Tarone's correction: statsmodels 0.15.0
`StratifiedTable`. The risk difference with Sato's variance and the risk ratio's
Greenland-Robins variance (statsmodels has neither): mpmath at 50 digits of the formulas as
the SAS/STAT PROC FREQ documentation prints them ("Common Risk Difference", "Mantel-Haenszel
Estimates of the Common Relative Risk"). Run from the repository root; `--print` shows every
value with 17 digits to paste into the test."""

import sys

import mpmath as mp
import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from _check import check, report

mp.mp.dps = 50

# (a, n1, c, n0) per stratum: treatment responders/participants, control responders/participants.
TABLES = {
    "migraine": [(16, 27, 5, 25), (12, 28, 7, 26)],
    "sites": [(24, 38, 10, 38), (30, 40, 12, 41), (8, 15, 9, 16), (50, 70, 20, 69)],
    "zeros": [(0, 10, 3, 12), (5, 8, 0, 9), (7, 20, 4, 18)],
}

# The Rust test's tolerances: 1e-12 relative, except the Breslow-Day p-values (statrs' χ²
# upper tail against scipy's).
REL = {"bd_p": 1e-9, "tarone_p": 1e-9}

# The literals of the Rust test `matches_statsmodels_and_the_documented_formulas`.
EXPECTED = {
    ("migraine", "or"): 3.3131680691380487,
    ("migraine", "or_se"): 0.4231563815185041,
    ("migraine", "or_low"): 1.4456131901861207,
    ("migraine", "or_high"): 7.593374720759612,
    ("migraine", "rr_statsmodels"): 2.1635968424665366,
    ("migraine", "cmh"): 8.305169335459192,
    ("migraine", "cmh_p"): 0.003953239638416947,
    ("migraine", "bd"): 1.492928497986823,
    ("migraine", "bd_p"): 0.22176264220904673,
    ("migraine", "tarone"): 1.4905373373471231,
    ("migraine", "tarone_p"): 0.22213310764123495,
    ("migraine", "rd"): 0.2737598578849622,
    ("migraine", "rd_se"): 0.09043892346404135,
    ("migraine", "rd_low"): 0.09650282509486667,
    ("migraine", "rd_high"): 0.4510168906750577,
    ("migraine", "rr"): 2.163596842466537,
    ("migraine", "rr_se"): 0.28666919519071493,
    ("migraine", "rr_low"): 1.2335679511768665,
    ("migraine", "rr_high"): 3.79480618985374,
    ("sites", "or"): 4.738567412801026,
    ("sites", "or_se"): 0.23804468981258806,
    ("sites", "or_low"): 2.971823797839182,
    ("sites", "or_high"): 7.555636758136929,
    ("sites", "rr_statsmodels"): 2.214136784185028,
    ("sites", "cmh"): 45.9760326065408,
    ("sites", "cmh_p"): 1.1970858290816327e-11,
    ("sites", "bd"): 6.899817893688412,
    ("sites", "bd_p"): 0.07516040100019061,
    ("sites", "tarone"): 6.875872551982515,
    ("sites", "tarone_p"): 0.07596115293056238,
    ("sites", "rd"): 0.376593650701624,
    ("sites", "rd_se"): 0.05164862771405207,
    ("sites", "rd_low"): 0.27536420053116456,
    ("sites", "rd_high"): 0.47782310087208335,
    ("sites", "rr"): 2.214136784185028,
    ("sites", "rr_se"): 0.12883957977761434,
    ("sites", "rr_low"): 1.7200299056935937,
    ("sites", "rr_high"): 2.8501839897396124,
    ("zeros", "or"): 1.9128463995055116,
    ("zeros", "or_se"): 0.5135831093625464,
    ("zeros", "or_low"): 0.6990646839592817,
    ("zeros", "or_high"): 5.234109850003985,
    ("zeros", "rr_statsmodels"): 1.71894523326572,
    ("zeros", "cmh"): 1.723686571699354,
    ("zeros", "cmh_p"): 0.18921919307233015,
    ("zeros", "bd"): 10.093071717730268,
    ("zeros", "bd_p"): 0.006431574783217875,
    ("zeros", "tarone"): 10.070764328045025,
    ("zeros", "tarone_p"): 0.0065037121569822,
    ("zeros", "rd"): 0.13014040653272235,
    ("zeros", "rd_se"): 0.10216508955204602,
    ("zeros", "rd_low"): -0.07009948946659725,
    ("zeros", "rd_high"): 0.330380302532042,
    ("zeros", "rr"): 1.71894523326572,
    ("zeros", "rr_se"): 0.43947740500134286,
    ("zeros", "rr_low"): 0.7264039459018491,
    ("zeros", "rr_high"): 4.067671619402501,
}


def mh_rd_rr(strata):
    rd_num = w = sp = sq = rn = rd = gr = mp.mpf(0)
    for a, n1, c, n0 in strata:
        a, n1, c, n0 = map(mp.mpf, (a, n1, c, n0))
        n = n1 + n0
        rd_num += (a * n0 - c * n1) / n
        w += n1 * n0 / n
        sp += (n1**2 * c - n0**2 * a + n1 * n0 * (n0 - n1) / 2) / n**2
        sq += (a * (n0 - c) + c * (n1 - a)) / (2 * n)
        rn += a * n0 / n
        rd += c * n1 / n
        gr += (n1 * n0 * (a + c) - a * c * n) / n**2
    z = mp.mpf(stats.norm.isf(0.025))
    est = rd_num / w
    se = mp.sqrt((est * sp + sq) / w**2)
    rr = rn / rd
    se_rr = mp.sqrt(gr / (rn * rd))
    return {
        "rd": est, "rd_se": se, "rd_low": est - z * se, "rd_high": est + z * se,
        "rr": rr, "rr_se": se_rr, "rr_low": rr * mp.exp(-z * se_rr), "rr_high": rr * mp.exp(z * se_rr),
    }


def values(strata):
    t = np.array([[[a, n1 - a], [c, n0 - c]] for a, n1, c, n0 in strata], dtype=float)
    st = StratifiedTable(np.moveaxis(t, 0, -1))
    low, high = st.oddsratio_pooled_confint(alpha=0.05)
    cmh = st.test_null_odds(correction=False)
    bd = st.test_equal_odds(adjust=False)
    tarone = st.test_equal_odds(adjust=True)
    v = {
        "or": st.oddsratio_pooled, "or_se": st.logodds_pooled_se, "or_low": low, "or_high": high,
        "rr_statsmodels": st.riskratio_pooled,
        # statsmodels' own CMH p is 9e-7 relative off erfc in the far tail ("sites": 1.1970869e-11
        # against mpmath's 1.1970858e-11); scipy's chi2.sf of its statistic is not.
        "cmh": cmh.statistic, "cmh_p": stats.chi2.sf(cmh.statistic, 1),
        "bd": bd.statistic, "bd_p": bd.pvalue, "tarone": tarone.statistic, "tarone_p": tarone.pvalue,
    }
    v.update(mh_rd_rr(strata))
    return v


if __name__ == "__main__":
    show = "--print" in sys.argv
    for name, strata in TABLES.items():
        for key, got in values(strata).items():
            got = float(got)
            if show:
                print(f"{name} {key} {got!r}")
            elif (name, key) in EXPECTED:
                check(f"{name} {key}", got, EXPECTED[(name, key)], rel=REL.get(key, 1e-12))
    if not show:
        sys.exit(report())

//! A dose arm against control across strata (sites, sexes, any grouping): the Mantel-Haenszel
//! common risk difference, risk ratio and odds ratio with their intervals, the
//! Cochran-Mantel-Haenszel test of no association, the stratified Miettinen-Nurminen interval
//! for the risk difference (`stratified_score.rs`), and the Breslow-Day test (with Tarone's
//! correction) that the odds ratio is the same in every stratum.
//!
//! Why: in a multi-site trial the crude comparison mixes sites whose patients and response
//! rates differ; the Mantel-Haenszel estimators compare like with like inside each stratum and
//! pool, stay valid with many small strata and zero cells, and are what SAS PROC FREQ (`CMH`,
//! `COMMONRISKDIFF`), Stata (`cs`, `cc`, `mhodds`) and statsmodels (`StratifiedTable`) report.
//!
//! Stratum `h` of `K` is the 2×2 table (treatment row first, responders first)
//!
//! ```text
//!              responders   non-responders   total
//! treatment    a            b                n1 = a + b
//! control      c            d                n0 = c + d
//! total        m1 = a + c   m0 = b + d       N  = n1 + n0
//! ```
//!
//! and, summing over the strata,
//!
//! ```text
//! RD_MH = Σ (a n0 − c n1)/N / Σ n1 n0/N
//!   Var = (RD_MH Σ P + Σ Q) / (Σ n1 n0/N)²                               (Sato 1989)
//!         P = (n1² c − n0² a + n1 n0 (n0 − n1)/2) / N²,  Q = (a (n0 − c) + c (n1 − a)) / (2N)
//! RR_MH = Σ a n0/N / Σ c n1/N
//!   Var(ln RR_MH) = Σ (n1 n0 m1 − a c N)/N² / (Σ a n0/N · Σ c n1/N)        (Greenland-Robins 1985)
//! OR_MH = Σ R / Σ S,  R = a d/N,  S = b c/N
//!   Var(ln OR_MH) = Σ P R/(2 (ΣR)²) + Σ (P S + Q R)/(2 ΣR ΣS) + Σ Q S/(2 (ΣS)²)
//!         P = (a + d)/N,  Q = (b + c)/N                          (Robins-Breslow-Greenland 1986)
//! intervals: RD ± z √Var;  exp(ln RR ± z SE), exp(ln OR ± z SE)
//! CMH   = (Σ a − Σ n1 m1/N)² / Σ n1 n0 m1 m0 / (N² (N − 1)),   p = P(χ²₁ > CMH)
//! BD    = Σ (a − A)² / V,  A the expected `a` given the margins under OR_MH (the root of
//!         A (n0 − m1 + A) = OR_MH (n1 − A)(m1 − A) between max(0, m1 − n0) and min(n1, m1)),
//!         V = 1 / (1/A + 1/(n1 − A) + 1/(m1 − A) + 1/(n0 − m1 + A))
//! BD_Tarone = BD − (Σ a − Σ A)² / Σ V,   p = P(χ²_{K'−1} > BD_Tarone)
//! ```
//!
//! Conventions (SAS PROC FREQ's and statsmodels'): the CMH statistic has no continuity
//! correction; the intervals are not clipped. A stratum with an empty arm holds no comparison:
//! it is reported and left out of everything. Zero cells need no correction (the estimators are
//! ratios of sums); an estimate whose denominator sum is zero does not exist (`None`), e.g. the
//! risk ratio when no control participant responded in any stratum. The Breslow-Day test uses
//! the `K'` strata whose responders and non-responders are both present (in the others `a` is
//! fixed by the margins and says nothing about the odds ratio) and needs `K' ≥ 2` and an odds
//! ratio strictly between 0 and ∞.
//!
//! References: N. Mantel & W. Haenszel, J Natl Cancer Inst 22 (1959) 719-748; T. Sato,
//! Biometrics 45 (1989) 1323-1324; S. Greenland & J. M. Robins, Biometrics 41 (1985) 55-68;
//! J. Robins, N. Breslow & S. Greenland, Biometrics 42 (1986) 311-323; N. E. Breslow &
//! N. E. Day, Statistical Methods in Cancer Research I (IARC, 1980); R. E. Tarone, Biometrika 72
//! (1985) 91-95; SAS/STAT User's Guide, PROC FREQ, "Cochran-Mantel-Haenszel Statistics" and
//! "Common Risk Difference".

use super::special::{chi_square_upper_tail, normal_upper_tail};
use super::stratified_score::stratified_miettinen_nurminen;
use super::{Binomial, Interval, Level};

/// One stratum's table: treatment and control responders out of participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stratum {
    /// Treatment responders out of participants.
    pub treatment: Binomial,
    /// Control responders out of participants.
    pub control: Binomial,
}

impl Stratum {
    /// Both arms have participants (otherwise the stratum compares nothing).
    #[must_use]
    pub fn compares(&self) -> bool {
        self.treatment.trials() > 0 && self.control.trials() > 0
    }
}

/// A pooled estimate with its standard error (on the log scale for a ratio) and interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Pooled {
    /// The estimate.
    pub estimate: f64,
    /// Its standard error (of the logarithm, for a ratio).
    pub se: f64,
    /// The confidence interval at the requested level.
    pub interval: Interval,
}

/// A chi-square test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChiSquareTest {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: u64,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// The Breslow-Day test of a common odds ratio.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BreslowDay {
    /// Without Tarone's correction.
    pub plain: ChiSquareTest,
    /// With Tarone's correction (the one to report).
    pub tarone: ChiSquareTest,
}

/// Everything [`mantel_haenszel`] computes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Stratified {
    /// Strata that compare (both arms present).
    pub strata_used: usize,
    /// Strata left out because an arm is empty.
    pub strata_left_out: usize,
    /// Mantel-Haenszel risk difference, Sato variance.
    pub risk_difference: Option<Pooled>,
    /// Stratified Miettinen-Nurminen score interval for the common risk difference with
    /// Mantel-Haenszel weights ([`super::stratified_score`]).
    pub risk_difference_mn: Option<Interval>,
    /// Mantel-Haenszel risk ratio, Greenland-Robins variance.
    pub risk_ratio: Option<Pooled>,
    /// Mantel-Haenszel odds ratio, Robins-Breslow-Greenland variance.
    pub odds_ratio: Option<Pooled>,
    /// Cochran-Mantel-Haenszel test (no continuity correction).
    pub cmh: Option<ChiSquareTest>,
    /// Breslow-Day test of homogeneity of the odds ratios.
    pub breslow_day: Option<BreslowDay>,
}

/// The cells of a stratum as floats: `[a, b, c, d, n1, n0, N]`.
fn cells(s: &Stratum) -> [f64; 7] {
    let (t, c) = (s.treatment, s.control);
    [
        t.successes() as f64,
        t.failures() as f64,
        c.successes() as f64,
        c.failures() as f64,
        t.trials() as f64,
        c.trials() as f64,
        (t.trials() + c.trials()) as f64,
    ]
}

/// An estimate and interval on the log scale, `None` unless both sums are positive.
fn log_pooled(num: f64, den: f64, var: f64, z: f64) -> Option<Pooled> {
    if !(num > 0.0 && den > 0.0 && var.is_finite()) {
        return None;
    }
    let estimate = num / den;
    let se = var.max(0.0).sqrt();
    Some(Pooled {
        estimate,
        se,
        interval: Interval {
            low: estimate * (-z * se).exp(),
            high: estimate * (z * se).exp(),
        },
    })
}

/// The Mantel-Haenszel analysis of `strata` (formulas and conventions in the module
/// documentation).
#[must_use]
pub fn mantel_haenszel(strata: &[Stratum], level: Level) -> Stratified {
    let z = level.z();
    let used: Vec<[f64; 7]> = strata.iter().filter(|s| s.compares()).map(cells).collect();
    let (mut rd_num, mut w, mut sato_p, mut sato_q) = (0.0, 0.0, 0.0, 0.0);
    let (mut rr_num, mut rr_den, mut gr) = (0.0, 0.0, 0.0);
    let (mut r, mut s) = (0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for &[a, b, c, d, n1, n0, n] in &used {
        rd_num += (a * n0 - c * n1) / n;
        w += n1 * n0 / n;
        sato_p += (n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2.0) / (n * n);
        sato_q += (a * (n0 - c) + c * (n1 - a)) / (2.0 * n);
        rr_num += a * n0 / n;
        rr_den += c * n1 / n;
        let (m1, m0) = (a + c, b + d);
        gr += (n1 * n0 * m1 - a * c * n) / (n * n);
        let (rh, sh) = (a * d / n, b * c / n);
        let (ph, qh) = ((a + d) / n, (b + c) / n);
        r += rh;
        s += sh;
        pr += ph * rh;
        ps_qr += ph * sh + qh * rh;
        qs += qh * sh;
        observed += a;
        expected += n1 * m1 / n;
        variance += n1 * n0 * m1 * m0 / (n * n * (n - 1.0));
    }
    let risk_difference = (w > 0.0).then(|| {
        let estimate = rd_num / w;
        let se = ((estimate * sato_p + sato_q) / (w * w)).max(0.0).sqrt();
        Pooled {
            estimate,
            se,
            interval: Interval {
                low: estimate - z * se,
                high: estimate + z * se,
            },
        }
    });
    let risk_ratio = log_pooled(rr_num, rr_den, gr / (rr_num * rr_den), z);
    let or_var = pr / (2.0 * r * r) + ps_qr / (2.0 * r * s) + qs / (2.0 * s * s);
    let odds_ratio = log_pooled(r, s, or_var, z);
    let cmh = (variance > 0.0).then(|| {
        let statistic = (observed - expected).powi(2) / variance;
        ChiSquareTest {
            statistic,
            df: 1,
            p_value: 2.0 * normal_upper_tail(statistic.sqrt()),
        }
    });
    let breslow_day = odds_ratio.and_then(|or| breslow_day(&used, or.estimate));
    Stratified {
        strata_used: used.len(),
        strata_left_out: strata.len() - used.len(),
        risk_difference,
        risk_difference_mn: stratified_miettinen_nurminen(strata, level),
        risk_ratio,
        odds_ratio,
        cmh,
        breslow_day,
    }
}

/// The expected `a` of a stratum with margins `n1, n0, m1` under odds ratio `psi`: the root
/// of `(1 − ψ) A² + (n0 − m1 + ψ (n1 + m1)) A − ψ n1 m1 = 0` inside the margins' range.
fn expected_a(n1: f64, n0: f64, m1: f64, psi: f64) -> f64 {
    let (lo, hi) = ((m1 - n0).max(0.0), n1.min(m1));
    let qa = 1.0 - psi;
    let qb = n0 - m1 + psi * (n1 + m1);
    let qc = -psi * n1 * m1;
    let root = if qa.abs() < 1e-12 * (qb.abs() + 1.0) {
        -qc / qb
    } else {
        // The root in range is the one with the sign of the linear term's partner
        // (`qc <= 0`, so the roots have opposite signs when `qa > 0`), written without
        // cancellation.
        let disc = (qb * qb - 4.0 * qa * qc).max(0.0).sqrt();
        let q = -0.5 * (qb + qb.signum() * disc);
        let (r1, r2) = (q / qa, qc / q);
        if (lo..=hi).contains(&r1) { r1 } else { r2 }
    };
    root.clamp(lo, hi)
}

/// The Breslow-Day test at odds ratio `psi` (module documentation); `None` with fewer than two
/// informative strata or without a finite positive odds ratio.
fn breslow_day(used: &[[f64; 7]], psi: f64) -> Option<BreslowDay> {
    if !(psi > 0.0 && psi.is_finite()) {
        return None;
    }
    let (mut bd, mut sum_a, mut sum_e, mut sum_v, mut k) = (0.0, 0.0, 0.0, 0.0, 0u64);
    for &[a, b, c, d, n1, n0, _] in used {
        let (m1, m0) = (a + c, b + d);
        if m1 == 0.0 || m0 == 0.0 {
            continue;
        }
        let e = expected_a(n1, n0, m1, psi);
        let v = 1.0 / (1.0 / e + 1.0 / (n1 - e) + 1.0 / (m1 - e) + 1.0 / (n0 - m1 + e));
        if !(v > 0.0 && v.is_finite()) {
            continue;
        }
        bd += (a - e).powi(2) / v;
        sum_a += a;
        sum_e += e;
        sum_v += v;
        k += 1;
    }
    if k < 2 {
        return None;
    }
    let df = k - 1;
    let test = |statistic: f64| ChiSquareTest {
        statistic,
        df,
        p_value: chi_square_upper_tail(statistic.max(0.0), df as f64),
    };
    Some(BreslowDay {
        plain: test(bd),
        tarone: test(bd - (sum_a - sum_e).powi(2) / sum_v),
    })
}

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    fn stratum(a: u64, n1: u64, c: u64, n0: u64) -> Stratum {
        Stratum {
            treatment: Binomial::new(a, n1).unwrap(),
            control: Binomial::new(c, n0).unwrap(),
        }
    }

    /// SAS PROC FREQ's Migraine example (SAS/STAT User's Guide, PROC FREQ, Example "Cochran-
    /// Mantel-Haenszel Statistics"): Active vs Placebo, Better vs Same, stratified by gender.
    fn migraine() -> [Stratum; 2] {
        [stratum(16, 27, 5, 25), stratum(12, 28, 7, 26)]
    }

    #[test]
    fn cmh_matches_the_sas_documentation_example() {
        // SAS prints "General Association 1 8.3052 0.0040".
        let r = mantel_haenszel(&migraine(), Level::NINETY_FIVE);
        let cmh = r.cmh.unwrap();
        assert!((cmh.statistic - 8.3052).abs() < 5e-5, "{cmh:?}");
        assert!((cmh.p_value - 0.0040).abs() < 5e-5, "{cmh:?}");
        assert_eq!((r.strata_used, r.strata_left_out), (2, 0));
    }

    /// statsmodels 0.15.0 `StratifiedTable` (odds ratio, its RBG standard error and interval,
    /// the pooled risk ratio, the CMH statistic without correction, Breslow-Day with and
    /// without Tarone), scipy 1.17.1 `chi2.sf` for the CMH p (statsmodels' own is 9e-7
    /// relative off in the far tail) and mpmath at 50 digits of the SAS-documented Sato and
    /// Greenland-Robins variances, computed by `tests/reference/stratified.py`.
    #[test]
    fn matches_statsmodels_and_the_documented_formulas() {
        let tables: [(&str, Vec<Stratum>); 3] = [
            ("migraine", migraine().to_vec()),
            (
                "sites",
                vec![
                    stratum(24, 38, 10, 38),
                    stratum(30, 40, 12, 41),
                    stratum(8, 15, 9, 16),
                    stratum(50, 70, 20, 69),
                ],
            ),
            (
                "zeros",
                vec![
                    stratum(0, 10, 3, 12),
                    stratum(5, 8, 0, 9),
                    stratum(7, 20, 4, 18),
                ],
            ),
        ];
        let expected: [(&str, &str, f64); 57] = [
            ("migraine", "or", 3.3131680691380487),
            ("migraine", "or_se", 0.4231563815185041),
            ("migraine", "or_low", 1.4456131901861207),
            ("migraine", "or_high", 7.593374720759612),
            ("migraine", "rr_statsmodels", 2.1635968424665366),
            ("migraine", "cmh", 8.305169335459192),
            ("migraine", "cmh_p", 0.003953239638416947),
            ("migraine", "bd", 1.492928497986823),
            ("migraine", "bd_p", 0.22176264220904673),
            ("migraine", "tarone", 1.4905373373471231),
            ("migraine", "tarone_p", 0.22213310764123495),
            ("migraine", "rd", 0.2737598578849622),
            ("migraine", "rd_se", 0.09043892346404135),
            ("migraine", "rd_low", 0.09650282509486667),
            ("migraine", "rd_high", 0.4510168906750577),
            ("migraine", "rr", 2.163596842466537),
            ("migraine", "rr_se", 0.28666919519071493),
            ("migraine", "rr_low", 1.2335679511768665),
            ("migraine", "rr_high", 3.79480618985374),
            ("sites", "or", 4.738567412801026),
            ("sites", "or_se", 0.23804468981258806),
            ("sites", "or_low", 2.971823797839182),
            ("sites", "or_high", 7.555636758136929),
            ("sites", "rr_statsmodels", 2.214136784185028),
            ("sites", "cmh", 45.9760326065408),
            ("sites", "cmh_p", 1.1970858290816327e-11),
            ("sites", "bd", 6.899817893688412),
            ("sites", "bd_p", 0.07516040100019061),
            ("sites", "tarone", 6.875872551982515),
            ("sites", "tarone_p", 0.07596115293056238),
            ("sites", "rd", 0.376593650701624),
            ("sites", "rd_se", 0.05164862771405207),
            ("sites", "rd_low", 0.27536420053116456),
            ("sites", "rd_high", 0.47782310087208335),
            ("sites", "rr", 2.214136784185028),
            ("sites", "rr_se", 0.12883957977761434),
            ("sites", "rr_low", 1.7200299056935937),
            ("sites", "rr_high", 2.8501839897396124),
            ("zeros", "or", 1.9128463995055116),
            ("zeros", "or_se", 0.5135831093625464),
            ("zeros", "or_low", 0.6990646839592817),
            ("zeros", "or_high", 5.234109850003985),
            ("zeros", "rr_statsmodels", 1.71894523326572),
            ("zeros", "cmh", 1.723686571699354),
            ("zeros", "cmh_p", 0.18921919307233015),
            ("zeros", "bd", 10.093071717730268),
            ("zeros", "bd_p", 0.006431574783217875),
            ("zeros", "tarone", 10.070764328045025),
            ("zeros", "tarone_p", 0.0065037121569822),
            ("zeros", "rd", 0.13014040653272235),
            ("zeros", "rd_se", 0.10216508955204602),
            ("zeros", "rd_low", -0.07009948946659725),
            ("zeros", "rd_high", 0.330380302532042),
            ("zeros", "rr", 1.71894523326572),
            ("zeros", "rr_se", 0.43947740500134286),
            ("zeros", "rr_low", 0.7264039459018491),
            ("zeros", "rr_high", 4.067671619402501),
        ];
        for (name, strata) in &tables {
            let r = mantel_haenszel(strata, Level::NINETY_FIVE);
            let (rd, rr, or) = (
                r.risk_difference.unwrap(),
                r.risk_ratio.unwrap(),
                r.odds_ratio.unwrap(),
            );
            let (cmh, bd) = (r.cmh.unwrap(), r.breslow_day.unwrap());
            assert_eq!(bd.plain.df as usize, strata.len() - 1);
            for &(table, key, value) in expected.iter().filter(|e| e.0 == *name) {
                let (got, tol) = match key {
                    "rd" => (rd.estimate, 1e-12),
                    "rd_se" => (rd.se, 1e-12),
                    "rd_low" => (rd.interval.low, 1e-12),
                    "rd_high" => (rd.interval.high, 1e-12),
                    "rr" | "rr_statsmodels" => (rr.estimate, 1e-12),
                    "rr_se" => (rr.se, 1e-12),
                    "rr_low" => (rr.interval.low, 1e-12),
                    "rr_high" => (rr.interval.high, 1e-12),
                    "or" => (or.estimate, 1e-12),
                    "or_se" => (or.se, 1e-12),
                    "or_low" => (or.interval.low, 1e-12),
                    "or_high" => (or.interval.high, 1e-12),
                    "cmh" => (cmh.statistic, 1e-12),
                    "cmh_p" => (cmh.p_value, 1e-12),
                    "bd" => (bd.plain.statistic, 1e-12),
                    // statrs' chi-square upper tail against scipy's.
                    "bd_p" => (bd.plain.p_value, 1e-9),
                    "tarone" => (bd.tarone.statistic, 1e-12),
                    "tarone_p" => (bd.tarone.p_value, 1e-9),
                    other => panic!("unknown key {other}"),
                };
                assert_rel(got, value, tol, &format!("{table} {key}"));
            }
        }
    }

    #[test]
    fn one_stratum_gives_the_single_table_variances() {
        // With one stratum Greenland-Robins is Katz's variance and Robins-Breslow-Greenland
        // is Woolf's (checked against stats::ratio on a table without zero cells).
        let s = stratum(24, 38, 10, 38);
        let r = mantel_haenszel(&[s], Level::NINETY_FIVE);
        let katz =
            crate::stats::risk_ratio_katz(s.treatment, s.control, Level::NINETY_FIVE).unwrap();
        let woolf =
            crate::stats::odds_ratio_woolf(s.treatment, s.control, Level::NINETY_FIVE).unwrap();
        let rr = r.risk_ratio.unwrap();
        let or = r.odds_ratio.unwrap();
        assert_rel(rr.estimate, katz.estimate, 1e-14, "RR");
        assert_rel(rr.interval.low, katz.interval.low, 1e-13, "RR low");
        assert_rel(or.estimate, woolf.estimate, 1e-14, "OR");
        assert_rel(or.interval.high, woolf.interval.high, 1e-13, "OR high");
        assert!(r.breslow_day.is_none());
    }

    #[test]
    fn empty_arms_are_left_out_and_missing_estimates_are_none() {
        let r = mantel_haenszel(
            &[
                stratum(3, 10, 0, 10),
                stratum(4, 10, 0, 0),
                stratum(5, 9, 0, 8),
            ],
            Level::NINETY_FIVE,
        );
        assert_eq!((r.strata_used, r.strata_left_out), (2, 1));
        // No control responder anywhere: the risk ratio and odds ratio do not exist.
        assert!(r.risk_ratio.is_none() && r.odds_ratio.is_none() && r.breslow_day.is_none());
        assert!(r.risk_difference.unwrap().estimate > 0.0);
        let none = mantel_haenszel(&[stratum(0, 0, 1, 2)], Level::NINETY_FIVE);
        assert!(none.risk_difference.is_none() && none.cmh.is_none());
    }

    #[test]
    fn the_expected_cell_solves_the_odds_ratio_equation() {
        for &(n1, n0, m1, psi) in &[
            (27.0, 25.0, 21.0, 3.3),
            (10.0, 40.0, 45.0, 0.2),
            (5.0, 5.0, 1.0, 50.0),
            (30.0, 31.0, 20.0, 1.0),
        ] {
            let e: f64 = expected_a(n1, n0, m1, psi);
            let lhs = e * (n0 - m1 + e);
            let rhs = psi * (n1 - e) * (m1 - e);
            assert!(
                (lhs - rhs).abs() <= 1e-9 * rhs.abs().max(1.0),
                "{n1} {n0} {m1} {psi}: {e}"
            );
        }
    }
}

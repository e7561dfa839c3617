//! The difference of two responder rates, `p_t − p_c` (dose arm minus control): the estimate,
//! the number needed to treat, and the closed-form intervals (Wald, Agresti-Caffo, Newcombe's
//! hybrid score). The Miettinen-Nurminen score interval, which needs a root search, is in
//! `score.rs`; [`RdMethod`] selects among all four.
//!
//! Why Newcombe's hybrid score interval is the default: the Wald interval undercovers badly for
//! small arms and for rates near 0 or 1, and is degenerate when both rates are 0 or 1;
//! Newcombe's method 10 combines the two single-proportion Wilson intervals, keeps their good
//! coverage, stays inside [−1, 1], needs no iteration, and is recommended by Newcombe (1998b)
//! and by Fagerland, Lydersen & Laake (2015). With `(l_t, u_t)` and `(l_c, u_c)` the Wilson
//! limits of each arm at the same level and `d = p_t − p_c`:
//!
//! ```text
//! low  = d − √((p_t − l_t)² + (u_c − p_c)²)
//! high = d + √((u_t − p_t)² + (p_c − l_c)²)
//! ```
//!
//! Wald (Newcombe's method 1): `d ± z √(p_t(1−p_t)/n_t + p_c(1−p_c)/n_c)`, clipped to [−1, 1]
//! (it is offered because protocols and older reports use it, not because it is good).
//! Agresti-Caffo: the Wald interval after adding one success and one failure to each arm,
//! `p̃ = (x + 1)/(n + 2)`, centred on `p̃_t − p̃_c`, clipped to [−1, 1] as SAS PROC FREQ does.
//!
//! References: R. G. Newcombe, "Interval estimation for the difference between independent
//! proportions: comparison of eleven methods", Statistics in Medicine 17 (1998) 873-890, methods
//! 1 and 10; A. Agresti & B. Caffo, "Simple and effective confidence intervals for proportions
//! and differences of proportions result from adding two successes and two failures", The
//! American Statistician 54 (2000) 280-288; M. W. Fagerland, S. Lydersen & P. Laake, Stat
//! Methods Med Res 24 (2015) 224-254; SAS/STAT 15.1 PROC FREQ, "Risk Difference Confidence
//! Limits".

use super::proportion::wilson;
use super::score::miettinen_nurminen_difference;
use super::{Binomial, Interval, Level};

/// The interval method for a risk difference (`--rd-method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RdMethod {
    /// Wald (simple asymptotic, no continuity correction).
    Wald,
    /// Newcombe's hybrid score interval (method 10), the default.
    #[default]
    Newcombe,
    /// Agresti-Caffo (add one success and one failure to each arm).
    AgrestiCaffo,
    /// Miettinen-Nurminen score interval with the `N/(N−1)` variance factor.
    MiettinenNurminen,
}

impl RdMethod {
    /// Every method, in the order the outputs list them.
    pub const ALL: [RdMethod; 4] = [
        RdMethod::Wald,
        RdMethod::Newcombe,
        RdMethod::AgrestiCaffo,
        RdMethod::MiettinenNurminen,
    ];

    /// The name used in outputs and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RdMethod::Wald => "wald",
            RdMethod::Newcombe => "newcombe",
            RdMethod::AgrestiCaffo => "agresti_caffo",
            RdMethod::MiettinenNurminen => "miettinen_nurminen",
        }
    }

    /// A phrase for methods text, e.g. "Newcombe's hybrid score interval".
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            RdMethod::Wald => "the Wald interval",
            RdMethod::Newcombe => "Newcombe's hybrid score interval (method 10)",
            RdMethod::AgrestiCaffo => "the Agresti-Caffo interval",
            RdMethod::MiettinenNurminen => "the Miettinen-Nurminen score interval",
        }
    }

    /// The interval of this method; `None` when either arm has no trials.
    #[must_use]
    pub fn interval(
        self,
        treatment: Binomial,
        control: Binomial,
        level: Level,
    ) -> Option<Interval> {
        match self {
            RdMethod::Wald => wald_difference(treatment, control, level),
            RdMethod::Newcombe => newcombe_hybrid(treatment, control, level),
            RdMethod::AgrestiCaffo => agresti_caffo(treatment, control, level),
            RdMethod::MiettinenNurminen => miettinen_nurminen_difference(treatment, control, level),
        }
    }
}

/// `d ± half`, clipped to `[−1, 1]`.
fn clipped(d: f64, half: f64) -> Interval {
    Interval {
        low: (d - half).max(-1.0),
        high: (d + half).min(1.0),
    }
}

/// Wald interval for `p_t − p_c` (formula in the module documentation), clipped to [−1, 1].
/// It has zero width when both rates are 0 or 1; that is the method's known failure, kept so
/// that results match the textbooks that use it.
///
/// Returns `None` when either arm has no trials.
#[must_use]
pub fn wald_difference(treatment: Binomial, control: Binomial, level: Level) -> Option<Interval> {
    let d = risk_difference(treatment, control)?;
    let (pt, pc) = (treatment.rate()?, control.rate()?);
    let (nt, nc) = (treatment.trials() as f64, control.trials() as f64);
    let se = (pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc).sqrt();
    Some(clipped(d, level.z() * se))
}

/// Agresti-Caffo interval for `p_t − p_c` (formula in the module documentation), clipped to
/// [−1, 1] as SAS does. Note that it is centred on the adjusted difference, so near the
/// boundary it need not contain the observed difference `p_t − p_c` (for 10/10 vs 0/10 it
/// ends below 1).
///
/// Returns `None` when either arm has no trials.
#[must_use]
pub fn agresti_caffo(treatment: Binomial, control: Binomial, level: Level) -> Option<Interval> {
    if treatment.trials() == 0 || control.trials() == 0 {
        return None;
    }
    let adjusted = |b: Binomial| {
        let n = b.trials() as f64 + 2.0;
        ((b.successes() as f64 + 1.0) / n, n)
    };
    let (pt, nt) = adjusted(treatment);
    let (pc, nc) = adjusted(control);
    let se = (pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc).sqrt();
    Some(clipped(pt - pc, level.z() * se))
}

/// `(x_t n_c - x_c n_t, n_t n_c)`: the rate difference as an exact fraction; `None` when
/// either arm has no trials or a product does not fit in `i128` (counts above 2^63).
fn difference_fraction(treatment: Binomial, control: Binomial) -> Option<(i128, i128)> {
    let (nt, nc) = (treatment.trials(), control.trials());
    if nt == 0 || nc == 0 {
        return None;
    }
    let num = i128::from(treatment.successes())
        .checked_mul(i128::from(nc))?
        .checked_sub(i128::from(control.successes()).checked_mul(i128::from(nt))?)?;
    Some((num, i128::from(nt).checked_mul(i128::from(nc))?))
}

/// `x_t/n_t − x_c/n_c` from the two rounded rates, for counts too large for the exact
/// fraction; it lies in `[−1, 1]` because each rate does.
fn rounded_difference(treatment: Binomial, control: Binomial) -> Option<f64> {
    Some(treatment.rate()? - control.rate()?)
}

/// Difference of the observed rates, `x_t/n_t − x_c/n_c`; `None` when either arm has no trials.
/// Computed from the exact fraction and rounded once, so that equal rates give exactly 0 and
/// 11/38 - 10/38 is the double nearest 1/38 (counts above 2^63, whose products overflow
/// `i128`, fall back to the difference of the rounded rates).
#[must_use]
pub fn risk_difference(treatment: Binomial, control: Binomial) -> Option<f64> {
    match difference_fraction(treatment, control) {
        Some((num, den)) => Some(ratio_i128(num, den)),
        None => rounded_difference(treatment, control),
    }
}

/// Number needed to treat, `1 / (p_t - p_c)`, signed: positive when the treatment does
/// better (NNTB), negative when it does worse (NNTH); `None` when the rates are equal or an
/// arm is empty. Computed as `n_t n_c / (x_t n_c - x_c n_t)` from exact integers (from the
/// rounded rates when those products overflow, as in [`risk_difference`]).
#[must_use]
pub fn number_needed_to_treat(treatment: Binomial, control: Binomial) -> Option<f64> {
    match difference_fraction(treatment, control) {
        Some((num, den)) => (num != 0).then(|| ratio_i128(den, num)),
        None => rounded_difference(treatment, control)
            .filter(|d| *d != 0.0)
            .map(|d| 1.0 / d),
    }
}

/// `num / den` rounded once when both are exact in `f64` (below 2^53), as counts are.
fn ratio_i128(num: i128, den: i128) -> f64 {
    num as f64 / den as f64
}

/// Newcombe's hybrid score interval (1998b, method 10) for `p_t − p_c`; formula in the module
/// documentation. The interval always contains the observed difference, lies in `[−1, 1]`,
/// and swapping the arms negates it exactly.
///
/// Returns `None` when either arm has no trials.
#[must_use]
pub fn newcombe_hybrid(treatment: Binomial, control: Binomial, level: Level) -> Option<Interval> {
    let (pt, pc) = (treatment.rate()?, control.rate()?);
    let wt = wilson(treatment, level)?;
    let wc = wilson(control, level)?;
    let d = pt - pc;
    let low = d - (pt - wt.low).hypot(wc.high - pc);
    let high = d + (wt.high - pt).hypot(pc - wc.low);
    Some(Interval {
        low: low.max(-1.0),
        high: high.min(1.0),
    })
}

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, assert_rel};

    /// Newcombe (1998b) Table II prints limits to 4 decimals: half a unit in the last place.
    const PUBLISHED_4DP: f64 = 5e-5;
    /// Fagerland et al. (2015) print 2-3 significant digits (0.019 and 0.34).
    const PUBLISHED_3DP: f64 = 5e-4;
    const PUBLISHED_2DP: f64 = 5e-3;
    /// statsmodels prints 16-17 significant digits of the same closed form.
    const STATSMODELS_ABS: f64 = 1e-14;
    /// 0.8 − 0.6 in doubles is 0.2 up to a rounding of the subtraction.
    const ROUNDING_REL: f64 = 1e-15;
    /// Swapping the arms negates d exactly and reuses the same two Wilson limbs; only the final
    /// additions round.
    const SWAP_ABS: f64 = 1e-15;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    fn newcombe(xt: u64, nt: u64, xc: u64, nc: u64, level: f64) -> Interval {
        newcombe_hybrid(bin(xt, nt), bin(xc, nc), Level::new(level).unwrap()).unwrap()
    }

    #[test]
    fn matches_newcombe_table_ii_method_10() {
        // Newcombe (1998b) Table II, examples (a)-(h), method 10 (95%).
        let cases = [
            ((56, 70, 48, 80), (0.0524, 0.3339)), // (a)
            ((9, 10, 3, 10), (0.1705, 0.8090)),   // (b)
            ((6, 7, 2, 7), (0.0582, 0.8062)),     // (c)
            ((5, 56, 0, 29), (-0.0381, 0.1926)),  // (d)
            ((0, 10, 0, 20), (-0.1611, 0.2775)),  // (e)
            ((0, 10, 0, 10), (-0.2775, 0.2775)),  // (f)
            ((10, 10, 0, 20), (0.6791, 1.0000)),  // (g)
            ((10, 10, 0, 10), (0.6075, 1.0000)),  // (h)
        ];
        for ((xt, nt, xc, nc), (low, high)) in cases {
            let got = newcombe(xt, nt, xc, nc, 0.95);
            let what = format!("{xt}/{nt} - {xc}/{nc}");
            assert_abs(got.low, low, PUBLISHED_4DP, &format!("{what} low"));
            assert_abs(got.high, high, PUBLISHED_4DP, &format!("{what} high"));
        }
    }

    #[test]
    fn matches_fagerland_2015_example() {
        // Fagerland, Lydersen & Laake (2015), 7/34 vs 1/34, Newcombe hybrid score: 0.019 to 0.34
        // (as quoted in statsmodels 0.15.0 test_proportion.py::test_confint_2indep).
        let got = newcombe(7, 34, 1, 34, 0.95);
        assert_abs(got.low, 0.019, PUBLISHED_3DP, "low");
        assert_abs(got.high, 0.34, PUBLISHED_2DP, "high");
    }

    #[test]
    fn matches_statsmodels() {
        // statsmodels 0.15.0: confint_proportions_2indep(xt, nt, xc, nc, method='newcomb',
        //                     compare='diff', alpha=1 - level)
        let cases = [
            (
                (56, 70, 48, 80, 0.95),
                (0.05243147240236498, 0.333872654036906),
            ),
            (
                (5, 56, 0, 29, 0.95),
                (-0.03813714790353688, 0.19256001385511162),
            ),
            ((10, 10, 0, 20, 0.95), (0.6790860371419147, 1.0)),
            (
                (12_000, 100_000, 11_500, 100_000, 0.99),
                (0.0012905438441639231, 0.008709648914606178),
            ),
            (
                (40_500, 400_000, 40_000, 400_000, 0.95),
                (-6.843475162821933e-05, 0.002568447694908157),
            ),
        ];
        for ((xt, nt, xc, nc, level), (low, high)) in cases {
            let got = newcombe(xt, nt, xc, nc, level);
            let what = format!("{xt}/{nt} - {xc}/{nc} at {level}");
            assert_abs(got.low, low, STATSMODELS_ABS, &format!("{what} low"));
            assert_abs(got.high, high, STATSMODELS_ABS, &format!("{what} high"));
        }
    }

    /// mpmath at 60 digits (independent closed forms, tests/reference/score_intervals.py) and
    /// statsmodels 0.15.0 confint_proportions_2indep(method='wald' / 'agresti-caffo'), which
    /// agree to 1e-16; R PropCIs wald2ci and contingencytables agree to their printed digits.
    const CLOSED_FORM_ABS: f64 = 1e-14;

    #[test]
    fn wald_matches_reference_values() {
        let cases = [
            (
                (56, 70, 48, 80, 0.95),
                (0.057504899149037077, 0.34249510085096292),
            ),
            (
                (56, 70, 48, 80, 0.99),
                (0.012729693362094923, 0.38727030663790508),
            ),
            (
                (9, 10, 3, 10, 0.95),
                (0.26052427977714845, 0.93947572022285155),
            ),
            (
                (7, 34, 1, 34, 0.95),
                (0.029169416110856988, 0.32377176035973125),
            ),
            (
                (24, 38, 10, 38, 0.90),
                (0.19414319284797979, 0.5426989124151781),
            ),
            (
                (250, 400, 3, 9, 0.95),
                (-0.019944773843173684, 0.60327810717650702),
            ),
            // Degenerate: both rates 0, or both extreme: zero width.
            ((0, 10, 0, 20, 0.95), (0.0, 0.0)),
            ((10, 10, 0, 20, 0.95), (1.0, 1.0)),
        ];
        for ((xt, nt, xc, nc, level), (low, high)) in cases {
            let got =
                wald_difference(bin(xt, nt), bin(xc, nc), Level::new(level).unwrap()).unwrap();
            let what = format!("Wald {xt}/{nt} - {xc}/{nc} at {level}");
            assert_abs(got.low, low, CLOSED_FORM_ABS, &format!("{what} low"));
            assert_abs(got.high, high, CLOSED_FORM_ABS, &format!("{what} high"));
        }
        // R contingencytables Wald_CI_2x2(perondi_2004), Fagerland et al.'s book code: 0.0292 to
        // 0.3238.
        let i = wald_difference(bin(7, 34), bin(1, 34), Level::NINETY_FIVE).unwrap();
        assert_abs(i.low, 0.0292, PUBLISHED_4DP, "contingencytables low");
        assert_abs(i.high, 0.3238, PUBLISHED_4DP, "contingencytables high");
    }

    #[test]
    fn agresti_caffo_matches_reference_values_and_clips() {
        let cases = [
            (
                (56, 70, 48, 80, 0.95),
                (0.052452926638053699, 0.33575845547576744),
            ),
            (
                (9, 10, 3, 10, 0.95),
                (0.16000080110040034, 0.83999919889959966),
            ),
            (
                (5, 56, 0, 29, 0.95),
                (-0.028865846303125844, 0.17124626899500571),
            ),
            (
                (0, 10, 0, 10, 0.95),
                (-0.22115031502926003, 0.22115031502926003),
            ),
            (
                (24, 38, 10, 38, 0.99),
                (0.081770322265928594, 0.61822967773407141),
            ),
            (
                (250, 400, 3, 9, 0.95),
                (-0.027447766152180538, 0.5489312577849259),
            ),
            // Unclipped upper limits 1.0501810045410513 and 1.0877238227174479 (statsmodels
            // does not clip); the published tables (Newcombe/WUSS 2016 as quoted in DescTools
            // tests/misc.R: (g) 0.6922, 1) and SAS clip to 1.
            ((10, 10, 0, 20, 0.95), (0.6922432378831911, 1.0)),
            ((1, 1, 0, 1, 0.95), (-0.42105715605078122, 1.0)),
        ];
        for ((xt, nt, xc, nc, level), (low, high)) in cases {
            let got = agresti_caffo(bin(xt, nt), bin(xc, nc), Level::new(level).unwrap()).unwrap();
            let what = format!("AC {xt}/{nt} - {xc}/{nc} at {level}");
            assert_abs(got.low, low, CLOSED_FORM_ABS, &format!("{what} low"));
            assert_abs(got.high, high, CLOSED_FORM_ABS, &format!("{what} high"));
        }
        // R contingencytables AgrestiCaffo_CI_2x2(perondi_2004): 0.0116 to 0.3217.
        let i = agresti_caffo(bin(7, 34), bin(1, 34), Level::NINETY_FIVE).unwrap();
        assert_abs(i.low, 0.0116, PUBLISHED_4DP, "contingencytables low");
        assert_abs(i.high, 0.3217, PUBLISHED_4DP, "contingencytables high");
    }

    #[test]
    fn method_selection_dispatches() {
        let (t, c, l) = (bin(24, 38), bin(10, 38), Level::NINETY_FIVE);
        assert_eq!(RdMethod::Wald.interval(t, c, l), wald_difference(t, c, l));
        assert_eq!(
            RdMethod::Newcombe.interval(t, c, l),
            newcombe_hybrid(t, c, l)
        );
        assert_eq!(
            RdMethod::AgrestiCaffo.interval(t, c, l),
            agresti_caffo(t, c, l)
        );
        assert_eq!(
            RdMethod::MiettinenNurminen.interval(t, c, l),
            miettinen_nurminen_difference(t, c, l)
        );
        assert_eq!(RdMethod::default(), RdMethod::Newcombe);
        for m in RdMethod::ALL {
            assert_eq!(m.interval(bin(0, 0), c, l), None, "{m:?} with an empty arm");
        }
    }

    #[test]
    fn risk_difference_and_empty_arms() {
        // 56/70 - 48/80 = 0.8 - 0.6 (Newcombe 1998b example (a)).
        assert_rel(
            risk_difference(bin(56, 70), bin(48, 80)).unwrap(),
            0.2,
            ROUNDING_REL,
            "(a)",
        );
        assert_eq!(risk_difference(bin(0, 0), bin(1, 2)), None);
        assert_eq!(risk_difference(bin(1, 2), bin(0, 0)), None);
        let l = Level::NINETY_FIVE;
        assert_eq!(newcombe_hybrid(bin(0, 0), bin(1, 2), l), None);
        assert_eq!(newcombe_hybrid(bin(1, 2), bin(0, 0), l), None);
    }

    #[test]
    fn properties_over_a_grid() {
        let sizes = [1_u64, 2, 5, 10, 29, 80, 1000];
        for &nt in &sizes {
            for &nc in &sizes {
                for xt in (0..=nt).step_by((nt / 4).max(1) as usize) {
                    for xc in (0..=nc).step_by((nc / 5).max(1) as usize) {
                        for level in [0.5, 0.9, 0.95, 0.999] {
                            let l = Level::new(level).unwrap();
                            let (t, c) = (bin(xt, nt), bin(xc, nc));
                            let i = newcombe_hybrid(t, c, l).unwrap();
                            let d = risk_difference(t, c).unwrap();
                            let what = format!("{xt}/{nt} - {xc}/{nc} at {level}");
                            assert!(i.contains(d), "{what}: {i:?} misses {d}");
                            assert!(-1.0 <= i.low && i.high <= 1.0, "{what}: {i:?}");
                            assert!(i.low < i.high, "{what}: empty {i:?}");
                            let swapped = newcombe_hybrid(c, t, l).unwrap();
                            assert_abs(swapped.low, -i.high, SWAP_ABS, &format!("{what} swap low"));
                            assert_abs(
                                swapped.high,
                                -i.low,
                                SWAP_ABS,
                                &format!("{what} swap high"),
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn huge_counts_stay_in_range() {
        // x_t n_c overflows i128 at the u64 maximum (2^128 > 2^127); the wrapped fraction gave
        // a risk difference of 1.5 before.
        let t = Binomial::new(u64::MAX, u64::MAX).unwrap();
        let c = Binomial::new(u64::MAX / 2, u64::MAX).unwrap();
        let d = risk_difference(t, c).unwrap();
        assert_abs(d, 0.5, 1e-15, "u64::MAX difference");
        assert_abs(
            number_needed_to_treat(t, c).unwrap(),
            2.0,
            1e-14,
            "u64::MAX NNT",
        );
        assert_eq!(number_needed_to_treat(t, t), None);
        for f in [wald_difference, newcombe_hybrid, agresti_caffo] {
            let i = f(t, c, Level::NINETY_FIVE).unwrap();
            assert!(-1.0 <= i.low && i.high <= 1.0, "{i:?}");
        }
    }

    #[test]
    fn risk_difference_and_nnt_are_rounded_once() {
        // 11/38 - 10/38 = 1/38 exactly; the NNT is exactly 38 (p_t - p_c as two rounded
        // rates gives 0.026315789473684237 and an NNT of 37.999999999999964).
        let t = Binomial::new(11, 38).unwrap();
        let c = Binomial::new(10, 38).unwrap();
        assert_eq!(risk_difference(t, c), Some(1.0 / 38.0));
        assert_eq!(number_needed_to_treat(t, c), Some(38.0));
        // Worse than control: negative (NNTH), and equal rates give no NNT.
        assert_eq!(number_needed_to_treat(c, t), Some(-38.0));
        let same = Binomial::new(20, 76).unwrap();
        assert_eq!(risk_difference(c, same), Some(0.0));
        assert_eq!(number_needed_to_treat(c, same), None);
        assert_eq!(
            number_needed_to_treat(c, Binomial::new(0, 0).unwrap()),
            None
        );
    }
}

//! Ratio measures of a dose arm against control: the risk ratio with Katz's log interval and
//! the odds ratio with Woolf's logit interval.
//!
//! Why these: both are the standard closed-form intervals, computed on the log scale where the
//! sampling distribution is close to normal, and both are what trial reports and meta-analyses
//! (which pool log ratios) expect. Cells of the 2×2 table
//!
//! ```text
//!              responders   non-responders
//! treatment    a = x_t      b = n_t − x_t
//! control      c = x_c      d = n_c − x_c
//! ```
//!
//! give
//!
//! ```text
//! RR = (a/(a+b)) / (c/(c+d)),   SE(ln RR) = √(b/(a(a+b)) + d/(c(c+d)))   (= √(1/a − 1/(a+b) + 1/c − 1/(c+d)))
//! OR = (a d) / (b c),           SE(ln OR) = √(1/a + 1/b + 1/c + 1/d)
//! interval = exp(ln estimate ± z SE)
//! ```
//!
//! Zero cells (data contract): when any of a, b, c, d is zero, 0.5 is added to every cell
//! (Haldane-Anscombe) for both the estimate and the interval, and the result says `corrected`.
//! Note that statsmodels' `Table2x2(shift_zeros=True)` (0.15.0) replaces only the zero cells by
//! 0.5 despite its docstring, so the tests feed it the already corrected table.
//!
//! References: D. Katz, J. Baptista, S. P. Azen & M. C. Pike, "Obtaining confidence intervals for
//! the risk ratio in cohort studies", Biometrics 34 (1978) 469-474; B. Woolf, "On estimating the
//! relation between blood group and disease", Ann Hum Genet 19 (1955) 251-253; M. W. Fagerland,
//! S. Lydersen & P. Laake, Stat Methods Med Res 24 (2015) 224-254.

use super::{Binomial, Interval, Level};

/// A ratio estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RatioEstimate {
    /// Point estimate (risk ratio or odds ratio), from the corrected table when `corrected`.
    pub estimate: f64,
    /// Confidence interval on the ratio scale.
    pub interval: Interval,
    /// Whether 0.5 was added to every cell because some cell was zero.
    pub corrected: bool,
}

/// The four cells `[a, b, c, d]` as floats, with 0.5 added to each when any is zero, and
/// whether that happened. `None` when either arm has no trials.
fn cells(treatment: Binomial, control: Binomial) -> Option<([f64; 4], bool)> {
    if treatment.trials() == 0 || control.trials() == 0 {
        return None;
    }
    let counts = [
        treatment.successes(),
        treatment.failures(),
        control.successes(),
        control.failures(),
    ];
    let corrected = counts.contains(&0);
    let shift = if corrected { 0.5 } else { 0.0 };
    Some((counts.map(|count| count as f64 + shift), corrected))
}

/// `exp(ln estimate ± z se)` as an interval.
fn log_interval(estimate: f64, se: f64, level: Level) -> Interval {
    let half = level.z() * se;
    Interval {
        low: estimate * (-half).exp(),
        high: estimate * half.exp(),
    }
}

/// Risk ratio `p_t / p_c` with the Katz et al. (1978) log interval; formulas and the zero-cell
/// rule in the module documentation.
///
/// Returns `None` when either arm has no trials.
#[must_use]
pub fn risk_ratio_katz(
    treatment: Binomial,
    control: Binomial,
    level: Level,
) -> Option<RatioEstimate> {
    let ([a, b, c, d], corrected) = cells(treatment, control)?;
    let estimate = (a / (a + b)) / (c / (c + d));
    let se = (b / (a * (a + b)) + d / (c * (c + d))).sqrt();
    Some(RatioEstimate {
        estimate,
        interval: log_interval(estimate, se, level),
        corrected,
    })
}

/// Odds ratio `(a d)/(b c)` with Woolf's (1955) logit interval; formulas and the zero-cell
/// rule in the module documentation.
///
/// Returns `None` when either arm has no trials.
#[must_use]
pub fn odds_ratio_woolf(
    treatment: Binomial,
    control: Binomial,
    level: Level,
) -> Option<RatioEstimate> {
    let ([a, b, c, d], corrected) = cells(treatment, control)?;
    let estimate = (a * d) / (b * c);
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    Some(RatioEstimate {
        estimate,
        interval: log_interval(estimate, se, level),
        corrected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, assert_rel};

    /// Fagerland et al. (2015) print two significant digits (0.91, 54, 0.99, 74).
    const PUBLISHED_2DP: f64 = 5e-3;
    const PUBLISHED_UNITS: f64 = 0.5;
    /// statsmodels prints 16-17 significant digits of the same closed forms.
    const STATSMODELS_REL: f64 = 1e-13;
    /// The hand computation in the comment is carried to 7 significant digits.
    const HAND_7SIG: f64 = 1e-6;
    /// Swapping the arms inverts the ratio; only the final divisions and exponentials round.
    const INVERSION_REL: f64 = 1e-14;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).expect("valid counts")
    }

    type Ratio = fn(Binomial, Binomial, Level) -> Option<RatioEstimate>;

    #[track_caller]
    fn check(f: Ratio, counts: (u64, u64, u64, u64), level: f64, expected: (f64, f64, f64)) {
        let (xt, nt, xc, nc) = counts;
        let got = f(bin(xt, nt), bin(xc, nc), Level::new(level).unwrap()).unwrap();
        let what = format!("{xt}/{nt} vs {xc}/{nc} at {level}");
        assert_rel(
            got.estimate,
            expected.0,
            STATSMODELS_REL,
            &format!("{what} estimate"),
        );
        assert_rel(
            got.interval.low,
            expected.1,
            STATSMODELS_REL,
            &format!("{what} low"),
        );
        assert_rel(
            got.interval.high,
            expected.2,
            STATSMODELS_REL,
            &format!("{what} high"),
        );
    }

    #[test]
    fn match_fagerland_2015_example() {
        // Fagerland, Lydersen & Laake (2015), 7/34 vs 1/34: Katz log 0.91 to 54,
        // Woolf logit 0.99 to 74 (as quoted in statsmodels 0.15.0
        // test_proportion.py::test_confint_2indep).
        let (t, c, l) = (bin(7, 34), bin(1, 34), Level::NINETY_FIVE);
        let rr = risk_ratio_katz(t, c, l).unwrap();
        assert_abs(rr.interval.low, 0.91, PUBLISHED_2DP, "Katz low");
        assert_abs(rr.interval.high, 54.0, PUBLISHED_UNITS, "Katz high");
        let or = odds_ratio_woolf(t, c, l).unwrap();
        assert_abs(or.interval.low, 0.99, PUBLISHED_2DP, "Woolf low");
        assert_abs(or.interval.high, 74.0, PUBLISHED_UNITS, "Woolf high");
        assert!(!rr.corrected && !or.corrected);
    }

    #[test]
    fn match_statsmodels_without_zero_cells() {
        // statsmodels 0.15.0: t = Table2x2(np.array([[a, b], [c, d]]));
        // (t.riskratio, *t.riskratio_confint(alpha=1 - level)) and the same for oddsratio.
        let cases = [
            (
                (7, 34, 1, 34, 0.95),
                (7.0, 0.9096055118420767, 53.86950646414646),
                (8.555555555555555, 0.9904902816539896, 73.90030192115275),
            ),
            (
                (56, 70, 48, 80, 0.95),
                (1.3333333333333335, 1.0766264227631928, 1.6512485112663873),
                (2.6666666666666665, 1.2762178705364344, 5.572019696074381),
            ),
            (
                (12_000, 100_000, 11_500, 100_000, 0.99),
                (1.0434782608695652, 1.0110423327513498, 1.0769547877825185),
                (1.0494071146245059, 1.012522915059271, 1.0876349323512005),
            ),
            (
                (3, 400_000, 1, 400_000, 0.95),
                (3.0, 0.31206151846747926, 28.840467239275814),
                (3.000015000112501, 0.3120604303454304, 28.840856211527655),
            ),
        ];
        for ((xt, nt, xc, nc, level), rr, or) in cases {
            check(risk_ratio_katz, (xt, nt, xc, nc), level, rr);
            check(odds_ratio_woolf, (xt, nt, xc, nc), level, or);
        }
    }

    #[test]
    fn zero_cells_add_one_half_to_every_cell() {
        // Hand computation, 5/56 vs 0/29 (Newcombe 1998b example (d)): cells 5.5, 51.5, 0.5, 29.5;
        // RR = (5.5/57)/(0.5/30) = 5.7894736842105…, SE = √(51.5/(5.5·57) + 29.5/(0.5·30))
        // = √2.1309409… = 1.4597743…; OR = 5.5·29.5/(51.5·0.5) = 6.3009708737864….
        // statsmodels 0.15.0, Table2x2(table + 0.5, shift_zeros=False):
        let cases = [
            (
                (5, 56, 0, 29),
                (5.789473684210526, 0.3311897997581315, 101.2048244379641),
                (6.300970873786408, 0.336379984003089, 118.02793222066407),
            ),
            (
                (10, 10, 0, 20),
                (40.09090909090909, 2.584427412441987, 621.9098992673356),
                (861.0, 15.93029647229231, 46535.29212650792),
            ),
            (
                (0, 10, 0, 20),
                (1.9090909090909092, 0.040565992881340746, 89.84441992667175),
                (1.9523809523809523, 0.0361231212523635, 105.52220436849858),
            ),
            // Only a non-responder cell is zero (3/3 responders): still corrected.
            (
                (3, 3, 1, 4),
                (2.916666666666667, 0.7270512820356562, 11.700611297494753),
                (16.333333333333332, 0.48013402644710773, 555.631892519424),
            ),
        ];
        for ((xt, nt, xc, nc), rr, or) in cases {
            check(risk_ratio_katz, (xt, nt, xc, nc), 0.95, rr);
            check(odds_ratio_woolf, (xt, nt, xc, nc), 0.95, or);
            let l = Level::NINETY_FIVE;
            assert!(
                risk_ratio_katz(bin(xt, nt), bin(xc, nc), l)
                    .unwrap()
                    .corrected
            );
            assert!(
                odds_ratio_woolf(bin(xt, nt), bin(xc, nc), l)
                    .unwrap()
                    .corrected
            );
        }
        // The hand-computed SE above, checked through the interval width: ln(high/low) = 2 z SE.
        let rr = risk_ratio_katz(bin(5, 56), bin(0, 29), Level::NINETY_FIVE).unwrap();
        let se = (rr.interval.high / rr.interval.low).ln() / (2.0 * Level::NINETY_FIVE.z());
        assert_rel(se, 1.459774, HAND_7SIG, "hand SE");
    }

    #[test]
    fn empty_arms_give_none() {
        let l = Level::NINETY_FIVE;
        assert_eq!(risk_ratio_katz(bin(0, 0), bin(1, 2), l), None);
        assert_eq!(risk_ratio_katz(bin(1, 2), bin(0, 0), l), None);
        assert_eq!(odds_ratio_woolf(bin(0, 0), bin(1, 2), l), None);
        assert_eq!(odds_ratio_woolf(bin(1, 2), bin(0, 0), l), None);
    }

    #[test]
    fn properties_over_a_grid() {
        let sizes = [1_u64, 3, 10, 56, 1000];
        for &nt in &sizes {
            for &nc in &sizes {
                for xt in (0..=nt).step_by((nt / 3).max(1) as usize) {
                    for xc in (0..=nc).step_by((nc / 4).max(1) as usize) {
                        for level in [0.5, 0.95, 0.999] {
                            let l = Level::new(level).unwrap();
                            let (t, c) = (bin(xt, nt), bin(xc, nc));
                            let what = format!("{xt}/{nt} vs {xc}/{nc} at {level}");
                            for f in [risk_ratio_katz as Ratio, odds_ratio_woolf] {
                                let r = f(t, c, l).unwrap();
                                let s = f(c, t, l).unwrap();
                                assert!(r.interval.contains(r.estimate), "{what}: {r:?}");
                                assert!(r.interval.low > 0.0, "{what}: {r:?}");
                                assert!(r.interval.high.is_finite(), "{what}: {r:?}");
                                assert_eq!(r.corrected, s.corrected, "{what}");
                                // Swapping the arms inverts the estimate and the interval.
                                assert_rel(s.estimate, 1.0 / r.estimate, INVERSION_REL, &what);
                                assert_rel(
                                    s.interval.low,
                                    1.0 / r.interval.high,
                                    INVERSION_REL,
                                    &what,
                                );
                                assert_rel(
                                    s.interval.high,
                                    1.0 / r.interval.low,
                                    INVERSION_REL,
                                    &what,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

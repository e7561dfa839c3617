//! Difference of two means with Welch's interval (for example mean improvement in a dose arm
//! minus control).
//!
//! Why Welch: dose arms differ in size and in spread, and Welch's interval does not assume equal
//! variances, at almost no cost when they are equal (Welch 1947; Ruxton 2006). With sample means
//! `m_a, m_b`, sample variances `s_a², s_b²` (n − 1 divisor) and sizes `n_a, n_b`:
//!
//! ```text
//! d  = m_a − m_b,   v_a = s_a²/n_a,   v_b = s_b²/n_b,   se = √(v_a + v_b)
//! df = (v_a + v_b)² / (v_a²/(n_a − 1) + v_b²/(n_b − 1))        (Welch-Satterthwaite)
//! interval = d ± t_{df, 1 − α/2} · se
//! ```
//!
//! The Student t quantile comes from `special.rs`: statrs 0.19.1 for df < 1000 and the
//! Cornish-Fisher expansion above, because statrs loses up to 1e-4 relative at the df of large
//! cohorts (about 5e5 here).
//!
//! References: B. L. Welch, "The generalization of Student's problem when several different
//! population variances are involved", Biometrika 34 (1947) 28-35; F. E. Satterthwaite,
//! Biometrics Bulletin 2 (1946) 110-114; G. D. Ruxton, Behavioral Ecology 17 (2006) 688-690.

use super::Level;
use super::descriptive::Moments;
use super::special::t_upper_quantile;

/// A difference of means with its Welch interval and degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanDifference {
    /// `mean(a) − mean(b)`.
    pub estimate: f64,
    /// Lower confidence limit.
    pub low: f64,
    /// Upper confidence limit.
    pub high: f64,
    /// Welch-Satterthwaite degrees of freedom (not an integer in general).
    pub df: f64,
}

/// Welch's interval for `mean(a) − mean(b)`; formula in the module documentation.
///
/// Returns `None` when either slice has fewer than two values, when both sample variances are 0
/// (the interval would be a point and df undefined), or when the data are not finite.
#[must_use]
pub fn welch_interval(a: &[f64], b: &[f64], level: Level) -> Option<MeanDifference> {
    welch_from_moments(&Moments::of(a), &Moments::of(b), level)
}

/// [`welch_interval`] from the samples' [`Moments`], when they are known already.
#[must_use]
pub fn welch_from_moments(a: &Moments, b: &Moments, level: Level) -> Option<MeanDifference> {
    let (mean_a, var_a) = (a.mean?, a.variance?);
    let (mean_b, var_b) = (b.mean?, b.variance?);
    let (n_a, n_b) = (a.n as f64, b.n as f64);
    let (v_a, v_b) = (var_a / n_a, var_b / n_b);
    let se2 = v_a + v_b;
    let estimate = mean_a - mean_b;
    if !(se2 > 0.0 && se2.is_finite() && estimate.is_finite()) {
        return None;
    }
    let df = se2 * se2 / (v_a * v_a / (n_a - 1.0) + v_b * v_b / (n_b - 1.0));
    let half = t_upper_quantile(df, level.tail())? * se2.sqrt();
    Some(MeanDifference {
        estimate,
        low: estimate - half,
        high: estimate + half,
        df,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{assert_abs, assert_rel};

    /// scipy prints 16-17 significant digits; means and variances are summed in a different
    /// order there (numpy's pairwise sums), a few ulps apart.
    const SCIPY_REL: f64 = 1e-12;
    /// Swapping the samples negates the estimate and keeps se and df; only rounding differs.
    const SWAP_ABS: f64 = 1e-12;
    const SWAP_DF_REL: f64 = 1e-14;
    /// Slack for the df bounds, which are reached exactly when one variance is 0.
    const DF_BOUND_SLACK: f64 = 1e-9;

    #[track_caller]
    fn check(a: &[f64], b: &[f64], level: f64, expected: (f64, f64, f64, f64), what: &str) {
        let got = welch_interval(a, b, Level::new(level).unwrap()).expect("defined");
        assert_rel(
            got.estimate,
            expected.0,
            SCIPY_REL,
            &format!("{what} estimate"),
        );
        assert_rel(got.low, expected.1, SCIPY_REL, &format!("{what} low"));
        assert_rel(got.high, expected.2, SCIPY_REL, &format!("{what} high"));
        assert_rel(got.df, expected.3, SCIPY_REL, &format!("{what} df"));
    }

    const A1: [f64; 15] = [
        27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
    ];
    const B1: [f64; 15] = [
        27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
    ];
    const A2: [f64; 5] = [1.2, 3.4, 2.2, 5.1, 0.7];
    const B2: [f64; 7] = [10.0, 12.5, 9.1, 30.2, 11.1, 8.8, 15.0];

    #[test]
    fn matches_scipy() {
        // scipy 1.17.1: r = stats.ttest_ind(a, b, equal_var=False);
        // ci = r.confidence_interval(confidence_level=level); (mean(a) - mean(b), ci.low,
        // ci.high, r.df)
        let equal_sizes = (
            -2.166666666666668,
            -3.984096267140929,
            -0.3492370661924069,
            24.988529290231416,
        );
        check(&A1, &B1, 0.95, equal_sizes, "15 vs 15");
        let unequal_95 = (
            -11.294285714285714,
            -18.307143247037146,
            -4.281428181534281,
            6.904311841249375,
        );
        check(&A2, &B2, 0.95, unequal_95, "5 vs 7 at 0.95");
        let unequal_99 = (
            -11.294285714285714,
            -21.692737235244007,
            -0.8958341933274205,
            6.904311841249375,
        );
        check(&A2, &B2, 0.99, unequal_99, "5 vs 7 at 0.99");
        // One sample without spread: df = n_b − 1 = 3.
        let constant = (-0.5, -2.5542602567605206, 1.5542602567605206, 3.0);
        check(
            &[2.0, 2.0, 2.0],
            &[1.0, 2.0, 3.0, 4.0],
            0.95,
            constant,
            "constant a",
        );
    }

    #[test]
    fn large_cohort_uses_accurate_t_quantile() {
        // df ≈ 5.1e5, where statrs' own t quantile is ~1e-5..1e-4 off. scipy 1.17.1 as above on
        // a = [((i * 7919) % 1000) / 100 for i in range(300000)],
        // b = [((i * 104729) % 997) / 90 + 0.3 for i in range(250000)].
        let a: Vec<f64> = (0..300_000_u64)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0)
            .collect();
        let b: Vec<f64> = (0..250_000_u64)
            .map(|i| ((i * 104_729) % 997) as f64 / 90.0 + 0.3)
            .collect();
        let expected_95 = (
            -0.8382475111111116,
            -0.8544909443809293,
            -0.8220040778412939,
            509155.0065156587,
        );
        check(&a, &b, 0.95, expected_95, "large at 0.95");
        let expected_90 = (
            -0.8382475111111116,
            -0.851879422430324,
            -0.8246155997918992,
            509155.0065156587,
        );
        check(&a, &b, 0.90, expected_90, "large at 0.90");
    }

    #[test]
    fn undefined_cases_give_none() {
        let l = Level::NINETY_FIVE;
        assert_eq!(welch_interval(&[1.0], &[1.0, 2.0], l), None);
        assert_eq!(welch_interval(&[1.0, 2.0], &[], l), None);
        assert_eq!(welch_interval(&[3.0, 3.0], &[1.0, 1.0, 1.0], l), None);
        assert_eq!(welch_interval(&[1.0, f64::NAN], &[1.0, 2.0], l), None);
        assert_eq!(welch_interval(&[1.0, f64::INFINITY], &[1.0, 2.0], l), None);
    }

    #[test]
    fn properties() {
        let samples: [&[f64]; 4] = [&A1, &B1, &A2, &B2];
        for a in samples {
            for b in samples {
                for level in [0.5, 0.9, 0.95, 0.999] {
                    let l = Level::new(level).unwrap();
                    let r = welch_interval(a, b, l).unwrap();
                    let s = welch_interval(b, a, l).unwrap();
                    let what = format!("{} vs {} at {level}", a.len(), b.len());
                    assert!(r.low < r.estimate && r.estimate < r.high, "{what}: {r:?}");
                    // Swapping the samples negates the interval and keeps df.
                    assert_abs(s.low, -r.high, SWAP_ABS, &what);
                    assert_abs(s.high, -r.low, SWAP_ABS, &what);
                    assert_rel(s.df, r.df, SWAP_DF_REL, &what);
                    // df lies between min(n) − 1 and n_a + n_b − 2.
                    let lower = (a.len().min(b.len()) - 1) as f64;
                    let upper = (a.len() + b.len() - 2) as f64;
                    assert!(
                        lower - DF_BOUND_SLACK <= r.df && r.df <= upper + DF_BOUND_SLACK,
                        "{what}: df {}",
                        r.df
                    );
                }
            }
        }
    }
}

//! Tests against a margin: is a dose arm non-inferior to, superior by a margin to, or
//! equivalent to its comparator (control, or another dose arm such as 60x3 against 60x2)?
//!
//! Why: "is 60x2 as good as 60x3?" is a non-inferiority question, which a test of no
//! difference cannot answer (a non-significant difference is not evidence of similarity).
//! Responding is good, so "better" means a higher rate. With margin `D > 0` on the risk
//! difference `d = p_t − p_c`, or margin `R` on the risk ratio `ρ = p_t / p_c`:
//!
//! ```text
//! non-inferiority  H0: d ≤ −D        H0: ρ ≤ R (R < 1)       p = P(Z ≥ z(−D)),  P(Z ≥ z(R))
//! superiority      H0: d ≤ D (D ≥ 0) H0: ρ ≤ R (R ≥ 1)       p = P(Z ≥ z(D)),   P(Z ≥ z(R))
//! equivalence      H0: |d| ≥ D       H0: ρ ≤ R or ρ ≥ 1/R    p = max of the two one-sided tests
//! ```
//!
//! where `z(δ0)` and `z(φ0)` are the Farrington-Manning score statistics
//! ([`super::score::farrington_manning_difference`], [`super::score::farrington_manning_ratio`]:
//! the variance at the restricted maximum likelihood estimates under the margin, without the
//! `N/(N − 1)` factor), as SAS PROC FREQ `RISKDIFF(NONINF|SUP|EQUIV METHOD=FM)` and statsmodels'
//! `test_proportions_2indep(method="score", correction=False)` compute them. Each one-sided test
//! is at level `α = (1 − level)/2`, and the matching interval is the two-sided
//! Miettinen-Nurminen interval at `level` (`1 − 2α`): the hypothesis is rejected exactly when
//! that interval lies beyond the margin, up to the `N/(N − 1)` factor that separates the
//! interval from the test (so the two can disagree in the last digits of a borderline case;
//! the conclusion follows the test).
//!
//! References: C. P. Farrington & G. Manning, Statistics in Medicine 9 (1990) 1447-1454;
//! D. J. Schuirmann, J Pharmacokinet Biopharm 15 (1987) 657-680 (two one-sided tests); SAS/STAT
//! User's Guide, PROC FREQ, "Noninferiority, Superiority, and Equivalence Tests".

use super::special::normal_upper_tail;
use super::{Binomial, Interval, Level};

/// The hypothesis a margin is tested with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hypothesis {
    /// The arm is not worse than the comparator by the margin or more.
    Noninferiority,
    /// The arm is better than the comparator by more than the margin.
    Superiority,
    /// The arm is within the margin of the comparator on both sides.
    Equivalence,
}

impl Hypothesis {
    /// The name used in outputs and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Hypothesis::Noninferiority => "noninferiority",
            Hypothesis::Superiority => "superiority",
            Hypothesis::Equivalence => "equivalence",
        }
    }
}

/// A margin on the risk difference or the risk ratio, validated.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Margin {
    /// Margin `D` on the risk difference (a proportion, e.g. 0.1 for 10 points).
    Difference(f64),
    /// Margin `R` on the risk ratio.
    Ratio(f64),
}

impl Margin {
    /// Checks the margin against the hypothesis: a difference margin in `(0, 1)` (`[0, 1)`
    /// for superiority); a ratio margin in `(0, 1)` for non-inferiority and equivalence and at
    /// least 1 for superiority.
    ///
    /// # Errors
    /// A message naming the value, the allowed range and an example.
    pub fn check(self, hypothesis: Hypothesis) -> Result<Margin, String> {
        match (self, hypothesis) {
            (Margin::Difference(d), Hypothesis::Superiority) if (0.0..1.0).contains(&d) => Ok(self),
            (Margin::Difference(d), Hypothesis::Superiority) => Err(format!(
                "difference margin {d} for superiority is outside 0 to 1 (a proportion: 0.05 for 5 points)"
            )),
            (Margin::Difference(d), _) if d > 0.0 && d < 1.0 => Ok(self),
            (Margin::Difference(d), h) => Err(format!(
                "difference margin {d} for {} is outside the open interval 0 to 1 (a proportion: 0.1 for 10 points)",
                h.as_str()
            )),
            (Margin::Ratio(r), Hypothesis::Superiority) if r >= 1.0 && r.is_finite() => Ok(self),
            (Margin::Ratio(r), Hypothesis::Superiority) => Err(format!(
                "ratio margin {r} for superiority must be at least 1 (e.g. 1.25)"
            )),
            (Margin::Ratio(r), _) if r > 0.0 && r < 1.0 => Ok(self),
            (Margin::Ratio(r), h) => Err(format!(
                "ratio margin {r} for {} is outside the open interval 0 to 1 (e.g. 0.8)",
                h.as_str()
            )),
        }
    }
}

/// A margin test as asked for: the hypothesis and the margin.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MarginSpec {
    /// The hypothesis.
    pub hypothesis: Hypothesis,
    /// The margin, checked against the hypothesis ([`Margin::check`]).
    pub margin: Margin,
}

/// A margin test's result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MarginTest {
    /// The hypothesis.
    pub hypothesis: Hypothesis,
    /// The margin.
    pub margin: Margin,
    /// The score statistic (of the one-sided test with the larger p, for equivalence).
    pub z: f64,
    /// The p-value.
    pub p_value: f64,
    /// The null hypothesis is rejected at one-sided level `(1 − level)/2`: the arm is
    /// non-inferior, superior or equivalent.
    pub rejected: bool,
    /// The matching Miettinen-Nurminen interval (of the difference or the ratio) at `level`.
    pub interval: Option<Interval>,
}

/// The test of `margin` under `hypothesis` for `treatment` against `control` (module
/// documentation); `None` when an arm is empty or a statistic does not exist (a restricted
/// variance of zero).
#[must_use]
pub fn margin_test(
    treatment: Binomial,
    control: Binomial,
    hypothesis: Hypothesis,
    margin: Margin,
    level: Level,
) -> Option<MarginTest> {
    let z_at = |bound: f64| match margin {
        Margin::Difference(_) => {
            super::score::farrington_manning_difference(treatment, control, bound)
        }
        Margin::Ratio(_) => super::score::farrington_manning_ratio(treatment, control, bound),
    };
    let (low_bound, high_bound) = match margin {
        Margin::Difference(d) => (-d, d),
        Margin::Ratio(r) => (r, 1.0 / r),
    };
    let (z, p_value) = match hypothesis {
        Hypothesis::Noninferiority => {
            let z = z_at(low_bound)?;
            (z, normal_upper_tail(z))
        }
        Hypothesis::Superiority => {
            let bound = match margin {
                Margin::Difference(d) => d,
                Margin::Ratio(r) => r,
            };
            let z = z_at(bound)?;
            (z, normal_upper_tail(z))
        }
        Hypothesis::Equivalence => {
            let (zl, zh) = (z_at(low_bound)?, z_at(high_bound)?);
            let (pl, ph) = (normal_upper_tail(zl), normal_upper_tail(-zh));
            if pl >= ph { (zl, pl) } else { (zh, ph) }
        }
    };
    let interval = match margin {
        Margin::Difference(_) => super::miettinen_nurminen_difference(treatment, control, level),
        Margin::Ratio(_) => super::miettinen_nurminen_ratio(treatment, control, level),
    };
    Some(MarginTest {
        hypothesis,
        margin,
        z,
        p_value,
        rejected: p_value < level.tail(),
        interval,
    })
}

#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    fn bin(x: u64, n: u64) -> Binomial {
        Binomial::new(x, n).unwrap()
    }

    /// mpmath at 40 digits of the Farrington-Manning statistic at the constrained maximum
    /// likelihood estimates found by root finding (for the ratio also statsmodels 0.15.0
    /// `test_proportions_2indep(method="score", correction=False)` and
    /// `tost_proportions_2indep`, which agree), computed by `tests/reference/margin.py`.
    /// statsmodels' difference score test is not used: its restricted estimates are not the
    /// constrained maximum (4.1293 instead of 4.1234 for 24/38 vs 10/38 at -0.1).
    #[test]
    fn matches_the_constrained_maximum_likelihood_statistic() {
        // ((x_t, n_t, x_c, n_c), hypothesis, margin, z, p)
        type Case = ((u64, u64, u64, u64), Hypothesis, Margin, f64, f64);
        let cases: [Case; 32] = [
            (
                (24, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Difference(0.1),
                4.123444279539148,
                1.8662439122280532e-05,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Difference(0.2),
                5.0766955171712915,
                1.920277887284315e-07,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Difference(0.0),
                3.229763543824781,
                0.000619463186087338,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Difference(0.05),
                2.7960397911683805,
                0.0025866515292935956,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Equivalence,
                Margin::Difference(0.15),
                1.9386294393842076,
                0.9737267619208964,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Ratio(0.8),
                4.127994766224079,
                1.8297022092707046e-05,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Ratio(1.25),
                2.355001954927678,
                0.009261304125143961,
            ),
            (
                (24, 38, 10, 38),
                Hypothesis::Equivalence,
                Margin::Ratio(0.8),
                2.355001954927678,
                0.9907386958748561,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Noninferiority,
                Margin::Difference(0.1),
                1.660756187208803,
                0.048381211868092105,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Noninferiority,
                Margin::Difference(0.2),
                2.6582651333475025,
                0.003927203758960858,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Superiority,
                Margin::Difference(0.0),
                0.6693223940531525,
                0.2516449222933223,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Superiority,
                Margin::Difference(0.05),
                0.1708317036632673,
                0.43217804978678853,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Equivalence,
                Margin::Difference(0.15),
                -0.8349824263241205,
                0.2018638015724002,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Noninferiority,
                Margin::Ratio(0.8),
                2.177608622108943,
                0.014717593544153066,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Superiority,
                Margin::Ratio(1.25),
                -0.9036992896800642,
                0.8169225620608871,
            ),
            (
                (30, 40, 28, 41),
                Hypothesis::Equivalence,
                Margin::Ratio(0.8),
                -0.9036992896800642,
                0.1830774379391129,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Difference(0.1),
                1.4648317865385756,
                0.07148340860229574,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Difference(0.2),
                2.432874550141993,
                0.00748974489892318,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Difference(0.0),
                0.5058579404262188,
                0.3064781901597536,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Difference(0.05),
                0.025333171804164025,
                0.48989460757113706,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Equivalence,
                Margin::Difference(0.15),
                -0.9418122689376844,
                0.1731443813044452,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Noninferiority,
                Margin::Ratio(0.8),
                1.131369026587234,
                0.1289499011969363,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Superiority,
                Margin::Ratio(1.25),
                -0.11286065185041132,
                0.5449294838851623,
            ),
            (
                (12, 38, 10, 38),
                Hypothesis::Equivalence,
                Margin::Ratio(0.8),
                -0.11286065185041132,
                0.4550705161148377,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Noninferiority,
                Margin::Difference(0.1),
                1.8037871387243867,
                0.035632341413129,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Noninferiority,
                Margin::Difference(0.2),
                3.0627303052312818,
                0.001096638154588374,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Superiority,
                Margin::Difference(0.0),
                0.31960138605029653,
                0.3746352617642286,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Superiority,
                Margin::Difference(0.05),
                -0.4754331514427823,
                0.6827608650152514,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Equivalence,
                Margin::Difference(0.15),
                -1.9158877807435084,
                0.027689690578716678,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Noninferiority,
                Margin::Ratio(0.8),
                2.8518581871468864,
                0.0021732243321333313,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Superiority,
                Margin::Ratio(1.25),
                -2.3696490549360236,
                0.9910975116729807,
            ),
            (
                (45, 50, 44, 50),
                Hypothesis::Equivalence,
                Margin::Ratio(0.8),
                -2.3696490549360236,
                0.008902488327019393,
            ),
        ];
        for ((xt, nt, xc, nc), h, m, z, p) in cases {
            let r = margin_test(bin(xt, nt), bin(xc, nc), h, m, Level::NINETY_FIVE).unwrap();
            let what = format!("{xt}/{nt} vs {xc}/{nc} {h:?} {m:?}");
            assert_rel(r.z, z, 1e-12, &format!("{what} z"));
            assert_rel(r.p_value, p, 1e-9, &format!("{what} p"));
            assert_eq!(r.rejected, p < 0.025, "{what}");
        }
    }

    /// The conclusion agrees with the matching Miettinen-Nurminen interval lying beyond the
    /// margin, away from the borderline (where the N/(N - 1) factor may tip one of them).
    #[test]
    fn conclusions_agree_with_the_matching_interval() {
        let mut seen = [0usize; 2];
        for xt in (0..=40).step_by(3) {
            for xc in (0..=40).step_by(4) {
                let (t, c) = (bin(xt, 40), bin(xc, 40));
                for (h, m) in [
                    (Hypothesis::Noninferiority, Margin::Difference(0.1)),
                    (Hypothesis::Superiority, Margin::Difference(0.05)),
                    (Hypothesis::Noninferiority, Margin::Ratio(0.8)),
                ] {
                    let Some(r) = margin_test(t, c, h, m, Level::NINETY_FIVE) else {
                        continue;
                    };
                    let i = r.interval.unwrap();
                    let bound = match (h, m) {
                        (Hypothesis::Noninferiority, Margin::Difference(d)) => -d,
                        (_, Margin::Difference(d)) | (_, Margin::Ratio(d)) => d,
                    };
                    if (r.p_value - 0.025).abs() < 0.005 {
                        continue;
                    }
                    assert_eq!(r.rejected, i.low > bound, "{t:?} {c:?} {h:?} {m:?} {r:?}");
                    seen[usize::from(r.rejected)] += 1;
                }
            }
        }
        assert!(seen[0] > 10 && seen[1] > 10, "{seen:?}");
    }

    #[test]
    fn margins_are_checked_against_the_hypothesis() {
        assert!(
            Margin::Difference(0.1)
                .check(Hypothesis::Noninferiority)
                .is_ok()
        );
        assert!(
            Margin::Difference(0.0)
                .check(Hypothesis::Superiority)
                .is_ok()
        );
        assert!(
            Margin::Difference(0.0)
                .check(Hypothesis::Equivalence)
                .is_err()
        );
        assert!(
            Margin::Difference(1.0)
                .check(Hypothesis::Noninferiority)
                .is_err()
        );
        assert!(Margin::Ratio(0.8).check(Hypothesis::Equivalence).is_ok());
        assert!(
            Margin::Ratio(1.2)
                .check(Hypothesis::Noninferiority)
                .is_err()
        );
        assert!(Margin::Ratio(0.9).check(Hypothesis::Superiority).is_err());
        let e = Margin::Difference(-0.1)
            .check(Hypothesis::Noninferiority)
            .unwrap_err();
        assert!(e.contains("-0.1") && e.contains("0.1 for 10 points"), "{e}");
    }
}

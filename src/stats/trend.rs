//! The Cochran-Armitage test for a trend in responder rates across ordered dose arms.
//!
//! Why: pairwise comparisons against control ask "does this dose beat nothing?"; a dosing
//! trial's question is "does more dose give more responders?". The trend test answers it with
//! one degree of freedom, using every arm, and is what SAS PROC FREQ (`TREND`) and R
//! (`prop.trend.test`) report.
//!
//! Arms `i` with `x_i` responders out of `n_i` and a dose score `s_i` (trialdose scores each arm
//! by its planned minutes per week, control 0; equal scores are allowed). With `N = Σ n_i`,
//! `p̄ = Σ x_i / N` and `s̄ = Σ n_i s_i / N`:
//!
//! ```text
//! T = Σ x_i (s_i − s̄),   Var(T) = p̄ (1 − p̄) Σ n_i (s_i − s̄)²,   Z = T / √Var(T)
//! ```
//!
//! This is the textbook variance with divisor `N` (SAS PROC FREQ; R's `prop.trend.test`, whose
//! chi-square is `Z²`), not the permutation variance with `N − 1` (R `coin`). Z is positive
//! when the rate rises with the score. Reported: the two-sided p `P(|Z'| >= |Z|)` and the
//! one-sided p `P(Z' >= Z)` for the alternative that the rate rises with dose (SAS prints the
//! one-sided p in the direction of the observed Z; here it is always the rising direction, so
//! a falling trend gives a one-sided p above 0.5).
//!
//! Undefined (None) when there are no participants, when every participant or none responded
//! (`p̄` is 0 or 1), or when all participants share one score.
//!
//! References: W. G. Cochran, Biometrics 10 (1954) 417-451; P. Armitage, Biometrics 11 (1955)
//! 375-386; A. Agresti, Categorical Data Analysis, 2nd ed. (2002), §5.3.5; SAS/STAT 15.1 PROC
//! FREQ, "Cochran-Armitage Test for Trend".

use super::Binomial;
use super::special::normal_upper_tail;

/// One arm of a trend test: its responders and its dose score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredArm {
    /// Responders out of participants.
    pub counts: Binomial,
    /// Dose score (planned minutes per week; control 0).
    pub score: f64,
}

/// Result of the Cochran-Armitage test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrendTest {
    /// The standardized statistic Z (positive: rates rise with the score).
    pub z: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// One-sided p-value for a rising trend, `P(Z' >= Z)`.
    pub p_one_sided: f64,
}

/// The Cochran-Armitage trend test over the arms (formula in the module documentation).
#[must_use]
pub fn cochran_armitage(arms: &[ScoredArm]) -> Option<TrendTest> {
    let n: u64 = arms.iter().map(|a| a.counts.trials()).sum();
    let x: u64 = arms.iter().map(|a| a.counts.successes()).sum();
    if n == 0 || x == 0 || x == n {
        return None;
    }
    let nf = n as f64;
    let mean_score = arms
        .iter()
        .map(|a| a.counts.trials() as f64 * a.score)
        .sum::<f64>()
        / nf;
    let (mut t, mut spread) = (0.0, 0.0);
    for a in arms {
        let centred = a.score - mean_score;
        t += a.counts.successes() as f64 * centred;
        spread += a.counts.trials() as f64 * centred * centred;
    }
    let p = x as f64 / nf;
    let variance = p * (1.0 - p) * spread;
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let z = t / variance.sqrt();
    Some(TrendTest {
        z,
        p_two_sided: (2.0 * normal_upper_tail(z.abs())).min(1.0),
        p_one_sided: normal_upper_tail(z),
    })
}

// Reference values are copied with every digit their source printed (17 significant digits).
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_rel;

    /// mpmath at 50 digits of the same formula (tests/reference/trend.py); R 4.2.2
    /// prop.trend.test's X-squared equals Z² to 1e-15.
    const REFERENCE_REL: f64 = 1e-12;

    fn arms(x: &[u64], n: &[u64], s: &[f64]) -> Vec<ScoredArm> {
        x.iter()
            .zip(n)
            .zip(s)
            .map(|((&x, &n), &score)| ScoredArm {
                counts: Binomial::new(x, n).unwrap(),
                score,
            })
            .collect()
    }

    #[test]
    fn matches_sas_documentation_example() {
        // SAS/STAT PROC FREQ, "Example: Cochran-Armitage Trend Test" (data Pain, Dose 0-4 with
        // (No, Yes) = (26, 6), (26, 7), (23, 9), (18, 14), (9, 23)); SAS tests the proportion of
        // the first row, Adverse = 'No', and prints Z = -4.7918. Here for 'Yes' the sign flips.
        let no = cochran_armitage(&arms(
            &[26, 26, 23, 18, 9],
            &[32, 33, 32, 32, 32],
            &[0., 1., 2., 3., 4.],
        ))
        .unwrap();
        assert_rel(no.z, -4.791812576039571, REFERENCE_REL, "Z for No");
        assert!((no.z - -4.7918).abs() < 5e-5, "SAS prints -4.7918");
        assert_rel(
            no.p_two_sided,
            1.6528126887567227e-6,
            REFERENCE_REL,
            "two-sided",
        );
        assert_rel(
            no.p_one_sided,
            0.99999917359365562,
            REFERENCE_REL,
            "one-sided, rising",
        );
        let yes = cochran_armitage(&arms(
            &[6, 7, 9, 14, 23],
            &[32, 33, 32, 32, 32],
            &[0., 1., 2., 3., 4.],
        ))
        .unwrap();
        assert_rel(yes.z, 4.791812576039571, REFERENCE_REL, "Z for Yes");
        // R 4.2.2 prop.trend.test(c(6,7,9,14,23), c(32,33,32,32,32)): X-squared
        // 22.961467763890997, p 1.6528126887567163e-06.
        assert_rel(
            yes.z * yes.z,
            22.961467763890997,
            REFERENCE_REL,
            "R X-squared",
        );
        assert_rel(
            yes.p_one_sided,
            8.2640634437836135e-7,
            REFERENCE_REL,
            "one-sided",
        );
    }

    #[test]
    fn matches_r_prop_trend_test_on_dose_arms() {
        // Scores are minutes per week; R 4.2.2 prop.trend.test(x, n, score) X-squared = Z².
        let cases = [
            (
                arms(&[10, 11, 22, 25, 30], &[38; 5], &[0., 60., 90., 120., 180.]),
                (
                    5.3712030810341491,
                    7.8213066503674094e-8,
                    3.9106533251837047e-8,
                ),
            ),
            // Equal scores (30x2 and 60x1 both 60 minutes a week) are allowed.
            (
                arms(
                    &[10, 11, 13, 22, 25, 30],
                    &[38; 6],
                    &[0., 60., 90., 60., 120., 180.],
                ),
                (
                    5.0130076124264286,
                    5.3585776025519284e-7,
                    2.6792888012759642e-7,
                ),
            ),
            (
                arms(&[3, 5, 9], &[20, 25, 30], &[0., 1., 2.]),
                (1.2782145985509919, 0.20117377012846273, 0.10058688506423137),
            ),
        ];
        for (groups, (z, p2, p1)) in cases {
            let got = cochran_armitage(&groups).unwrap();
            assert_rel(got.z, z, REFERENCE_REL, "Z");
            assert_rel(got.p_two_sided, p2, REFERENCE_REL, "two-sided p");
            assert_rel(got.p_one_sided, p1, REFERENCE_REL, "one-sided p");
        }
    }

    #[test]
    fn undefined_without_variation() {
        // Nobody or everybody responded; one score for all; no participants.
        assert_eq!(cochran_armitage(&arms(&[0, 0], &[10, 10], &[0., 1.])), None);
        assert_eq!(
            cochran_armitage(&arms(&[10, 10], &[10, 10], &[0., 1.])),
            None
        );
        assert_eq!(cochran_armitage(&arms(&[3, 5], &[10, 10], &[2., 2.])), None);
        assert_eq!(cochran_armitage(&arms(&[0, 0], &[0, 0], &[0., 1.])), None);
        assert_eq!(cochran_armitage(&[]), None);
        // An empty arm contributes nothing.
        let with_empty = cochran_armitage(&arms(&[3, 0, 9], &[20, 0, 30], &[0., 1., 2.])).unwrap();
        let without = cochran_armitage(&arms(&[3, 9], &[20, 30], &[0., 2.])).unwrap();
        assert_rel(with_empty.z, without.z, 1e-15, "empty arm");
    }
}

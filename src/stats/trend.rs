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
    if !(variance > 0.0) {
        return None;
    }
    let z = t / variance.sqrt();
    Some(TrendTest {
        z,
        p_two_sided: (2.0 * normal_upper_tail(z.abs())).min(1.0),
        p_one_sided: normal_upper_tail(z),
    })
}

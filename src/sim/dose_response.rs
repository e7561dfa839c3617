//! The `dose-response` model: one curve over the schedule's parts, fitted to every arm of the
//! evidence by maximum likelihood, so that untested schedules can be predicted.
//!
//! Model. A session shorter than a threshold θ minutes is assumed to do nothing, and the
//! minutes beyond θ add up over the course:
//!
//! ```text
//! D(s)       = per_week × (weeks / 4) × max(0, minutes − θ) / 60     (effective hours a week, 4-week units)
//! logit p(s) = α + β · D(s)                                            (control: D = 0)
//! ```
//!
//! `α` and `β` are fitted by Newton's method on the binomial likelihood of the evidence arms
//! (fractional responder counts allowed); θ by profile likelihood over 0, 5, ..., 55 minutes
//! when the evidence has treated arms of at least two session lengths, else θ = 0 and the output
//! warns that the evidence cannot tell whether shorter sessions help. Each replicate draws
//! `(α, β)` from the normal approximation of their sampling distribution, N(MLE, I⁻¹) (I the
//! observed information), so predictions carry the parameter uncertainty; θ is held at its
//! estimate (its uncertainty is not carried, and the output says so).
//!
//! On DREAM's published arms (all 60-minute sessions) θ cannot be estimated; on a cohort with
//! 30- and 60-minute arms such as `data/dream-like`, the profile puts θ at or above 30 minutes,
//! which is the model's way of saying that 30-minute sessions did not help.

use rand_chacha::ChaCha8Rng;

use super::evidence::Evidence;
use super::patients::uniform01;
use super::schedule::Plan;
use super::{Field, SimError};
use crate::domain::PrimaryOutcome;
use crate::stats::glm;

/// A fit at one threshold: (θ, (α, β), covariance, log-likelihood).
type Candidate = (f64, (f64, f64), [f64; 3], f64);

/// Thresholds tried by the profile likelihood, in minutes.
const THETA_GRID: [f64; 12] = [
    0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0,
];

/// A fitted dose-response curve for one outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DoseFit {
    /// The outcome.
    pub outcome: PrimaryOutcome,
    /// Threshold θ in minutes.
    pub theta: f64,
    /// Whether θ was estimated (false: fixed at 0, one session length in the evidence).
    pub theta_estimated: bool,
    /// The thresholds whose profile log-likelihood is within 1.92 of the best (an approximate
    /// 95% likelihood set, χ²₁/2): the data cannot tell these apart.
    pub theta_set: (f64, f64),
    /// Intercept α (logit of the control rate).
    pub alpha: f64,
    /// Slope β per effective hour a week.
    pub beta: f64,
    /// Covariance of (α, β): [var α, cov, var β].
    pub covariance: [f64; 3],
    /// Deviance of the fit against the saturated model.
    pub deviance: f64,
    /// Per evidence arm: label, dose, observed rate, fitted rate.
    pub arms: Vec<(String, f64, f64, f64)>,
    /// Range of the evidence: (min, max) dose, minutes, per week, weeks of treated arms.
    pub range: [(f64, f64); 4],
}

/// Effective dose of a plan at threshold θ.
#[must_use]
pub fn dose(plan: Plan, theta: f64) -> f64 {
    match plan {
        Plan::Control => 0.0,
        Plan::Treated(s) => {
            f64::from(s.per_week()) * f64::from(s.weeks()) / 4.0
                * (f64::from(s.minutes()) - theta).max(0.0)
                / 60.0
        }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Binomial log-likelihood of (α, β) at doses `d` with counts `(x, n)`.
fn log_likelihood(data: &[(f64, f64, f64)], alpha: f64, beta: f64) -> f64 {
    data.iter()
        .map(|&(d, x, n)| {
            let eta = alpha + beta * d;
            // x ln p + (n − x) ln(1 − p), stably.
            let ln1p = -(eta.max(0.0) + (-eta.abs()).exp().ln_1p());
            x * (eta + ln1p) + (n - x) * (ln1p)
        })
        .sum::<f64>()
}

/// The logistic fit of (α, β) to grouped rows `(dose, responders, n)` through the crate's one
/// solver ([`glm::fit`]); returns the estimate and the inverse information `[vaa, vab, vbb]`,
/// or `None` when the estimate does not exist (separation, collinear doses, no convergence).
fn fit_logit(data: &[(f64, f64, f64)]) -> Option<((f64, f64), [f64; 3])> {
    let x: Vec<f64> = data.iter().flat_map(|&(d, _, _)| [1.0, d]).collect();
    let y: Vec<f64> = data.iter().map(|&(_, r, _)| r).collect();
    let n: Vec<f64> = data.iter().map(|&(_, _, n)| n).collect();
    let design = glm::Design {
        x: &x,
        columns: 2,
        y: &y,
        trials: Some(&n),
    };
    let fit = glm::fit(glm::Model::Logistic, &design).ok()?;
    let (c, v) = (&fit.coefficients, &fit.covariance);
    Some(((c[0], c[1]), [v[0], v[1], v[3]]))
}

impl DoseFit {
    /// Fits the curve of `outcome` to the evidence arms that have its rates.
    ///
    /// # Errors
    /// [`SimError::Invalid`] when fewer than two arms (with different doses) have rates, or the
    /// fit does not converge.
    pub fn fit(evidence: &Evidence, outcome: PrimaryOutcome) -> Result<DoseFit, SimError> {
        let arms: Vec<(Plan, f64, f64)> = evidence
            .arms
            .iter()
            .filter_map(|a| {
                evidence
                    .counts(a.plan, outcome)
                    .map(|c| (a.plan, c.responders, c.n))
            })
            .collect();
        let minutes: Vec<u32> = arms
            .iter()
            .filter_map(|(p, _, _)| match p {
                Plan::Treated(s) => Some(s.minutes()),
                Plan::Control => None,
            })
            .collect();
        let distinct_lengths = {
            let mut m = minutes.clone();
            m.sort_unstable();
            m.dedup();
            m.len()
        };
        let theta_estimated = distinct_lengths >= 2;
        let max_minutes = f64::from(minutes.iter().copied().max().unwrap_or(0));
        let grid: Vec<f64> = if theta_estimated {
            // The longest sessions must keep some effect.
            THETA_GRID
                .iter()
                .copied()
                .filter(|&t| t < max_minutes)
                .collect()
        } else {
            vec![0.0]
        };
        let mut best: Option<Candidate> = None;
        let mut profile: Vec<(f64, f64)> = Vec::new();
        for &theta in &grid {
            let data: Vec<(f64, f64, f64)> = arms
                .iter()
                .map(|&(p, x, n)| (dose(p, theta), x, n))
                .collect();
            let distinct = data.iter().any(|d| d.0 != data[0].0);
            if !distinct {
                continue;
            }
            if let Some((est, cov)) = fit_logit(&data) {
                let ll = log_likelihood(&data, est.0, est.1);
                profile.push((theta, ll));
                if best.as_ref().is_none_or(|b| ll > b.3 + 1e-9) {
                    best = Some((theta, est, cov, ll));
                }
            }
        }
        let Some((theta, (alpha, beta), covariance, _)) = best else {
            return Err(SimError::invalid(
                Field::Model,
                "dose-response",
                format!(
                    "the {} evidence has too few arms with {} rates at different doses to fit a curve (need two, e.g. control and one schedule)",
                    evidence.name,
                    outcome.as_str()
                ),
            ));
        };
        let best_ll = best.map_or(f64::NEG_INFINITY, |b| b.3);
        let near: Vec<f64> = profile
            .iter()
            .filter(|(_, ll)| *ll >= best_ll - 1.92)
            .map(|(t, _)| *t)
            .collect();
        let theta_set = (
            near.iter().copied().fold(theta, f64::min),
            near.iter().copied().fold(theta, f64::max),
        );
        let mut deviance = 0.0;
        let mut fitted_arms = Vec::new();
        let mut range = [(f64::INFINITY, f64::NEG_INFINITY); 4];
        for &(plan, x, n) in &arms {
            let d = dose(plan, theta);
            let p = logistic(alpha + beta * d);
            let term = |o: f64, e: f64| if o > 0.0 { 2.0 * o * (o / e).ln() } else { 0.0 };
            deviance += term(x, n * p) + term(n - x, n * (1.0 - p));
            fitted_arms.push((plan.label(), d, x / n, p));
            if let Plan::Treated(s) = plan {
                for (slot, v) in range.iter_mut().zip([
                    d,
                    f64::from(s.minutes()),
                    f64::from(s.per_week()),
                    f64::from(s.weeks()),
                ]) {
                    slot.0 = slot.0.min(v);
                    slot.1 = slot.1.max(v);
                }
            }
        }
        Ok(DoseFit {
            outcome,
            theta,
            theta_estimated,
            theta_set,
            alpha,
            beta,
            covariance,
            deviance,
            arms: fitted_arms,
            range,
        })
    }

    /// The fitted rate of a plan.
    #[must_use]
    pub fn rate(&self, plan: Plan) -> f64 {
        logistic(self.alpha + self.beta * dose(plan, self.theta))
    }

    /// One draw of (α, β) from N(MLE, covariance).
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> (f64, f64) {
        let (z1, z2) = normal_pair(rng);
        let [vaa, vab, vbb] = self.covariance;
        let l11 = vaa.max(0.0).sqrt();
        let l21 = if l11 > 0.0 { vab / l11 } else { 0.0 };
        let l22 = (vbb - l21 * l21).max(0.0).sqrt();
        (self.alpha + l11 * z1, self.beta + l21 * z1 + l22 * z2)
    }

    /// Rate of `plan` under drawn parameters.
    #[must_use]
    pub fn rate_with(&self, params: (f64, f64), plan: Plan) -> f64 {
        logistic(params.0 + params.1 * dose(plan, self.theta))
    }

    /// Warnings for a plan outside the evidence's range.
    #[must_use]
    pub fn warnings(&self, plan: Plan) -> Vec<String> {
        let mut out = Vec::new();
        let Plan::Treated(s) = plan else { return out };
        let names = [
            "effective dose",
            "minutes per session",
            "sessions per week",
            "weeks",
        ];
        let values = [
            dose(plan, self.theta),
            f64::from(s.minutes()),
            f64::from(s.per_week()),
            f64::from(s.weeks()),
        ];
        for ((name, v), (lo, hi)) in names.iter().zip(values).zip(self.range) {
            if v < lo || v > hi {
                out.push(format!(
                    "{}: {name} {v} lies outside the evidence's range {lo} to {hi}; the {} prediction is an extrapolation",
                    plan.label(),
                    self.outcome.as_str()
                ));
            }
        }
        let only_length = self.range[1].0;
        if !self.theta_estimated && f64::from(s.minutes()) != only_length {
            out.push(format!(
                "{}: the evidence has one session length, so it cannot tell whether {}-minute sessions help; the curve assumes every minute counts",
                plan.label(),
                s.minutes()
            ));
        }
        let m = f64::from(s.minutes());
        if self.theta_estimated {
            let (lo, hi) = self.theta_set;
            if m <= self.theta {
                let caveat = if lo < m {
                    format!(
                        "; thresholds from {lo} to {hi} minutes fit about as well (likelihood within 1.92), so this rests on the best fit only"
                    )
                } else {
                    String::new()
                };
                out.push(format!(
                    "{}: sessions of {} minutes are at or below the fitted threshold of {} minutes: the model predicts no benefit over control{caveat}",
                    plan.label(),
                    s.minutes(),
                    self.theta
                ));
            } else if m <= hi {
                out.push(format!(
                    "{}: the evidence cannot tell thresholds from {lo} to {hi} minutes apart, so whether {}-minute sessions help is not known (the curve uses {} minutes)",
                    plan.label(),
                    s.minutes(),
                    self.theta
                ));
            }
        }
        out
    }
}

/// Two independent standard normal draws (Box-Muller on value-stable uniforms).
fn normal_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u1 = 1.0 - uniform01(rng); // in (0, 1]
    let u2 = uniform01(rng);
    let r = (-2.0 * u1.ln()).sqrt();
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_curve() {
        // Data exactly on logit p = -1 + 0.5 D with large n: the fit returns the curve.
        let p = |d: f64| logistic(-1.0 + 0.5 * d);
        let data: Vec<(f64, f64, f64)> = [0.0, 1.0, 2.0, 3.0]
            .iter()
            .map(|&d| (d, 1e6 * p(d), 1e6))
            .collect();
        let ((a, b), cov) = fit_logit(&data).unwrap();
        assert!((a + 1.0).abs() < 1e-9 && (b - 0.5).abs() < 1e-9, "{a} {b}");
        assert!(cov[0] > 0.0 && cov[2] > 0.0);
    }

    #[test]
    fn dream_fits_its_three_arms_and_warns_about_session_length() {
        let fit = DoseFit::fit(&Evidence::dream(), PrimaryOutcome::Pain).unwrap();
        assert!(!fit.theta_estimated);
        assert!(fit.beta > 0.0, "more dose, more responders");
        // Control 0.26, 60x2 0.63, 60x3 0.76: a two-parameter curve fits them within a few
        // points.
        for (label, _, observed, fitted) in &fit.arms {
            assert!(
                (observed - fitted).abs() < 0.06,
                "{label}: {observed} vs {fitted}"
            );
        }
        let w = fit.warnings(Plan::parse("30x2").unwrap());
        assert!(w.iter().any(|m| m.contains("one session length")), "{w:?}");
        let w = fit.warnings(Plan::parse("60x5x8").unwrap());
        assert!(
            w.iter().any(|m| m.contains("outside the evidence's range")),
            "{w:?}"
        );
    }
}

//! Evidence fitted from a cohort folder (`--evidence COHORT`): responder counts per arm, the
//! attendance law and the adverse-event rate, from the cohort's own rows.
//!
//! - Responders: the ITT counts of `analyze` (missing outcome = non-responder), per arm and
//!   outcome, from the same code path ([`crate::analysis::analyze`]).
//! - Attendance: each treated participant's attended share of planned sessions
//!   (`min(attended, planned) / planned`) is a beta-binomial observation; the Beta law of the
//!   per-session probability is fitted by the method of moments: with mean share μ, variance V
//!   and mean planned sessions n̄, the intra-patient correlation is
//!   `ρ = (n̄ V / (μ(1 − μ)) − 1) / (n̄ − 1)` and `a + b = 1/ρ − 1` (a fixed probability μ when
//!   ρ <= 0, i.e. no more spread than chance).
//! - Adverse events: with a share `s` of treated participants having an event and `k̄` sessions
//!   attended on average, the per-session probability is `1 − (1 − s)^(1/k̄)`.
//!
//! A cohort with rejected rows is refused: evidence should not silently rest on part of the
//! data (run `trialdose validate` and fix the rows).

use std::path::Path;

use super::evidence::{Counts, Evidence, EvidenceArm};
use super::schedule::Plan;
use super::{Field, SimError};
use crate::analysis::{self, AnalysisOptions};
use crate::cohort::{Cohort, LoadOptions};
use crate::derive::{self, Flags};

/// Why a cohort could not serve as evidence.
#[derive(Debug, thiserror::Error)]
pub enum CohortEvidenceError {
    /// The cohort could not be read.
    #[error(transparent)]
    Cohort(#[from] crate::cohort::CohortError),
    /// Rows were rejected.
    #[error(
        "cohort {path}: {rejected} row(s) rejected; run `trialdose validate {path}` and fix them before using the cohort as evidence"
    )]
    Rejected {
        /// The folder.
        path: String,
        /// Rejections.
        rejected: usize,
    },
    /// The analysis failed.
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    /// Nothing to fit.
    #[error(transparent)]
    Invalid(#[from] SimError),
}

/// Fits the evidence of the cohort in `dir` (module documentation).
///
/// # Errors
/// [`CohortEvidenceError`] when the cohort cannot be read, has rejected rows, or has no
/// participants.
pub fn from_cohort(dir: &Path, threads: usize) -> Result<Evidence, CohortEvidenceError> {
    let cohort = Cohort::load(
        dir,
        LoadOptions {
            threads,
            digests: false,
        },
    )?;
    if !cohort.ledger.is_empty() {
        return Err(CohortEvidenceError::Rejected {
            path: dir.display().to_string(),
            rejected: cohort.ledger.rejections().len(),
        });
    }
    let derived = derive::derive(&cohort, threads);
    let options = AnalysisOptions::default();
    let result = analysis::analyze(&cohort, &derived, options)?;
    fitted(&cohort, &derived, &result, dir)
}

/// The evidence of an analysed cohort (ITT counts of `result`, attendance and adverse events
/// from `derived`); `dir` names it.
///
/// # Errors
/// [`CohortEvidenceError::Invalid`] when no participant is treated.
pub fn fitted(
    cohort: &Cohort,
    derived: &[crate::derive::Derived],
    result: &analysis::Analysis,
    dir: &Path,
) -> Result<Evidence, CohortEvidenceError> {
    let counts = |responders: u64, n: u64| {
        (n > 0).then_some(Counts {
            responders: responders as f64,
            n: n as f64,
        })
    };
    let arms: Vec<EvidenceArm> = cohort
        .protocol
        .arms()
        .iter()
        .zip(&result.arms)
        .map(|(arm, summary)| EvidenceArm {
            plan: arm.schedule().map_or(Plan::Control, Plan::Treated),
            pain: counts(summary.pain.responders, summary.pain.n),
            ndi: counts(summary.ndi.responders, summary.ndi.n),
        })
        .collect();
    // Attendance and adverse events of treated participants.
    let (mut shares, mut planned_total, mut attended_total, mut with_event) =
        (Vec::new(), 0.0, 0.0, 0.0);
    for d in derived {
        if let Some(planned) = d.sessions_planned.filter(|&p| p > 0) {
            let attended = d.sessions_attended.min(planned);
            shares.push(f64::from(attended) / f64::from(planned));
            planned_total += f64::from(planned);
            attended_total += f64::from(attended);
            with_event += f64::from(u8::from(d.flags.contains(Flags::ADVERSE_EVENT)));
        }
    }
    if shares.is_empty() {
        return Err(SimError::invalid(
            Field::Evidence,
            dir.display(),
            "no treated participants to fit attendance from",
        )
        .into());
    }
    let m = shares.len() as f64;
    let mu = shares.iter().sum::<f64>() / m;
    let var = shares.iter().map(|s| (s - mu) * (s - mu)).sum::<f64>() / m;
    let n_bar = planned_total / m;
    let attendance = fit_attendance(mu, var, n_bar);
    let k_bar = attended_total / m;
    let share_event = with_event / m;
    let adverse_per_session = if k_bar > 0.0 {
        1.0 - (1.0 - share_event).powf(1.0 / k_bar)
    } else {
        0.0
    };
    Ok(Evidence {
        name: dir.display().to_string(),
        source: format!(
            "cohort {}: ITT responders per arm (missing = non-responder), attendance and adverse events fitted from its rows",
            dir.display()
        ),
        arms,
        attendance,
        adverse_per_session,
    })
}

/// Method-of-moments Beta `(a, b)` of the per-session attendance probability (module docs);
/// a near-degenerate Beta (κ = 1e6) when the shares spread no more than chance.
#[must_use]
pub fn fit_attendance(mu: f64, var: f64, n_bar: f64) -> (f64, f64) {
    let mu = mu.clamp(1e-6, 1.0 - 1e-6);
    let rho = if n_bar > 1.0 {
        (n_bar * var / (mu * (1.0 - mu)) - 1.0) / (n_bar - 1.0)
    } else {
        0.0
    };
    let kappa = if rho > 1e-6 {
        (1.0 / rho - 1.0).max(1e-3)
    } else {
        1e6
    };
    (mu * kappa, (1.0 - mu) * kappa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_fit_recovers_a_beta_binomial() {
        // Beta(13.2, 1.15) over 8 sessions: mean share μ = a/(a+b); variance of the share
        // μ(1−μ)/n · (1 + (n−1)ρ) with ρ = 1/(a+b+1) (beta-binomial moments).
        let (a, b, n) = (13.2, 1.15, 8.0);
        let mu = a / (a + b);
        let rho = 1.0 / (a + b + 1.0);
        let var = mu * (1.0 - mu) / n * (1.0 + (n - 1.0) * rho);
        let (fa, fb) = fit_attendance(mu, var, n);
        assert!((fa - a).abs() < 1e-9 && (fb - b).abs() < 1e-9, "{fa} {fb}");
        // No extra spread: essentially a fixed probability.
        let (fa, fb) = fit_attendance(0.9, 0.9 * 0.1 / 8.0, 8.0);
        assert!(fa + fb >= 1e5);
    }
}

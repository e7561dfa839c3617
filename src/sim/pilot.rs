//! A target Monte Carlo standard error instead of a replicate count: a pilot of
//! [`PILOT_REPS`] replicates (same seed) estimates the per-replicate variance of the headline
//! shares, and the run takes `R = ⌈V / E²⌉` replicates (at least the pilot's), so that
//! `MCSE = √(V / R) ≤ E`.
//!
//! Headline shares: each treatment arm's rejection share and the trend test's in a trial
//! (variance `p(1 − p)`, at least `1/R` so a pilot with no hits still counts); each outcome's
//! responder share among the patients in a clinic (the variance of `K/N` over replicates).

use super::run::Prepared;
use super::runner::Shard;
use super::spec::MAX_REPS;
use super::{Field, SimError};

/// Replicates of the pilot run.
pub const PILOT_REPS: u64 = 2_000;

/// Replicates reaching `target` MCSE given the largest per-replicate variance of the headline
/// shares seen in the pilot.
///
/// # Errors
/// [`SimError::Invalid`] when the target is outside (0, 0.5] or needs more than [`MAX_REPS`].
pub fn reps_for(target: f64, variance: f64) -> Result<u64, SimError> {
    if !(target > 0.0 && target <= 0.5) {
        return Err(SimError::invalid(
            Field::TargetMcse,
            target,
            "outside (0, 0.5]; e.g. 0.005 for power known to half a point",
        ));
    }
    let reps = (variance / (target * target)).ceil().max(PILOT_REPS as f64);
    if reps > MAX_REPS as f64 {
        return Err(SimError::invalid(
            Field::TargetMcse,
            target,
            format!("needs {reps:.0} replicates, more than {MAX_REPS}; ask for a larger MCSE"),
        ));
    }
    Ok(reps as u64)
}

/// Runs the pilot of a run with a target MCSE and returns the run with the replicates chosen;
/// a run without a target is returned as it is.
///
/// # Errors
/// [`SimError::Invalid`] when the target cannot be reached within [`MAX_REPS`].
pub fn choose_reps(prepared: Prepared, threads: usize) -> Result<Prepared, SimError> {
    let Some(target) = prepared.spec().target_mcse() else {
        return Ok(prepared);
    };
    let variance = if let Some(pilot) = prepared.clinic_tally(PILOT_REPS, Shard::ALL, threads) {
        let n = match prepared.spec().design() {
            super::spec::Design::Clinic { patients, .. } => f64::from(*patients),
            _ => 1.0,
        };
        // Variance of each outcome's responder share across replicates.
        pilot
            .responders
            .iter()
            .map(|hist| {
                let r = pilot.reps as f64;
                let (m1, m2) = hist
                    .iter()
                    .enumerate()
                    .fold((0.0, 0.0), |(m1, m2), (k, &c)| {
                        let share = k as f64 / n;
                        (m1 + share * c as f64 / r, m2 + share * share * c as f64 / r)
                    });
                (m2 - m1 * m1).max(0.0)
            })
            .fold(0.0, f64::max)
    } else if let Some(pilot) = prepared.trial_tally(PILOT_REPS, Shard::ALL, threads) {
        let share = |hits: u64| {
            let p = hits as f64 / pilot.reps as f64;
            // At least the variance of a share of 1/R, so a pilot with no hits still counts.
            (p * (1.0 - p)).max(1.0 / pilot.reps as f64)
        };
        pilot
            .rejections
            .get(1..)
            .unwrap_or_default()
            .iter()
            .chain(std::iter::once(&pilot.trend_rejections))
            .map(|&h| share(h))
            .fold(0.0, f64::max)
    } else {
        return Ok(prepared);
    };
    let reps = reps_for(target, variance)?;
    prepared.with_reps(reps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_reach_the_target() {
        // The smallest R with √(V/R) ≤ E (p = 0.5, V = 0.25; E = 0.004: about 15,625).
        let r = reps_for(0.004, 0.25).unwrap();
        assert!((0.25 / r as f64).sqrt() <= 0.004 * (1.0 + 1e-12), "{r}");
        assert!(
            (0.25 / (r - 1) as f64).sqrt() > 0.004 * (1.0 - 1e-12),
            "{r}"
        );
        // Never fewer than the pilot.
        assert_eq!(reps_for(0.5, 0.25).unwrap(), PILOT_REPS);
        assert!(reps_for(0.0, 0.25).is_err());
        assert!(reps_for(1e-6, 0.25).is_err());
    }
}

//! `simulate sample-size`: the smallest per-arm size whose simulated power reaches a target.
//!
//! Power here is the smallest power over the treatment arms (every arm must reach the target).
//! Every candidate size is simulated with the same seed (common random numbers), which makes
//! the power curve smooth in n. The search doubles n until the target is reached, then bisects
//! for the smallest n that reaches it (power need not be monotone for a discrete test, so the
//! answer is the smallest n found by the bisection, with n − 1 checked below the target). When
//! the power at n or at n − 1 lies within two Monte Carlo standard errors of the target, the
//! Monte Carlo error could flip the answer: the replicates are doubled (up to 16 times the
//! request) and the search is repeated. The powers at n and n − 1 are reported with their MCSE.

use super::runner::Shard;
use super::trial::{self, TrialDesign};
use super::{Estimate, Field, SimError};

/// Largest per-arm size searched.
pub const MAX_PER_ARM: u64 = 100_000;

/// The answer of a sample-size search.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleSize {
    /// Smallest per-arm size reaching the target.
    pub per_arm: u64,
    /// Power at `per_arm`.
    pub power_at_per_arm: Estimate,
    /// Power at `per_arm − 1` (below the target).
    pub power_at_per_arm_minus_1: Estimate,
    /// Replicates per candidate in the final search.
    pub reps: u64,
    /// Every size the final search simulated, with its power, in increasing size (the power
    /// curve a chart draws).
    pub curve: Vec<(u64, Estimate)>,
    /// Whether the target is within two MCSE of either reported power even at the largest
    /// replicate count (then the answer may be off by one).
    pub unresolved: bool,
}

/// Power (smallest over the treatment arms) at one per-arm size.
fn power(design: &TrialDesign<'_>, n: u64, reps: u64, seed: u64, threads: usize) -> Estimate {
    if n == 0 {
        return Estimate::proportion(0, reps);
    }
    let d = TrialDesign {
        per_arm: n,
        ..*design
    };
    let t = trial::simulate(&d, reps, seed, Shard::ALL, threads);
    let hits = t.rejections[1..].iter().copied().min().unwrap_or(0);
    Estimate::proportion(hits, t.reps)
}

/// Searches the smallest per-arm size reaching `target` power (module documentation).
///
/// # Errors
/// [`SimError::Invalid`] when even [`MAX_PER_ARM`] does not reach the target.
pub fn search(
    design: &TrialDesign<'_>,
    target: f64,
    reps: u64,
    seed: u64,
    threads: usize,
) -> Result<SampleSize, SimError> {
    let mut reps = reps;
    let max_reps = reps.saturating_mul(16);
    loop {
        let curve = std::cell::RefCell::new(Vec::new());
        let reached = |n: u64| {
            let e = power(design, n, reps, seed, threads);
            curve.borrow_mut().push((n, e));
            e.estimate >= target
        };
        // Double from 1 until the target is reached; `lo` is the last size that did not reach
        // it (0 has no power).
        let (mut lo, mut hi) = (0, 1);
        while !reached(hi) {
            if hi >= MAX_PER_ARM {
                return Err(SimError::invalid(
                    Field::TargetPower,
                    target,
                    format!(
                        "not reached with {MAX_PER_ARM} per arm; check the rates (truth) and alpha"
                    ),
                ));
            }
            lo = hi;
            hi = (hi * 2).min(MAX_PER_ARM);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if reached(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let at = power(design, hi, reps, seed, threads);
        let below = power(design, hi - 1, reps, seed, threads);
        let close = |e: Estimate| (e.estimate - target).abs() < 2.0 * e.mcse;
        let unresolved = close(at) || close(below);
        if !unresolved || reps >= max_reps {
            let mut curve = curve.into_inner();
            curve.push((hi, at));
            curve.push((hi - 1, below));
            curve.sort_by_key(|&(n, _)| n);
            curve.dedup_by_key(|&mut (n, _)| n);
            return Ok(SampleSize {
                curve,
                per_arm: hi,
                power_at_per_arm: at,
                power_at_per_arm_minus_1: below,
                reps,
                unresolved,
            });
        }
        reps = (reps * 2).min(max_reps);
    }
}

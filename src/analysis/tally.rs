//! The per-arm aggregation of the derived per-participant table: randomized, adherent and
//! adverse-event counts over everyone, then, within the analysis population, each outcome's
//! responders, denominator and the list of improvements (for means, SDs and the Welch
//! interval). The statistics receive these plain counts and slices.
//!
//! One pass over the derived rows. Until 2026-12-06 this was a polars `DataFrame` built from
//! the rows and two lazy group-bys; on the 1M bench cohort that took 0.25-0.35 s (0.5 s with
//! two markers) and ran last, beside the participants.csv writer, so every `analyze` waited
//! for it. The pass gives the same counts and the same improvements in participant order
//! (the tests of `analysis` and the held-out references did not change) in a fraction of that.

use crate::cohort::Cohort;
use crate::derive::{Derived, Flags};
use crate::domain::{Missing, Outcome, Population};

/// Per arm and outcome: responders, denominator and improvements of the population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutcomeTally {
    /// Responders.
    pub responders: u64,
    /// Denominator.
    pub n: u64,
    /// Improvements of participants with both values, in participant order.
    pub improvements: Vec<f64>,
}

/// Per-arm counts over every accepted participant, plus the outcome tallies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArmTally {
    /// Accepted participants.
    pub randomized: u64,
    /// Adherent participants.
    pub adherent: u64,
    /// Participants with an adverse event.
    pub adverse_event: u64,
    /// One tally per outcome (pain, ndi, then markers).
    pub outcomes: Vec<OutcomeTally>,
}

/// Tallies every arm of the cohort's protocol (`n_outcomes` outcomes: pain, ndi, then the
/// markers) over the participants and their `derived` rows, in the same order.
pub fn tally_arms(
    cohort: &Cohort,
    derived: &[Derived],
    n_outcomes: usize,
    population: Population,
    missing: Missing,
) -> Vec<ArmTally> {
    let arms = cohort.protocol.arms();
    let mut out: Vec<ArmTally> = (0..arms.len())
        .map(|_| ArmTally {
            outcomes: vec![OutcomeTally::default(); n_outcomes],
            ..ArmTally::default()
        })
        .collect();
    for (p, d) in cohort.participants.iter().zip(derived) {
        let t = &mut out[p.arm];
        t.randomized += 1;
        t.adherent += u64::from(d.adherent == Some(true));
        t.adverse_event += u64::from(d.flags.contains(Flags::ADVERSE_EVENT));
        if !population.includes(arms[p.arm].is_control(), d.adherent) {
            continue;
        }
        for (k, o) in t.outcomes.iter_mut().enumerate() {
            let values = d.outcome(Outcome::from_index(k));
            if let Some(responder) = population.counted(missing, values.responder) {
                o.n += 1;
                o.responders += u64::from(responder);
            }
            if let Some(improvement) = values.improvement {
                o.improvements.push(improvement.to_f64());
            }
        }
    }
    out
}

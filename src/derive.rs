//! One row per accepted participant: dose received, outcomes at the checkpoint, the
//! checkpoint decision and the flags a clinic acts on.
//!
//! The rules are the contract's "per-participant derivation": day 0 is `randomized_on` (or the
//! earliest session date); attended sessions inside the arm's window count; adherence is
//! `min(attended, planned) / planned` against an inclusive threshold; pain responders need an
//! inclusive 30% reduction from a positive baseline, NDI responders an inclusive 5-point
//! improvement. Every threshold is decided in exact decimal arithmetic
//! ([`Decimal::product_ge`]), never by a float ratio, so 7.0 -> 4.9 is a responder.

use crate::cohort::value::Decimal;
use crate::cohort::{AdverseEvent, Cohort, MinutesTotal, Status};
use crate::protocol::Better;

/// Baseline, checkpoint and the derived change for one outcome of one participant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OutcomeValues {
    /// Week-0 value.
    pub baseline: Option<Decimal>,
    /// Checkpoint-week value.
    pub checkpoint: Option<Decimal>,
    /// Improvement in the outcome's better direction (exact).
    pub improvement: Option<Decimal>,
    /// `100 * improvement / baseline` (pain only; empty when the baseline is 0).
    pub improvement_pct: Option<f64>,
    /// Responder by the outcome's inclusive rule; empty when a value is missing.
    pub responder: Option<bool>,
}

/// The checkpoint decision of the brief's rules.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Responder on any outcome or marker: keep going.
    Continue,
    /// No response after an adequate dose: reassess.
    Adjust,
    /// No response, but the dose was not given: not a fair test.
    IncompleteDose,
    /// Baseline or checkpoint missing for every outcome.
    NoCheckpoint,
    /// A control participant.
    Control,
}

impl Decision {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Continue => "continue",
            Decision::Adjust => "adjust",
            Decision::IncompleteDose => "incomplete_dose",
            Decision::NoCheckpoint => "no_checkpoint",
            Decision::Control => "control",
        }
    }
}

/// Participant flags, in the contract's (alphabetical) output order.
pub const FLAG_NAMES: [&str; 5] = [
    "adverse_event",
    "age_outside_evidence",
    "control_treated",
    "needs_clearance",
    "pain_baseline_zero",
];

/// A set of [`FLAG_NAMES`] bits.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Flags(u8);

impl Flags {
    /// Any adverse event recorded.
    pub const ADVERSE_EVENT: Flags = Flags(1);
    /// Age outside the 20-64 the trial studied.
    pub const AGE_OUTSIDE_EVIDENCE: Flags = Flags(2);
    /// A control participant attended a session inside the window.
    pub const CONTROL_TREATED: Flags = Flags(4);
    /// A contraindication without medical clearance.
    pub const NEEDS_CLEARANCE: Flags = Flags(8);
    /// Pain baseline of 0.
    pub const PAIN_BASELINE_ZERO: Flags = Flags(16);

    /// The raw bits (one per [`FLAG_NAMES`] entry).
    pub fn bits(self) -> u8 {
        self.0
    }
    /// Flags from raw bits (bits beyond the five flags are dropped).
    pub fn from_bits(bits: u8) -> Flags {
        Flags(bits & 0b1_1111)
    }
    /// True when `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
    /// The flag names, sorted and `;`-separated (empty when none).
    pub fn to_field(self) -> String {
        FLAG_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Youngest age the DREAM evidence covers.
pub const EVIDENCE_AGE_MIN: i64 = 20;
/// Oldest age the DREAM evidence covers.
pub const EVIDENCE_AGE_MAX: i64 = 64;

/// The derived row of one participant (index `i` matches `cohort.participants[i]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    /// Day 0: `randomized_on`, else the earliest accepted session date (empty when neither).
    pub day0: Option<i32>,
    /// Planned sessions (empty for control).
    pub sessions_planned: Option<u32>,
    /// Attended sessions inside the window.
    pub sessions_attended: u32,
    /// `min(attended, planned) / planned` (empty for control).
    pub adherence: Option<f64>,
    /// Adherence at or above the threshold (empty for control).
    pub adherent: Option<bool>,
    /// Minutes of attended sessions inside the window (exact).
    pub minutes_delivered: Decimal,
    /// Pain.
    pub pain: OutcomeValues,
    /// Neck Disability Index.
    pub ndi: OutcomeValues,
    /// Declared markers, in protocol order.
    pub markers: Vec<OutcomeValues>,
    /// Checkpoint decision.
    pub decision: Decision,
    /// Flags.
    pub flags: Flags,
}

#[derive(Clone, Copy, Default)]
struct SessionTally {
    earliest: Option<i32>,
    adverse: bool,
    attended: u32,
    minutes: MinutesTotal,
}

/// Derives every participant's row, on up to `threads` threads (the result does not depend
/// on it).
pub fn derive(cohort: &Cohort, threads: usize) -> Vec<Derived> {
    let protocol = &cohort.protocol;
    let n = cohort.participants.len();
    let one = Decimal::from_int(1);
    let hundred = Decimal::from_int(100);

    // One pass over the sessions (each block on its own thread, then summed): earliest date
    // and adverse events for everyone, and the dose inside the window for participants whose
    // day 0 is their randomization date. Only participants without `randomized_on` need a
    // second pass, once their day 0 is known.
    let window: Vec<i32> = (0..protocol.arms().len())
        .map(|a| protocol.window_days(a))
        .collect();
    let in_window = |s: &crate::cohort::Session, d0: i32| {
        let offset = s.day() - d0;
        s.status() == Status::Attended
            && offset >= 0
            && offset < window[cohort.participants[s.participant as usize].arm]
    };
    // Adds a block's sessions into `t`, whose first entry is participant `offset`.
    let tally_into = |block: &[crate::cohort::Session], t: &mut [SessionTally], offset: usize| {
        for s in block {
            let p = &mut t[s.participant as usize - offset];
            let day = s.day();
            p.earliest = Some(p.earliest.map_or(day, |e| e.min(day)));
            p.adverse |= s.adverse_event() != AdverseEvent::None;
            if let Some(d0) = cohort.participants[s.participant as usize].randomized_on {
                if in_window(s, d0) {
                    p.attended += 1;
                    p.minutes.add(s, &cohort.sessions);
                }
            }
        }
    };
    let blocks = cohort.sessions.blocks();
    // The participants each block touches (first and last index; `None` when empty).
    let ranges: Vec<Option<(usize, usize)>> = blocks
        .iter()
        .map(|b| {
            let mut ids = b.iter().map(|s| s.participant as usize);
            let first = ids.next()?;
            Some(ids.fold((first, first), |(lo, hi), p| (lo.min(p), hi.max(p))))
        })
        .collect();
    let mut in_order = ranges.iter().flatten();
    let disjoint = in_order.next().is_none_or(|first| {
        in_order
            .try_fold(first.1, |hi, r| (hi < r.0).then_some(r.1))
            .is_some()
    });
    let mut tally = vec![SessionTally::default(); n];
    if disjoint {
        // A file sorted by participant (the usual case): each block owns a part of the one
        // table and tallies straight into it; there is nothing to merge.
        let mut parts = Vec::with_capacity(blocks.len());
        let mut rest: &mut [SessionTally] = &mut tally;
        let mut offset = 0;
        for (block, range) in blocks.iter().zip(&ranges) {
            let Some((lo, hi)) = *range else { continue };
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(lo - offset);
            let (mine, tail) = tail.split_at_mut(hi + 1 - lo);
            parts.push((block, mine, lo));
            rest = tail;
            offset = hi + 1;
        }
        if threads <= 1 || parts.len() <= 1 {
            for (block, mine, lo) in parts {
                tally_into(block, mine, lo);
            }
        } else {
            std::thread::scope(|scope| {
                for (block, mine, lo) in parts {
                    let f = &tally_into;
                    scope.spawn(move || f(block, mine, lo));
                }
            });
        }
    } else {
        // Blocks share participants: one table per block, then summed (each thread over its
        // own range of participants).
        let tallies: Vec<Vec<SessionTally>> = std::thread::scope(|scope| {
            let handles: Vec<_> = blocks
                .iter()
                .map(|b| {
                    let f = &tally_into;
                    scope.spawn(move || {
                        let mut t = vec![SessionTally::default(); n];
                        f(b, &mut t, 0);
                        t
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let merge = |range: std::ops::Range<usize>, into: &mut [SessionTally]| {
            for other in &tallies {
                for (t, o) in into.iter_mut().zip(&other[range.clone()]) {
                    t.earliest = match (t.earliest, o.earliest) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    t.adverse |= o.adverse;
                    t.attended += o.attended;
                    t.minutes.merge(o.minutes);
                }
            }
        };
        let per = n.div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for (k, part) in tally.chunks_mut(per).enumerate() {
                let merge = &merge;
                scope.spawn(move || merge(k * per..k * per + part.len(), part));
            }
        });
    }
    if cohort
        .participants
        .iter()
        .any(|p| p.randomized_on.is_none())
    {
        for s in &cohort.sessions {
            let i = s.participant as usize;
            if cohort.participants[i].randomized_on.is_none() {
                if let Some(d0) = tally[i].earliest {
                    if in_window(s, d0) {
                        tally[i].attended += 1;
                        tally[i].minutes.add(s, &cohort.sessions);
                    }
                }
            }
        }
    }

    // Baseline and checkpoint rows.
    let checkpoint = protocol.checkpoint_week();
    // Row of each participant's baseline and checkpoint score (`NONE` for none).
    const NONE: usize = usize::MAX;
    let mut base: Vec<usize> = vec![NONE; n];
    let mut check: Vec<usize> = vec![NONE; n];
    for (r, s) in cohort.scores.iter().enumerate() {
        if s.week == 0 {
            base[s.participant as usize] = r;
        } else if s.week == checkpoint {
            check[s.participant as usize] = r;
        }
    }
    let row = |r: usize| (r != NONE).then_some(r);

    let pct = protocol.pain_min_reduction_pct();
    let ndi_min = protocol.ndi_min_improvement();
    let derive_one = |i: usize| {
        let p = &cohort.participants[i];
        {
            let arm = &protocol.arms()[p.arm];
            let planned = arm.schedule().map(|s| s.sessions());
            let (adherence, adherent) = match planned {
                Some(planned) => {
                    let got = tally[i].attended.min(planned);
                    let adherent = Decimal::from_int(i64::from(got)).product_ge(
                        one,
                        protocol.adherence_threshold(),
                        Decimal::from_int(i64::from(planned)),
                    );
                    (Some(f64::from(got) / f64::from(planned)), Some(adherent))
                }
                None => (None, None),
            };
            let (b_row, c_row) = (
                row(base[i]).map(|r| &cohort.scores[r]),
                row(check[i]).map(|r| &cohort.scores[r]),
            );
            let pain_b = b_row.and_then(|s| s.pain);
            let pain_c = c_row.and_then(|s| s.pain);
            let pain = outcome(
                pain_b,
                pain_c,
                Better::Lower,
                |imp, b| b.is_positive() && imp.product_ge(hundred, pct, b),
                true,
            );
            let ndi_b = b_row.and_then(|s| s.ndi);
            let ndi_c = c_row.and_then(|s| s.ndi);
            let ndi = outcome(ndi_b, ndi_c, Better::Lower, |imp, _| imp >= ndi_min, false);
            let markers: Vec<OutcomeValues> = protocol
                .markers()
                .iter()
                .enumerate()
                .map(|(m, marker)| {
                    let get = |row: Option<usize>| row.and_then(|r| cohort.markers_of(r)[m]);
                    let min = marker.min_improvement();
                    outcome(
                        get(row(base[i])),
                        get(row(check[i])),
                        marker.better(),
                        |imp, _| imp >= min,
                        false,
                    )
                })
                .collect();

            let all = || {
                std::iter::once(&pain)
                    .chain(std::iter::once(&ndi))
                    .chain(markers.iter())
            };
            let decision = if arm.is_control() {
                Decision::Control
            } else if all().all(|o| o.responder.is_none()) {
                Decision::NoCheckpoint
            } else if all().any(|o| o.responder == Some(true)) {
                Decision::Continue
            } else if adherent == Some(true) {
                Decision::Adjust
            } else {
                Decision::IncompleteDose
            };

            let mut flags = Flags::default();
            if tally[i].adverse {
                flags.insert(Flags::ADVERSE_EVENT);
            }
            if p.age
                .is_some_and(|a| !(EVIDENCE_AGE_MIN..=EVIDENCE_AGE_MAX).contains(&a))
            {
                flags.insert(Flags::AGE_OUTSIDE_EVIDENCE);
            }
            if arm.is_control() && tally[i].attended > 0 {
                flags.insert(Flags::CONTROL_TREATED);
            }
            if p.needs_clearance() {
                flags.insert(Flags::NEEDS_CLEARANCE);
            }
            if pain_b == Some(Decimal::ZERO) {
                flags.insert(Flags::PAIN_BASELINE_ZERO);
            }
            Derived {
                day0: p.randomized_on.or(tally[i].earliest),
                sessions_planned: planned,
                sessions_attended: tally[i].attended,
                adherence,
                adherent,
                minutes_delivered: tally[i].minutes.total(),
                pain,
                ndi,
                markers,
                decision,
                flags,
            }
        }
    };
    // Contiguous blocks on up to `threads` threads, joined in order: the same rows whatever
    // the thread count.
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(derive_one).collect();
    }
    // Each thread writes its block straight into the one result vector: no per-thread
    // vectors to copy together (a million rows of ~270 bytes each).
    let per = n.div_ceil(threads);
    let mut out: Vec<Derived> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        for (t, slots) in out.spare_capacity_mut()[..n].chunks_mut(per).enumerate() {
            let f = &derive_one;
            scope.spawn(move || {
                for (k, slot) in slots.iter_mut().enumerate() {
                    slot.write(f(t * per + k));
                }
            });
        }
    });
    // SAFETY: the chunks cover slots 0..n and every slot was written by its thread; a panic in
    // a thread propagates out of the scope above, before this line (the written rows are then
    // leaked, never read).
    unsafe { out.set_len(n) };
    out
}

/// Improvement in the better direction and the responder rule (`rule(improvement, baseline)`).
fn outcome(
    baseline: Option<Decimal>,
    checkpoint: Option<Decimal>,
    better: Better,
    rule: impl Fn(Decimal, Decimal) -> bool,
    with_pct: bool,
) -> OutcomeValues {
    let (Some(b), Some(c)) = (baseline, checkpoint) else {
        return OutcomeValues {
            baseline,
            checkpoint,
            ..OutcomeValues::default()
        };
    };
    let improvement = match better {
        Better::Lower => b.checked_sub(c),
        Better::Higher => c.checked_sub(b),
    };
    let improvement_pct = match improvement {
        Some(imp) if with_pct && b.is_positive() => imp.percent_of(b),
        _ => None,
    };
    OutcomeValues {
        baseline,
        checkpoint,
        improvement,
        improvement_pct,
        responder: improvement.map(|imp| rule(imp, b)),
    }
}

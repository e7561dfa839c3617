//! The patient worklist: every treated participant's checkpoint status, the flags a clinic
//! must act on, and what to do, sorted so that safety comes first.
//!
//! Checkpoint status (with `c` the checkpoint date, day 0 + 7 × checkpoint week, and `A` the
//! audit date):
//! * `not_due`: `A < c`, still in treatment (scores of a later date cannot exist yet on `A`);
//! * `continue`, `adjust`, `incomplete_dose`: `A >= c` and the checkpoint decision of the
//!   brief's rules, the scores being in;
//! * `due`: `c <= A < c + 14` and no decision yet (the checkpoint has come; two weeks to score);
//! * `missing_scores`: no decision and `A >= c + 14`; or no baseline score once treatment has
//!   started; or no day 0 at all (no randomization date and no session) and no decision.
//!
//! Order: participants needing medical clearance first, then those with an adverse event (the
//! worst event first: severe, moderate, mild), then those aged outside the evidence, then the
//! rest; inside each of these groups by status (`due`, `missing_scores`, `adjust`,
//! `incomplete_dose`, `not_due`, `continue`), then by checkpoint date, then in file order.

use crate::cohort::{AdverseEvent, Cohort};
use crate::derive::{Decision, Derived, Flags};

/// Days after the checkpoint date before missing scores count as missing.
pub const SCORING_GRACE_DAYS: i32 = 14;

/// A participant's place at the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The checkpoint has come and its scores are awaited.
    Due,
    /// The scores needed for the decision are missing.
    MissingScores,
    /// No response after an adequate dose: reassess.
    Adjust,
    /// No response, but the dose was not given.
    IncompleteDose,
    /// Still in treatment.
    NotDue,
    /// Responder: keep going.
    Continue,
}

impl Status {
    /// Every status, in worklist order.
    pub const ALL: [Status; 6] = [
        Status::Due,
        Status::MissingScores,
        Status::Adjust,
        Status::IncompleteDose,
        Status::NotDue,
        Status::Continue,
    ];

    /// The CSV spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Due => "due",
            Status::MissingScores => "missing_scores",
            Status::Adjust => "adjust",
            Status::IncompleteDose => "incomplete_dose",
            Status::NotDue => "not_due",
            Status::Continue => "continue",
        }
    }
}

/// Whether a participant is judged at the checkpoint on `as_of` (counted in the unit's rate):
/// the checkpoint has passed and either the decision is made or the two weeks to score it are
/// over. A participant without a day 0 is judged only when decided. A missing baseline makes
/// the status `missing_scores` at once, but the participant is judged only once the checkpoint
/// has passed, like everyone else.
#[must_use]
pub fn judged(d: &Derived, checkpoint_week: u32, as_of: i32) -> bool {
    let decided = matches!(
        d.decision,
        Decision::Continue | Decision::Adjust | Decision::IncompleteDose
    );
    match checkpoint_date(d, checkpoint_week) {
        None => decided,
        Some(c) => as_of >= c && (decided || as_of >= c + SCORING_GRACE_DAYS),
    }
}

/// The checkpoint date of a participant: day 0 + 7 × `checkpoint_week`.
#[must_use]
pub fn checkpoint_date(d: &Derived, checkpoint_week: u32) -> Option<i32> {
    let week = i32::try_from(checkpoint_week).ok()?;
    d.day0.map(|d0| d0 + 7 * week)
}

/// The status of one treated participant on `as_of`. Scores of a checkpoint after `as_of`
/// cannot exist yet on that date, so a participant whose checkpoint is still to come is
/// `not_due` even when the file already holds the scores (replaying an audit at a past date).
#[must_use]
pub fn status(d: &Derived, checkpoint_week: u32, as_of: i32) -> Status {
    let decided = match d.decision {
        Decision::Continue => Some(Status::Continue),
        Decision::Adjust => Some(Status::Adjust),
        Decision::IncompleteDose => Some(Status::IncompleteDose),
        Decision::NoCheckpoint | Decision::Control => None,
    };
    let no_baseline = no_baseline(d);
    let Some(c) = checkpoint_date(d, checkpoint_week) else {
        return decided.unwrap_or(Status::MissingScores);
    };
    let started = d.day0.is_some_and(|d0| d0 <= as_of);
    if as_of < c {
        return if no_baseline && started {
            Status::MissingScores
        } else {
            Status::NotDue
        };
    }
    match decided {
        Some(s) => s,
        None if as_of < c + SCORING_GRACE_DAYS && !no_baseline => Status::Due,
        None => Status::MissingScores,
    }
}

/// No baseline value for any outcome or marker.
fn no_baseline(d: &Derived) -> bool {
    d.pain.baseline.is_none()
        && d.ndi.baseline.is_none()
        && d.markers.iter().all(|m| m.baseline.is_none())
}

/// What a participant's accepted session rows dated up to the audit date say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoFar {
    /// Attended at least one session.
    pub attended: bool,
    /// Attended sessions inside the treatment window.
    pub in_window: u32,
    /// The worst adverse event (`None` when there was none).
    pub worst: AdverseEvent,
}

impl SoFar {
    /// What all of a participant's sessions say (the sessions so far when none is dated
    /// after the audit date).
    #[must_use]
    pub fn of(d: &Derived) -> SoFar {
        SoFar {
            attended: d.attended_any,
            in_window: d.sessions_attended,
            worst: d.worst_adverse,
        }
    }
}

/// [`SoFar`] of every participant of the cohort, from one pass over the sessions dated up to
/// `as_of`.
#[must_use]
pub fn sessions_so_far(cohort: &Cohort, derived: &[Derived], as_of: i32) -> Vec<SoFar> {
    // Each participant's day 0 and window are copied beside their tally, read in order, so a
    // session log in any order touches one record per session (prefetched a few rows ahead).
    struct Work {
        so_far: SoFar,
        day0: Option<i32>,
        window: i32,
    }
    let windows: Vec<i32> = (0..cohort.protocol.arms().len())
        .map(|a| cohort.protocol.window_days(a))
        .collect();
    let mut work: Vec<Work> = cohort
        .participants
        .iter()
        .zip(derived)
        .map(|(p, d)| Work {
            so_far: SoFar {
                attended: false,
                in_window: 0,
                worst: AdverseEvent::None,
            },
            day0: d.day0,
            window: windows[p.arm],
        })
        .collect();
    let table = work.as_ptr();
    crate::derive::each_session_prefetching(&cohort.sessions, table, |_, s| {
        if s.day() > as_of {
            return;
        }
        let w = &mut work[s.participant as usize];
        let o = &mut w.so_far;
        o.worst = o.worst.max(s.adverse_event());
        if s.status() == crate::cohort::Status::Attended {
            o.attended = true;
            if w.day0
                .is_some_and(|d0| (0..w.window).contains(&(s.day() - d0)))
            {
                o.in_window += 1;
            }
        }
    });
    work.into_iter().map(|w| w.so_far).collect()
}

/// One line of the worklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Index of the participant in the cohort.
    pub participant: usize,
    /// The participant's unit: an index into the audit's units.
    pub unit: usize,
    /// Checkpoint date (day number), when day 0 is known.
    pub checkpoint: Option<i32>,
    /// Status.
    pub status: Status,
    /// Judged at the checkpoint (counted in the unit's rate).
    pub judged: bool,
    /// Attended sessions inside the treatment window up to the audit date.
    pub sessions_so_far: u32,
    /// Flags of the derivation (the audit lists the three a clinic acts on, plus the rest).
    pub flags: Flags,
    /// The worst adverse event up to the audit date.
    pub worst: AdverseEvent,
    /// No baseline score for any outcome or marker.
    pub no_baseline: bool,
}

/// Needs clearance, then adverse events from the worst, then age outside the evidence.
fn safety_rank(flags: Flags, worst: AdverseEvent) -> u8 {
    if flags.contains(Flags::NEEDS_CLEARANCE) {
        0
    } else if flags.contains(Flags::ADVERSE_EVENT) {
        match worst {
            AdverseEvent::Severe => 1,
            AdverseEvent::Moderate => 2,
            _ => 3,
        }
    } else if flags.contains(Flags::AGE_OUTSIDE_EVIDENCE) {
        4
    } else {
        5
    }
}

/// The action for a participant aged outside the evidence (a test holds it to
/// [`crate::derive::EVIDENCE_AGE_MIN`] and [`crate::derive::EVIDENCE_AGE_MAX`]).
const AGE_ACTION: &str = "aged outside 20-64, the ages DREAM studied: its evidence may not apply";

/// The action text of one participant.
impl Item {
    /// Appends what to do about this participant, in words, to `out`: the safety actions
    /// first, then the checkpoint's (written straight into the caller's buffer: a million
    /// rows need no string of their own).
    pub fn push_action(&self, out: &mut String, cohort: &Cohort) {
        let p = &cohort.participants[self.participant];
        let start = out.len();
        let part = |out: &mut String, text: &str| {
            if out.len() > start {
                out.push_str("; ");
            }
            out.push_str(text);
        };
        if self.flags.contains(Flags::NEEDS_CLEARANCE) {
            part(out, "do not treat until a doctor clears");
            for (k, code) in p.contraindication_codes().enumerate() {
                out.push_str(if k == 0 { " " } else { " and " });
                out.push_str(code);
            }
        }
        if self.flags.contains(Flags::ADVERSE_EVENT) {
            part(
                out,
                match self.worst {
                    AdverseEvent::Severe => "review the adverse event (worst: severe)",
                    AdverseEvent::Moderate => "review the adverse event (worst: moderate)",
                    _ => "review the adverse event (worst: mild)",
                },
            );
        }
        if self.flags.contains(Flags::AGE_OUTSIDE_EVIDENCE) {
            // The age itself is left out: the list may leave the clinic pseudonymised.
            part(out, AGE_ACTION);
        }
        match self.status {
            Status::Due => part(out, "checkpoint due: record pain and NDI, then decide"),
            Status::MissingScores if self.no_baseline => {
                part(out, "baseline missing: record the week-0 scores");
            }
            Status::MissingScores => {
                part(
                    out,
                    "checkpoint missed: record the missing checkpoint scores",
                );
            }
            Status::Adjust => part(
                out,
                "checkpoint: no response after an adequate dose, reassess the plan or refer",
            ),
            Status::IncompleteDose => part(
                out,
                "checkpoint: no response, but too few sessions attended for a fair test of the dose",
            ),
            Status::NotDue => {
                part(out, "in treatment: checkpoint on ");
                match self.checkpoint {
                    Some(c) => crate::cohort::value::push_date(out, c),
                    None => out.push('-'),
                }
            }
            Status::Continue => part(out, "checkpoint: responder, continue"),
        }
    }
}

/// Sets each item's unit from `unit_of` (per cohort participant).
pub fn set_units(items: &mut [Item], unit_of: &[usize]) {
    for item in items {
        item.unit = unit_of[item.participant];
    }
}

/// The worklist of the participants `treated` (cohort indices), sorted (module documentation),
/// with every unit 0 until [`set_units`] says.
#[must_use]
pub fn build(
    cohort: &Cohort,
    derived: &[Derived],
    treated: &[usize],
    so_far: &[SoFar],
    as_of: i32,
) -> Vec<Item> {
    let week = cohort.protocol.checkpoint_week();
    let worst = |i: usize| so_far[i].worst;
    let mut items: Vec<Item> = treated
        .iter()
        .map(|&i| {
            let d = &derived[i];
            let status = status(d, week, as_of);
            let checkpoint = checkpoint_date(d, week);
            // The adverse-event flag as of the audit date (events dated later had not happened).
            let event = if worst(i) == AdverseEvent::None {
                0
            } else {
                Flags::ADVERSE_EVENT.bits()
            };
            let flags = Flags::from_bits((d.flags.bits() & !Flags::ADVERSE_EVENT.bits()) | event);
            Item {
                participant: i,
                unit: 0,
                checkpoint,
                status,
                judged: judged(d, week, as_of),
                sessions_so_far: so_far[i].in_window,
                flags,
                worst: worst(i),
                no_baseline: no_baseline(d),
            }
        })
        .collect();
    // The participant index ends every key, so keys are distinct and an unstable sort gives
    // the one order there is.
    items.sort_unstable_by_key(|a| {
        (
            safety_rank(a.flags, a.worst),
            a.status,
            a.checkpoint.unwrap_or(i32::MAX),
            a.participant,
        )
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::{EVIDENCE_AGE_MAX, EVIDENCE_AGE_MIN};

    #[test]
    fn the_age_action_names_the_evidence_ages() {
        assert!(AGE_ACTION.starts_with(&format!(
            "aged outside {EVIDENCE_AGE_MIN}-{EVIDENCE_AGE_MAX}, "
        )));
    }
}

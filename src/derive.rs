//! One row per accepted participant: dose received, outcomes at the checkpoint, the
//! checkpoint decision and the flags a clinic acts on.
//!
//! The rules are the contract's "per-participant derivation": day 0 is `randomized_on` (or the
//! earliest session date); attended sessions inside the arm's window count; adherence is
//! `min(attended, planned) / planned` against an inclusive threshold; pain responders need an
//! inclusive 30% reduction from a positive baseline, NDI responders an inclusive 5-point
//! improvement. Every threshold is decided in exact decimal arithmetic
//! ([`Decimal::product_ge`]), never by a float ratio, so 7.0 -> 4.9 is a responder.

use crate::domain::decimal::Decimal;
use std::mem::MaybeUninit;

use crate::cohort::{AdverseEvent, Cohort, MinutesTotal, Score, Session, Status};
use crate::domain::protocol::Better;
use rustc_hash::FxHashMap;

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
    /// The worst adverse event of any session, whatever its date (`None` when there was
    /// none): the audit's safety ranking reads it.
    pub worst_adverse: AdverseEvent,
    /// Attended at least one session, whatever its date or window.
    pub attended_any: bool,
}

impl Derived {
    /// This participant's values for `outcome`.
    #[must_use]
    pub fn outcome(&self, outcome: crate::domain::Outcome) -> &OutcomeValues {
        match outcome {
            crate::domain::Outcome::Pain => &self.pain,
            crate::domain::Outcome::Ndi => &self.ndi,
            crate::domain::Outcome::Marker(i) => &self.markers[i],
        }
    }
}

/// What one participant's sessions add up to. 32 bytes (a test holds it there), so an
/// unordered log's one cache miss per session brings two tallies' worth of line instead of
/// half of one: the earliest day is a plain day with a sentinel, the window fits 16 bits
/// (at most 52 weeks), and the rare exact sum of minutes with many decimals lives in a box.
#[derive(Clone)]
struct SessionTally {
    minutes: MinutesTotal,
    /// The earliest session day ([`NO_EARLIEST`]: none yet).
    earliest: i32,
    attended: u32,
    /// The participant's randomization day ([`NO_DAY0`]: none) and their arm's window in
    /// days, copied in when the tally is made: a session log in any order then touches one
    /// record per session (this one) instead of this and the participant's too.
    day0: i32,
    window: u16,
    worst: AdverseEvent,
    attended_any: bool,
}

/// `SessionTally::day0` of a participant without `randomized_on`.
const NO_DAY0: i32 = i32::MIN;

/// `SessionTally::earliest` before any session (later than every valid date).
const NO_EARLIEST: i32 = i32::MAX;

impl Default for SessionTally {
    fn default() -> SessionTally {
        SessionTally {
            minutes: MinutesTotal::default(),
            earliest: NO_EARLIEST,
            attended: 0,
            day0: NO_DAY0,
            window: 0,
            worst: AdverseEvent::None,
            attended_any: false,
        }
    }
}

impl SessionTally {
    /// Adds the tally of more sessions of the same participant.
    fn merge(&mut self, o: &SessionTally) {
        self.earliest = self.earliest.min(o.earliest);
        self.worst = self.worst.max(o.worst);
        self.attended_any |= o.attended_any;
        self.attended += o.attended;
        self.minutes.merge(&o.minutes);
    }
    /// The earliest session day, if any session was seen.
    fn earliest(&self) -> Option<i32> {
        (self.earliest != NO_EARLIEST).then_some(self.earliest)
    }
}

/// Builds a vector of `n` items on up to `threads` threads, each taking the next piece not
/// yet taken (a Parquet session log comes in a block per run, 153 at a million participants,
/// and a thread per piece started that many): piece `k` covers
/// `starts[k]..starts[k + 1]` (the last one up to `n`), is filled in order from
/// `items(k, range)` and is then handed to `finish(k, piece)`, whose results come back in
/// piece order. `starts` must begin at 0 and never decrease. No item is copied after it is
/// written, and the pages of the result are first touched by the thread that fills them.
fn build_in_pieces<T, I, R>(
    n: usize,
    threads: usize,
    starts: &[usize],
    items: impl Fn(usize, std::ops::Range<usize>) -> I + Sync,
    finish: impl Fn(usize, &mut [T]) -> R + Sync,
) -> (Vec<T>, Vec<R>)
where
    T: Send,
    I: Iterator<Item = T>,
    R: Send,
{
    assert!(starts.first() == Some(&0) && starts.is_sorted() && starts.last() <= Some(&n));
    let mut out: Vec<T> = Vec::with_capacity(n);
    let mut pieces = Vec::with_capacity(starts.len());
    let mut rest = &mut out.spare_capacity_mut()[..n];
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - start);
        pieces.push((k, start..end, piece));
        rest = tail;
    }
    let fill = |(k, range, piece): (usize, std::ops::Range<usize>, &mut [MaybeUninit<T>])| {
        let mut written = 0;
        for (slot, item) in piece.iter_mut().zip(items(k, range)) {
            slot.write(item);
            written += 1;
        }
        assert_eq!(written, piece.len(), "piece {k} was not filled");
        // SAFETY: every slot of the piece was written just above (the assertion stops here
        // otherwise), and `MaybeUninit<T>` has the layout of `T`.
        let piece = unsafe { &mut *(piece as *mut [MaybeUninit<T>] as *mut [T]) };
        finish(k, piece)
    };
    let results = crate::parallel::map_queued_owned(pieces, threads, fill);
    // SAFETY: the pieces cover slots 0..n (they run from starts[0] = 0 to n without gaps)
    // and every piece was filled; a panic in a thread propagates above, before this line
    // (the written items are then leaked, never read).
    unsafe { out.set_len(n) };
    (out, results)
}

/// Asks the processor to bring `value` into the cache for a write soon (x86-64; elsewhere
/// nothing). A hint only: it reads and changes nothing.
#[inline]
fn prefetch<T>(value: &T) {
    crate::cache::prefetch_at(std::ptr::from_ref(value).cast::<u8>());
}

/// Calls `each(row, session)` for every session of the log in file order, first asking for
/// the cache line of `table[participant]` of the session [`AHEAD`] rows on: a per-participant
/// table updated from a log that is not grouped by participant then waits for memory far
/// less. `table` is only read for its address; `each` may change it.
pub(crate) fn each_session_prefetching<T>(
    log: &crate::cohort::SessionLog,
    table: *const T,
    mut each: impl FnMut(usize, &Session),
) {
    let mut row = 0;
    for block in log.blocks() {
        for (j, s) in block.iter().enumerate() {
            if let Some(ahead) = block.get(j + AHEAD) {
                crate::cache::prefetch_at(
                    table.wrapping_add(ahead.participant as usize).cast::<u8>(),
                );
            }
            each(row, s);
            row += 1;
        }
    }
}

/// How many rows ahead a session loop asks for the tally it will need.
const AHEAD: usize = 16;

/// Equal pieces of `0..n` for `threads` threads (their first indices).
fn even_starts(n: usize, threads: usize) -> Vec<usize> {
    let per = n.div_ceil(threads.max(1)).max(1);
    (0..n.max(1)).step_by(per).collect()
}

/// What the sessions say of each participant: earliest date, adverse events, and the
/// attended sessions and minutes inside the window.
fn session_tallies(cohort: &Cohort, threads: usize) -> Vec<SessionTally> {
    let protocol = &cohort.protocol;
    let n = cohort.participants.len();
    // One pass over the sessions (each block on its own thread): earliest date and adverse
    // events for everyone, and the dose inside the window for participants whose day 0 is
    // their randomization date. Only participants without `randomized_on` need a second
    // pass, once their day 0 is known.
    let window: Vec<i32> = (0..protocol.arms().len())
        .map(|a| protocol.window_days(a))
        .collect();
    let in_window = |s: &Session, d0: i32| {
        let offset = s.day() - d0;
        s.status() == Status::Attended
            && offset >= 0
            && offset < window[cohort.participants[s.participant as usize].arm]
    };
    // The second pass: the dose of participants whose day 0 is their earliest session.
    let with_day0_from_sessions = |mut tally: Vec<SessionTally>| {
        if cohort
            .participants
            .iter()
            .any(|p| p.randomized_on.is_none())
        {
            for s in &cohort.sessions {
                let i = s.participant as usize;
                if cohort.participants[i].randomized_on.is_none()
                    && let Some(d0) = tally[i].earliest()
                    && in_window(s, d0)
                {
                    tally[i].attended += 1;
                    tally[i].minutes.add(s, &cohort.sessions);
                }
            }
        }
        tally
    };
    // The empty tally of participant `i`.
    let fresh = |i: usize| {
        let p = &cohort.participants[i];
        SessionTally {
            day0: p.randomized_on.unwrap_or(NO_DAY0),
            // At most 52 weeks (`Schedule::new` checks), so 364 days fit.
            window: u16::try_from(window[p.arm]).expect("a window of at most 364 days"),
            ..SessionTally::default()
        }
    };
    // Adds session `s` to its participant's tally `p` (the same test as `in_window`, on the
    // copies in the tally).
    let add = |p: &mut SessionTally, s: &Session| {
        let day = s.day();
        p.earliest = p.earliest.min(day);
        p.worst = p.worst.max(s.adverse_event());
        let attended = s.status() == Status::Attended;
        p.attended_any |= attended;
        if p.day0 != NO_DAY0 {
            let offset = day - p.day0;
            if attended && offset >= 0 && offset < i32::from(p.window) {
                p.attended += 1;
                p.minutes.add(s, &cohort.sessions);
            }
        }
    };
    // Adds a block's sessions into `t`, whose first entry is participant `offset`; the
    // sessions of the participant just past `t`, if any, go to the returned tally instead.
    let tally_into = |block: &[Session], t: &mut [SessionTally], offset: usize| {
        let mut next: Option<SessionTally> = None;
        for s in block {
            let i = s.participant as usize;
            let p = match t.get_mut(i - offset) {
                Some(p) => p,
                None => next.get_or_insert_with(|| fresh(i)),
            };
            add(p, s);
        }
        next.unwrap_or_default()
    };
    // Adds the sessions of `block` whose participant falls in `t` (whose first entry is
    // participant `offset`), skipping the others.
    // In a log that is not grouped, each tally is a cache miss; the participant of a session
    // a few rows ahead is known, so its tally is asked for early (a hint to the processor
    // that changes no result) and is in the cache when its row comes.
    let tally_range = |block: &[Session], t: &mut [SessionTally], offset: usize| {
        for (j, s) in block.iter().enumerate() {
            if let Some(ahead) = block.get(j + AHEAD)
                && let Some(p) = (ahead.participant as usize)
                    .checked_sub(offset)
                    .and_then(|k| t.get(k))
            {
                prefetch(p);
            }
            let i = s.participant as usize;
            if let Some(p) = i.checked_sub(offset).and_then(|k| t.get_mut(k)) {
                add(p, s);
            }
        }
    };
    let blocks = cohort.sessions.blocks();
    if threads <= 1 || blocks.len() <= 1 {
        let mut t: Vec<SessionTally> = (0..n).map(fresh).collect();
        for block in blocks {
            tally_into(block, &mut t, 0);
        }
        return with_day0_from_sessions(t);
    }
    // The participants each block touches (first and last index; `None` when empty), each
    // block scanned on its own thread.
    let range_of = |b: &Vec<Session>| {
        let mut ids = b.iter().map(|s| s.participant as usize);
        let first = ids.next()?;
        Some(ids.fold((first, first), |(lo, hi), p| (lo.min(p), hi.max(p))))
    };
    let ranges: Vec<Option<(usize, usize)>> =
        crate::parallel::map_queued(blocks, threads, |b| range_of(b));
    // Blocks in participant order, each sharing at most its last participant with the next
    // block (a file sorted by participant, cut into blocks anywhere).
    let used: Vec<(&Vec<Session>, (usize, usize))> = blocks
        .iter()
        .zip(&ranges)
        .filter_map(|(b, r)| r.map(|r| (b, r)))
        .collect();
    let in_order = used.windows(2).all(|w| w[0].1.1 <= w[1].1.0);
    let tally = if in_order {
        // The usual case: the table is cut at each block's first participant, and each
        // block's thread sets up its piece and tallies straight into it. Only a participant
        // cut in two by a block boundary is summed afterwards.
        let mut starts: Vec<usize> = used.iter().map(|&(_, (lo, _))| lo).collect();
        if starts.first() != Some(&0) {
            starts.insert(0, 0);
        }
        let shift = starts.len() - used.len();
        let (mut t, spill) = build_in_pieces(
            n,
            threads,
            &starts,
            |_, range| range.map(fresh),
            |k, piece| {
                let (block, (lo, _)) = *k.checked_sub(shift).and_then(|b| used.get(b))?;
                let next = tally_into(block, &mut piece[lo - starts[k]..], lo);
                Some((starts.get(k + 1).copied()?, next))
            },
        );
        for (i, next) in spill.into_iter().flatten() {
            t[i].merge(&next);
        }
        t
    } else {
        // Blocks share participants (a log written by date, or in any other order): each
        // thread owns a range of participants, sets up its piece of the table and tallies
        // into it every session of its range, from all blocks. Every thread reads every
        // session (a 16-byte record, in order), but no table is built twice and nothing is
        // merged; the sums are exact, so the order the sessions come in does not matter.
        let starts = even_starts(n, threads);
        build_in_pieces(
            n,
            threads,
            &starts,
            |_, range| range.map(fresh),
            |k, piece| {
                let offset = starts[k];
                for block in blocks {
                    tally_range(block, piece, offset);
                }
            },
        )
        .0
    };
    with_day0_from_sessions(tally)
}

/// Finds each participant's baseline and checkpoint score rows, participant by participant.
enum ScoreRows<'a> {
    /// Rows sorted by participant (the usual case): a cursor walks them, nothing is indexed.
    Sorted(&'a [Score]),
    /// Otherwise, the row of each participant's baseline and checkpoint
    /// ([`ScoreRows::NONE`]: none).
    Indexed { base: Vec<usize>, check: Vec<usize> },
}

impl<'a> ScoreRows<'a> {
    const NONE: usize = usize::MAX;

    fn new(scores: &'a [Score], n: usize, checkpoint: u32) -> ScoreRows<'a> {
        if scores.is_sorted_by_key(|s| s.participant) {
            return ScoreRows::Sorted(scores);
        }
        let mut base = vec![Self::NONE; n];
        let mut check = vec![Self::NONE; n];
        for (r, s) in scores.iter().enumerate() {
            if s.week == 0 {
                base[s.participant as usize] = r;
            } else if s.week == checkpoint {
                check[s.participant as usize] = r;
            }
        }
        ScoreRows::Indexed { base, check }
    }

    /// A cursor for participants `first`, `first + 1`, ... asked in that order.
    fn cursor(&self, first: usize) -> usize {
        match self {
            ScoreRows::Sorted(scores) => {
                scores.partition_point(|s| (s.participant as usize) < first)
            }
            ScoreRows::Indexed { .. } => 0,
        }
    }

    /// The baseline and checkpoint rows of participant `i` (the last of each when a file
    /// repeats one), moving `cursor` past the participant's rows.
    fn rows(
        &self,
        i: usize,
        checkpoint: u32,
        cursor: &mut usize,
    ) -> (Option<usize>, Option<usize>) {
        match self {
            ScoreRows::Sorted(scores) => {
                let (mut b, mut c) = (None, None);
                while let Some(s) = scores.get(*cursor).filter(|s| s.participant as usize == i) {
                    if s.week == 0 {
                        b = Some(*cursor);
                    } else if s.week == checkpoint {
                        c = Some(*cursor);
                    }
                    *cursor += 1;
                }
                (b, c)
            }
            ScoreRows::Indexed { base, check } => {
                let row = |r: usize| (r != Self::NONE).then_some(r);
                (row(base[i]), row(check[i]))
            }
        }
    }
}

/// Derives every participant's row, on up to `threads` threads (the result does not depend
/// on it).
pub fn derive(cohort: &Cohort, threads: usize) -> Vec<Derived> {
    let protocol = &cohort.protocol;
    let n = cohort.participants.len();
    let threads = threads.clamp(1, n.max(1));
    let one = Decimal::from_int(1);
    let hundred = Decimal::from_int(100);
    let tally = session_tallies(cohort, threads);
    let checkpoint = protocol.checkpoint_week();
    let score_rows = ScoreRows::new(&cohort.scores, n, checkpoint);

    let pct = protocol.pain_min_reduction_pct();
    let ndi_min = protocol.ndi_min_improvement();
    let derive_one = |i: usize, base: Option<usize>, check: Option<usize>| {
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
                base.map(|r| &cohort.scores[r]),
                check.map(|r| &cohort.scores[r]),
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
                        get(base),
                        get(check),
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
            if tally[i].worst != AdverseEvent::None {
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
                day0: p.randomized_on.or(tally[i].earliest()),
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
                worst_adverse: tally[i].worst,
                attended_any: tally[i].attended_any,
            }
        }
    };
    // Contiguous pieces on up to `threads` threads, each written straight into the one
    // result vector (a million rows of ~220 bytes each): the same rows whatever the count.
    let (score_rows, derive_one) = (&score_rows, &derive_one);
    build_in_pieces(
        n,
        threads,
        &even_starts(n, threads),
        |_, range| {
            let mut cursor = score_rows.cursor(range.start);
            range.map(move |i| {
                let (base, check) = score_rows.rows(i, checkpoint, &mut cursor);
                derive_one(i, base, check)
            })
        },
        |_, _| (),
    )
    .0
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

/// One therapist's attended sessions with one participant: how many, and the earliest
/// (day, row of sessions.csv).
#[derive(Clone, Copy)]
struct Seen {
    therapist: u32,
    count: u32,
    first: (i32, u64),
}

impl Seen {
    /// An unused slot.
    const EMPTY: Seen = Seen {
        therapist: u32::MAX,
        count: 0,
        first: (0, 0),
    };
}

/// Per participant: the main therapist's index into `cohort.therapists` (None: no attended
/// session with a therapist), counting the sessions up to day `as_of`: the therapist who gave
/// most of the participant's attended sessions, a tie going to the one who gave the earliest
/// of them (by date, then by the row's order in sessions.csv), the one who started the care.
/// The audit groups participants by it, and `analyze --cluster therapist` clusters by it.
#[must_use]
pub fn main_therapists(cohort: &Cohort, as_of: i32) -> Vec<Option<usize>> {
    // Most participants see one or two therapists: two slots per participant in one flat
    // table (one cache line's worth, no allocation per participant, a single miss per row of
    // a session log in any order), and a map for the few who see more.
    let n = cohort.participants.len();
    let mut slots = vec![[Seen::EMPTY; 2]; n];
    let mut more: FxHashMap<u32, Vec<Seen>> = FxHashMap::default();
    let table = slots.as_ptr();
    each_session_prefetching(&cohort.sessions, table, |row, s| {
        let (Some(t), Status::Attended, true) = (s.therapist(), s.status(), s.day() <= as_of)
        else {
            return;
        };
        // Therapist numbers are u32 (`cohort::sessions`), so the index fits.
        let t = t as u32;
        let first = (s.day(), row as u64);
        let add = |e: &mut Seen| {
            e.count += 1;
            e.first = e.first.min(first);
        };
        let fresh = Seen {
            therapist: t,
            count: 1,
            first,
        };
        // Slots fill in order and never empty, so the first slot that is this therapist's
        // or empty is the one; the map is used only when both hold other therapists.
        match slots[s.participant as usize]
            .iter_mut()
            .find(|e| e.therapist == t || e.therapist == Seen::EMPTY.therapist)
        {
            Some(e) if e.therapist == t => add(e),
            Some(e) => *e = fresh,
            None => {
                let list = more.entry(s.participant).or_default();
                match list.iter_mut().find(|e| e.therapist == t) {
                    Some(e) => add(e),
                    None => list.push(fresh),
                }
            }
        }
    });
    slots
        .iter()
        .enumerate()
        .map(|(i, two)| {
            let extra = more.get(&(i as u32)).map_or(&[][..], Vec::as_slice);
            // Most sessions first; among equals the earliest (day, row), which is unique.
            two.iter()
                .chain(extra)
                .filter(|e| e.count > 0)
                .max_by(|a, b| a.count.cmp(&b.count).then(b.first.cmp(&a.first)))
                .map(|e| e.therapist as usize)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::worklist::{SoFar, sessions_so_far};
    use crate::cohort::LoadOptions;
    use crate::generate::{GenerateOptions, Profile, write_cohort};

    #[test]
    fn a_session_tally_fits_half_a_cache_line() {
        assert!(std::mem::size_of::<SessionTally>() <= 32);
    }

    #[test]
    fn pieces_cover_the_vector_in_order_empty_pieces_included() {
        let starts = [0, 0, 3, 3, 7];
        let seen = std::sync::Mutex::new(Vec::new());
        let (v, lens) = build_in_pieces(
            10,
            2,
            &starts,
            |k, range| range.map(move |i| (k, i)),
            |k, piece| {
                seen.lock().unwrap().push(k);
                (k, piece.len())
            },
        );
        let expected: Vec<(usize, usize)> = (0..10)
            .map(|i| (starts.iter().rposition(|&s| s <= i).unwrap(), i))
            .collect();
        assert_eq!(v, expected);
        assert_eq!(lens, [(0, 0), (1, 3), (2, 0), (3, 4), (4, 3)]);
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(even_starts(10, 3), [0, 4, 8]);
        assert_eq!(even_starts(2, 4), [0, 1]);
        assert_eq!(even_starts(0, 4), [0]);
        let (empty, _): (Vec<u8>, _) =
            build_in_pieces(0, 4, &even_starts(0, 4), |_, r| r.map(|_| 1), |_, _| ());
        assert!(empty.is_empty());
    }

    #[test]
    #[should_panic(expected = "was not filled")]
    fn a_piece_left_short_stops_before_the_vector_is_used() {
        build_in_pieces(10, 2, &[0, 5], |_, r| r.take(4).map(|i| i as u8), |_, _| ());
    }

    /// A generated cohort of `n` participants in a new folder. With `scramble`, the rows of
    /// sessions.csv and scores.csv are put in a fixed scrambled order (so the blocks read on
    /// several threads share participants and the scores are not sorted) and every seventh
    /// participant loses `randomized_on` (day 0 then comes from the sessions).
    fn cohort_dir(n: u64, scramble: bool) -> tempfile::TempDir {
        let opts = GenerateOptions::new(n, 7, Profile::Dream).unwrap();
        let (mut p, mut s, mut sc) = (Vec::new(), Vec::new(), Vec::new());
        write_cohort(&opts, &mut p, &mut s, &mut sc).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let lines = |bytes: &[u8]| -> Vec<String> {
            String::from_utf8(bytes.to_vec())
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        };
        let scrambled = |mut rows: Vec<String>| {
            if scramble {
                let len = rows.len() - 1;
                let mut order: Vec<usize> = (0..len).collect();
                order.sort_by_key(|&i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17);
                let body: Vec<String> = order.iter().map(|&i| rows[i + 1].clone()).collect();
                rows.truncate(1);
                rows.extend(body);
            }
            rows.join("\n") + "\n"
        };
        let mut people = lines(&p);
        if scramble {
            let column = people[0]
                .split(',')
                .position(|c| c == "randomized_on")
                .unwrap();
            for row in people.iter_mut().skip(1).step_by(7) {
                let mut cells: Vec<&str> = row.split(',').collect();
                cells[column] = "";
                *row = cells.join(",");
            }
        }
        std::fs::write(
            dir.path().join("participants.csv"),
            people.join("\n") + "\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("sessions.csv"), scrambled(lines(&s))).unwrap();
        std::fs::write(dir.path().join("scores.csv"), scrambled(lines(&sc))).unwrap();
        dir
    }

    /// The blocks of sessions follow participant order, each sharing at most its last
    /// participant with the next.
    fn blocks_in_order(cohort: &Cohort) -> bool {
        let ranges: Vec<(u32, u32)> = cohort
            .sessions
            .blocks()
            .iter()
            .filter(|b| !b.is_empty())
            .map(|b| {
                let ids = b.iter().map(|s| s.participant);
                (ids.clone().min().unwrap(), ids.max().unwrap())
            })
            .collect();
        ranges.windows(2).all(|w| w[0].1 <= w[1].0)
    }

    #[test]
    fn rows_do_not_depend_on_threads_blocks_or_row_order() {
        // 12,000 participants: sessions.csv is about 5 MB, read in several blocks.
        for scramble in [false, true] {
            let dir = cohort_dir(12_000, scramble);
            let one = Cohort::load(
                dir.path(),
                LoadOptions {
                    threads: 1,
                    digests: false,
                },
            )
            .unwrap();
            let many = Cohort::load(
                dir.path(),
                LoadOptions {
                    threads: 3,
                    digests: false,
                },
            )
            .unwrap();
            assert!(one.ledger.is_empty() && many.ledger.is_empty());
            // The layouts this test is about do occur: one block, several blocks in order
            // (one participant cut in two at a boundary), several blocks sharing many
            // participants, sorted and scrambled scores.
            assert_eq!(one.sessions.blocks().len(), 1);
            assert!(many.sessions.blocks().len() > 1);
            assert_eq!(blocks_in_order(&many), !scramble);
            assert_eq!(one.scores.is_sorted_by_key(|s| s.participant), !scramble);
            assert_eq!(
                one.participants.iter().any(|p| p.randomized_on.is_none()),
                scramble
            );
            // The session log itself, therapists renumbered block by block on threads.
            let log = |c: &Cohort| -> Vec<(u32, i32, Option<String>, Decimal)> {
                c.sessions
                    .iter()
                    .map(|s| {
                        let therapist = s.therapist().map(|t| c.therapists[t].clone());
                        (s.participant, s.day(), therapist, c.sessions.minutes(s))
                    })
                    .collect()
            };
            assert!(many.sessions.blocks().len() > 2);
            assert_eq!(log(&one), log(&many));
            let reference = derive(&one, 1);
            // What the audit takes from these rows when no session is dated after its date
            // is what its own pass over the sessions gives.
            let last = one.sessions.iter().map(|s| s.day()).max().unwrap();
            let from_rows: Vec<SoFar> = reference.iter().map(SoFar::of).collect();
            assert_eq!(sessions_so_far(&one, &reference, last), from_rows);
            assert!(from_rows.iter().any(|s| s.worst != AdverseEvent::None));
            assert!(from_rows.iter().any(|s| !s.attended));
            assert!(sessions_so_far(&one, &reference, last - 30) != from_rows);
            assert_eq!(derive(&one, 4), reference);
            assert_eq!(derive(&many, 1), reference);
            assert_eq!(derive(&many, 3), reference);
            if scramble {
                // Row order does not matter: the same participants, file sorted.
                let sorted = cohort_dir(12_000, false);
                let sorted = Cohort::load(
                    sorted.path(),
                    LoadOptions {
                        threads: 3,
                        digests: false,
                    },
                )
                .unwrap();
                let expected = derive(&sorted, 3);
                assert_eq!(reference.len(), expected.len());
                for (i, p) in one.participants.iter().enumerate() {
                    if p.randomized_on.is_some() {
                        assert_eq!(reference[i], expected[i], "participant {}", p.id);
                    } else {
                        // Day 0 (so the window) now comes from the sessions: the scores
                        // still agree.
                        assert_eq!(reference[i].pain, expected[i].pain, "participant {}", p.id);
                        assert_eq!(reference[i].ndi, expected[i].ndi, "participant {}", p.id);
                    }
                }
            }
        }
    }
}

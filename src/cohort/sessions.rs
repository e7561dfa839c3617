//! `sessions.csv`: the session log, one row per scheduled or attended visit. This is the
//! largest file (about ten rows per participant), so rows are checked on several threads
//! into compact records, with therapists interned to numbers.

use std::num::NonZeroU32;

use rustc_hash::FxHashMap;

use super::columns::{Columns, RowProblems, cell, header_rejections, shape_problem};
use super::csvfile::{self, CsvSource};
use super::ledger::{CohortFile, Rejection};
use super::roster::Roster;
use super::value::{DateParser, Decimal};

const KNOWN: [&str; 6] = [
    "participant_id",
    "date",
    "minutes",
    "status",
    "therapist",
    "adverse_event",
];
const REQUIRED: [&str; 2] = ["participant_id", "date"];

/// What happened to a scheduled visit.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Status {
    /// The session took place.
    Attended,
    /// The participant did not come.
    Missed,
    /// The visit was cancelled.
    Cancelled,
}

/// Adverse event recorded at a session.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd)]
pub enum AdverseEvent {
    /// None.
    None,
    /// Mild.
    Mild,
    /// Moderate.
    Moderate,
    /// Severe.
    Severe,
}

/// Day numbers are kept in 24 bits, offset by this: `parse_date` takes four-digit years only,
/// whose day numbers (-719,528 for 0000-01-01 to 2,932,896 for 9999-12-31) lie well inside
/// plus or minus 2^23.
const DAY_BIAS: i32 = 1 << 23;
const DAY_BITS: u32 = (1 << 24) - 1;
/// Minutes codes from here up are indices into the log's table of values with more than six
/// decimals (below it, a code is the minutes in millionths: 240 minutes is 240,000,000).
const UNUSUAL_MINUTES: u32 = 1 << 31;

/// An accepted session row, kept compact (16 bytes): a million-participant cohort has about
/// ten million of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// Index of the participant in the cohort.
    pub participant: u32,
    /// Day number (24 bits), status (2 bits) and adverse event (2 bits).
    packed: u32,
    /// Minutes in millionths, or `UNUSUAL_MINUTES + i` for the log's `i`th unusual value.
    minutes: u32,
    therapist: Option<NonZeroU32>,
}

impl Session {
    fn new(
        participant: u32,
        day: i32,
        status: Status,
        adverse_event: AdverseEvent,
        minutes: u32,
        therapist: Option<NonZeroU32>,
    ) -> Session {
        debug_assert!((-DAY_BIAS..DAY_BIAS).contains(&day));
        let packed = ((day + DAY_BIAS) as u32 & DAY_BITS)
            | (status as u32) << 24
            | (adverse_event as u32) << 26;
        Session {
            participant,
            packed,
            minutes,
            therapist,
        }
    }
    /// Day number of the visit.
    #[inline]
    pub fn day(&self) -> i32 {
        (self.packed & DAY_BITS) as i32 - DAY_BIAS
    }
    /// Status.
    #[inline]
    pub fn status(&self) -> Status {
        match (self.packed >> 24) & 3 {
            0 => Status::Attended,
            1 => Status::Missed,
            _ => Status::Cancelled,
        }
    }
    /// Adverse event.
    #[inline]
    pub fn adverse_event(&self) -> AdverseEvent {
        match (self.packed >> 26) & 3 {
            0 => AdverseEvent::None,
            1 => AdverseEvent::Mild,
            2 => AdverseEvent::Moderate,
            _ => AdverseEvent::Severe,
        }
    }
    /// Minutes in millionths, when the value has at most six decimals (nearly always).
    #[inline]
    pub fn minutes_in_millionths(&self) -> Option<u32> {
        (self.minutes < UNUSUAL_MINUTES).then_some(self.minutes)
    }
    /// Index into the cohort's therapist names, when a therapist is given.
    pub fn therapist(&self) -> Option<usize> {
        self.therapist.map(|t| t.get() as usize - 1)
    }
}

/// A running total of minutes: whole millionths in an integer, the rare values with more
/// decimals exactly beside it.
#[derive(Clone, Copy, Debug, Default)]
pub struct MinutesTotal {
    millionths: u64,
    unusual: Decimal,
}

impl MinutesTotal {
    /// Adds one session's minutes.
    #[inline]
    pub fn add(&mut self, s: &Session, log: &SessionLog) {
        match s.minutes_in_millionths() {
            Some(m) => self.millionths += u64::from(m),
            None => {
                self.unusual = self
                    .unusual
                    .checked_add(log.minutes(s))
                    .unwrap_or(self.unusual)
            }
        }
    }
    /// Adds another total.
    pub fn merge(&mut self, other: MinutesTotal) {
        self.millionths += other.millionths;
        self.unusual = self
            .unusual
            .checked_add(other.unusual)
            .unwrap_or(self.unusual);
    }
    /// The exact total (saturating at a decimal's range, about 9.2e12 minutes).
    pub fn total(self) -> Decimal {
        Decimal::from_millionths(self.millionths)
            .and_then(|d| d.checked_add(self.unusual))
            .unwrap_or(self.unusual)
    }
}

fn therapist_number(index: usize) -> Option<NonZeroU32> {
    u32::try_from(index + 1).ok().and_then(NonZeroU32::new)
}

/// Accepted session rows in file order, kept in the blocks they were checked in (a single
/// vector would cost a copy of every row).
#[derive(Debug, Default, Clone)]
pub struct SessionLog {
    blocks: Vec<Vec<Session>>,
    /// Minutes with more than six decimals, in order of first appearance.
    unusual_minutes: Vec<Decimal>,
}

impl SessionLog {
    /// A session's minutes, exact (0 when the cell was empty on a missed or cancelled row).
    pub fn minutes(&self, s: &Session) -> Decimal {
        match s.minutes_in_millionths() {
            Some(m) => Decimal::from_millionths(u64::from(m)).unwrap_or(Decimal::ZERO),
            None => self.unusual_minutes[(s.minutes - UNUSUAL_MINUTES) as usize],
        }
    }
    /// Every session, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Session> + '_ {
        self.blocks.iter().flatten()
    }
    /// The blocks, in file order (for work split across threads).
    pub fn blocks(&self) -> &[Vec<Session>] {
        &self.blocks
    }
    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for &'a SessionLog {
    type Item = &'a Session;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Session>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.blocks.iter().flatten()
    }
}

/// The outcome of reading sessions.csv.
#[derive(Debug, Default)]
pub struct SessionsRead {
    /// Accepted rows in file order.
    pub accepted: SessionLog,
    /// Therapist names in order of first appearance.
    pub therapists: Vec<String>,
    /// Rejections.
    pub rejections: Vec<Rejection>,
    /// Data rows read.
    pub rows: u64,
    /// Data rows rejected.
    pub rejected: u64,
    /// Unknown columns.
    pub ignored_columns: Vec<String>,
    /// Line of the header; records there are about the file, not a row.
    pub header_line: u64,
}

#[derive(Default)]
struct Chunk {
    rows: u64,
    rejected: u64,
    accepted: Vec<Session>,
    rejections: Vec<Rejection>,
    therapist_ids: FxHashMap<String, u32>,
    therapists: Vec<String>,
    unusual_ids: FxHashMap<Decimal, u32>,
    unusual: Vec<Decimal>,
    last_id: String,
    last_resolved: Option<Result<u32, String>>,
    hint: u32,
    last_therapist: (String, Option<NonZeroU32>),
    problems: RowProblems,
    dates: DateParser,
}

/// Reads and checks every row.
pub fn read(source: &CsvSource<'_>, roster: &Roster<'_>, threads: usize) -> SessionsRead {
    let mut cols = Columns::map(source.header(), &KNOWN, &REQUIRED);
    cols.utf8 = source.is_utf8();
    let max_minutes = Decimal::from_int(240);
    let chunks = csvfile::process(source, threads, Chunk::default, |st: &mut Chunk, rec| {
        if st.rows == 0 {
            st.accepted.reserve(rec.rows_hint());
        }
        st.rows += 1;
        let mut problems = std::mem::take(&mut st.problems);
        if let Some(reason) = shape_problem(rec, &cols) {
            let column = cols.fatal.as_ref().map(|f| f.0.as_str()).unwrap_or("");
            problems.add(column, "", reason);
            problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections);
            st.rejected += 1;
            st.problems = problems;
            return;
        }
        let c = |k: usize, p: &mut RowProblems| cell(rec, &cols, k, KNOWN[k], p);
        let id = c(0, &mut problems);
        if !csvfile::same_text(id, &st.last_id) || st.last_resolved.is_none() {
            st.last_id.clear();
            st.last_id.push_str(id);
            st.last_resolved = Some(roster.resolve_near(id, &mut st.hint, "sessions"));
        }
        let participant = match &st.last_resolved {
            Some(Ok(p)) => Some(*p),
            Some(Err(reason)) => {
                problems.add("participant_id", id, reason.clone());
                None
            }
            None => None,
        };
        let date_text = c(1, &mut problems);
        let day = if date_text.is_empty() {
            problems.add("date", "", "date is required (YYYY-MM-DD)");
            None
        } else {
            match st.dates.parse(date_text) {
                Ok(d) => Some(d),
                Err(why) => {
                    problems.add("date", date_text, format!("date {why} (e.g. 2012-03-31)"));
                    None
                }
            }
        };
        let status_text = c(3, &mut problems);
        let status = match status_text {
            "" | "attended" => Status::Attended,
            "missed" => Status::Missed,
            "cancelled" => Status::Cancelled,
            other => {
                problems.add(
                    "status",
                    other,
                    "status must be `attended`, `missed` or `cancelled` (empty means attended)",
                );
                Status::Attended
            }
        };
        let minutes_text = c(2, &mut problems);
        let minutes = if minutes_text.is_empty() {
            if matches!(status_text, "" | "attended") {
                problems.add("minutes", "", "minutes is required when status is attended (a number above 0 and at most 240)");
            }
            None
        } else {
            match Decimal::parse(minutes_text) {
                Ok(m) if m.is_positive() && m <= max_minutes => Some(m),
                Ok(_) => {
                    problems.add(
                        "minutes",
                        minutes_text,
                        "minutes is outside the allowed range: above 0 and at most 240",
                    );
                    None
                }
                Err(why) => {
                    problems.add(
                        "minutes",
                        minutes_text,
                        format!("minutes {why}; allowed a number above 0 and at most 240"),
                    );
                    None
                }
            }
        };
        let therapist_text = c(4, &mut problems);
        let ae_text = c(5, &mut problems);
        let adverse_event = match ae_text {
            "" | "none" => AdverseEvent::None,
            "mild" => AdverseEvent::Mild,
            "moderate" => AdverseEvent::Moderate,
            "severe" => AdverseEvent::Severe,
            other => {
                problems.add("adverse_event", other, "adverse_event must be `none`, `mild`, `moderate` or `severe` (empty means none)");
                AdverseEvent::None
            }
        };
        match (participant, day, problems.is_empty()) {
            (Some(participant), Some(day), true) => {
                let therapist = if therapist_text.is_empty() {
                    None
                } else if csvfile::same_text(&st.last_therapist.0, therapist_text) {
                    st.last_therapist.1
                } else if let Some(&t) = st.therapist_ids.get(therapist_text) {
                    therapist_number(t as usize)
                } else {
                    let t = st.therapists.len();
                    st.therapists.push(therapist_text.to_owned());
                    st.therapist_ids.insert(therapist_text.to_owned(), t as u32);
                    therapist_number(t)
                };
                if !csvfile::same_text(&st.last_therapist.0, therapist_text) {
                    st.last_therapist.0.clear();
                    st.last_therapist.0.push_str(therapist_text);
                    st.last_therapist.1 = therapist;
                }
                let minutes = minutes.unwrap_or(Decimal::ZERO);
                let minutes = match minutes.to_millionths() {
                    Some(m) if m < UNUSUAL_MINUTES => m,
                    _ => {
                        let next = st.unusual.len() as u32;
                        let i = *st.unusual_ids.entry(minutes).or_insert_with(|| {
                            st.unusual.push(minutes);
                            next
                        });
                        // A chunk has fewer rows than 2^31, so the code stays in range.
                        UNUSUAL_MINUTES + i
                    }
                };
                st.accepted.push(Session::new(
                    participant,
                    day,
                    status,
                    adverse_event,
                    minutes,
                    therapist,
                ));
            }
            _ => {
                problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections);
                st.rejected += 1;
            }
        }
        st.problems = problems;
    });

    // Merge: therapist numbers become global, in order of first appearance in the file
    // (the same whatever the number of chunks).
    let mut out = SessionsRead {
        ignored_columns: cols.ignored.clone(),
        rejections: header_rejections(CohortFile::Sessions, source, &cols),
        header_line: source.header_line(),
        ..Default::default()
    };
    let mut global: FxHashMap<String, u32> = FxHashMap::default();
    let mut unusual_global: FxHashMap<Decimal, u32> = FxHashMap::default();
    for mut ch in chunks {
        out.rows += ch.rows;
        out.rejected += ch.rejected;
        let remap: Vec<Option<NonZeroU32>> = ch
            .therapists
            .into_iter()
            .map(|name| {
                let next = out.therapists.len() as u32;
                let g = *global.entry(name.clone()).or_insert_with(|| {
                    out.therapists.push(name);
                    next
                });
                therapist_number(g as usize)
            })
            .collect();
        let minutes_remap: Vec<u32> = ch
            .unusual
            .into_iter()
            .map(|m| {
                let next = out.accepted.unusual_minutes.len() as u32;
                let g = *unusual_global.entry(m).or_insert_with(|| {
                    out.accepted.unusual_minutes.push(m);
                    next
                });
                UNUSUAL_MINUTES + g
            })
            .collect();
        // Renumber in place, and only when the block's numbering differs from the global one.
        let therapists_differ = remap
            .iter()
            .enumerate()
            .any(|(i, t)| *t != therapist_number(i));
        let minutes_differ = minutes_remap
            .iter()
            .enumerate()
            .any(|(i, &m)| m != UNUSUAL_MINUTES + i as u32);
        if therapists_differ || minutes_differ {
            for s in &mut ch.accepted {
                s.therapist = s.therapist.and_then(|t| remap[t.get() as usize - 1]);
                if s.minutes >= UNUSUAL_MINUTES {
                    s.minutes = minutes_remap[(s.minutes - UNUSUAL_MINUTES) as usize];
                }
            }
        }
        out.accepted.blocks.push(ch.accepted);
        out.rejections.extend(ch.rejections);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_fields_read_back() {
        let statuses = [Status::Attended, Status::Missed, Status::Cancelled];
        let events = [
            AdverseEvent::None,
            AdverseEvent::Mild,
            AdverseEvent::Moderate,
            AdverseEvent::Severe,
        ];
        let first = crate::cohort::value::parse_date("0000-01-01").unwrap();
        let last = crate::cohort::value::parse_date("9999-12-31").unwrap();
        for day in [first, first + 1, -1, 0, 1, 15_000, last - 1, last] {
            for status in statuses {
                for event in events {
                    let s = Session::new(7, day, status, event, 240_000_000, therapist_number(3));
                    assert_eq!(
                        (s.day(), s.status(), s.adverse_event(), s.therapist()),
                        (day, status, event, Some(3))
                    );
                    assert_eq!(s.minutes_in_millionths(), Some(240_000_000));
                }
            }
        }
        assert_eq!(std::mem::size_of::<Session>(), 16);
    }

    #[test]
    fn minutes_totals_are_exact() {
        let d = |t: &str| Decimal::parse(t).unwrap();
        let log = SessionLog {
            blocks: Vec::new(),
            unusual_minutes: vec![d("0.1234567"), d("239.9999999")],
        };
        let session =
            |minutes| Session::new(0, 0, Status::Attended, AdverseEvent::None, minutes, None);
        let mut total = MinutesTotal::default();
        for text in ["30", "45.5", "0.000001", "240"] {
            let m = d(text).to_millionths().unwrap();
            total.add(&session(m), &log);
            assert_eq!(log.minutes(&session(m)), d(text));
        }
        total.add(&session(UNUSUAL_MINUTES), &log);
        total.add(&session(UNUSUAL_MINUTES + 1), &log);
        assert_eq!(log.minutes(&session(UNUSUAL_MINUTES + 1)), d("239.9999999"));
        let mut other = MinutesTotal::default();
        other.add(&session(UNUSUAL_MINUTES), &log);
        total.merge(other);
        // 30 + 45.5 + 0.000001 + 240 + 0.1234567 + 239.9999999 + 0.1234567
        assert_eq!(total.total(), d("555.7469143"));
        assert_eq!(d("30.1234567").to_millionths(), None);
        assert_eq!(d("-1").to_millionths(), None);
        assert_eq!(d("0").to_millionths(), Some(0));
    }
}

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

/// An accepted session row, kept compact (32 bytes): a million-participant cohort has about
/// ten million of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Session {
    /// Index of the participant in the cohort.
    pub participant: u32,
    /// Day number of the visit.
    pub day: i32,
    /// Minutes, exact; 0 when the cell is empty (allowed only on missed or cancelled rows).
    pub minutes: Decimal,
    therapist: Option<NonZeroU32>,
    /// Status.
    pub status: Status,
    /// Adverse event.
    pub adverse_event: AdverseEvent,
}

impl Session {
    /// Index into the cohort's therapist names, when a therapist is given.
    pub fn therapist(&self) -> Option<usize> {
        self.therapist.map(|t| t.get() as usize - 1)
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
}

impl SessionLog {
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
                st.accepted.push(Session {
                    participant,
                    day,
                    minutes: minutes.unwrap_or(Decimal::ZERO),
                    status,
                    therapist,
                    adverse_event,
                });
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
        // Renumber in place, and only when the block's numbering differs from the global one.
        if remap
            .iter()
            .enumerate()
            .any(|(i, t)| *t != therapist_number(i))
        {
            for s in &mut ch.accepted {
                s.therapist = s.therapist.and_then(|t| remap[t.get() as usize - 1]);
            }
        }
        out.accepted.blocks.push(ch.accepted);
        out.rejections.extend(ch.rejections);
    }
    out
}

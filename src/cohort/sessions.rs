//! `sessions.csv`: the session log, one row per scheduled or attended visit. This is the
//! largest file (about ten rows per participant), so rows are checked on several threads
//! into compact records, with therapists interned to numbers.

use rustc_hash::FxHashMap;

use super::columns::{Columns, RowProblems, cell, shape_problem};
use super::csvfile::{self, CsvSource};
use super::ledger::{CohortFile, Rejection};
use super::roster::Roster;
use super::value::{Decimal, parse_date};

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

/// An accepted session row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Session {
    /// Index of the participant in the cohort.
    pub participant: u32,
    /// Day number of the visit.
    pub day: i32,
    /// Minutes, when given.
    pub minutes: Option<f64>,
    /// Status.
    pub status: Status,
    /// Index into the cohort's therapist names.
    pub therapist: Option<u32>,
    /// Adverse event.
    pub adverse_event: AdverseEvent,
}

/// The outcome of reading sessions.csv.
#[derive(Debug, Default)]
pub struct SessionsRead {
    /// Accepted rows in file order.
    pub accepted: Vec<Session>,
    /// Therapist names in order of first appearance.
    pub therapists: Vec<String>,
    /// Rejections.
    pub rejections: Vec<Rejection>,
    /// Data rows read.
    pub rows: u64,
    /// Unknown columns.
    pub ignored_columns: Vec<String>,
}

#[derive(Default)]
struct Chunk {
    rows: u64,
    accepted: Vec<Session>,
    rejections: Vec<Rejection>,
    therapist_ids: FxHashMap<String, u32>,
    therapists: Vec<String>,
    last_id: String,
    last_resolved: Option<Result<u32, String>>,
    problems: RowProblems,
}

/// Reads and checks every row.
pub fn read(source: &CsvSource<'_>, roster: &Roster<'_>, threads: usize) -> SessionsRead {
    let cols = Columns::map(source.header(), &KNOWN, &REQUIRED);
    let max_minutes = Decimal::from_int(240);
    let chunks = csvfile::process(source, threads, Chunk::default, |st: &mut Chunk, rec| {
        st.rows += 1;
        let mut problems = std::mem::take(&mut st.problems);
        if let Some(reason) = shape_problem(rec, &cols) {
            let column = cols.fatal.as_ref().map(|f| f.0.as_str()).unwrap_or("");
            problems.add(column, "", reason);
            problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections);
            st.problems = problems;
            return;
        }
        let c = |k: usize, p: &mut RowProblems| cell(rec, &cols, k, KNOWN[k], p);
        let id = c(0, &mut problems);
        if id != st.last_id || st.last_resolved.is_none() {
            st.last_id.clear();
            st.last_id.push_str(id);
            st.last_resolved = Some(roster.resolve(id, "sessions"));
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
            match parse_date(date_text) {
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
                Ok(m) if m.is_positive() && m <= max_minutes => Some(m.to_f64()),
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
                } else if let Some(&t) = st.therapist_ids.get(therapist_text) {
                    Some(t)
                } else {
                    let t = st.therapists.len() as u32;
                    st.therapists.push(therapist_text.to_owned());
                    st.therapist_ids.insert(therapist_text.to_owned(), t);
                    Some(t)
                };
                st.accepted.push(Session {
                    participant,
                    day,
                    minutes,
                    status,
                    therapist,
                    adverse_event,
                });
            }
            _ => problems.drain_into(CohortFile::Sessions, rec.line(), &mut st.rejections),
        }
        st.problems = problems;
    });

    // Merge: therapist numbers become global, in order of first appearance in the file
    // (the same whatever the number of chunks).
    let mut out = SessionsRead {
        ignored_columns: cols.ignored.clone(),
        ..Default::default()
    };
    let mut global: FxHashMap<String, u32> = FxHashMap::default();
    for ch in chunks {
        out.rows += ch.rows;
        let remap: Vec<u32> = ch
            .therapists
            .into_iter()
            .map(|name| {
                let next = out.therapists.len() as u32;
                *global.entry(name.clone()).or_insert_with(|| {
                    out.therapists.push(name);
                    next
                })
            })
            .collect();
        out.accepted.extend(ch.accepted.into_iter().map(|mut s| {
            s.therapist = s.therapist.map(|t| remap[t as usize]);
            s
        }));
        out.rejections.extend(ch.rejections);
    }
    out
}

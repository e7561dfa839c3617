//! `scores.csv`: outcome measurements, one row per participant and week, kept as exact
//! decimals. A repeated (participant, week) that agrees in every value is an ignored exact
//! duplicate; one that disagrees rejects all its rows, because nothing is guessed.

use super::columns::{Columns, RowProblems, cell, header_rejections, shape_problem};
use super::csvfile::{self, CsvSource};
use super::duplicates;
use super::ledger::{CohortFile, IgnoredDuplicate, Rejection};
use super::roster::Roster;
use super::value::{Decimal, parse_whole};
use crate::domain::protocol::Protocol;

/// The contract's columns of scores.csv besides the markers `trial.toml` declares.
pub const KNOWN: [&str; 4] = ["participant_id", "week", "pain", "ndi"];
/// The columns scores.csv must have.
pub const REQUIRED: [&str; 2] = ["participant_id", "week"];
/// Its columns holding numbers (markers hold numbers too).
pub const NUMERIC: [&str; 3] = ["week", "pain", "ndi"];

/// Highest week number allowed.
pub const MAX_WEEK: i64 = 104;

/// An accepted score row. Marker values are in [`ScoresRead::markers`], `markers.len()`
/// values per row, in the order the protocol declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    /// Index of the participant.
    pub participant: u32,
    /// Week (0 is the baseline).
    pub week: u32,
    /// Pain, on 0..=max.
    pub pain: Option<Decimal>,
    /// Neck Disability Index, on 0..=max.
    pub ndi: Option<Decimal>,
    /// Line of the row.
    pub line: u64,
}

/// The outcome of reading scores.csv.
#[derive(Debug, Default)]
pub struct ScoresRead {
    /// Accepted rows in file order.
    pub accepted: Vec<Score>,
    /// Marker values of accepted rows, row-major.
    pub markers: Vec<Option<Decimal>>,
    /// Rejections.
    pub rejections: Vec<Rejection>,
    /// Ignored exact duplicates.
    pub duplicates: Vec<IgnoredDuplicate>,
    /// Data rows read.
    pub rows: u64,
    /// Data rows rejected.
    pub rejected: u64,
    /// Unknown columns.
    pub ignored_columns: Vec<String>,
    /// Line of the header; records there are about the file, not a row.
    pub header_line: u64,
    /// Declared markers missing from the header.
    pub missing_markers: Vec<String>,
}

#[derive(Default)]
struct Chunk {
    rows: u64,
    rejected: u64,
    parsed: Vec<Score>,
    markers: Vec<Option<Decimal>>,
    rejections: Vec<Rejection>,
    hint: u32,
}

impl Chunk {
    /// Takes a row without markers (its four cells in the contract's order, as read:
    /// untrimmed) when every cell is in its usual form: an id the roster knows, a week 0-104
    /// written without leading zeros, pain and NDI empty or in range (at least one given),
    /// and no spaces to trim. Anything else returns `None` untouched, and the row goes
    /// through the full checks; so a row taken here is accepted exactly as they would accept
    /// it.
    #[inline]
    fn take(
        &mut self,
        [id, week, pain, ndi]: [&str; 4],
        (line, rows_hint): (u64, usize),
        roster: &Roster<'_>,
        max: [Decimal; 2],
    ) -> Option<()> {
        let clean = csvfile::untrimmed;
        if !(clean(id) && clean(week) && clean(pain) && clean(ndi)) {
            return None;
        }
        let digit = |d: u8| u32::from(d - b'0');
        let week = match *week.as_bytes() {
            [d @ b'0'..=b'9'] => digit(d),
            [a @ b'1'..=b'9', b @ b'0'..=b'9'] => digit(a) * 10 + digit(b),
            [b'1', b'0', c @ b'0'..=b'4'] => 100 + digit(c),
            _ => return None,
        };
        let value = |text: &str, max: Decimal| match text {
            "" => Some(None),
            _ => match Decimal::parse(text) {
                Ok(v) if v >= Decimal::ZERO && v <= max => Some(Some(v)),
                _ => None,
            },
        };
        let (pain, ndi) = (value(pain, max[0])?, value(ndi, max[1])?);
        if pain.is_none() && ndi.is_none() {
            return None;
        }
        let participant = roster.resolve_near(id, &mut self.hint, "scores").ok()?;
        csvfile::count_row(&mut self.rows, &mut self.parsed, rows_hint);
        self.parsed.push(Score {
            participant,
            week,
            pain,
            ndi,
            line,
        });
        Some(())
    }
}

/// Reads and checks every row, then resolves duplicates.
pub fn read(
    source: &CsvSource<'_>,
    protocol: &Protocol,
    roster: &Roster<'_>,
    threads: usize,
) -> ScoresRead {
    read_with(source, protocol, roster, threads, true)
}

/// `read`, with the fast path for plain lines on or off (the tests compare the two).
fn read_with(
    source: &CsvSource<'_>,
    protocol: &Protocol,
    roster: &Roster<'_>,
    threads: usize,
    fast_path: bool,
) -> ScoresRead {
    let mut known: Vec<&str> = KNOWN.to_vec();
    known.extend(protocol.markers().iter().map(|m| m.column()));
    let cols = Columns::of(source, CohortFile::Scores, &known, &REQUIRED);
    let n_markers = protocol.markers().len();
    let pain_max = protocol.pain_max();
    let ndi_max = protocol.ndi_max();
    // The fast path reads files of the four columns in any order, without markers (a
    // declared marker lengthens the known columns past four): plain lines straight from the
    // bytes, other records (quoted cells, CRLF) once tokenized.
    let max = [pain_max, ndi_max];
    let order = cols.order::<4>().filter(|_| fast_path);
    let fast = order.map(|order| {
        move |st: &mut Chunk, line: &csvfile::Line<'_>| {
            let (fields, consumed) = line.fields_in(&order)?;
            st.take(fields, (line.number, line.rows_hint), roster, max)?;
            Some(consumed)
        }
    });
    let chunks = csvfile::process_lines(
        source,
        csvfile::Split {
            threads,
            chunks_per_thread: 1,
        },
        Chunk::default,
        fast,
        |st: &mut Chunk, rec| {
            if let Some(fields) = order.and_then(|o| rec.fields_in(&o))
                && st
                    .take(fields, (rec.line(), rec.rows_hint()), roster, max)
                    .is_some()
            {
                return;
            }
            csvfile::count_row(&mut st.rows, &mut st.parsed, rec.rows_hint());
            let mut problems = RowProblems::default();
            if let Some(reason) = shape_problem(rec, &cols) {
                let column = cols.fatal.as_ref().map(|f| f.0.as_str()).unwrap_or("");
                problems.add(column, "", reason);
                problems.drain_into(CohortFile::Scores, rec.line(), &mut st.rejections);
                st.rejected += 1;
                return;
            }
            let c = |k: usize, p: &mut RowProblems| cell(rec, &cols, k, known[k], p);
            let id = c(0, &mut problems);
            let participant = roster
                .resolve_near(id, &mut st.hint, "scores")
                .map_err(|reason| problems.add("participant_id", id, reason))
                .ok();
            let week_text = c(1, &mut problems);
            let week = match parse_whole(week_text) {
                Ok(w) if (0..=MAX_WEEK).contains(&w) => Some(w as u32),
                Ok(_) => {
                    problems.add(
                        "week",
                        week_text,
                        "week is outside the allowed range 0 to 104 (0 is the baseline)",
                    );
                    None
                }
                Err(_) if week_text.is_empty() => {
                    problems.add(
                        "week",
                        "",
                        "week is required (a whole number 0 to 104; 0 is the baseline)",
                    );
                    None
                }
                Err(why) => {
                    problems.add("week", week_text, format!("week {why}; allowed 0 to 104"));
                    None
                }
            };
            let bounded = |k: usize, max: Decimal, p: &mut RowProblems| -> Option<Decimal> {
                let text = c(k, p);
                if text.is_empty() {
                    return None;
                }
                let name = known[k];
                match Decimal::parse(text) {
                    Ok(v) if v >= Decimal::ZERO && v <= max => Some(v),
                    Ok(_) => {
                        p.add(name, text, format!("{name} is outside the scale's range 0 to {max} (the scale's max is set in trial.toml)"));
                        None
                    }
                    Err(why) => {
                        p.add(
                            name,
                            text,
                            format!("{name} {why}; allowed a number from 0 to {max}"),
                        );
                        None
                    }
                }
            };
            let pain = bounded(2, pain_max, &mut problems);
            let ndi = bounded(3, ndi_max, &mut problems);
            let start = st.markers.len();
            let mut any_marker = false;
            for m in 0..n_markers {
                let k = 4 + m;
                let text = c(k, &mut problems);
                let v = if text.is_empty() {
                    None
                } else {
                    match Decimal::parse(text) {
                        Ok(v) => Some(v),
                        Err(why) => {
                            problems.add(
                                known[k],
                                text,
                                format!("marker {} {why}; write a plain number", known[k]),
                            );
                            None
                        }
                    }
                };
                any_marker |= v.is_some();
                st.markers.push(v);
            }
            let any_value = pain.is_some() || ndi.is_some() || any_marker;
            if !any_value && problems.is_empty() {
                problems.add(
                    "",
                    "",
                    "the row has no pain, ndi or marker value; a score row must carry at least one",
                );
            }
            match (participant, week, problems.is_empty()) {
                (Some(participant), Some(week), true) => st.parsed.push(Score {
                    participant,
                    week,
                    pain,
                    ndi,
                    line: rec.line(),
                }),
                _ => {
                    st.markers.truncate(start);
                    problems.drain_into(CohortFile::Scores, rec.line(), &mut st.rejections);
                    st.rejected += 1;
                }
            }
        },
    );

    let mut out = ScoresRead {
        ignored_columns: cols.ignored.clone(),
        rejections: header_rejections(CohortFile::Scores, source, &cols),
        header_line: source.header_line(),
        missing_markers: protocol
            .markers()
            .iter()
            .enumerate()
            .filter(|(i, _)| cols.index[4 + i].is_none())
            .map(|(_, m)| m.column().to_owned())
            .collect(),
        ..Default::default()
    };
    let (mut parsed, mut markers) = (Vec::new(), Vec::new());
    for ch in chunks {
        out.rows += ch.rows;
        out.rejected += ch.rejected;
        parsed.push(ch.parsed);
        markers.push(ch.markers);
        out.rejections.extend(ch.rejections);
    }
    let (parsed, markers) = (
        csvfile::concat(parsed, threads),
        csvfile::concat(markers, threads),
    );
    dedupe(parsed, markers, n_markers, &mut out);
    out
}

fn dedupe(parsed: Vec<Score>, markers: Vec<Option<Decimal>>, n: usize, out: &mut ScoresRead) {
    let row_markers = |i: usize| &markers[i * n..(i + 1) * n];
    let repeats = duplicates::find(
        parsed.len(),
        |i| (parsed[i].participant, parsed[i].week),
        |a, b| {
            let (x, y) = (&parsed[a], &parsed[b]);
            x.pain == y.pain && x.ndi == y.ndi && row_markers(a) == row_markers(b)
        },
    );
    if repeats.sorted {
        out.accepted = parsed;
        out.markers = markers;
        return;
    }
    out.duplicates
        .extend(repeats.ignored_notices(CohortFile::Scores, |i| parsed[i].line));
    for group in &repeats.conflicts {
        let week = parsed[group[0]].week;
        let lines: Vec<String> = group.iter().map(|&i| parsed[i].line.to_string()).collect();
        out.rejected += group.len() as u64;
        for &i in group {
            out.rejections.push(Rejection {
                file: CohortFile::Scores,
                source: None,
                line: parsed[i].line,
                column: "week".into(),
                value: week.to_string(),
                reason: format!(
                    "conflicting duplicate: this participant has week {week} on lines {} with different values; keep one row (nothing is guessed)",
                    lines.join(", ")
                ),
            });
        }
    }
    let drop = repeats.dropped(parsed.len());
    for (i, s) in parsed.into_iter().enumerate() {
        if !drop[i] {
            out.accepted.push(s);
            out.markers.extend_from_slice(row_markers(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_accepts_and_rejects_exactly_like_the_full_checks() {
        let mut people = String::from("participant_id,arm\nP4,60x2\nP4,30x1\n");
        for i in 0..1000 {
            people.push_str(&format!("Q{i},60x2\n"));
        }
        let protocol = Protocol::dream();
        let people =
            crate::cohort::participants::read(&CsvSource::new(people.as_bytes()), &protocol, 1);
        let roster = Roster::new(&people.accepted, &people.rejected_ids);
        // 110,000 rows (about 2.2 MB, read as one chunk and as two): mostly distinct
        // participant-weeks in their usual form, with unusual ids, weeks and values mixed in
        // (some making duplicates), rows with too few or too many fields, and blank lines.
        let odd_ids = ["P4", "P9", "", " Q1", "Q2 "];
        let odd_weeks = ["105", "05", "-0", "1.0", "", " 5", "x"];
        let values = [
            "7",
            "4.5",
            "0",
            "10",
            "",
            "10.0",
            "10.5",
            "-1",
            "50",
            "51",
            "3e1",
            " 4",
            "4 ",
            "abc",
            "0.0000001",
            "+3",
        ];
        let mut body = String::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as usize
        };
        for row in 0..110_000usize {
            match row % 997 {
                0 => body.push_str("Q1,5,4\n"),
                1 => body.push_str("Q1,5,4,20,9\n"),
                2 => body.push('\n'),
                _ => {
                    let id = match next() % 20 {
                        0 => odd_ids[next() % odd_ids.len()].to_owned(),
                        _ => format!("Q{}", row / 105 % 1000),
                    };
                    let week = match next() % 20 {
                        0 => odd_weeks[next() % odd_weeks.len()].to_owned(),
                        _ => (row % 105).to_string(),
                    };
                    let mut value = || match next() % 4 {
                        0 => values[next() % values.len()],
                        _ => values[next() % 4],
                    };
                    let (pain, ndi) = (value(), value());
                    body.push_str(&format!("{id},{week},{pain},{ndi}\n"));
                }
            }
        }
        let text = format!("participant_id,week,pain,ndi\n{body}");
        let source = CsvSource::new(text.as_bytes());
        for threads in [1, 2] {
            let fast = read_with(&source, &protocol, &roster, threads, true);
            let full = read_with(&source, &protocol, &roster, threads, false);
            assert!(
                fast.accepted.len() > 50_000 && fast.rejected > 5_000,
                "{} accepted, {} rejected, {} duplicates",
                fast.accepted.len(),
                fast.rejected,
                fast.duplicates.len()
            );
            assert_eq!(fast.accepted, full.accepted);
            assert_eq!(fast.rejections, full.rejections);
            assert_eq!(fast.duplicates, full.duplicates);
            assert_eq!((fast.rows, fast.rejected), (full.rows, full.rejected));
        }
        // Columns reversed, quoted as a spreadsheet saves them (CRLF, a byte-order mark), or
        // both: the fast path agrees with the full checks, and with the contract's layout.
        let want = read_with(&source, &protocol, &roster, 1, false);
        for (reverse, excel) in [(true, false), (false, true), (true, true)] {
            let text = csvfile::relayout(&text, reverse, excel);
            let source = CsvSource::new(text.as_bytes());
            for threads in [1, 2] {
                let fast = read_with(&source, &protocol, &roster, threads, true);
                let full = read_with(&source, &protocol, &roster, threads, false);
                for other in [&full, &want] {
                    assert_eq!(fast.accepted, other.accepted);
                    assert_eq!(fast.rejections, other.rejections);
                    assert_eq!(fast.duplicates, other.duplicates);
                    assert_eq!((fast.rows, fast.rejected), (other.rows, other.rejected));
                }
            }
        }
    }
}

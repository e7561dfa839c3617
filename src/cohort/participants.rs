//! `participants.csv`: one row per randomized participant, checked against the contract,
//! then de-duplicated (identical repeats kept once, conflicting repeats all rejected).

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::columns::{Columns, RowProblems, cell, header_rejections, shape_problem};
use super::csvfile::{self, CsvSource};
use super::duplicates;
use super::ledger::{CohortFile, IgnoredDuplicate, Rejection};
use super::value::{DateParser, parse_whole};
use crate::domain::protocol::Protocol;

/// The contraindication codes the contract knows, in bit order.
pub const CONTRAINDICATIONS: [&str; 7] = [
    "recent_fracture",
    "blood_clot",
    "recent_heart_attack",
    "bleeding_disorder",
    "anticoagulants",
    "severe_osteoporosis",
    "burn",
];

/// The contract's columns of this file (what a `[source]` maps onto).
pub const KNOWN: [&str; 8] = [
    "participant_id",
    "arm",
    "age",
    "sex",
    "site",
    "randomized_on",
    "contraindications",
    "medical_clearance",
];
/// The columns holding numbers (a decimal comma of a clinic export is translated in these).
pub const NUMERIC: [&str; 1] = ["age"];
/// The columns a file must have.
pub const REQUIRED: [&str; 2] = ["participant_id", "arm"];

/// What the full check says of a `medical_clearance` outside the vocabulary.
const CLEARANCE_ALLOWED: &str = "medical_clearance must be `yes` or `no` (empty means no)";

/// `medical_clearance`: `yes`, or `no` / empty; the one parser the fast and the full checks
/// share.
#[inline]
fn parse_clearance(text: &str) -> Option<bool> {
    match text {
        "yes" => Some(true),
        "no" | "" => Some(false),
        _ => None,
    }
}

/// An accepted participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// The id as written (trimmed).
    pub id: String,
    /// Index of the arm in the protocol.
    pub arm: usize,
    /// Age in whole years.
    pub age: Option<i64>,
    /// Sex as written (one shared copy per distinct text).
    pub sex: Option<Arc<str>>,
    /// Site or clinic as written (one shared copy per distinct text).
    pub site: Option<Arc<str>>,
    /// Day number of randomization.
    pub randomized_on: Option<i32>,
    /// Contraindications, one bit per code of [`CONTRAINDICATIONS`].
    pub contraindications: u8,
    /// `medical_clearance = yes`.
    pub medical_clearance: bool,
    /// Line of the accepted row.
    pub line: u64,
}

impl Participant {
    /// A contraindication without medical clearance.
    pub fn needs_clearance(&self) -> bool {
        self.contraindications != 0 && !self.medical_clearance
    }
    /// The contraindication codes, in contract order.
    pub fn contraindication_codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        CONTRAINDICATIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.contraindications & (1 << i) != 0)
            .map(|(_, c)| *c)
    }
}

/// Why a participant id is unknown to the other files.
#[derive(Clone, Debug)]
pub struct RejectedId {
    /// Line in participants.csv.
    pub line: u64,
    /// The short reason.
    pub reason: String,
}

/// The outcome of reading participants.csv.
#[derive(Debug, Default)]
pub struct ParticipantsRead {
    /// Accepted participants, in file order.
    pub accepted: Vec<Participant>,
    /// Rejections.
    pub rejections: Vec<Rejection>,
    /// Ignored exact duplicates.
    pub duplicates: Vec<IgnoredDuplicate>,
    /// Ids whose rows were all rejected, with the first reason.
    pub rejected_ids: FxHashMap<String, RejectedId>,
    /// Accepted ids strictly increase in file order.
    pub ids_sorted: bool,
    /// Data rows read.
    pub rows: u64,
    /// Data rows rejected (each counted once, however many problems it has).
    pub rejected: u64,
    /// Unknown columns.
    pub ignored_columns: Vec<String>,
    /// Line of the header; records there are about the file, not a row.
    pub header_line: u64,
}

/// One shared copy of each distinct text of a column with few values (sex, site), so a
/// million participants do not hold a million copies of `Site B`.
#[derive(Default)]
struct Interned {
    /// The first few distinct texts, searched in order before the set.
    few: Vec<Arc<str>>,
    seen: FxHashSet<Arc<str>>,
}

impl Interned {
    const FEW: usize = 8;

    #[inline]
    fn get(&mut self, text: &str) -> Option<Arc<str>> {
        if text.is_empty() {
            return None;
        }
        if let Some(s) = self.few.iter().find(|s| csvfile::same_text(s, text)) {
            return Some(Arc::clone(s));
        }
        let shared = match self.seen.get(text) {
            Some(s) => Arc::clone(s),
            None => {
                let s: Arc<str> = Arc::from(text);
                self.seen.insert(Arc::clone(&s));
                if self.few.len() < Self::FEW {
                    self.few.push(Arc::clone(&s));
                }
                s
            }
        };
        Some(shared)
    }
}

#[derive(Default)]
struct Chunk {
    rows: u64,
    rejected: u64,
    sex: Interned,
    site: Interned,
    dates: DateParser,
    parsed: Vec<Participant>,
    rejections: Vec<Rejection>,
    failed_ids: Vec<(String, u64, String)>,
}

impl Chunk {
    /// The fast path for a row (its eight cells in the contract's order, as read:
    /// untrimmed): takes the row only when every cell is in a usual form that passes every
    /// check below (an id of at most 64 bytes, a known arm, an age 0-120, a valid date, known
    /// contraindication codes, `yes`, `no` or nothing for clearance); anything else is left
    /// to the full checks, which word its problems. So a row taken here is accepted exactly
    /// as they would accept it.
    #[inline]
    fn take(
        &mut self,
        [id, arm, age, sex, site, date, contra, clearance]: [&str; 8],
        (line, rows_hint): (u64, usize),
        protocol: &Protocol,
    ) -> Option<()> {
        let clean = csvfile::untrimmed;
        if !(clean(id)
            && clean(arm)
            && clean(age)
            && clean(sex)
            && clean(site)
            && clean(date)
            && clean(contra)
            && clean(clearance))
            || id.is_empty()
            || id.len() > 64
        {
            return None;
        }
        let arm = protocol.arm_index(arm)?;
        let age = match age {
            "" => None,
            text => Some(parse_whole(text).ok().filter(|a| (0..=120).contains(a))?),
        };
        let randomized_on = match date {
            "" => None,
            text => Some(self.dates.parse(text).ok()?),
        };
        let mut contraindications = 0u8;
        for code in contra
            .split(';')
            .map(csvfile::trim)
            .filter(|s| !s.is_empty())
        {
            contraindications |= 1 << CONTRAINDICATIONS.iter().position(|k| *k == code)?;
        }
        let medical_clearance = parse_clearance(clearance)?;
        csvfile::count_row(&mut self.rows, &mut self.parsed, rows_hint);
        let (sex, site) = (self.sex.get(sex), self.site.get(site));
        self.parsed.push(Participant {
            id: id.to_owned(),
            arm,
            age,
            sex,
            site,
            randomized_on,
            contraindications,
            medical_clearance,
            line,
        });
        Some(())
    }
}

/// Reads and checks every row.
pub fn read(source: &CsvSource<'_>, protocol: &Protocol, threads: usize) -> ParticipantsRead {
    read_with(source, protocol, threads, true)
}

/// [`read`], with the fast path for plain lines on or off (the tests compare the two).
fn read_with(
    source: &CsvSource<'_>,
    protocol: &Protocol,
    threads: usize,
    fast_path: bool,
) -> ParticipantsRead {
    let cols = Columns::of(source, CohortFile::Participants, &KNOWN, &REQUIRED);
    let arm_list: Vec<&str> = protocol.arms().iter().map(|a| a.id()).collect();
    let arm_list = arm_list.join(", ");
    // The fast path reads files of the eight columns in any order: plain lines straight from
    // the bytes, other records (quoted cells, CRLF) once tokenized.
    let order = cols.order::<8>().filter(|_| fast_path);
    let fast = order.map(|order| {
        move |st: &mut Chunk, line: &csvfile::Line<'_>| {
            let (fields, consumed) = line.fields_in(&order)?;
            st.take(fields, (line.number, line.rows_hint), protocol)?;
            Some(consumed)
        }
    });
    let split = csvfile::Split {
        threads,
        chunks_per_thread: 1,
    };
    let chunks = csvfile::process_lines(
        source,
        split,
        Chunk::default,
        fast,
        |st: &mut Chunk, rec| {
            if let Some(fields) = order.and_then(|o| rec.fields_in(&o))
                && st
                    .take(fields, (rec.line(), rec.rows_hint()), protocol)
                    .is_some()
            {
                return;
            }
            csvfile::count_row(&mut st.rows, &mut st.parsed, rec.rows_hint());
            let mut problems = RowProblems::default();
            if let Some(reason) = shape_problem(rec, &cols) {
                let column = cols.fatal.as_ref().map(|f| f.0.as_str()).unwrap_or("");
                // The id, when it can be read, still points the participant's other rows here.
                if let Some(i) = cols.index[0].filter(|&i| i < rec.len())
                    && let Ok(id) = std::str::from_utf8(rec.get(i))
                {
                    let id = csvfile::trim(id);
                    // (An id too long to be one cannot point any row here.)
                    if !id.is_empty() && id.len() <= csvfile::MAX_CELL_BYTES {
                        st.failed_ids
                            .push((id.to_owned(), rec.line(), reason.clone()));
                    }
                }
                problems.add(column, "", reason);
                problems.drain_into(CohortFile::Participants, rec.line(), &mut st.rejections);
                st.rejected += 1;
                return;
            }
            let c = |k: usize, p: &mut RowProblems| cell(rec, &cols, k, KNOWN[k], p);
            let id = c(0, &mut problems);
            if id.is_empty() {
                problems.add(
                    "participant_id",
                    id,
                    "participant_id is required (non-empty text, at most 64 characters)",
                );
            } else if id.len() > 64 && id.chars().count() > 64 {
                problems.add(
                    "participant_id",
                    id,
                    "participant_id is longer than 64 characters (at most 64 allowed)",
                );
            }
            let arm_text = c(1, &mut problems);
            let arm = protocol.arm_index(arm_text);
            if arm.is_none() {
                if arm_text.is_empty() {
                    problems.add(
                        "arm",
                        arm_text,
                        format!("arm is required; allowed: {arm_list}"),
                    );
                } else {
                    problems.add(
                    "arm",
                    arm_text,
                    format!("arm `{arm_text}` is not an arm of this trial; allowed: {arm_list} (other arms are declared in trial.toml)"),
                );
                }
            }
            let age_text = c(2, &mut problems);
            let age = if age_text.is_empty() {
                None
            } else {
                match parse_whole(age_text) {
                    Ok(a) if (0..=120).contains(&a) => Some(a),
                    Ok(_) => {
                        problems.add(
                            "age",
                            age_text,
                            "age is outside the allowed range 0 to 120 (whole years)",
                        );
                        None
                    }
                    Err(why) => {
                        problems.add(
                            "age",
                            age_text,
                            format!("age {why}; allowed whole years 0 to 120"),
                        );
                        None
                    }
                }
            };
            let sex = st.sex.get(c(3, &mut problems));
            let site = st.site.get(c(4, &mut problems));
            let date_text = c(5, &mut problems);
            let randomized_on = if date_text.is_empty() {
                None
            } else {
                match st.dates.parse(date_text) {
                    Ok(d) => Some(d),
                    Err(why) => {
                        problems.add(
                            "randomized_on",
                            date_text,
                            format!("randomized_on {why} (e.g. 2012-03-31)"),
                        );
                        None
                    }
                }
            };
            let contra_text = c(6, &mut problems);
            let mut contraindications = 0u8;
            for code in contra_text
                .split(';')
                .map(csvfile::trim)
                .filter(|s| !s.is_empty())
            {
                match CONTRAINDICATIONS.iter().position(|k| *k == code) {
                Some(bit) => contraindications |= 1 << bit,
                None => problems.add(
                    "contraindications",
                    contra_text,
                    format!(
                        "contraindication code `{code}` is unknown; allowed: {} (separate several with `;`)",
                        CONTRAINDICATIONS.join(", ")
                    ),
                ),
            }
            }
            let clearance_text = c(7, &mut problems);
            let medical_clearance = parse_clearance(clearance_text).unwrap_or_else(|| {
                problems.add("medical_clearance", clearance_text, CLEARANCE_ALLOWED);
                false
            });
            if problems.is_empty()
                && let Some(arm) = arm
            {
                st.parsed.push(Participant {
                    id: id.to_owned(),
                    arm,
                    age,
                    sex,
                    site,
                    randomized_on,
                    contraindications,
                    medical_clearance,
                    line: rec.line(),
                });
                return;
            }
            st.rejected += 1;
            if !id.is_empty() {
                let first = problems.first_reason().to_owned();
                st.failed_ids.push((id.to_owned(), rec.line(), first));
            }
            problems.drain_into(CohortFile::Participants, rec.line(), &mut st.rejections);
        },
    );

    let mut out = ParticipantsRead {
        ignored_columns: cols.ignored.clone(),
        rejections: header_rejections(CohortFile::Participants, source, &cols),
        header_line: source.header_line(),
        ..Default::default()
    };
    let mut parts = Vec::with_capacity(chunks.len());
    let mut failed = Vec::new();
    for ch in chunks {
        out.rows += ch.rows;
        out.rejected += ch.rejected;
        parts.push(ch.parsed);
        out.rejections.extend(ch.rejections);
        failed.extend(ch.failed_ids);
    }
    let parsed = csvfile::concat(parts, threads);
    dedupe(parsed, &mut out);
    if failed.is_empty() {
        return out;
    }
    let accepted_ids: rustc_hash::FxHashSet<&str> =
        out.accepted.iter().map(|p| p.id.as_str()).collect();
    for (id, line, reason) in failed {
        if !accepted_ids.contains(id.as_str()) {
            out.rejected_ids
                .entry(id)
                .or_insert(RejectedId { line, reason });
        }
    }
    out
}

/// Identical repeats of an id keep the first row; disagreeing repeats reject them all.
fn dedupe(mut parsed: Vec<Participant>, out: &mut ParticipantsRead) {
    let same = |a: &Participant, b: &Participant| {
        (a.arm, a.age, &a.sex, &a.site, a.randomized_on)
            == (b.arm, b.age, &b.sex, &b.site, b.randomized_on)
            && (a.contraindications, a.medical_clearance)
                == (b.contraindications, b.medical_clearance)
    };
    let repeats = duplicates::find(
        parsed.len(),
        |i| parsed[i].id.as_str(),
        |a, b| same(&parsed[a], &parsed[b]),
    );
    out.ids_sorted = repeats.sorted;
    out.duplicates
        .extend(repeats.ignored_notices(CohortFile::Participants, |i| parsed[i].line));
    for group in &repeats.conflicts {
        let first = &parsed[group[0]];
        let lines: Vec<String> = group.iter().map(|&i| parsed[i].line.to_string()).collect();
        let reason = format!(
            "conflicting duplicate: participant_id `{}` is on lines {} with different values; keep one row (nothing is guessed)",
            first.id,
            lines.join(", ")
        );
        out.rejected += group.len() as u64;
        for &i in group {
            out.rejections.push(Rejection {
                file: CohortFile::Participants,
                source: None,
                line: parsed[i].line,
                column: "participant_id".into(),
                value: parsed[i].id.clone(),
                reason: reason.clone(),
            });
        }
        out.rejected_ids
            .entry(first.id.clone())
            .or_insert(RejectedId {
                line: first.line,
                reason: "conflicting duplicate".into(),
            });
    }
    let drop = repeats.dropped(parsed.len());
    let mut k = 0;
    parsed.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    out.accepted = parsed;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_accepts_and_rejects_exactly_like_the_full_checks() {
        // 60,000 rows (about 2.9 MB, read as one chunk and as two): mostly usual rows, with
        // unusual cells of every column mixed in, repeated ids (agreeing and conflicting),
        // rows with too few or too many fields, and blank lines.
        let long_id = "L".repeat(65);
        let odd_ids = ["", " P1", "P2 ", "P3", "P3", long_id.as_str(), "é64"];
        let odd_arms = ["", "60X2", "60x4", " control"];
        let odd_ages = ["45.0", "121", "-1", " 3", "0", "120", "abc", "007"];
        let odd_text = [" a", "b ", "Site \u{e9}", "=x", ""];
        let odd_dates = [
            "2012-02-30",
            "2012-3-1",
            "2012-03-01 ",
            "20120301",
            "2000-02-29",
        ];
        let odd_contra = [
            "burn; blood_clot",
            ";;",
            "burn;unknown",
            "Burn",
            "recent_fracture;burn;anticoagulants",
            " burn",
        ];
        let odd_clearance = ["Yes", "maybe", " yes", "no"];
        let arms = ["control", "30x2", "30x3", "60x1", "60x2", "60x3"];
        let codes = ["", "", "", "burn", "blood_clot;severe_osteoporosis"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as usize
        };
        let mut body = String::new();
        let mut previous = String::new();
        for row in 0..60_000usize {
            match row % 1009 {
                0 => body.push_str("Q1,control,40\n"),
                1 => body.push_str("Q1,control,40,F,Site A,2012-01-01,,yes,extra\n"),
                2 => body.push('\n'),
                _ => {
                    fn pick(
                        next: &mut impl FnMut() -> usize,
                        odd: &[&str],
                        usual: String,
                    ) -> String {
                        match next() % 25 {
                            0 => odd[next() % odd.len()].to_owned(),
                            _ => usual,
                        }
                    }
                    let n = &mut next;
                    // Now and then the previous row again (an ignored duplicate) or the
                    // previous id with other values (a conflict).
                    let roll = n() % 100;
                    if roll == 0 {
                        body.push_str(&previous.clone());
                        continue;
                    }
                    let usual = format!("Q{}", if roll == 1 { row - 1 } else { row });
                    let id = pick(n, &odd_ids, usual);
                    let usual = arms[n() % arms.len()].to_owned();
                    let arm = pick(n, &odd_arms, usual);
                    let usual = (18 + n() % 60).to_string();
                    let age = pick(n, &odd_ages, usual);
                    let usual = ["F", "M", ""][n() % 3].to_owned();
                    let sex = pick(n, &odd_text, usual);
                    let usual = format!("Site {}", n() % 4);
                    let site = pick(n, &odd_text, usual);
                    let usual = format!("2012-{:02}-{:02}", 1 + n() % 12, 1 + n() % 28);
                    let date = pick(n, &odd_dates, usual);
                    let usual = codes[n() % codes.len()].to_owned();
                    let contra = pick(n, &odd_contra, usual);
                    let usual = ["", "yes", "no"][n() % 3].to_owned();
                    let clearance = pick(n, &odd_clearance, usual);
                    previous =
                        format!("{id},{arm},{age},{sex},{site},{date},{contra},{clearance}\n");
                    body.push_str(&previous);
                }
            }
        }
        let text = format!("{}\n{body}", KNOWN.join(","));
        let source = CsvSource::new(text.as_bytes());
        let protocol = Protocol::dream();
        for threads in [1, 2] {
            let fast = read_with(&source, &protocol, threads, true);
            let full = read_with(&source, &protocol, threads, false);
            assert!(
                fast.accepted.len() > 30_000
                    && fast.rejected > 5_000
                    && !fast.duplicates.is_empty(),
                "{} accepted, {} rejected, {} duplicates",
                fast.accepted.len(),
                fast.rejected,
                fast.duplicates.len()
            );
            assert_eq!(fast.accepted, full.accepted);
            assert_eq!(fast.rejections, full.rejections);
            assert_eq!(fast.duplicates, full.duplicates);
            assert_eq!((fast.rows, fast.rejected), (full.rows, full.rejected));
            assert_eq!(fast.ids_sorted, full.ids_sorted);
            let mut a: Vec<_> = fast
                .rejected_ids
                .iter()
                .map(|(k, v)| (k, v.line, &v.reason))
                .collect();
            let mut b: Vec<_> = full
                .rejected_ids
                .iter()
                .map(|(k, v)| (k, v.line, &v.reason))
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
        // Columns reversed, quoted as a spreadsheet saves them (CRLF, a byte-order mark), or
        // both: the fast path agrees with the full checks, and with the contract's layout
        // (but for the ids of rows with too few fields, which sit elsewhere when reversed).
        let want = read_with(&source, &protocol, 1, false);
        for (reverse, excel) in [(true, false), (false, true), (true, true)] {
            let text = csvfile::relayout(&text, reverse, excel);
            let source = CsvSource::new(text.as_bytes());
            for threads in [1, 2] {
                let fast = read_with(&source, &protocol, threads, true);
                let full = read_with(&source, &protocol, threads, false);
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

//! REDCap as a cohort source: a records export (flat CSV, raw coded values) and the project's
//! data dictionary, translated into the three contract tables with every export line
//! accounted for.
//!
//! Investigator-led trials capture their data in REDCap, whose export is one row per record
//! and event (and per instance of a repeating instrument), every field a column, radio and
//! dropdown answers as codes, checkboxes as one 0/1 column per choice. Users converting that
//! by hand is where rows get lost, so the translation here keeps the ledger's promise: each
//! export row feeds one or more contract tables (a participant row at the baseline event that
//! also carries the baseline scores feeds two), is rejected by the translation itself with
//! its physical line, the column, the value and the reason (an undefined code, scores at an
//! event without a week), or is ignored with the reason (an event carrying none of the
//! mapped fields). The contract tables are then read by the ordinary readers, which check the
//! vocabulary and ranges, so no rule of the contract is restated here; `Table::lines` maps
//! each of their records back to the export's line.
//!
//! Decisions (documented in data/README.md too):
//! - Codes map through `[source.codes.<column>]` first, then through the dictionary's label.
//!   Labels are compared exactly after trimming the spaces REDCap's `1, Label` leaves: no case
//!   folding (`Control` is not the arm `control`; map it under `[source.codes.arm]`).
//! - yesno and truefalse fields give `yes` / `no` (the contract's own words), not `Yes`/`True`.
//! - A checkbox gives its checked choices (0/1 columns `field___code`), in the dictionary's
//!   order, joined by `;` without spaces: the contract's list format.
//! - `"dag"` reads `redcap_data_access_group`, the group's unique name as the raw export writes
//!   it (`site_a`), through `[source.codes.<column>]` when given.
//! - A project without events (no `redcap_event_name` column) reads every non-repeating row as
//!   a participant row; scores need events (their week comes from the event), so a
//!   `[source.redcap.scores]` there is a usage error.
//! - A non-repeating row at another event than `participants_event` that carries participant
//!   fields is rejected (in the participants table), not dropped: data entered at the wrong
//!   event is shown, not lost. A checkbox counts as carried only when a choice is checked
//!   (REDCap writes 0 for every choice on rows of other forms).
//!
//! Speed: the export is read with the contract's own tokenizer, in chunks on threads (the
//! results do not depend on their number), and each table's records are written as bytes
//! with no allocation per cell; the lookups are small byte tables built once.

mod dictionary;
mod example;
mod spec;
mod starter;
mod translate;

#[cfg(test)]
mod tests;

use crate::cohort::records::{RecordTable, TranslationRejection};
use std::collections::BTreeMap;

pub use dictionary::{Dictionary, Field, FieldType, parse_choices};
pub use example::{Example, write_example};
pub use spec::{Mapping, RedcapSpec, ScoresSpec, SessionsSpec, Source};
pub use starter::{StarterFiles, starter_source};
pub use translate::{translate, translate_with};

/// `s` as a TOML basic string (quoted, escaped), for the TOML this module writes.
pub(crate) fn toml_str(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The codes of `[source.codes.<contract column>]`: contract column -> (source value ->
/// contract value).
pub type Codes = BTreeMap<String, BTreeMap<String, String>>;

/// One contract table built from the export.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The contract column names and one record per export row that feeds this table, at
    /// the row's physical export line (1-based; header = line 1), in order.
    pub records: RecordTable,
    /// Rows this translation itself rejects, in export order; a row with several problems has
    /// one entry each (so count rows by distinct `line`). A rejected row has no record.
    pub rejected: Vec<TranslationRejection>,
}

impl Table {
    /// The export line of each record, in order.
    pub fn lines(&self) -> Vec<u64> {
        self.records
            .blocks
            .iter()
            .flat_map(|b| b.lines().iter().copied())
            .collect()
    }

    /// The table as compact contract CSV: the header, then each record on one line (quoted
    /// as RFC 4180 requires), LF line ends; empty when the table has no columns.
    #[cfg(test)]
    pub fn csv(&self) -> Vec<u8> {
        self.records.to_compact_csv()
    }

    /// Export rows that fed this table: its records plus the rows rejected (each once).
    pub fn rows_fed(&self) -> u64 {
        let mut rejected: Vec<u64> = self.rejected.iter().map(|p| p.location).collect();
        rejected.dedup();
        self.records.len() as u64 + rejected.len() as u64
    }
}

/// The three contract tables built from an export, and the rows that fed none.
#[derive(Clone, Debug, Default)]
pub struct Translation {
    /// participants.csv.
    pub participants: Table,
    /// sessions.csv.
    pub sessions: Table,
    /// scores.csv.
    pub scores: Table,
    /// Export rows that feed no table, with the reason, in export order.
    pub ignored: Vec<(u64, String)>,
    /// Data rows in the export (records after the header).
    pub rows: u64,
}

impl Translation {
    /// True when every export row fed at least one table or was ignored, and only once
    /// ignored: the balance the ledger prints.
    pub fn balanced(&self) -> bool {
        let mut fed: Vec<u64> = [&self.participants, &self.sessions, &self.scores]
            .iter()
            .flat_map(|t| {
                t.lines()
                    .into_iter()
                    .chain(t.rejected.iter().map(|p| p.location))
            })
            .collect();
        fed.sort_unstable();
        fed.dedup();
        let mut ignored: Vec<u64> = self.ignored.iter().map(|(l, _)| *l).collect();
        ignored.sort_unstable();
        let before = ignored.len();
        ignored.dedup();
        before == ignored.len()
            && ignored.iter().all(|l| fed.binary_search(l).is_err())
            && fed.len() as u64 + ignored.len() as u64 == self.rows
    }
}

/// Usage errors (exit 2): the mapping, the dictionary or the export's header cannot be used.
/// Each message names the key or field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum RedcapError {
    /// A key of `[source.redcap]` is unknown, missing or of the wrong type.
    #[error("trial.toml: `{key}` {problem}")]
    Spec {
        /// The full key, e.g. `source.redcap.participants.arm`.
        key: String,
        /// What is wrong, and the fix.
        problem: String,
    },
    /// A mapped field the dictionary or the export lacks, or one of the wrong type.
    #[error("trial.toml: `{key}` = \"{field}\": {problem}")]
    Field {
        /// The key mapping it.
        key: String,
        /// The field named.
        field: String,
        /// What is wrong, and the fix.
        problem: String,
    },
    /// The data dictionary cannot be read.
    #[error("REDCap data dictionary, line {line}: the dictionary {problem}")]
    Dictionary {
        /// The dictionary's physical line.
        line: u64,
        /// What is wrong, and the fix.
        problem: String,
    },
    /// The export's header cannot be used (empty file, malformed header, a REDCap column
    /// missing).
    #[error("REDCap export: {problem}")]
    Export {
        /// What is wrong, and the fix.
        problem: String,
    },
}

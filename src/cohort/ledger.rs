//! The row ledger: every data row of every input file is accepted, rejected with a reason,
//! or counted as an ignored exact duplicate, and the three always add up to the rows read.
//!
//! A rejection names the file, the physical line where the record starts, the column, the
//! value as written, and the rule broken (with its range). A row may break several rules; each
//! is recorded, but the row is counted once.

use std::sync::Arc;

use serde::Serialize;

/// The three files of a cohort, in the order they are read.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Hash, Serialize)]
pub enum CohortFile {
    /// `participants.csv`
    #[serde(rename = "participants.csv")]
    Participants,
    /// `sessions.csv`
    #[serde(rename = "sessions.csv")]
    Sessions,
    /// `scores.csv`
    #[serde(rename = "scores.csv")]
    Scores,
}

impl CohortFile {
    /// All files, in reading order.
    pub const ALL: [CohortFile; 3] = [
        CohortFile::Participants,
        CohortFile::Sessions,
        CohortFile::Scores,
    ];

    /// The file's name inside the cohort folder.
    pub fn name(self) -> &'static str {
        match self {
            CohortFile::Participants => "participants.csv",
            CohortFile::Sessions => "sessions.csv",
            CohortFile::Scores => "scores.csv",
        }
    }
}

/// One problem with one row (or with the file itself, at line 1).
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct Rejection {
    /// The contract table the row belongs to.
    pub file: CohortFile,
    /// The source file the row was read from when it is not the contract's own CSV file (a
    /// clinic export, a workbook's sheet, a REDCap export: see `cohort::source`); `None` for
    /// the contract's files.
    #[serde(skip)]
    pub source: Option<Arc<str>>,
    /// 1-based physical line where the record starts (the header is line 1); for a translated
    /// source, the source's own location (its physical line, sheet row or row number).
    pub line: u64,
    /// The column concerned; empty when the problem is the whole row.
    pub column: String,
    /// The value as written (trimmed); empty when missing.
    pub value: String,
    /// The rule broken, with the allowed range and, where useful, the fix.
    pub reason: String,
}

impl Rejection {
    /// The name of the file the row was read from, as the ledger shows it.
    pub fn file_name(&self) -> &str {
        self.source.as_deref().unwrap_or(self.file.name())
    }
}

/// Row counts for one file: `accepted + rejected + ignored_duplicates = rows`.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Serialize)]
pub struct FileCounts {
    /// Data rows read (records after the header; blank lines are not rows).
    pub rows: u64,
    /// Rows accepted into the analysis.
    pub accepted: u64,
    /// Rows rejected (each with at least one record in the ledger).
    pub rejected: u64,
    /// Exact duplicates of an accepted row, ignored.
    pub ignored_duplicates: u64,
}

impl FileCounts {
    /// True when the counts reconcile.
    pub fn balanced(&self) -> bool {
        self.accepted + self.rejected + self.ignored_duplicates == self.rows
    }
}

/// An ignored exact duplicate, for the notice on stderr.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct IgnoredDuplicate {
    /// The file.
    pub file: CohortFile,
    /// The source file, as for [`Rejection::source`].
    #[serde(skip)]
    pub source: Option<Arc<str>>,
    /// Line of the ignored row.
    pub line: u64,
    /// Line of the row that was kept.
    pub kept_line: u64,
}

impl IgnoredDuplicate {
    /// The name of the file the row was read from, as the ledger shows it.
    pub fn file_name(&self) -> &str {
        self.source.as_deref().unwrap_or(self.file.name())
    }
}

/// Every rejection, in file order then line order.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    rejections: Vec<Rejection>,
}

impl Ledger {
    /// Records a problem.
    pub fn reject(
        &mut self,
        file: CohortFile,
        line: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) {
        self.rejections.push(Rejection {
            file,
            source: None,
            line,
            column: column.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        });
    }

    /// Appends rejections collected elsewhere (e.g. by a parallel chunk).
    pub fn extend(&mut self, more: impl IntoIterator<Item = Rejection>) {
        self.rejections.extend(more);
    }

    /// Sorts into file order, then line order (stable for several problems of one row).
    pub fn sort(&mut self) {
        self.rejections.sort_by_key(|r| (r.file, r.line));
    }

    /// All rejections.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// True when nothing was rejected.
    pub fn is_empty(&self) -> bool {
        self.rejections.is_empty()
    }
}

//! Sources other than the contract's three CSV files (`[source]` in `trial.toml`): a clinic's
//! CSV dialect, an xlsx workbook, Parquet files, a REDCap export. Each is **translated** into
//! the three contract tables, which the existing readers then check: there is one parser per
//! vocabulary (`participants`, `sessions`, `scores`), and no source restates a vocabulary or a
//! range.
//!
//! # How a reader plugs in
//!
//! A reader is a function from the cohort folder and its [`SourceSpec`] to a [`Translation`]:
//!
//! 1. For each file it reads, it opens the bytes with [`read_source`] (regular files only,
//!    bounded size, through `crate::files`) and makes a [`SourceFile`] with
//!    [`SourceFile::new`], naming it as the ledger will (`Patienten.csv`,
//!    `trial.xlsx[sessions]`, `export.csv`). It counts every data row it reads with
//!    [`SourceFile::count_row`], and records a row that feeds no table with
//!    [`SourceFile::ignore`] and the reason (an empty REDCap event).
//! 2. For each contract table it makes one [`TableBuilder`] with [`TableBuilder::new`]: the
//!    table, the index of the [`SourceFile`] its rows come from, the contract column names
//!    of its header and the source location of that header. For each source row feeding the
//!    table it calls [`TableBuilder::start_row`] with the row's **source location** (its
//!    physical line, sheet row or row number) and then [`TableBuilder::cell`] once per column,
//!    with the value translated into the contract's text (codes and decimal commas applied:
//!    for a source with a header of columns, [`TableJob::plan`] gives the
//!    [`plan::ColumnPlan`] that maps, renames and translates, and whose
//!    [`plan::ColumnPlan::builder`] and [`plan::ColumnPlan::write_row`] do steps 2's calls).
//!    A row the reader
//!    cannot even translate (an Excel error cell, a malformed CSV record, a code REDCap's
//!    dictionary does not define) is recorded with [`TableBuilder::reject`] instead.
//! 3. It returns [`Translation::new`]`(sources, tables, notices)`: the tables in the order
//!    participants, sessions, scores.
//!
//! `Cohort::load` then feeds each table's bytes to the contract's reader. The bytes are
//! contract CSV whose **physical line numbers are the source's locations** (the builder pads
//! with blank lines, which are not rows), so every rejection, every ignored duplicate and every
//! line quoted in a reason ("on lines 5, 7") speaks the source's locations without being
//! mapped back. Only when a translated value holds a line break (an xlsx cell with one) does a
//! record end on a later line than its source row; the builder then keeps a [`LineMap`] and the
//! ledger's `line` fields are mapped back through it. The ledger names the [`SourceFile`]
//! (`Rejection::source`); column names stay the contract's, values are the translated values
//! the checks saw.
//!
//! The balance: every source row is counted once in its [`SourceFile`] and is either ignored
//! or feeds one or more tables, where the contract's balance `accepted + rejected + ignored
//! duplicates = rows` holds per table. `Cohort::load` checks both.

pub mod convert;
pub mod dialect;
pub mod parquet;
pub mod plan;
pub mod redcap;
pub mod spec;
pub mod starter;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::cohort::ledger::CohortFile;
pub use spec::SourceSpec;
use spec::{Format, table_index};

/// Why a source cannot be read (row problems go to the ledger instead).
#[derive(Debug, Error)]
pub enum SourceError {
    /// A bad `[source]` key or value, or a mapping the source cannot satisfy (a mapped column
    /// the file lacks, a sheet the workbook lacks): a usage error (exit 2).
    #[error("{path}: `{key}` {message}")]
    Usage {
        /// `trial.toml`, or the source file the mapping was checked against.
        path: String,
        /// The key, e.g. `source.columns.participants.participant_id`.
        key: String,
        /// What is wrong, what is allowed and the fix.
        message: String,
    },
    /// A source file is missing, unreadable, not a regular file, over its size limit or not
    /// in its format at all (exit 66).
    #[error("cannot read {}: {source}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A source row that feeds no table, with the reason.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct IgnoredRow {
    /// The source file's name.
    pub source: Arc<str>,
    /// Its location (line, sheet row or row number).
    pub location: u64,
    /// Why it feeds nothing.
    pub reason: String,
}

/// One source file read by a translation.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// How the ledger names it: the file name as `[source]` gives it, `workbook.xlsx[sheet]`
    /// for a sheet.
    pub name: Arc<str>,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lowercase hex, when the load asked for digests.
    pub sha256: Option<String>,
    /// Data rows read (each counted once, however many tables it feeds).
    pub rows: u64,
    /// Rows that feed no table.
    pub ignored: Vec<IgnoredRow>,
}

impl SourceFile {
    /// A source named `name` whose content is `bytes` (digested when `digest`).
    pub fn new(name: &str, bytes: &[u8], digest: bool) -> SourceFile {
        SourceFile {
            name: Arc::from(name),
            bytes: bytes.len() as u64,
            sha256: digest.then(|| crate::cohort::sha256_hex(bytes)),
            rows: 0,
            ignored: Vec::new(),
        }
    }

    /// Counts one data row read.
    #[inline]
    pub fn count_row(&mut self) {
        self.rows += 1;
    }

    /// Records that the row at `location` (already counted) feeds no table.
    pub fn ignore(&mut self, location: u64, reason: impl Into<String>) {
        self.ignored.push(IgnoredRow {
            source: Arc::clone(&self.name),
            location,
            reason: reason.into(),
        });
    }
}

/// Reads source file `rel` of `dir` whole, through `crate::files` (a regular file, at most
/// `limit` bytes).
///
/// # Errors
/// [`SourceError::Input`] naming the path.
pub fn read_source(dir: &Path, rel: &spec::RelPath, limit: u64) -> Result<Vec<u8>, SourceError> {
    let path = rel.join(dir);
    crate::files::read_input(&path, limit).map_err(|source| SourceError::Input { path, source })
}

/// A row rejected by a translation before the contract's checks saw it.
#[derive(Clone, Debug)]
pub struct TranslationRejection {
    /// Source location.
    pub location: u64,
    /// The participant id of the row, when known (a rejected participant takes their sessions
    /// and scores with them).
    pub id: String,
    /// The contract column concerned, empty for the whole row.
    pub column: String,
    /// The value as read.
    pub value: String,
    /// The reason and the fix.
    pub reason: String,
}

/// Where the lines of a translated table differ from its source's locations: from output
/// line `runs[i].0` on, location = line + `runs[i].1`. Empty when they agree everywhere (the
/// usual case: the builder pads with blank lines).
#[derive(Clone, Debug, Default)]
pub struct LineMap {
    runs: Vec<(u64, i64)>,
}

impl LineMap {
    /// True when every line is its own location.
    pub fn is_identity(&self) -> bool {
        self.runs.is_empty()
    }

    /// The source location of output line `line`.
    pub fn location(&self, line: u64) -> u64 {
        let k = self.runs.partition_point(|&(from, _)| from <= line);
        match k.checked_sub(1).map(|k| self.runs[k].1) {
            Some(delta) => line.saturating_add_signed(delta),
            None => line,
        }
    }
}

/// A contract table translated from a source: contract CSV bytes whose physical lines are the
/// source's locations.
#[derive(Debug)]
pub struct Table {
    /// Which table.
    pub table: CohortFile,
    /// Index of its [`SourceFile`] in [`Translation::sources`].
    pub source: usize,
    /// Contract CSV.
    pub bytes: Vec<u8>,
    /// Line number of the first line of `bytes` (0 when the header's location is 0).
    pub first_line: u64,
    /// Records written.
    pub rows: u64,
    /// Rows rejected by the translation.
    pub rejected: Vec<TranslationRejection>,
    /// Lines that are not their source's locations.
    pub lines: LineMap,
}

/// Writes one contract table as CSV, record by record at the source's locations.
#[derive(Debug)]
pub struct TableBuilder {
    table: CohortFile,
    source: usize,
    out: Vec<u8>,
    first_line: u64,
    /// Line number of the line being written.
    line: u64,
    width: usize,
    /// Cells written in the open record; `None` before the first record.
    cells: Option<usize>,
    rows: u64,
    rejected: Vec<TranslationRejection>,
    lines: LineMap,
    /// The delta of the last run of `lines`.
    delta: i64,
}

impl TableBuilder {
    /// A builder of `table` from source `source` (its index in [`Translation::sources`]),
    /// with the contract column names `columns` as its header at source location
    /// `header_location` (0 or more). No columns at all make an empty table: the contract's
    /// reader reports it as an empty file.
    pub fn new(
        table: CohortFile,
        source: usize,
        columns: &[&str],
        header_location: u64,
    ) -> TableBuilder {
        let first_line = header_location.min(1);
        let mut b = TableBuilder {
            table,
            source,
            out: Vec::with_capacity(1 << 16),
            first_line,
            line: first_line,
            width: columns.len(),
            cells: None,
            rows: 0,
            rejected: Vec::new(),
            lines: LineMap::default(),
            delta: 0,
        };
        if !columns.is_empty() {
            b.pad_to(header_location);
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    b.out.push(b',');
                }
                b.push_cell(c.as_bytes());
            }
        }
        b
    }

    /// Reserves room for about `bytes` more bytes of output.
    pub fn reserve(&mut self, bytes: usize) {
        self.out.reserve(bytes);
    }

    /// Ends the current line and writes blank lines up to `location`; when the output is
    /// already past it (a value with a line break), records the shift.
    fn pad_to(&mut self, location: u64) {
        if !self.out.is_empty() {
            self.out.push(b'\n');
            self.line += 1;
        }
        if self.line < location {
            let blanks = (location - self.line) as usize;
            self.out.resize(self.out.len() + blanks, b'\n');
            self.line = location;
        }
        let delta = location as i64 - self.line as i64;
        if delta != self.delta {
            self.lines.runs.push((self.line, delta));
            self.delta = delta;
        }
    }

    /// Starts the record of the source row at `location`. Locations must increase.
    pub fn start_row(&mut self, location: u64) {
        self.close_row();
        self.pad_to(location);
        self.cells = Some(0);
        self.rows += 1;
    }

    /// Writes the next cell of the open record (quoted when it holds a comma, a quote or a
    /// line break).
    #[inline]
    pub fn cell(&mut self, value: &[u8]) {
        let n = self.cells.get_or_insert(0);
        if *n > 0 {
            self.out.push(b',');
        }
        *n += 1;
        self.push_cell(value);
    }

    fn push_cell(&mut self, value: &[u8]) {
        if memchr::memchr3(b',', b'"', b'\n', value).is_none()
            && memchr::memchr(b'\r', value).is_none()
        {
            self.out.extend_from_slice(value);
            return;
        }
        self.out.push(b'"');
        for &c in value {
            if c == b'"' {
                self.out.push(b'"');
            }
            self.line += u64::from(c == b'\n');
            self.out.push(c);
        }
        self.out.push(b'"');
    }

    /// Writes the source row at `location` as a record already in contract CSV (`record`, its
    /// cells quoted as [`TableBuilder::cell`] quotes them, without its line end): for a
    /// reader that translated its rows elsewhere (the REDCap translator, on threads).
    pub fn raw_record(&mut self, location: u64, record: &[u8]) {
        self.close_row();
        self.pad_to(location);
        self.rows += 1;
        if record.is_empty() && self.width == 1 {
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.extend_from_slice(record);
        self.line += memchr::memchr_iter(b'\n', record).count() as u64;
    }

    /// A record of one empty cell would be a blank line, which is not a row: it is written
    /// `""` instead.
    fn close_row(&mut self) {
        if self.cells == Some(1) && self.width == 1 && self.out.last() == Some(&b'\n') {
            self.out.extend_from_slice(b"\"\"");
        }
        self.cells = None;
    }

    /// Records the source row at `location` as rejected by the translation itself (it is not
    /// written, and counts as a row of the table). `id` is its participant id when known.
    pub fn reject(
        &mut self,
        location: u64,
        id: &str,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) {
        self.rejected.push(TranslationRejection {
            location,
            id: id.trim().to_owned(),
            column: column.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        });
    }

    /// The table.
    pub fn finish(mut self) -> Table {
        self.close_row();
        if !self.out.is_empty() {
            self.out.push(b'\n');
        }
        Table {
            table: self.table,
            source: self.source,
            bytes: self.out,
            first_line: self.first_line,
            rows: self.rows,
            rejected: self.rejected,
            lines: self.lines,
        }
    }
}

/// A source translated into the three contract tables.
#[derive(Debug)]
pub struct Translation {
    /// Every source file read, in reading order.
    pub sources: Vec<SourceFile>,
    /// Participants, sessions and scores, in [`CohortFile::ALL`] order.
    pub tables: [Table; 3],
    /// Notices for the user (a detected delimiter, source columns that feed nothing).
    pub notices: Vec<String>,
}

impl Translation {
    /// A translation of `tables`, which must be participants, sessions and scores in that
    /// order (built one per [`CohortFile::ALL`]).
    ///
    /// # Errors
    /// [`SourceError::Usage`] (a reader's bug) when they are not.
    pub fn new(
        sources: Vec<SourceFile>,
        tables: Vec<Table>,
        notices: Vec<String>,
    ) -> Result<Translation, SourceError> {
        let in_order = tables.len() == 3
            && tables
                .iter()
                .zip(CohortFile::ALL)
                .all(|(t, f)| t.table == f);
        let tables: [Table; 3] = match tables.try_into() {
            Ok(t) if in_order => t,
            _ => {
                return Err(SourceError::Usage {
                    path: "trial.toml".into(),
                    key: "source".into(),
                    message: "internal: a reader returned tables other than participants, sessions and scores; please report this".into(),
                });
            }
        };
        Ok(Translation {
            sources,
            tables,
            notices,
        })
    }
}

/// One table of a source being read: which table, from which source file (to count its rows
/// in), under which spec, and where its notices go.
#[derive(Debug)]
pub struct TableJob<'a> {
    /// The contract table.
    pub table: CohortFile,
    /// Index of the source file in the translation's `sources`.
    pub source_index: usize,
    /// The `[source]` spec.
    pub spec: &'a SourceSpec,
    /// The translation's options.
    pub options: TranslateOptions<'a>,
    /// The source file.
    pub source: &'a mut SourceFile,
    /// The translation's notices.
    pub notices: &'a mut Vec<String>,
}

impl<'a> TableJob<'a> {
    /// The plan of this table for a source whose header is `header`, its notices said.
    ///
    /// # Errors
    /// As [`plan::ColumnPlan::new`].
    pub fn plan(&mut self, header: &[String]) -> Result<plan::ColumnPlan<'a>, SourceError> {
        let plan = plan::ColumnPlan::new(
            self.table,
            header,
            self.spec,
            self.options.markers,
            &self.source.name,
        )?;
        self.notices
            .extend(plan.notices(&self.source.name, self.table));
        Ok(plan)
    }
}

/// One file of [`per_file`] translated: its source, its table and its notices.
type Translated = (SourceFile, Table, Vec<String>);

/// Reads one file per contract table (`files`, in [`CohortFile::ALL`] order) and translates
/// each with `each(bytes, file, job)`: the loop every reader of one file per table shares
/// (CSV dialects, Parquet). The three files are translated at once, on threads of the budget
/// when they are free; the translation is the same whatever ran where (notices in table
/// order, the first error in table order).
///
/// # Errors
/// [`SourceError::Input`] for a file that cannot be read, and whatever `each` returns.
pub fn per_file<F>(
    dir: &Path,
    spec: &SourceSpec,
    files: &[spec::RelPath; 3],
    options: TranslateOptions<'_>,
    each: F,
) -> Result<Translation, SourceError>
where
    F: Fn(Vec<u8>, &spec::RelPath, TableJob<'_>) -> Result<Table, SourceError> + Sync,
{
    let each = &each;
    let done: Vec<Result<Translated, SourceError>> = std::thread::scope(|scope| {
        let tasks: Vec<_> = CohortFile::ALL
            .into_iter()
            .enumerate()
            .map(|(source_index, table)| {
                crate::parallel::spawn(scope, move || {
                    let rel = &files[table_index(table)];
                    let bytes = read_source(dir, rel, crate::files::SOURCE_LIMIT)?;
                    let mut source = SourceFile::new(rel.as_str(), &bytes, options.digests);
                    let mut notices = Vec::new();
                    let job = TableJob {
                        table,
                        source_index,
                        spec,
                        options,
                        source: &mut source,
                        notices: &mut notices,
                    };
                    let t = each(bytes, rel, job)?;
                    Ok((source, t, notices))
                })
            })
            .collect();
        tasks.into_iter().map(crate::parallel::join).collect()
    });
    let mut sources = Vec::with_capacity(3);
    let mut tables = Vec::with_capacity(3);
    let mut notices = Vec::new();
    for d in done {
        let (source, table, n) = d?;
        sources.push(source);
        tables.push(table);
        notices.extend(n);
    }
    Translation::new(sources, tables, notices)
}

/// What a translation needs besides the spec.
#[derive(Clone, Copy, Debug)]
pub struct TranslateOptions<'a> {
    /// Compute each source file's SHA-256.
    pub digests: bool,
    /// The marker columns `trial.toml` declares (columns of scores).
    pub markers: &'a [&'a str],
}

/// Translates the source `spec` describes in `dir`. `None` when the files are the contract's
/// own dialect without renames or codes: `Cohort::load` then reads them directly, on the
/// contract's fast path, under the names `[source]` gives.
///
/// # Errors
/// [`SourceError`] for a file that cannot be read or a mapping it cannot satisfy.
pub fn translate(
    dir: &Path,
    spec: &SourceSpec,
    options: TranslateOptions<'_>,
) -> Result<Option<Translation>, SourceError> {
    match &spec.format {
        Format::Csv(csv) if direct(spec, csv) => Ok(None),
        Format::Csv(csv) => dialect::read(dir, spec, csv, options).map(Some),
        Format::Xlsx(x) => xlsx::read(dir, spec, x, options).map(Some),
        Format::Parquet(p) => parquet::read(dir, spec, p, options).map(Some),
        Format::Redcap(r) => redcap::read(dir, spec, r, options).map(Some),
    }
}

/// True when a csv source is read as the contract's own files.
pub fn direct(spec: &SourceSpec, csv: &spec::CsvSpec) -> bool {
    csv.is_contract_dialect()
        && spec.columns.tables.iter().all(Vec::is_empty)
        && spec.codes.columns.is_empty()
        && spec.decimal == spec::DecimalMark::Point
}

/// The ledger's name of the file feeding `table` in a direct csv source.
pub fn direct_name(csv: &spec::CsvSpec, table: CohortFile) -> &str {
    csv.files[table_index(table)].as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_land_on_their_source_lines() {
        let mut b = TableBuilder::new(CohortFile::Scores, 0, &["participant_id", "week"], 3);
        b.start_row(4);
        b.cell(b"P1");
        b.cell(b"0");
        b.start_row(7);
        b.cell(b"P,2");
        b.cell(b"5");
        let t = b.finish();
        assert_eq!(t.first_line, 1);
        assert_eq!(
            String::from_utf8(t.bytes).unwrap(),
            "\n\nparticipant_id,week\nP1,0\n\n\n\"P,2\",5\n"
        );
        assert!(t.lines.is_identity());
        assert_eq!(t.rows, 2);
    }

    #[test]
    fn a_line_break_in_a_value_shifts_the_lines_and_the_map_restores_them() {
        let mut b = TableBuilder::new(CohortFile::Participants, 0, &["participant_id", "site"], 1);
        b.start_row(2);
        b.cell(b"P1");
        b.cell(b"North\nWing");
        b.start_row(3);
        b.cell(b"P2");
        b.cell(b"");
        b.start_row(9);
        b.cell(b"P3");
        b.cell(b"");
        let t = b.finish();
        // P2 is written on line 4 (P1 takes lines 2-3), P3 on line 9 again.
        assert_eq!(t.lines.location(2), 2);
        assert_eq!(t.lines.location(4), 3);
        assert_eq!(t.lines.location(9), 9);
    }

    #[test]
    fn a_lone_empty_cell_is_still_a_row_and_a_header_may_sit_at_location_0() {
        let mut b = TableBuilder::new(CohortFile::Participants, 0, &["participant_id"], 0);
        b.start_row(1);
        b.cell(b"");
        b.start_row(2);
        b.cell(b"P2");
        let t = b.finish();
        assert_eq!(t.first_line, 0);
        assert_eq!(
            String::from_utf8(t.bytes).unwrap(),
            "participant_id\n\"\"\nP2\n"
        );
    }
}

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
//!    (REDCap's translator, `crate::cohort::redcap`, writes its records and rejections
//!    itself, on its threads, and `source::redcap` lays them into a [`Table`]; Parquet counts
//!    a file's rows at once, from its height, rather than row by row.)
//! 3. It returns [`Translation::new`]`(sources, tables, notices)`: the tables in the order
//!    participants, sessions, scores.
//!
//! `Cohort::load` then hands each table's records to the contract's reader
//! ([`crate::cohort::records`], read through `csvfile::CsvSource::of_records` like a CSV
//! file, with no CSV text written or parsed again). Each record carries its **source
//! location** as its line, so every rejection, every ignored duplicate and every line quoted
//! in a reason ("on lines 5, 7") speaks the source's locations. The ledger names the
//! [`SourceFile`] (`Rejection::source`); column names stay the contract's, values are the
//! translated values the checks saw. A source whose rows are already in memory in another
//! form (Parquet's decoded columns) may instead hand over [`crate::cohort::records::RecordRuns`],
//! written a run at a time when the readers reach them.
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
use crate::cohort::records::{BlockWriter, RecordTable};
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

/// The bytes of source file `rel` of `dir`, through `crate::files` (a regular file, at most
/// `limit` bytes), mapped when possible.
///
/// # Errors
/// [`SourceError::Input`] naming the path.
pub fn read_source(
    dir: &Path,
    rel: &spec::RelPath,
    limit: u64,
) -> Result<crate::files::InputBytes, SourceError> {
    let path = rel.join(dir);
    crate::files::map_input(&path, limit).map_err(|source| SourceError::Input { path, source })
}

/// The error for a table of source `source` whose runs could not all be written
/// ([`crate::cohort::records::RecordTable::failure`]): that source file is unreadable, and the
/// table it gave is incomplete.
///
/// # Errors
/// [`SourceError::Input`] naming the file, when `failure` is given.
pub fn check_written(
    dir: &Path,
    sources: &[SourceFile],
    source: usize,
    failure: Option<String>,
) -> Result<(), SourceError> {
    match failure {
        None => Ok(()),
        Some(why) => Err(SourceError::Input {
            path: dir.join(sources.get(source).map_or("", |s| &*s.name)),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
        }),
    }
}

pub use crate::cohort::records::TranslationRejection;

/// A contract table translated from a source: its records at the source's locations.
#[derive(Debug)]
pub struct Table {
    /// Which table.
    pub table: CohortFile,
    /// Index of its [`SourceFile`] in [`Translation::sources`].
    pub source: usize,
    /// The contract column names, the header's location and the records.
    pub records: RecordTable,
    /// Records written.
    pub rows: u64,
    /// Rows rejected by the translation.
    pub rejected: Vec<TranslationRejection>,
}

/// Writes one contract table, record by record at the source's locations.
#[derive(Debug)]
pub struct TableBuilder {
    table: CohortFile,
    source: usize,
    header: Vec<String>,
    header_location: u64,
    records: BlockWriter,
    rejected: Vec<TranslationRejection>,
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
        TableBuilder {
            table,
            source,
            header: columns.iter().map(|c| (*c).to_owned()).collect(),
            header_location,
            records: BlockWriter::default(),
            rejected: Vec::new(),
        }
    }

    /// Reserves room for about `records` more records of `bytes` bytes in all.
    pub fn reserve(&mut self, records: usize, bytes: usize) {
        self.records
            .reserve(records, records * self.header.len(), bytes);
    }

    /// Starts the record of the source row at `location`. Locations must increase.
    #[inline]
    pub fn start_row(&mut self, location: u64) {
        self.records.start(location);
    }

    /// Writes the next cell of the open record.
    #[inline]
    pub fn cell(&mut self, value: &[u8]) {
        self.records.block().push(value);
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

    /// Moves every location written so far on by `by` (a builder of a piece of a source
    /// whose locations were counted from 0).
    pub fn shift_locations(&mut self, by: u64) {
        self.records.shift_lines(by);
        for r in &mut self.rejected {
            r.location += by;
        }
    }

    /// Appends what `part` wrote, a builder of the same table over the source rows after this
    /// one's.
    pub fn append(&mut self, part: TableBuilder) {
        self.records.append(part.records);
        self.rejected.extend(part.rejected);
    }

    /// The table.
    pub fn finish(self) -> Table {
        let blocks = self.records.into_blocks();
        let rows = blocks.iter().map(|b| b.len() as u64).sum();
        Table {
            table: self.table,
            source: self.source,
            records: RecordTable {
                header: self.header,
                header_line: self.header_location,
                blocks,
                lazy: None,
            },
            rows,
            rejected: self.rejected,
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
    F: Fn(crate::files::InputBytes, &spec::RelPath, TableJob<'_>) -> Result<Table, SourceError>
        + Sync,
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
    fn rows_keep_their_source_locations() {
        let mut b = TableBuilder::new(CohortFile::Scores, 0, &["participant_id", "week"], 3);
        b.start_row(4);
        b.cell(b"P1");
        b.cell(b"0");
        b.start_row(7);
        b.cell(b"P,2");
        b.cell(b"5");
        b.reject(8, " P3 ", "week", "x", "r");
        let t = b.finish();
        assert_eq!(t.rows, 2);
        assert_eq!(t.records.header_line, 3);
        let rows = t.records.records();
        assert_eq!(rows[0], (4, vec![b"P1".to_vec(), b"0".to_vec()]));
        assert_eq!(rows[1], (7, vec![b"P,2".to_vec(), b"5".to_vec()]));
        assert_eq!(
            (t.rejected[0].location, t.rejected[0].id.as_str()),
            (8, "P3")
        );
    }
}

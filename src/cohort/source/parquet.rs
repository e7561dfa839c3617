//! `format = "parquet"`: a cohort's tables handed in as Parquet files, read with polars and
//! translated into the contract's tables row by row, so that the one parser per vocabulary
//! checks them and the ledger names the Parquet file and its row.
//!
//! Typed columns become the text the contract expects: integers as digits, floats as their
//! shortest round-trip decimal (a `Float32` as the `f32` it is, so 3.7 stays 3.7), booleans as
//! `yes`/`no` (the contract's `medical_clearance`), dates as `YYYY-MM-DD`, a datetime at
//! midnight as its date (pandas stores dates so) and any other as `YYYY-MM-DD HH:MM:SS` (which
//! the date check then rejects with its row), categoricals as their label, nulls as empty.
//! Any other type is refused before any row is read, naming the column and its type.
//! Renames and codes apply as for every source with a header ([`super::plan`]). The location
//! of a row is its number in the file, from 1 (the header has none).

use std::io::Cursor;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use polars::prelude::{
    BooleanType, ChunkedArray, DataFrame, DataType, FileMetadata, FileMetadataRef, Float32Type,
    Float64Type, Int32Type, Int64Type, ParallelStrategy, ParquetReader, PolarsDataType,
    PolarsError, PolarsNumericType, PolarsResult, SerReader, Series, StringType, TimeUnit,
    UInt64Type,
};

use polars_arrow::array::{Array, DictionaryArray, Utf8ViewArray};
use polars_arrow::datatypes::ArrowDataType;
use polars_buffer::Buffer;

use super::plan::ColumnPlan;
use super::spec::{ParquetSpec, SourceSpec};
use super::{SourceError, TranslateOptions, Translation};
use crate::cohort::records::{LazyRecords, RecordRuns, RecordTable, append};
use crate::cohort::value::{DateWriter, write_date};
use crate::domain::text::{Shortest, write_shortest};
use crate::files::InputBytes;

mod codes;
mod contain;

/// Rows of a run turned into text together, column by column, before they are handed on one
/// by one: the batch's text stays in the cache.
const BATCH: usize = 1024;

/// Rows of a file written as records by one task: enough to be worth a thread, few enough
/// that a large file is shared out evenly and a run's records stay small.
const RUN: usize = 64 * 1024;

/// Reads the three Parquet files of a `[source]`.
///
/// Each file's footer and column types are read at once; its rows are written as records a
/// run at a time when the contract's reader reaches them, on its threads ([`Runs`]; the
/// records are the same whatever ran where), and a row group that cannot be decoded then
/// fails the load ([`RecordRuns::failure`]).
///
/// # Errors
/// [`SourceError`] for a file that cannot be read as Parquet, a column of an unusable type, or
/// a mapped column a file lacks.
pub fn read(
    dir: &Path,
    spec: &SourceSpec,
    pq: &ParquetSpec,
    options: TranslateOptions<'_>,
) -> Result<Translation, SourceError> {
    super::per_file(dir, spec, &pq.files, options, |bytes, rel, mut job| {
        let path = rel.join(dir);
        let file = contain::contained(|| FileRuns::read(bytes, RUN));
        let file = file.unwrap_or_else(|panic| Err(Problem::Panicked(panic)));
        let file = file.map_err(|e| match e {
            Problem::Unreadable(e) => not_parquet(&path, &e.to_string()),
            Problem::Panicked(panic) => not_parquet(&path, &decoder_failed(&panic)),
            Problem::Unusable((column, dtype)) => SourceError::Usage {
                path: rel.as_str().to_owned(),
                key: format!("column {column}"),
                message: format!(
                    "has type {dtype}; a cohort column must be a string, an integer, a float, a boolean, a date or a categorical (convert it before writing the file)"
                ),
            },
        })?;
        let plan = job.plan(&file.header)?.into_owned();
        let height = file.height();
        job.source.rows += height as u64;
        let runs = Runs {
            plan,
            file,
            failed: Mutex::new(None),
        };
        Ok(super::Table {
            table: job.table,
            source: job.source_index,
            records: RecordTable {
                header: runs.plan.header.clone(),
                header_line: 0,
                blocks: Vec::new(),
                lazy: Some(LazyRecords(Arc::new(runs))),
            },
            rows: height as u64,
            rejected: Vec::new(),
        })
    })
}

/// The error for a file that is not readable Parquet, and why.
fn not_parquet(path: &Path, why: &str) -> SourceError {
    SourceError::Input {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not a readable Parquet file ({why})"),
        ),
    }
}

/// Why, when polars' decoder panicked with `panic` ([`contain`]).
fn decoder_failed(panic: &str) -> String {
    format!("its decoder failed: {panic}")
}

/// Why a Parquet file cannot be read as a table.
enum Problem {
    /// It cannot be decoded.
    Unreadable(PolarsError),
    /// Its decoder panicked, with this message ([`contain`]).
    Panicked(String),
    /// A column has a type the contract has no text for: its name and type.
    Unusable((String, String)),
}

/// A Parquet file cut into runs of rows.
struct FileRuns {
    /// The file's column names.
    header: Vec<String>,
    /// Its columns.
    width: usize,
    /// For each column, its name and whether it may hold nulls when it holds strings (read
    /// as dictionary codes where it can be, [`codes`]).
    strings: Vec<Option<(String, bool)>>,
    bytes: Buffer<u8>,
    metadata: FileMetadataRef,
    units: Vec<Unit>,
    /// Each run's unit and rows (numbered from 0 in the file).
    runs: Vec<(usize, Range<usize>)>,
}

impl FileRuns {
    /// The file `bytes` in runs of `run` rows, from its footer and the types of its columns;
    /// no row group is decoded until a run reaches it.
    fn read(bytes: InputBytes, run: usize) -> Result<FileRuns, Problem> {
        // Shared with the arrays decoded from it, which may borrow its pages.
        let bytes = Buffer::from_owner(Owned(bytes));
        let mut reader = ParquetReader::new(Cursor::new(&bytes[..]));
        let metadata = reader.get_metadata().map_err(Problem::Unreadable)?.clone();
        let strings = reader
            .schema()
            .map_err(Problem::Unreadable)?
            .iter_values()
            .map(|field| {
                matches!(
                    field.dtype,
                    ArrowDataType::Utf8View | ArrowDataType::Utf8 | ArrowDataType::LargeUtf8
                )
                .then(|| (field.name.to_string(), field.is_nullable))
            })
            .collect();
        // The columns' names and types, from a frame of no rows decoded as the runs decode
        // theirs (the file's schema, whatever its row groups); the reader keeps the footer.
        let empty = reader
            .with_slice(Some((0, 0)))
            .finish()
            .map_err(Problem::Unreadable)?;
        let header = checked_names(&empty)?;
        let mut units = Vec::new();
        let mut runs = Vec::new();
        for groups in units_of(&metadata, run) {
            let rows = metadata.row_groups[groups.clone()]
                .iter()
                .map(|g| g.num_rows())
                .sum();
            let at = units.last().map_or(0, |u: &Unit| u.rows.end);
            let of_unit = runs_of(rows, run);
            runs.extend(
                of_unit
                    .iter()
                    .map(|r| (units.len(), at + r.start..at + r.end)),
            );
            units.push(Unit {
                groups,
                rows: at..at + rows,
                columns: Mutex::new(None),
                broken: AtomicBool::new(false),
                left: AtomicUsize::new(of_unit.len()),
            });
        }
        Ok(FileRuns {
            width: header.len(),
            header,
            strings,
            bytes,
            metadata,
            units,
            runs,
        })
    }
}

impl FileRuns {
    /// Rows in the file.
    fn height(&self) -> usize {
        self.units.last().map_or(0, |u| u.rows.end)
    }
}

/// The column names of a decoded frame, once every column is known to have a type the
/// contract has text for.
fn checked_names(frame: &DataFrame) -> Result<Vec<String>, Problem> {
    let columns: Vec<Decoded> = normalize(frame)
        .map_err(Problem::Unreadable)?
        .into_iter()
        .map(Decoded::Series)
        .collect();
    cells(&columns).map_err(Problem::Unusable)?;
    Ok(frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect())
}

/// The file's row groups as units decoded together: consecutive groups until a unit holds
/// `run` rows or more (a file of small groups is not decoded a few rows at a time).
fn units_of(metadata: &FileMetadata, run: usize) -> Vec<Range<usize>> {
    let mut units = Vec::new();
    let (mut from, mut rows) = (0, 0);
    for (g, group) in metadata.row_groups.iter().enumerate() {
        rows += group.num_rows();
        if rows >= run {
            units.push(from..g + 1);
            (from, rows) = (g + 1, 0);
        }
    }
    if from < metadata.row_groups.len() {
        units.push(from..metadata.row_groups.len());
    }
    units
}

/// Row groups `groups` of the file `bytes` whose footer is `metadata`, decoded on this
/// thread.
fn decode_groups(
    bytes: &[u8],
    metadata: &FileMetadata,
    groups: Range<usize>,
    projection: Vec<usize>,
) -> PolarsResult<DataFrame> {
    let row_groups = metadata.row_groups[groups].to_vec();
    let num_rows = row_groups.iter().map(|g| g.num_rows()).sum();
    let part = FileMetadata {
        version: metadata.version,
        num_rows,
        max_row_group_height: metadata.max_row_group_height,
        created_by: metadata.created_by.clone(),
        row_groups,
        key_value_metadata: metadata.key_value_metadata.clone(),
        schema_descr: metadata.schema_descr.clone(),
        column_orders: metadata.column_orders.clone(),
        footer_buf: metadata.footer_buf.clone(),
    };
    let mut reader = ParquetReader::new(Cursor::new(bytes))
        .read_parallel(ParallelStrategy::None)
        .with_projection(Some(projection));
    reader.set_metadata(Arc::new(part));
    reader.finish()
}

/// The file's bytes, owned by the buffer polars' decoders read.
struct Owned(InputBytes);

impl AsRef<[u8]> for Owned {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The arrays that rows `rows` of `arrays` (one after the other) fall in: each one's index
/// and the rows' range within it.
fn spans<A: Array>(
    arrays: &[A],
    rows: Range<usize>,
) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
    arrays
        .iter()
        .enumerate()
        .scan(0, move |start, (k, array)| {
            let (first, end) = (*start, *start + array.len());
            *start = end;
            let (from, to) = (rows.start.max(first), rows.end.min(end));
            Some((from < to).then(|| (k, from - first..to - first)))
        })
        .flatten()
}

/// One decoded column of a unit.
#[derive(Clone)]
enum Decoded {
    /// As polars decodes it, normalized.
    Series(Series),
    /// A string column's codes and dictionary, an array per row group ([`codes`]).
    Codes(Vec<DictionaryArray<u32>>),
}

impl Decoded {
    /// Rows `from..from + len`, sharing the decoded memory.
    fn slice(&self, from: usize, len: usize) -> Decoded {
        match self {
            Decoded::Series(s) => Decoded::Series(s.slice(from as i64, len)),
            Decoded::Codes(arrays) => Decoded::Codes(
                spans(arrays, from..from + len)
                    .map(|(k, at)| arrays[k].clone().sliced(at.start, at.len()))
                    .collect(),
            ),
        }
    }

    /// Its rows.
    fn len(&self) -> usize {
        match self {
            Decoded::Series(s) => s.len(),
            Decoded::Codes(arrays) => arrays.iter().map(Array::len).sum(),
        }
    }
}

impl FileRuns {
    /// Row groups `groups`, decoded on this thread: string columns as their codes where every
    /// group of the unit allows it, the rest by polars.
    fn decode(&self, groups: Range<usize>) -> Result<Vec<Decoded>, String> {
        let mut codes: Vec<Option<Vec<DictionaryArray<u32>>>> = self
            .strings
            .iter()
            .map(|string| {
                let (name, nullable) = string.as_ref()?;
                codes::decode(&self.bytes, &self.metadata, groups.clone(), name, *nullable)
            })
            .collect();
        let rest: Vec<usize> = (0..codes.len()).filter(|&c| codes[c].is_none()).collect();
        let others = if rest.is_empty() {
            Vec::new()
        } else {
            let frame = decode_groups(&self.bytes, &self.metadata, groups, rest.clone())
                .map_err(|e| e.to_string())?;
            normalize(&frame).map_err(|e| e.to_string())?
        };
        if others.len() != rest.len() {
            return Err(format!(
                "it decodes to {} columns where its schema has {}",
                others.len(),
                rest.len()
            ));
        }
        // One polars column for each column without codes, in order.
        let mut others = others.into_iter();
        Ok(codes
            .iter_mut()
            .map(|c| match c.take() {
                Some(arrays) => Decoded::Codes(arrays),
                None => Decoded::Series(others.next().unwrap_or_default()),
            })
            .collect())
    }
}

/// Consecutive row groups of a file, decoded when the first of their runs is reached and
/// dropped when the last is written.
struct Unit {
    groups: Range<usize>,
    /// Its rows, numbered from 0 in the file.
    rows: Range<usize>,
    /// The decoded columns, normalized, while runs of the unit are being written.
    columns: Mutex<Option<Arc<Vec<Decoded>>>>,
    /// The unit could not be decoded or used (its runs write nothing).
    broken: AtomicBool,
    /// Runs of the unit not written yet.
    left: AtomicUsize,
}

/// A Parquet table's rows as records, written a run of [`RUN`] rows at a time when the
/// contract's reader reaches them (on its threads), from the run's unit of row groups,
/// decoded then and shared by the unit's runs: the file is never held whole in memory,
/// neither as columns nor as records (a 1M-participant cohort held both, 2.1 GB, and spent
/// most of its time having the kernel zero that memory: benches/README.md, "sources").
/// A column of an unusable type is found when the file is read, from its schema; a row
/// group that cannot be decoded (a damaged or cut file) only when a run reaches it: its runs
/// are then written as nothing, and [`RecordRuns::failure`] names the first such unit, which
/// fails the load (exit 66) before any output is written. Decoding every group once more when
/// the file was read, to fail before any row was checked, cost a tenth of a 1M-participant
/// `analyze` (benches/README.md, "sources"). The plan rejects no row (an unknown code passes
/// unchanged, for the contract's check).
///
/// A run is turned into text [`BATCH`] rows at a time, column by column: strings, booleans
/// and nulls are handed to the reader borrowed from the decoded columns, numbers and dates
/// written once into the batch's buffer; no record is copied into a block. Writing every
/// cell into blocks of records, row by row, and reading them back was a third of a
/// 1M-participant `analyze` (benches/README.md, "sources").
struct Runs {
    plan: ColumnPlan<'static>,
    file: FileRuns,
    /// The first run (by position in the file) found unreadable, and why.
    failed: Mutex<Option<(usize, String)>>,
}

/// Why unit `unit` of a file cannot be used although its footer and schema could.
fn unreadable(unit: &Unit, problem: &str) -> String {
    format!(
        "it is not a readable Parquet file (rows {} to {}: {problem})",
        unit.rows.start + 1,
        unit.rows.end
    )
}

impl Runs {
    /// The columns of unit `u`, decoded by the first run that needs them (run `k`); `None`
    /// when the unit cannot be decoded, holds another number of rows than the footer says, or
    /// decodes to a type its schema does not give (recorded for [`RecordRuns::failure`]; the
    /// unit is not decoded again for its other runs).
    ///
    /// A thread that finds the unit being decoded by another decodes the next unit nobody has
    /// started instead of waiting ([`Runs::decode_ahead`]): the readers take runs in order,
    /// so without it every unit was decoded by one thread while the others waited for it
    /// (208-233 ms of waiting in a 1M-participant `analyze`, benches/README.md).
    fn columns(&self, u: usize, k: usize) -> Option<Arc<Vec<Decoded>>> {
        let unit = &self.file.units[u];
        let mut slot = match unit.columns.try_lock() {
            Ok(slot) => slot,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                self.decode_ahead(u + 1);
                unit.columns.lock().unwrap_or_else(|e| e.into_inner())
            }
        };
        self.fill(u, k, &mut slot)
    }

    /// Decodes the first of units `first` and `first + 1` that no thread has decoded or
    /// started, if any (so a thread holds little more than the units being read).
    fn decode_ahead(&self, first: usize) {
        let units = &self.file.units;
        for (v, unit) in units.iter().enumerate().skip(first).take(2) {
            let Ok(mut slot) = unit.columns.try_lock() else {
                continue;
            };
            // A unit whose runs are all written has had its columns dropped: never again.
            if slot.is_some()
                || unit.broken.load(Ordering::Acquire)
                || unit.left.load(Ordering::Acquire) == 0
            {
                continue;
            }
            // A failure is recorded at the unit's first run (the reason names the unit).
            let first_run = self.file.runs.partition_point(|(w, _)| *w < v);
            self.fill(v, first_run, &mut slot);
            return;
        }
    }

    /// The columns in `slot` (unit `u`'s), decoding them first when no run has yet; a
    /// failure is recorded at run `k`.
    fn fill(
        &self,
        u: usize,
        k: usize,
        slot: &mut Option<Arc<Vec<Decoded>>>,
    ) -> Option<Arc<Vec<Decoded>>> {
        let unit = &self.file.units[u];
        if let Some(columns) = &*slot {
            return Some(Arc::clone(columns));
        }
        if unit.broken.load(Ordering::Acquire) {
            return None;
        }
        let decoded = contain::contained(|| self.file.decode(unit.groups.clone()));
        let decoded = decoded
            .unwrap_or_else(|panic| Err(decoder_failed(&panic)))
            .and_then(|columns| {
                if let Some(c) = columns.iter().find(|c| c.len() != unit.rows.len()) {
                    return Err(format!(
                        "its row groups hold {} rows where its footer says {}",
                        c.len(),
                        unit.rows.len()
                    ));
                }
                cells(&columns).map_err(|(column, dtype)| {
                    format!("column {column} decodes as {dtype}, not as the file's schema says")
                })?;
                Ok(columns)
            });
        match decoded {
            Ok(columns) => {
                let columns = Arc::new(columns);
                *slot = Some(Arc::clone(&columns));
                Some(columns)
            }
            Err(problem) => {
                unit.broken.store(true, Ordering::Release);
                self.fail(k, unreadable(unit, &problem));
                None
            }
        }
    }

    /// Records that run `k` cannot be written, keeping the first run of the file so that the
    /// reason does not depend on which thread wrote what first (every run is written, so the
    /// first failing one is always among them).
    fn fail(&self, k: usize, why: String) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        if failed.as_ref().is_none_or(|(first, _)| k < *first) {
            *failed = Some((k, why));
        }
    }

    /// Marks a run of unit `u` written; the last drops the unit's columns.
    fn written(&self, u: usize) {
        let unit = &self.file.units[u];
        let last = unit
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            == Ok(1);
        if last {
            unit.columns
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
        }
    }
}

impl RecordRuns for Runs {
    fn runs(&self) -> usize {
        self.file.runs.len()
    }

    fn len(&self, k: usize) -> usize {
        self.file.runs[k].1.len()
    }

    fn write(&self, k: usize, each: &mut dyn FnMut(u64, &[&str])) {
        let (u, rows) = self.file.runs[k].clone();
        let Some(unit_columns) = self.columns(u, k) else {
            self.written(u);
            return;
        };
        let from = rows.start - self.file.units[u].rows.start;
        let columns: Vec<Decoded> = unit_columns
            .iter()
            .map(|c| c.slice(from, rows.len()))
            .collect();
        drop(unit_columns);
        let mut cells = match cells(&columns) {
            Ok(cells) => cells,
            Err((column, dtype)) => {
                // `columns` checked the unit's types; a slice of them has the same.
                let problem = format!("column {column} decodes as {dtype}");
                self.fail(k, unreadable(&self.file.units[u], &problem));
                self.written(u);
                return;
            }
        };
        let sources: Vec<(usize, bool)> = self.plan.sources().collect();
        let mut dates = vec![DateWriter::default(); self.file.width];
        let mut written = vec![Written::default(); sources.len()];
        let mut translated = Written::default();
        let n = sources.len();
        // The grid's memory, kept from batch to batch.
        let mut kept: Vec<&str> = Vec::new();
        // The dates each date column the plan passes on spans in the run, written once (see
        // `DateList`), by the file's column.
        let mut lists: Vec<Option<DateList>> = (0..cells.len()).map(|_| None).collect();
        for &(c, passes) in &sources {
            if let (true, Cells::Date(column)) = (passes, &mut cells[c]) {
                lists[c] = DateList::of(column, 0..rows.len());
            }
        }
        let mut from = 0;
        while from < rows.len() {
            let batch = from..(from + BATCH).min(rows.len());
            // The next batch's values asked for now: they were decoded into memory the cache
            // no longer holds, and the hardware prefetcher barely runs ahead here.
            let next = batch.end..(batch.end + BATCH).min(rows.len());
            for &(c, _) in &sources {
                cells[c].prefetch(next.clone());
            }
            // Column by column (one type, one tight loop, no choice per cell): each column's
            // text borrowed where the source holds it, straight into the grid; the rest
            // written, and put in the grid once every column is.
            let mut grid = reuse(kept);
            grid.resize(batch.len() * n, "");
            for (j, &(c, passes)) in sources.iter().enumerate() {
                let out = &mut written[j];
                out.clear();
                if passes {
                    let dates = Dates {
                        writer: &mut dates[c],
                        list: lists[c].as_ref(),
                    };
                    let mut into = Grid::of(&mut grid, n, j);
                    cells[c].column_into(batch.clone(), out, dates, &mut into);
                    continue;
                }
                // Codes or a decimal comma: every value translated (a few columns at most).
                translated.clear();
                for text in cells[c]
                    .column(batch.clone(), out, &mut dates[c])
                    .unwrap_or_else(|| out.texts().collect())
                {
                    self.plan.translate_into(j, text, &mut translated.bytes);
                    translated.end();
                }
                std::mem::swap(out, &mut translated);
            }
            // The columns written as bytes (every row of the batch has its end there; a
            // column put in the grid wrote none).
            for (j, out) in written.iter().enumerate() {
                if !out.ends.is_empty() {
                    let mut into = Grid::of(&mut grid, n, j);
                    out.texts()
                        .enumerate()
                        .for_each(|(i, text)| into.put(i, text));
                }
            }
            for i in 0..batch.len() {
                // Row `i`'s slice of the grid (empty when the table maps no column: its rows
                // are still handed over, each one).
                let fields = grid.get(i * n..(i + 1) * n).unwrap_or_default();
                // A row's location is its number in the file, from 1.
                each((rows.start + batch.start + i) as u64 + 1, fields);
            }
            kept = reuse(grid);
            from = batch.end;
        }
        drop(cells);
        drop(columns);
        self.written(u);
    }

    /// The first unit decoded on a spare thread while the participants are read (the
    /// sessions and scores readers wait for their roster; decoding needs none).
    fn prefetch(&self) {
        self.decode_ahead(0);
    }

    fn failure(&self) -> Option<String> {
        let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.as_ref().map(|(_, why)| why.clone())
    }
}

/// The text written for one column of a batch of rows: each value's bytes back to back.
#[derive(Clone, Debug, Default)]
struct Written {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Written {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// Ends the value written to `bytes`.
    #[inline]
    fn end(&mut self) {
        self.ends.push(self.bytes.len());
    }

    /// The values. Every writer writes UTF-8 (digits, dates, translated codes), checked once
    /// for the whole batch; a value that was not would read as U+FFFD, for the contract's
    /// check to reject with its row, never be dropped.
    fn texts(&self) -> impl Iterator<Item = &str> + '_ {
        let whole = std::str::from_utf8(&self.bytes).ok();
        let bytes = &self.bytes;
        self.ends.iter().scan(0, move |from, &to| {
            let text = match whole {
                Some(whole) => whole.get(*from..to),
                None => std::str::from_utf8(&bytes[*from..to]).ok(),
            };
            *from = to;
            Some(text.unwrap_or("\u{FFFD}"))
        })
    }
}

/// The texts of every date from a run's earliest to its latest, written once, when they span
/// at most [`DateList::MOST`] days of years 0 to 9999 (ten bytes each): a session log's
/// visit dates are then put as borrowed texts, none written per row and read back (the
/// dates' text and its reading again were about 7% of the user time of a 1M-participant
/// Parquet `analyze`, measured by putting one fixed date instead, 2026-12-08).
struct DateList {
    first: i32,
    text: String,
}

impl DateList {
    /// Most days listed: 30 years, 300 KB.
    const MOST: i64 = 30 * 366;

    /// The list of rows `rows` of `column`, `None` when it has no date or they span too much.
    fn of(column: &mut Chunked<'_, ArrayOf<Int32Type>>, rows: Range<usize>) -> Option<DateList> {
        let mut span: Option<(i32, i32)> = None;
        for row in rows {
            if let Some(d) = number::<Int32Type>(column, row) {
                span = Some(span.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))));
            }
        }
        let (first, last) = span?;
        if i64::from(last) - i64::from(first) >= Self::MOST {
            return None;
        }
        let mut bytes = Vec::with_capacity(10 * (last - first + 1) as usize);
        let mut writer = DateWriter::default();
        for d in first..=last {
            writer.write(&mut bytes, d);
        }
        // Ten bytes a date (years 0 to 9999, and so every day between), all ASCII.
        if bytes.len() != 10 * (last - first + 1) as usize {
            return None;
        }
        let text = String::from_utf8(bytes).ok()?;
        Some(DateList { first, text })
    }

    /// Rows `rows` of `column` (whose dates the list holds) put in `grid`; empty for a null.
    fn put<'w>(
        &'w self,
        column: &mut Chunked<'_, ArrayOf<Int32Type>>,
        rows: Range<usize>,
        grid: &mut Grid<'_, 'w>,
    ) {
        for (i, row) in rows.enumerate() {
            let text = match number::<Int32Type>(column, row) {
                Some(d) => {
                    let at = 10 * (d - self.first) as usize;
                    self.text.get(at..at + 10).unwrap_or("")
                }
                None => "",
            };
            grid.put(i, text);
        }
    }
}

/// How a date column's texts are made: put from the run's list of its dates when there is
/// one, else written by the column's writer.
struct Dates<'d, 'w> {
    writer: &'d mut DateWriter,
    list: Option<&'w DateList>,
}

/// A batch's texts, row-major: `n` columns a row, column `j` being filled.
struct Grid<'g, 'a> {
    cells: &'g mut [&'a str],
    n: usize,
    j: usize,
}

impl<'g, 'a> Grid<'g, 'a> {
    fn of(cells: &'g mut [&'a str], n: usize, j: usize) -> Grid<'g, 'a> {
        Grid { cells, n, j }
    }

    /// Row `i`'s text of the column being filled (a row past the grid is ignored: never,
    /// the grid holds the batch).
    #[inline(always)]
    fn put(&mut self, i: usize, text: &'a str) {
        if let Some(cell) = self.cells.get_mut(i * self.n + self.j) {
            *cell = text;
        }
    }
}

/// `v` emptied, as a vector of borrows of another lifetime, in the same memory (a collect
/// from a vector's own iterator into a vector of the same layout reuses its allocation).
fn reuse<'y>(mut v: Vec<&str>) -> Vec<&'y str> {
    v.clear();
    v.into_iter().map(|_| "").collect()
}

/// Rows `0..height` in runs of `run` rows.
fn runs_of(height: usize, run: usize) -> Vec<Range<usize>> {
    (0..height)
        .step_by(run)
        .map(|from| from..(from + run).min(height))
        .collect()
}

/// The column names of a Parquet file, from its schema (no rows read): what `trialdose init`
/// matches to the contract's columns.
///
/// # Errors
/// [`SourceError::Input`] when the bytes are not a readable Parquet file.
pub fn column_names(path: &Path, bytes: Vec<u8>) -> Result<Vec<String>, SourceError> {
    contain::contained(|| {
        ParquetReader::new(Cursor::new(bytes))
            .schema()
            .map(|schema| schema.iter_names().map(|n| n.to_string()).collect())
            .map_err(|e| e.to_string())
    })
    .unwrap_or_else(|panic| Err(decoder_failed(&panic)))
    .map_err(|why| not_parquet(path, &why))
}

/// A column's arrays (its chunks, concretely typed) and the row where each ends. A run's rows
/// are written in order, so the array of a row is nearly always the one of the row before:
/// finding it is a comparison, where `ChunkedArray::get` searched the chunks and asked each
/// array its length through a virtual call, for every cell (a fifth of a 1M-participant
/// Parquet `analyze`'s CPU was in that lookup and the closure around it, perf profile of
/// 2026-12-07).
struct Chunked<'a, A> {
    arrays: Vec<&'a A>,
    ends: Vec<usize>,
    /// The array the last row was in.
    at: usize,
}

impl<'a, A> Chunked<'a, A> {
    fn new<T>(column: &'a ChunkedArray<T>) -> Chunked<'a, A>
    where
        T: PolarsDataType<Array = A>,
    {
        let ends = column
            .chunk_lengths()
            .scan(0, |end, n| {
                *end += n;
                Some(*end)
            })
            .collect();
        Chunked {
            arrays: column.downcast_iter().collect(),
            ends,
            at: 0,
        }
    }

    /// The array holding row `row` and the row's index in it; `None` past the last row.
    #[inline]
    fn locate(&mut self, row: usize) -> Option<(&'a A, usize)> {
        while self.at > 0 && row < self.ends[self.at - 1] {
            self.at -= 1;
        }
        while self.at < self.ends.len() && row >= self.ends[self.at] {
            self.at += 1;
        }
        let array = *self.arrays.get(self.at)?;
        let start = if self.at == 0 {
            0
        } else {
            self.ends[self.at - 1]
        };
        Some((array, row - start))
    }
}

/// A string column read as codes: each row's key into its row group's dictionary.
struct Codes<'a> {
    arrays: &'a [DictionaryArray<u32>],
    /// Each array's dictionary: its texts listed once when it is small (statuses, arms,
    /// therapists: a key is then one load from a table in the cache), otherwise looked up
    /// in the array (a session log's participant ids); `None` if it were not one of strings,
    /// which the decoder never gives (its rows then read as empty).
    dictionaries: Vec<Option<Dictionary<'a>>>,
}

/// A dictionary's texts, listed or in their array.
enum Dictionary<'a> {
    Listed(Vec<&'a str>),
    Array(&'a Utf8ViewArray),
}

impl<'a> Dictionary<'a> {
    /// Entries up to which a dictionary is listed: well below a run's rows, so that listing
    /// it costs less than the lookups it saves.
    const LISTED: usize = RUN / 16;

    /// Entry `key`, empty past the end (a key the decoder would have rejected).
    #[inline(always)]
    fn text(&self, key: u32) -> &'a str {
        let key = key as usize;
        match self {
            Dictionary::Listed(texts) => texts.get(key).copied().unwrap_or(""),
            Dictionary::Array(array) if key < array.len() => array.value(key),
            Dictionary::Array(_) => "",
        }
    }
}

impl<'a> Codes<'a> {
    fn new(arrays: &'a [DictionaryArray<u32>]) -> Codes<'a> {
        let dictionaries = arrays
            .iter()
            .map(|a| {
                let array = a.values().as_any().downcast_ref::<Utf8ViewArray>()?;
                Some(if array.len() <= Dictionary::LISTED {
                    Dictionary::Listed(array.values_iter().collect())
                } else {
                    Dictionary::Array(array)
                })
            })
            .collect();
        Codes {
            arrays,
            dictionaries,
        }
    }

    /// Rows `rows`' texts, an array at a time, into `grid` (see [`Cells::column`]); empty
    /// for a null, and for rows past the arrays (none: every column of a unit has its rows).
    fn texts_into<'w>(&self, rows: Range<usize>, grid: &mut Grid<'_, 'w>)
    where
        'a: 'w,
    {
        let mut i = 0;
        for (k, at) in spans(self.arrays, rows) {
            let keys = self.arrays[k].keys();
            match (&self.dictionaries[k], keys.validity()) {
                (None, _) => at.for_each(|_| {
                    grid.put(i, "");
                    i += 1;
                }),
                (Some(d), None) => keys.values()[at].iter().for_each(|&k| {
                    grid.put(i, d.text(k));
                    i += 1;
                }),
                (Some(d), Some(valid)) => at.for_each(|r| {
                    grid.put(
                        i,
                        if valid.get_bit(r) {
                            d.text(keys.values()[r])
                        } else {
                            ""
                        },
                    );
                    i += 1;
                }),
            }
        }
    }
}

/// Row `row` of a column of numbers (`None` for a null).
#[inline(always)]
fn number<T: PolarsNumericType>(
    column: &mut Chunked<'_, ArrayOf<T>>,
    row: usize,
) -> Option<T::Native> {
    let (array, i) = column.locate(row)?;
    if array.validity().is_some_and(|valid| !valid.get_bit(i)) {
        return None;
    }
    array.values().get(i).copied()
}

/// The arrays of a column of polars type `T`.
type ArrayOf<T> = <T as PolarsDataType>::Array;

/// One column's cells, by row number.
enum Cells<'a> {
    Int(Chunked<'a, ArrayOf<Int64Type>>),
    UInt(Chunked<'a, ArrayOf<UInt64Type>>),
    F64(Chunked<'a, ArrayOf<Float64Type>>),
    F32(Chunked<'a, ArrayOf<Float32Type>>),
    Bool(Chunked<'a, ArrayOf<BooleanType>>),
    Text(Chunked<'a, ArrayOf<StringType>>),
    Date(Chunked<'a, ArrayOf<Int32Type>>),
    Codes(Codes<'a>),
    DateTime(Chunked<'a, ArrayOf<Int64Type>>, i64),
    Null,
}

impl<'a> Cells<'a> {
    /// Asks the cache for the memory of rows `rows` (of the array holding the first: a batch
    /// rarely spans two).
    fn prefetch(&mut self, rows: Range<usize>) {
        fn ahead<A, T>(c: &mut Chunked<'_, A>, rows: &Range<usize>, values: impl Fn(&A) -> &[T]) {
            if let Some((array, i)) = c.locate(rows.start) {
                let values = values(array);
                let end = (i + rows.len()).min(values.len());
                crate::cache::prefetch_memory(values.get(i..end).unwrap_or_default());
            }
        }
        match self {
            Cells::Text(c) => ahead(c, &rows, |a| a.views().as_slice()),
            Cells::Int(c) | Cells::DateTime(c, _) => ahead(c, &rows, |a| a.values().as_slice()),
            Cells::UInt(c) => ahead(c, &rows, |a| a.values().as_slice()),
            Cells::F64(c) => ahead(c, &rows, |a| a.values().as_slice()),
            Cells::F32(c) => ahead(c, &rows, |a| a.values().as_slice()),
            Cells::Date(c) => ahead(c, &rows, |a| a.values().as_slice()),
            Cells::Codes(c) => {
                for (k, at) in spans(c.arrays, rows) {
                    crate::cache::prefetch_memory(&c.arrays[k].keys().values()[at]);
                }
            }
            Cells::Bool(_) | Cells::Null => {}
        }
    }

    /// Rows `rows`' contract text: borrowed from the column for text, booleans and nulls
    /// (an empty text for a null), otherwise `None` once written to `out`.
    fn column(
        &mut self,
        rows: Range<usize>,
        out: &mut Written,
        dates: &mut DateWriter,
    ) -> Option<Vec<&'a str>> {
        let mut texts = vec![""; rows.len()];
        let dates = Dates {
            writer: dates,
            list: None,
        };
        let borrowed = self.column_into(rows, out, dates, &mut Grid::of(&mut texts, 1, 0));
        borrowed.then_some(texts)
    }

    /// [`Cells::column`], the borrowed texts put in `grid` (true) rather than collected:
    /// a batch's columns are laid into one row-major grid, each row then handed over as a
    /// slice of it, where collecting each column and gathering each row from them was a
    /// twentieth of a 1M-participant Parquet `analyze` (perf, 2026-12-08).
    fn column_into<'w>(
        &mut self,
        rows: Range<usize>,
        out: &mut Written,
        dates: Dates<'_, 'w>,
        grid: &mut Grid<'_, 'w>,
    ) -> bool
    where
        'a: 'w,
    {
        // One loop per type (the type chosen once, not per cell).
        match self {
            Cells::Text(c) => {
                for (i, row) in rows.enumerate() {
                    grid.put(i, c.locate(row).and_then(|(a, r)| a.get(r)).unwrap_or(""));
                }
                true
            }
            Cells::Bool(c) => {
                for (i, row) in rows.enumerate() {
                    let text = match c.locate(row).and_then(|(a, r)| a.get(r)) {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "",
                    };
                    grid.put(i, text);
                }
                true
            }
            Cells::Null => {
                for i in 0..rows.len() {
                    grid.put(i, "");
                }
                true
            }
            Cells::Codes(c) => {
                c.texts_into(rows, grid);
                true
            }
            Cells::Int(c) => {
                if small_numbers(c, rows.clone(), grid) {
                    return true;
                }
                write_numbers::<Int64Type>(c, rows, out, |v, b| {
                    append(b, itoa::Buffer::new().format(v).as_bytes());
                });
                false
            }
            Cells::UInt(c) => {
                write_numbers::<UInt64Type>(c, rows, out, |v, b| {
                    append(b, itoa::Buffer::new().format(v).as_bytes());
                });
                false
            }
            Cells::F64(c) => {
                write_numbers::<Float64Type>(c, rows, out, |v, b| push_float(b, v));
                false
            }
            Cells::F32(c) => {
                write_numbers::<Float32Type>(c, rows, out, |v, b| push_float(b, v));
                false
            }
            Cells::Date(c) => match dates.list {
                Some(list) => {
                    list.put(c, rows, grid);
                    true
                }
                None => {
                    write_numbers::<Int32Type>(c, rows, out, |d, b| dates.writer.write(b, d));
                    false
                }
            },
            Cells::DateTime(c, per_day) => {
                let per_day = *per_day;
                write_numbers::<Int64Type>(c, rows, out, |t, b| push_datetime(b, t, per_day));
                false
            }
        }
    }
}

/// The texts of the numbers below this, listed once: minutes, weeks, ages and scores are.
const SMALL: usize = 1000;

/// `"0"` to `"999"`.
fn small_texts() -> &'static [String] {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| (0..SMALL).map(|v| v.to_string()).collect())
}

/// Rows `rows` of a column of integers put in `grid` as listed texts, when every value is
/// from 0 to 999 or null (false, the grid partly filled, otherwise): no digits written, none
/// read back (a tenth of the text `Runs::write` wrote for a session log were its minutes).
fn small_numbers(
    column: &mut Chunked<'_, ArrayOf<Int64Type>>,
    rows: Range<usize>,
    grid: &mut Grid<'_, '_>,
) -> bool {
    let texts = small_texts();
    for (i, row) in rows.enumerate() {
        let text = match number::<Int64Type>(column, row) {
            None => "",
            Some(v) => match usize::try_from(v).ok().and_then(|v| texts.get(v)) {
                Some(t) => t.as_str(),
                None => return false,
            },
        };
        grid.put(i, text);
    }
    true
}

/// Writes rows `rows` of a column of numbers to `out`, each value through `put` (nothing for
/// a null).
#[inline(always)]
fn write_numbers<T: PolarsNumericType>(
    column: &mut Chunked<'_, ArrayOf<T>>,
    rows: Range<usize>,
    out: &mut Written,
    mut put: impl FnMut(T::Native, &mut Vec<u8>),
) {
    for row in rows {
        if let Some(v) = number::<T>(column, row) {
            put(v, &mut out.bytes);
        }
        out.end();
    }
}

/// The frame's columns with integers widened to 64 bits and categoricals read as their
/// labels.
fn normalize(frame: &DataFrame) -> Result<Vec<Series>, polars::prelude::PolarsError> {
    frame
        .columns()
        .iter()
        .map(|column| {
            let s = column.as_materialized_series();
            let to = match s.dtype() {
                DataType::Categorical(..) | DataType::Enum(..) => Some(DataType::String),
                DataType::Int8 | DataType::Int16 | DataType::Int32 => Some(DataType::Int64),
                DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => Some(DataType::UInt64),
                _ => None,
            };
            match to {
                Some(to) => s.cast(&to),
                None => Ok(s.clone()),
            }
        })
        .collect()
}

/// Each column's cells; `Err((column, type))` for a type the contract has no text for.
fn cells(columns: &[Decoded]) -> Result<Vec<Cells<'_>>, (String, String)> {
    columns
        .iter()
        .map(|c| {
            let s = match c {
                Decoded::Series(s) => s,
                Decoded::Codes(arrays) => return Ok(Cells::Codes(Codes::new(arrays))),
            };
            let unusable = || (s.name().to_string(), s.dtype().to_string());
            Ok(match s.dtype() {
                DataType::Int64 => Cells::Int(Chunked::new(s.i64().map_err(|_| unusable())?)),
                DataType::UInt64 => Cells::UInt(Chunked::new(s.u64().map_err(|_| unusable())?)),
                DataType::Float64 => Cells::F64(Chunked::new(s.f64().map_err(|_| unusable())?)),
                DataType::Float32 => Cells::F32(Chunked::new(s.f32().map_err(|_| unusable())?)),
                DataType::Boolean => Cells::Bool(Chunked::new(s.bool().map_err(|_| unusable())?)),
                DataType::String => Cells::Text(Chunked::new(s.str().map_err(|_| unusable())?)),
                DataType::Date => {
                    Cells::Date(Chunked::new(s.date().map_err(|_| unusable())?.physical()))
                }
                DataType::Datetime(unit, _) => {
                    let per_day = match unit {
                        TimeUnit::Nanoseconds => 86_400_000_000_000,
                        TimeUnit::Microseconds => 86_400_000_000,
                        TimeUnit::Milliseconds => 86_400_000,
                    };
                    Cells::DateTime(
                        Chunked::new(s.datetime().map_err(|_| unusable())?.physical()),
                        per_day,
                    )
                }
                DataType::Null => Cells::Null,
                _ => return Err(unusable()),
            })
        })
        .collect()
}

/// A float as the contract's decimal text: the shortest round trip without exponent (Rust's
/// `Display`, through [`write_shortest`]), `-0` as `0`; NaN and infinities stay visible, for
/// the row check to reject. An `f32` is written as the `f32` it is (3.7f32 is "3.7", not the
/// 3.700000047683716 of its widening to f64).
fn push_float<F: Shortest>(out: &mut Vec<u8>, v: F) {
    if v.whole() == Some(0) {
        out.push(b'0');
    } else {
        write_shortest(v, |text| out.extend_from_slice(text.as_bytes()));
    }
}

/// A datetime (`t` units since the epoch, `per_day` units a day): its date when at midnight,
/// else date and time.
fn push_datetime(out: &mut Vec<u8>, t: i64, per_day: i64) {
    let day = t.div_euclid(per_day);
    let rest = t.rem_euclid(per_day);
    let Ok(day32) = i32::try_from(day) else {
        out.extend_from_slice(t.to_string().as_bytes());
        return;
    };
    write_date(out, day32);
    if rest != 0 {
        let seconds = rest / (per_day / 86_400);
        out.extend_from_slice(
            format!(
                " {:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            )
            .as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Column, DataFrame, Int64Chunked, NewChunkedArray, StringChunked};

    use super::*;
    use crate::cohort::ledger::CohortFile;

    #[test]
    fn a_reused_vector_keeps_its_memory() {
        let mut v: Vec<&str> = Vec::with_capacity(6);
        let text = String::from("P1");
        v.push(&text);
        let (at, room) = (v.as_ptr() as usize, v.capacity());
        let w: Vec<&'static str> = reuse(v);
        assert!(w.is_empty());
        assert_eq!((w.as_ptr() as usize, w.capacity()), (at, room));
    }

    /// Every cell of `frame` as the contract's text, row by row, each column written as the
    /// runs write it ([`Cells::column`]).
    fn texts(frame: &DataFrame) -> Vec<Vec<String>> {
        let normalized: Vec<Decoded> = normalize(frame)
            .unwrap()
            .into_iter()
            .map(Decoded::Series)
            .collect();
        let mut cells = cells(&normalized).unwrap();
        let columns: Vec<Vec<String>> = cells
            .iter_mut()
            .map(|c| {
                let mut out = Written::default();
                let rows = 0..frame.height();
                match c.column(rows, &mut out, &mut DateWriter::default()) {
                    Some(texts) => texts.iter().map(|t| (*t).to_owned()).collect(),
                    None => out.texts().map(str::to_owned).collect(),
                }
            })
            .collect();
        (0..frame.height())
            .map(|row| columns.iter().map(|c| c[row].clone()).collect())
            .collect()
    }

    #[test]
    fn typed_columns_become_the_contract_text() {
        let f = DataFrame::new_infer_height(vec![
            Column::new("id".into(), ["P1", "P,2", "P3"]),
            Column::new("age".into(), [Some(63i32), None, Some(40)]),
            Column::new("pain".into(), [3.7f64, 60.0, -0.0]),
            Column::new("ndi".into(), [3.7f32, 12.0, 0.5]),
            Column::new("ok".into(), [Some(true), Some(false), None]),
            Column::new("n".into(), [1u32, 2, 3]),
        ])
        .unwrap();
        let rows = texts(&f);
        assert_eq!(rows[0], ["P1", "63", "3.7", "3.7", "yes", "1"]);
        assert_eq!(rows[1], ["P,2", "", "60", "12", "no", "2"]);
        assert_eq!(rows[2], ["P3", "40", "0", "0.5", "", "3"]);
    }

    #[test]
    fn small_integers_are_listed_texts_and_others_written() {
        // 0 to 999 and nulls are put as the listed texts; a column with one value outside
        // (1000, -3) is written in full, digits by digits, with the same texts.
        let f = DataFrame::new_infer_height(vec![
            Column::new("in".into(), [Some(0i64), Some(999), None, Some(30)]),
            Column::new("out".into(), [Some(5i64), None, Some(1000), Some(-3)]),
        ])
        .unwrap();
        let series = |name: &str| {
            [Decoded::Series(
                f.column(name).unwrap().as_materialized_series().clone(),
            )]
        };
        let (inside, outside) = (series("in"), series("out"));
        let (mut out, mut dates) = (Written::default(), DateWriter::default());
        let listed = cells(&inside).unwrap()[0].column(0..4, &mut out, &mut dates);
        assert_eq!(listed, Some(vec!["0", "999", "", "30"]));
        assert!(out.ends.is_empty(), "nothing written for a listed column");
        let written = cells(&outside).unwrap()[0].column(0..4, &mut out, &mut dates);
        assert_eq!(written, None);
        assert_eq!(out.texts().collect::<Vec<_>>(), ["5", "", "1000", "-3"]);
        assert_eq!(texts(&f)[2], ["", "1000"]);
    }

    #[test]
    fn a_run_s_dates_are_listed_once_and_put_as_written() {
        // Days from 1999-12-31 over a leap day to the end of 2000, a null, repeats, disorder;
        // each put text is the one `DateWriter` writes, a null empty.
        let days = [
            Some(10956i32),
            None,
            Some(11016),
            Some(11017),
            Some(11016),
            Some(11322),
            Some(10957),
        ];
        let date_column = |values: &[Option<i32>]| {
            let column = Column::new("date".into(), values).cast(&DataType::Date);
            [Decoded::Series(
                column.unwrap().as_materialized_series().clone(),
            )]
        };
        let decoded = date_column(&days);
        let mut read = cells(&decoded).unwrap();
        let Cells::Date(column) = &mut read[0] else {
            panic!("a date column")
        };
        let list = DateList::of(column, 0..days.len()).expect("367 days listed");
        let mut texts = vec![""; days.len()];
        list.put(column, 0..days.len(), &mut Grid::of(&mut texts, 1, 0));
        let want: Vec<String> = days
            .iter()
            .map(|d| {
                let mut b = Vec::new();
                if let Some(d) = d {
                    write_date(&mut b, *d);
                }
                String::from_utf8(b).unwrap()
            })
            .collect();
        assert_eq!(texts, want);
        assert_eq!(texts[2], "2000-02-29");
        // Too long a span, a year past 9999 and no date at all: not listed.
        for far in [
            [Some(0), Some(11_000)],
            [Some(0), Some(2_932_897)],
            [None, None],
        ] {
            let decoded = date_column(&far);
            let mut read = cells(&decoded).unwrap();
            let Cells::Date(column) = &mut read[0] else {
                panic!("a date column")
            };
            assert!(DateList::of(column, 0..2).is_none(), "{far:?}");
        }
    }

    /// `frame` as a Parquet file whose row groups are the frame's chunks.
    fn parquet_bytes(frame: &mut DataFrame, group: usize) -> InputBytes {
        let mut out = Vec::new();
        polars::prelude::ParquetWriter::new(&mut out)
            .with_row_group_size(Some(group))
            .finish(frame)
            .unwrap();
        InputBytes::Read(out)
    }

    /// The text of rows `rows` of `column`, as a run writes it.
    fn column_texts(column: &Decoded, rows: Range<usize>) -> Vec<String> {
        let sliced = [column.slice(rows.start, rows.len())];
        let mut cells = cells(&sliced).unwrap();
        let mut out = Written::default();
        match cells[0].column(0..rows.len(), &mut out, &mut DateWriter::default()) {
            Some(texts) => texts.iter().map(|t| (*t).to_owned()).collect(),
            None => out.texts().map(str::to_owned).collect(),
        }
    }

    #[test]
    fn dictionary_string_columns_are_read_as_codes_with_their_nulls() {
        // Twelve rows in row groups of four, units of two groups (runs of eight rows): a
        // column of two sites and nulls (a dictionary in every group), distinct ids, numbers.
        let ids: Vec<String> = (0..12).map(|i| format!("P{i:04}")).collect();
        let sites: Vec<Option<&str>> = (0..12)
            .map(|i| match i % 3 {
                0 => Some("Site A"),
                1 => None,
                _ => Some("Site B"),
            })
            .collect();
        let mut f = DataFrame::new_infer_height(vec![
            Column::new("id".into(), ids.clone()),
            Column::new("site".into(), sites.clone()),
            Column::new("n".into(), (0..12i64).collect::<Vec<_>>()),
        ])
        .unwrap();
        let file = FileRuns::read(parquet_bytes(&mut f, 4), 8).ok().unwrap();
        assert_eq!(file.units.len(), 2);
        // A column of numbers has no codes to read; neither has a column the file lacks.
        for name in ["n", "nothing"] {
            assert!(codes::decode(&file.bytes, &file.metadata, 0..1, name, false).is_none());
        }
        let site = |i: usize| sites[i].unwrap_or("").to_owned();
        for unit in &file.units {
            let columns = file.decode(unit.groups.clone()).unwrap();
            let Decoded::Codes(arrays) = &columns[1] else {
                panic!("the sites were not read as codes");
            };
            assert_eq!(arrays.len(), unit.groups.len());
            // A dictionary listed and one looked up in its array read the same, empty past
            // their end.
            for array in arrays {
                let values = array.values().as_any().downcast_ref::<Utf8ViewArray>();
                let values = values.unwrap();
                let listed = Dictionary::Listed(values.values_iter().collect());
                let looked_up = Dictionary::Array(values);
                for key in 0..=values.len() as u32 {
                    assert_eq!(listed.text(key), looked_up.text(key));
                }
                assert_eq!(looked_up.text(values.len() as u32), "");
            }
            assert!(matches!(columns[2], Decoded::Series(_)));
            let rows = unit.rows.clone();
            // Every row, then rows across the two groups' boundary, then the last row.
            let cases = [
                (0, rows.len()),
                (2, 4.min(rows.len() - 2)),
                (rows.len() - 1, 1),
            ];
            for (from, len) in cases {
                let want: Vec<String> = (rows.start + from..rows.start + from + len)
                    .map(site)
                    .collect();
                assert_eq!(column_texts(&columns[1], from..from + len), want);
                let want = ids[rows.start + from..rows.start + from + len].to_vec();
                assert_eq!(column_texts(&columns[0], from..from + len), want);
            }
        }
    }

    /// A frame of `ids` and `arms`, one chunk per slice of `chunks` rows.
    fn chunked(ids: &[&str], arms: &[Option<i64>], chunks: &[usize]) -> DataFrame {
        let mut frame: Option<DataFrame> = None;
        let mut from = 0;
        for &n in chunks {
            let part = DataFrame::new_infer_height(vec![
                Column::new("participant_id".into(), &ids[from..from + n]),
                Column::new("arm".into(), &arms[from..from + n]),
            ])
            .unwrap();
            match &mut frame {
                Some(f) => {
                    f.vstack_mut(&part).unwrap();
                }
                None => frame = Some(part),
            }
            from += n;
        }
        frame.unwrap()
    }

    #[test]
    fn row_groups_are_decoded_in_units_and_written_in_runs() {
        // Groups of 1, 1 and 1 rows with runs of 2: the first two groups are one unit.
        let mut f = chunked(&["P1", "P2", "P3"], &[Some(1), Some(2), None], &[1, 1, 1]);
        let file = FileRuns::read(parquet_bytes(&mut f, 1), 2).ok().unwrap();
        assert_eq!(file.metadata.row_groups.len(), 3);
        let units: Vec<_> = file
            .units
            .iter()
            .map(|u| (u.groups.clone(), u.rows.clone()))
            .collect();
        assert_eq!(units, [(0..2, 0..2), (2..3, 2..3)]);
        assert_eq!(file.runs, [(0, 0..2), (1, 2..3)]);
    }

    /// The runs of `file` read as a participants table under the `[source]` of `toml` (a plan
    /// that outlives its spec).
    fn participant_runs(file: FileRuns, toml: &str) -> Arc<Runs> {
        let spec = SourceSpec::from_toml(toml, "trial.toml", &[])
            .unwrap()
            .unwrap();
        let plan = ColumnPlan::new(
            CohortFile::Participants,
            &file.header,
            &spec,
            &[],
            "p.parquet",
        )
        .unwrap()
        .into_owned();
        Arc::new(Runs {
            plan,
            file,
            failed: Mutex::new(None),
        })
    }

    #[test]
    fn runs_write_every_row_once_in_order_at_its_row_number() {
        // Two row groups (4 and 3 rows) in runs of 2 rows, with a code applied by a plan that
        // outlives its spec.
        let ids = ["P1", "P2", "P3", "P4", "P5", "P6", "P7"];
        let arms = [Some(1), None, Some(2), Some(1), Some(2), Some(1), Some(9)];
        let mut f = chunked(&ids, &arms, &[4, 3]);
        let file = FileRuns::read(parquet_bytes(&mut f, 3), 2).ok().unwrap();
        assert_eq!((file.height(), file.width), (7, 2));
        assert_eq!(file.runs, [(0, 0..2), (0, 2..4), (1, 4..6), (1, 6..7)]);
        let runs = participant_runs(
            file,
            "[source]\nformat = \"parquet\"\n[source.codes.arm]\n\"1\" = \"control\"\n\"2\" = \"60x2\"\n",
        );
        let table = RecordTable {
            header: runs.plan.header.clone(),
            header_line: 0,
            blocks: Vec::new(),
            lazy: Some(LazyRecords(runs.clone())),
        };
        let text = |v: &[u8]| String::from_utf8(v.to_vec()).unwrap();
        let got: Vec<(u64, Vec<String>)> = table
            .records()
            .into_iter()
            .map(|(line, cells)| (line, cells.iter().map(|c| text(c)).collect()))
            .collect();
        let want: Vec<(u64, Vec<String>)> = ids
            .iter()
            .zip(["control", "", "60x2", "control", "60x2", "control", "9"])
            .enumerate()
            .map(|(i, (id, arm))| (i as u64 + 1, vec![id.to_string(), arm.to_string()]))
            .collect();
        assert_eq!(got, want);
        // Every unit's columns were dropped after its last run.
        assert!(
            runs.file
                .units
                .iter()
                .all(|u| u.columns.lock().unwrap().is_none())
        );
    }

    #[test]
    fn a_table_mapping_no_column_still_has_every_row() {
        // A file of columns the contract does not know: each row is handed over, with no
        // field (the readers then reject it for its missing columns), none is dropped.
        let mut f = DataFrame::new_infer_height(vec![
            Column::new("x".into(), ["a", "b", "c"]),
            Column::new("y".into(), [1i64, 2, 3]),
        ])
        .unwrap();
        let file = FileRuns::read(parquet_bytes(&mut f, 2), 2).ok().unwrap();
        let runs = participant_runs(file, "[source]\nformat = \"parquet\"\n");
        let table = RecordTable {
            header: runs.plan.header.clone(),
            header_line: 0,
            blocks: Vec::new(),
            lazy: Some(LazyRecords(runs.clone())),
        };
        let got: Vec<(u64, usize)> = table
            .records()
            .into_iter()
            .map(|(line, cells)| (line, cells.len()))
            .collect();
        assert!(runs.plan.header.is_empty(), "{:?}", runs.plan.header);
        assert_eq!(got, [(1, 0), (2, 0), (3, 0)]);
    }

    #[test]
    fn a_waiting_thread_decodes_the_next_units_and_the_rows_stay_the_same() {
        // Four units of two rows; the plan passes both columns through.
        let ids = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"];
        let arms = [
            Some(1),
            None,
            Some(2),
            Some(1),
            Some(2),
            Some(1),
            Some(9),
            None,
        ];
        let mut f = chunked(&ids, &arms, &[2, 2, 2, 2]);
        let file = FileRuns::read(parquet_bytes(&mut f, 2), 2).ok().unwrap();
        assert_eq!(file.units.len(), 4);
        let runs = participant_runs(file, "[source]\nformat = \"parquet\"\n");
        let decoded = |runs: &Runs| -> Vec<bool> {
            runs.file
                .units
                .iter()
                .map(|u| u.columns.lock().unwrap().is_some())
                .collect()
        };
        // Unit 0 busy: the next unit nobody started is decoded, one per call, two ahead at
        // most.
        runs.decode_ahead(1);
        assert_eq!(decoded(&runs), [false, true, false, false]);
        runs.decode_ahead(1);
        assert_eq!(decoded(&runs), [false, true, true, false]);
        runs.decode_ahead(1);
        assert_eq!(decoded(&runs), [false, true, true, false]);
        // A unit whose runs are all written is never decoded again.
        let mut rows = Vec::new();
        runs.write(3, &mut |line, _| rows.push(line));
        assert_eq!(rows, [7, 8]);
        runs.decode_ahead(3);
        assert_eq!(decoded(&runs), [false, true, true, false]);
        // Before any reader: the first unit.
        runs.prefetch();
        assert_eq!(decoded(&runs), [true, true, true, false]);
        // The rest read as usual: every row once, in order, each unit dropped after its runs.
        for k in 0..3 {
            runs.write(k, &mut |line, fields| {
                rows.push(line);
                assert_eq!(fields[0], ids[line as usize - 1]);
            });
        }
        assert_eq!(rows, [7, 8, 1, 2, 3, 4, 5, 6]);
        assert_eq!(decoded(&runs), [false; 4]);
        assert!(runs.failure().is_none());
    }

    #[test]
    fn datetimes_at_midnight_are_dates() {
        let mut out = Vec::new();
        push_datetime(&mut out, 86_400_000 * 14_761, 86_400_000);
        assert_eq!(out, b"2010-06-01");
        out.clear();
        push_datetime(&mut out, 86_400_000 * 14_761 + 3_723_000, 86_400_000);
        assert_eq!(out, b"2010-06-01 01:02:03");
    }

    #[test]
    fn floats_are_written_as_display_writes_them() {
        // The shortcut for whole numbers against `Display` (the reference).
        for v in [
            0.0,
            -0.0,
            3.0,
            -7.0,
            60.0,
            1e14,
            999_999_999_999_999.0,
            1e15,
            2.5,
            1e-7,
            1e300,
        ] {
            let mut out = Vec::new();
            push_float(&mut out, v);
            let want = format!("{}", if v == 0.0 { 0.0 } else { v });
            assert_eq!(String::from_utf8(out).unwrap(), want, "{v}");
        }
        for v in [0.0f32, -0.0, 3.7, 12.0, 9_999_999.0, 1e7, 0.5] {
            let mut out = Vec::new();
            push_float(&mut out, v);
            let want = format!("{}", if v == 0.0 { 0.0 } else { v });
            assert_eq!(String::from_utf8(out).unwrap(), want, "{v}");
        }
        // Fractions over every magnitude (ryu's digits where it writes no exponent, `Display`
        // where it would), f64 and f32, against `Display`.
        let (mut x, mut y) = (1.234_567_890_123e-12_f64, 3.7e-9_f32);
        while x < 1e25 {
            for v in [x, -x / 3.0, x * 1.1] {
                let mut out = Vec::new();
                push_float(&mut out, v);
                assert_eq!(String::from_utf8(out).unwrap(), format!("{v}"));
            }
            if y < 1e12 {
                for v in [y, -y / 3.0, y * 1.1] {
                    let mut out = Vec::new();
                    push_float(&mut out, v);
                    assert_eq!(String::from_utf8(out).unwrap(), format!("{v}"));
                }
            }
            (x, y) = (x * 3.3, y * 2.9);
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = Vec::new();
            push_float(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{v}"));
        }
    }

    #[test]
    fn cells_of_columns_in_several_chunks_are_read_at_any_row() {
        // Columns of two chunks with nulls; rows read forwards, backwards and jumping, against
        // polars' own `get`.
        let mut ints = Int64Chunked::from_slice_options("n".into(), &[Some(1), None, Some(3)]);
        ints.append(&Int64Chunked::from_slice_options(
            "n".into(),
            &[Some(4), Some(5), None, Some(7)],
        ))
        .unwrap();
        let mut texts = StringChunked::from_slice_options("t".into(), &[Some("a"), None]);
        texts
            .append(&StringChunked::from_slice_options(
                "t".into(),
                &[Some("c"), Some("d")],
            ))
            .unwrap();
        assert_eq!((ints.chunks().len(), texts.chunks().len()), (2, 2));
        let mut n = Chunked::new(&ints);
        let mut t = Chunked::new(&texts);
        let order = [0, 1, 2, 3, 4, 5, 6, 6, 5, 0, 6, 2, 3, 1];
        for &row in &order {
            assert_eq!(number::<Int64Type>(&mut n, row), ints.get(row), "row {row}");
            if row < texts.len() {
                let got = t.locate(row).and_then(|(a, i)| a.get(i));
                assert_eq!(got, texts.get(row), "row {row}");
            }
        }
        assert_eq!(number::<Int64Type>(&mut n, 7), None);
        assert!(t.locate(4).is_none());
        // A slice (as a run reads its unit): arrays and validity at an offset.
        let sliced = ints.slice(1, 5);
        let mut s = Chunked::new(&sliced);
        for row in [0, 1, 2, 3, 4, 2, 0] {
            assert_eq!(
                number::<Int64Type>(&mut s, row),
                sliced.get(row),
                "row {row}"
            );
        }
        assert_eq!(
            (0..5).map(|r| sliced.get(r)).collect::<Vec<_>>(),
            [None, Some(3), Some(4), Some(5), None]
        );
    }
}

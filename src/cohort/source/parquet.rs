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
use std::sync::Arc;

use polars::prelude::{
    BooleanChunked, DataFrame, DataType, Float32Chunked, Float64Chunked, Int32Chunked,
    Int64Chunked, ParquetReader, SerReader, Series, StringChunked, TimeUnit, UInt64Chunked,
};

use super::plan::ColumnPlan;
use super::spec::{ParquetSpec, SourceSpec};
use super::{SourceError, TranslateOptions, Translation};
use crate::cohort::ledger::CohortFile;
use crate::cohort::records::{LazyRecords, RecordBlock, RecordRuns, RecordTable};
use crate::cohort::value::{DateWriter, write_date};

/// Rows of a file written as records by one task: enough to be worth a thread, few enough
/// that a large file is shared out evenly and a run's records stay small.
const RUN: usize = 64 * 1024;

/// Reads the three Parquet files of a `[source]`.
///
/// The files are decoded at once; each file's rows are written as records in runs of
/// [`RUN`] when the contract's reader reaches them, on its threads (the records are the same
/// whatever ran where), so a table is never held whole both as columns and as records.
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
        let unreadable = |why: String| SourceError::Input {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
        };
        let frame = ParquetReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|e| unreadable(format!("it is not a readable Parquet file ({e})")))?;
        let header: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let plan = job.plan(&header)?;
        let normalized = normalize(&frame).map_err(|e| unreadable(e.to_string()))?;
        let unusable = |(column, dtype): (String, String)| SourceError::Usage {
            path: rel.as_str().to_owned(),
            key: format!("column {column}"),
            message: format!(
                "has type {dtype}; a cohort column must be a string, an integer, a float, a boolean, a date or a categorical (convert it before writing the file)"
            ),
        };
        let width = cells(&normalized).map_err(unusable)?.len();
        let height = frame.height();
        drop(frame);
        let plan = plan.into_owned();
        job.source.rows += height as u64;
        let runs = Runs {
            table: job.table,
            source: job.source_index,
            plan,
            columns: normalized,
            width,
            rows: runs_of(height, RUN),
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

/// A Parquet table's rows as records, written a run of [`RUN`] rows at a time when the
/// contract's reader reaches them (on its threads), from slices of the decoded columns (no
/// copy: the columns stay in the chunks the file's row groups gave them). The column types
/// were checked when the file was read, so writing a run cannot fail; the plan rejects no
/// row (an unknown code passes unchanged, for the contract's check).
struct Runs {
    table: CohortFile,
    source: usize,
    plan: ColumnPlan<'static>,
    /// The file's columns, normalized.
    columns: Vec<Series>,
    /// Source columns.
    width: usize,
    /// Rows of each run, numbered from 0.
    rows: Vec<Range<usize>>,
}

/// Rows `0..height` in runs of `run` rows.
fn runs_of(height: usize, run: usize) -> Vec<Range<usize>> {
    (0..height)
        .step_by(run)
        .map(|from| from..(from + run).min(height))
        .collect()
}

impl RecordRuns for Runs {
    fn runs(&self) -> usize {
        self.rows.len()
    }

    fn len(&self, k: usize) -> usize {
        self.rows[k].len()
    }

    fn write(&self, k: usize) -> Vec<RecordBlock> {
        let rows = self.rows[k].clone();
        let sliced: Vec<Series> = self
            .columns
            .iter()
            .map(|s| s.slice(rows.start as i64, rows.len()))
            .collect();
        let cells = cells(&sliced).expect("a slice has its column's type, checked on reading");
        let mut builder = self.plan.builder(self.table, self.source, 0);
        builder.reserve(rows.len(), rows.len() * 8 * self.width);
        let mut scratch = Vec::new();
        let mut dates = vec![DateWriter::default(); self.width];
        for (i, row) in rows.enumerate() {
            // A row's location is its number in the file, from 1.
            self.plan
                .write_row_into(&mut builder, row as u64 + 1, &mut scratch, |c, out| {
                    cells[c].write(i, out, &mut dates[c]);
                });
        }
        builder.finish().records.blocks
    }
}

/// The column names of a Parquet file, from its schema (no rows read): what `trialdose init`
/// matches to the contract's columns.
///
/// # Errors
/// [`SourceError::Input`] when the bytes are not a readable Parquet file.
pub fn column_names(path: &Path, bytes: Vec<u8>) -> Result<Vec<String>, SourceError> {
    ParquetReader::new(Cursor::new(bytes))
        .schema()
        .map(|schema| schema.iter_names().map(|n| n.to_string()).collect())
        .map_err(|e| SourceError::Input {
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("it is not a readable Parquet file ({e})"),
            ),
        })
}

/// One column's cells, by row number.
enum Cells<'a> {
    Int(&'a Int64Chunked),
    UInt(&'a UInt64Chunked),
    F64(&'a Float64Chunked),
    F32(&'a Float32Chunked),
    Bool(&'a BooleanChunked),
    Text(&'a StringChunked),
    Date(&'a Int32Chunked),
    DateTime(&'a Int64Chunked, i64),
    Null,
}

impl Cells<'_> {
    /// Appends row `row`'s contract text to `out` (nothing for a null).
    #[inline]
    fn write(&self, row: usize, out: &mut Vec<u8>, dates: &mut DateWriter) {
        match self {
            Cells::Int(c) => {
                if let Some(v) = c.get(row) {
                    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
                }
            }
            Cells::UInt(c) => {
                if let Some(v) = c.get(row) {
                    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
                }
            }
            Cells::F64(c) => {
                if let Some(v) = c.get(row) {
                    push_f64(out, v);
                }
            }
            Cells::F32(c) => {
                if let Some(v) = c.get(row) {
                    push_f32(out, v);
                }
            }
            Cells::Bool(c) => {
                if let Some(b) = c.get(row) {
                    out.extend_from_slice(if b { b"yes" } else { b"no" });
                }
            }
            Cells::Text(c) => {
                if let Some(t) = c.get(row) {
                    out.extend_from_slice(t.as_bytes());
                }
            }
            Cells::Date(c) => {
                if let Some(d) = c.get(row) {
                    dates.write(out, d);
                }
            }
            Cells::DateTime(c, per_day) => {
                if let Some(t) = c.get(row) {
                    push_datetime(out, t, *per_day);
                }
            }
            Cells::Null => {}
        }
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
fn cells(columns: &[Series]) -> Result<Vec<Cells<'_>>, (String, String)> {
    columns
        .iter()
        .map(|s| {
            let unusable = || (s.name().to_string(), s.dtype().to_string());
            Ok(match s.dtype() {
                DataType::Int64 => Cells::Int(s.i64().map_err(|_| unusable())?),
                DataType::UInt64 => Cells::UInt(s.u64().map_err(|_| unusable())?),
                DataType::Float64 => Cells::F64(s.f64().map_err(|_| unusable())?),
                DataType::Float32 => Cells::F32(s.f32().map_err(|_| unusable())?),
                DataType::Boolean => Cells::Bool(s.bool().map_err(|_| unusable())?),
                DataType::String => Cells::Text(s.str().map_err(|_| unusable())?),
                DataType::Date => Cells::Date(s.date().map_err(|_| unusable())?.physical()),
                DataType::Datetime(unit, _) => {
                    let per_day = match unit {
                        TimeUnit::Nanoseconds => 86_400_000_000_000,
                        TimeUnit::Microseconds => 86_400_000_000,
                        TimeUnit::Milliseconds => 86_400_000,
                    };
                    Cells::DateTime(s.datetime().map_err(|_| unusable())?.physical(), per_day)
                }
                DataType::Null => Cells::Null,
                _ => return Err(unusable()),
            })
        })
        .collect()
}

/// A float as the contract's decimal text: the shortest round trip without exponent (Rust's
/// `Display`), `-0` as `0`; NaN and infinities stay visible, for the row check to reject. A
/// whole number (nearly every score) is written as an integer, which `Display` would write
/// the same, without going through the formatter.
fn push_f64(out: &mut Vec<u8>, v: f64) {
    use std::io::Write as _;
    if v.fract() == 0.0 && v.abs() < 1e15 {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        let _ = write!(out, "{v}");
    }
}

/// [`push_f64`] for an `f32`: the shortest text of the `f32` itself (3.7f32 is "3.7", not
/// the 3.700000047683716 of its widening to f64).
fn push_f32(out: &mut Vec<u8>, v: f32) {
    use std::io::Write as _;
    if v.fract() == 0.0 && v.abs() < 1e7 {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        let _ = write!(out, "{v}");
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
    use polars::prelude::{Column, DataFrame};

    use super::*;

    /// Every cell of `frame` as the contract's text, row by row.
    fn texts(frame: &DataFrame) -> Vec<Vec<String>> {
        let normalized = normalize(frame).unwrap();
        let cells = cells(&normalized).unwrap();
        (0..frame.height())
            .map(|row| {
                cells
                    .iter()
                    .map(|c| {
                        let mut t = Vec::new();
                        c.write(row, &mut t, &mut DateWriter::default());
                        String::from_utf8(t).unwrap()
                    })
                    .collect()
            })
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
    fn runs_write_every_row_once_in_order_at_its_row_number() {
        // Two chunks (as two row groups give), cut into runs of 3 rows that straddle them,
        // with a code applied by a plan that outlives its spec.
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("participant_id".into(), ["P1", "P2", "P3", "P4"]),
            Column::new("arm".into(), [Some(1i64), None, Some(2), Some(1)]),
        ])
        .unwrap();
        let more = DataFrame::new_infer_height(vec![
            Column::new("participant_id".into(), ["P5", "P6", "P7"]),
            Column::new("arm".into(), [Some(2i64), Some(1), Some(9)]),
        ])
        .unwrap();
        frame.vstack_mut(&more).unwrap();
        assert_eq!(frame.first_col_n_chunks(), 2);
        let header: Vec<String> = ["participant_id", "arm"].map(String::from).to_vec();
        let plan = {
            let spec = SourceSpec::from_toml(
                "[source]\nformat = \"parquet\"\n[source.codes.arm]\n\"1\" = \"control\"\n\"2\" = \"60x2\"\n",
                "trial.toml",
                &[],
            )
            .unwrap()
            .unwrap();
            ColumnPlan::new(CohortFile::Participants, &header, &spec, &[], "p.parquet")
                .unwrap()
                .into_owned()
        };
        let runs = Runs {
            table: CohortFile::Participants,
            source: 0,
            plan,
            columns: normalize(&frame).unwrap(),
            width: 2,
            rows: runs_of(7, 3),
        };
        assert_eq!(runs.rows, [0..3, 3..6, 6..7]);
        let table = RecordTable {
            header: header.clone(),
            header_line: 0,
            blocks: Vec::new(),
            lazy: Some(LazyRecords(Arc::new(runs))),
        };
        let text = |v: &[u8]| String::from_utf8(v.to_vec()).unwrap();
        let got: Vec<(u64, Vec<String>)> = table
            .records()
            .into_iter()
            .map(|(line, cells)| (line, cells.iter().map(|c| text(c)).collect()))
            .collect();
        let want: Vec<(u64, Vec<String>)> = [
            ("P1", "control"),
            ("P2", ""),
            ("P3", "60x2"),
            ("P4", "control"),
            ("P5", "60x2"),
            ("P6", "control"),
            ("P7", "9"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (id, arm))| (i as u64 + 1, vec![id.to_string(), arm.to_string()]))
        .collect();
        assert_eq!(got, want);
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
            push_f64(&mut out, v);
            let want = format!("{}", if v == 0.0 { 0.0 } else { v });
            assert_eq!(String::from_utf8(out).unwrap(), want, "{v}");
        }
        for v in [0.0f32, -0.0, 3.7, 12.0, 9_999_999.0, 1e7, 0.5] {
            let mut out = Vec::new();
            push_f32(&mut out, v);
            let want = format!("{}", if v == 0.0 { 0.0 } else { v });
            assert_eq!(String::from_utf8(out).unwrap(), want, "{v}");
        }
    }
}

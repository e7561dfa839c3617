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
use std::path::Path;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader, Series, TimeUnit};

use super::spec::{ParquetSpec, SourceSpec};
use super::{SourceError, TranslateOptions, Translation};
use crate::cohort::value::push_date;

/// Reads the three Parquet files of a `[source]`.
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
        let mut builder = plan.builder(job.table, job.source_index, 0);
        builder.reserve(frame.height() * 48);
        let normalized = normalize(&frame).map_err(|e| unreadable(e.to_string()))?;
        let mut cells = cells(&normalized).map_err(|(column, dtype)| SourceError::Usage {
            path: rel.as_str().to_owned(),
            key: format!("column {column}"),
            message: format!(
                "has type {dtype}; a cohort column must be a string, an integer, a float, a boolean, a date or a categorical (convert it before writing the file)"
            ),
        })?;
        let mut texts = vec![String::new(); cells.len()];
        for row in 1..=frame.height() as u64 {
            job.source.count_row();
            for (text, c) in texts.iter_mut().zip(cells.iter_mut()) {
                text.clear();
                c.next_into(text);
            }
            plan.write_row(&mut builder, row, |i| texts[i].as_bytes());
        }
        Ok(builder.finish())
    })
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

/// One column's cells, row by row.
enum Cells<'a> {
    Int(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    UInt(Box<dyn Iterator<Item = Option<u64>> + 'a>),
    F64(Box<dyn Iterator<Item = Option<f64>> + 'a>),
    F32(Box<dyn Iterator<Item = Option<f32>> + 'a>),
    Bool(Box<dyn Iterator<Item = Option<bool>> + 'a>),
    Text(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Date(Box<dyn Iterator<Item = Option<i32>> + 'a>),
    DateTime(Box<dyn Iterator<Item = Option<i64>> + 'a>, i64),
}

impl Cells<'_> {
    /// Appends the next cell's contract text to `out` (nothing for a null).
    fn next_into(&mut self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Cells::Int(it) => {
                if let Some(Some(v)) = it.next() {
                    out.push_str(itoa::Buffer::new().format(v));
                }
            }
            Cells::UInt(it) => {
                if let Some(Some(v)) = it.next() {
                    out.push_str(itoa::Buffer::new().format(v));
                }
            }
            Cells::F64(it) => {
                if let Some(Some(v)) = it.next() {
                    push_f64(out, v);
                }
            }
            Cells::F32(it) => {
                if let Some(Some(v)) = it.next() {
                    // The shortest text of the f32 itself: 3.7f32 is "3.7", not the
                    // 3.700000047683716 of its widening to f64.
                    let _ = write!(out, "{}", if v == 0.0 { 0.0 } else { v });
                }
            }
            Cells::Bool(it) => {
                if let Some(Some(b)) = it.next() {
                    out.push_str(if b { "yes" } else { "no" });
                }
            }
            Cells::Text(it) => {
                if let Some(Some(t)) = it.next() {
                    out.push_str(t);
                }
            }
            Cells::Date(it) => {
                if let Some(Some(d)) = it.next() {
                    push_date(out, d);
                }
            }
            Cells::DateTime(it, per_day) => {
                if let Some(Some(t)) = it.next() {
                    push_datetime(out, t, *per_day);
                }
            }
        }
    }
}

/// The frame's columns with integers widened to 64 bits and categoricals read as their labels.
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
                DataType::Int64 => Cells::Int(Box::new(s.i64().map_err(|_| unusable())?.iter())),
                DataType::UInt64 => Cells::UInt(Box::new(s.u64().map_err(|_| unusable())?.iter())),
                DataType::Float64 => Cells::F64(Box::new(s.f64().map_err(|_| unusable())?.iter())),
                DataType::Float32 => Cells::F32(Box::new(s.f32().map_err(|_| unusable())?.iter())),
                DataType::Boolean => {
                    Cells::Bool(Box::new(s.bool().map_err(|_| unusable())?.iter()))
                }
                DataType::String => Cells::Text(Box::new(s.str().map_err(|_| unusable())?.iter())),
                DataType::Date => Cells::Date(Box::new(
                    s.date().map_err(|_| unusable())?.physical().iter(),
                )),
                DataType::Datetime(unit, _) => {
                    let per_day = match unit {
                        TimeUnit::Nanoseconds => 86_400_000_000_000,
                        TimeUnit::Microseconds => 86_400_000_000,
                        TimeUnit::Milliseconds => 86_400_000,
                    };
                    Cells::DateTime(
                        Box::new(s.datetime().map_err(|_| unusable())?.physical().iter()),
                        per_day,
                    )
                }
                DataType::Null => Cells::Text(Box::new(std::iter::repeat_n(None, s.len()))),
                _ => return Err(unusable()),
            })
        })
        .collect()
}

/// A float as the contract's decimal text: the shortest round trip without exponent (Rust's
/// `Display`), `-0` as `0`; NaN and infinities stay visible, for the row check to reject.
fn push_f64(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}", if v == 0.0 { 0.0 } else { v });
}

/// A datetime (`t` units since the epoch, `per_day` units a day): its date when at midnight,
/// else date and time.
fn push_datetime(out: &mut String, t: i64, per_day: i64) {
    let day = t.div_euclid(per_day);
    let rest = t.rem_euclid(per_day);
    let Ok(day32) = i32::try_from(day) else {
        out.push_str(&t.to_string());
        return;
    };
    push_date(out, day32);
    if rest != 0 {
        let seconds = rest / (per_day / 86_400);
        out.push_str(&format!(
            " {:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ));
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Column, DataFrame};

    use super::*;

    /// Every cell of `frame` as the contract's text, row by row.
    fn texts(frame: &DataFrame) -> Vec<Vec<String>> {
        let normalized = normalize(frame).unwrap();
        let mut cells = cells(&normalized).unwrap();
        (0..frame.height())
            .map(|_| {
                cells
                    .iter_mut()
                    .map(|c| {
                        let mut t = String::new();
                        c.next_into(&mut t);
                        t
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
    fn datetimes_at_midnight_are_dates() {
        let mut out = String::new();
        push_datetime(&mut out, 86_400_000 * 14_761, 86_400_000);
        assert_eq!(out, "2010-06-01");
        out.clear();
        push_datetime(&mut out, 86_400_000 * 14_761 + 3_723_000, 86_400_000);
        assert_eq!(out, "2010-06-01 01:02:03");
    }
}

//! A cohort table handed in as Parquet (`[source] format = "parquet"`), read with polars and
//! rewritten as the data contract's CSV text, so that the one parser per vocabulary checks it
//! and the ledger names the Parquet file and its row.
//!
//! Typed columns become the text the contract expects: integers as digits, floats as their
//! shortest round-trip decimal (a `Float32` as the `f32` it is, so 3.7 stays 3.7), booleans as
//! `yes`/`no` (the contract's `medical_clearance`; another column reads `true`/`false`), dates
//! as `YYYY-MM-DD`, a datetime at midnight as its date (pandas stores dates so) and any other
//! as `YYYY-MM-DD HH:MM:SS` (which the date check then rejects with its row), categoricals as
//! their label, nulls as empty. Any other type is refused before any row is read, naming the
//! column and its type. Row `n` is the `n`th record of the file (1-based), the location the
//! ledger gives.

use std::path::Path;

use polars::prelude::{DataFrame, DataType, ParquetReader, PolarsError, SerReader, TimeUnit};

use crate::cohort::value::push_date;

/// Why a Parquet table could not be read (the whole file; rows go to the ledger).
#[derive(Debug, thiserror::Error)]
pub enum ParquetSourceError {
    /// The file could not be opened.
    #[error("cannot read {file}: {source}")]
    Open {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// polars could not read it as Parquet.
    #[error("{file} is not a readable Parquet file: {source}")]
    Polars {
        /// The file.
        file: String,
        /// polars' error.
        source: PolarsError,
    },
    /// A column has a type the contract has no text for.
    #[error(
        "{file}: column `{column}` has type {dtype}; a cohort column must be a string, an integer, a float, a boolean, a date or a categorical (convert it before writing the file)"
    )]
    Type {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// Its type.
        dtype: String,
    },
}

/// A table rewritten as contract CSV text.
#[derive(Debug, Default)]
pub struct TextTable {
    /// Header (the columns' names) and one record per row.
    pub csv: Vec<u8>,
    /// The source row of each physical line after the header (a value holding a line break
    /// spans several lines, each pointing at its row).
    pub origins: Vec<u64>,
}

/// One column's cells as text, row by row.
enum Cells<'a> {
    Int(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    UInt(Box<dyn Iterator<Item = Option<u64>> + 'a>),
    F64(Box<dyn Iterator<Item = Option<f64>> + 'a>),
    F32(Box<dyn Iterator<Item = Option<f32>> + 'a>),
    Bool(Box<dyn Iterator<Item = Option<bool>> + 'a>, bool),
    Text(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Date(Box<dyn Iterator<Item = Option<i32>> + 'a>),
    DateTime(Box<dyn Iterator<Item = Option<i64>> + 'a>, i64),
}

/// Reads `path` (already checked to be a regular file inside the cohort folder) into contract
/// CSV text; `renames` gives a contract name for a source column (`source -> contract`),
/// `yes_no` the contract columns whose booleans read `yes`/`no`.
///
/// # Errors
/// [`ParquetSourceError`] when the file cannot be read or a column has an unusable type.
pub fn read(
    path: &Path,
    name: &str,
    renames: &dyn Fn(&str) -> String,
    yes_no: &[&str],
) -> Result<TextTable, ParquetSourceError> {
    let file = crate::files::open_input(path).map_err(|source| ParquetSourceError::Open {
        file: name.to_owned(),
        source,
    })?;
    let polars = |source| ParquetSourceError::Polars {
        file: name.to_owned(),
        source,
    };
    let frame = ParquetReader::new(file).finish().map_err(polars)?;
    rewrite(&frame, name, renames, yes_no)
}

fn rewrite(
    frame: &DataFrame,
    name: &str,
    renames: &dyn Fn(&str) -> String,
    yes_no: &[&str],
) -> Result<TextTable, ParquetSourceError> {
    let polars = |source| ParquetSourceError::Polars {
        file: name.to_owned(),
        source,
    };
    let mut out = String::with_capacity(frame.height() * 48 + 256);
    let mut header = Vec::with_capacity(frame.width());
    // Integers are read as 64-bit and categoricals through their labels: cast once, kept
    // alive here for the iterators below.
    let mut casts = Vec::new();
    for column in frame.columns() {
        let s = column.as_materialized_series();
        let to = match s.dtype() {
            DataType::Categorical(..) | DataType::Enum(..) => Some(DataType::String),
            DataType::Int8 | DataType::Int16 | DataType::Int32 => Some(DataType::Int64),
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => Some(DataType::UInt64),
            _ => None,
        };
        casts.push(match to {
            Some(to) => Some(s.cast(&to).map_err(polars)?),
            None => None,
        });
    }
    let mut cells = Vec::with_capacity(frame.width());
    for (column, cast) in frame.columns().iter().zip(&casts) {
        let s = cast.as_ref().unwrap_or(column.as_materialized_series());
        let contract = renames(s.name());
        let unusable = || ParquetSourceError::Type {
            file: name.to_owned(),
            column: s.name().to_string(),
            dtype: s.dtype().to_string(),
        };
        let c = match s.dtype() {
            DataType::Int64 => Cells::Int(Box::new(s.i64().map_err(polars)?.iter())),
            DataType::UInt64 => Cells::UInt(Box::new(s.u64().map_err(polars)?.iter())),
            DataType::Float64 => Cells::F64(Box::new(s.f64().map_err(polars)?.iter())),
            DataType::Float32 => Cells::F32(Box::new(s.f32().map_err(polars)?.iter())),
            DataType::Boolean => Cells::Bool(
                Box::new(s.bool().map_err(polars)?.iter()),
                yes_no.contains(&contract.as_str()),
            ),
            DataType::String => Cells::Text(Box::new(s.str().map_err(polars)?.iter())),
            DataType::Date => Cells::Date(Box::new(s.date().map_err(polars)?.physical().iter())),
            DataType::Datetime(unit, _) => {
                let per_day = match unit {
                    TimeUnit::Nanoseconds => 86_400_000_000_000,
                    TimeUnit::Microseconds => 86_400_000_000,
                    TimeUnit::Milliseconds => 86_400_000,
                };
                Cells::DateTime(
                    Box::new(s.datetime().map_err(polars)?.physical().iter()),
                    per_day,
                )
            }
            DataType::Null => Cells::Text(Box::new(std::iter::repeat_n(None, s.len()))),
            _ => return Err(unusable()),
        };
        header.push(contract);
        cells.push(c);
    }
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, h);
    }
    out.push('\n');
    let mut origins = Vec::with_capacity(frame.height());
    let mut ints = itoa::Buffer::new();
    for row in 1..=frame.height() as u64 {
        let mut lines = 1;
        for (k, c) in cells.iter_mut().enumerate() {
            if k > 0 {
                out.push(',');
            }
            match c {
                Cells::Int(it) => {
                    if let Some(Some(v)) = it.next() {
                        out.push_str(ints.format(v));
                    }
                }
                Cells::UInt(it) => {
                    if let Some(Some(v)) = it.next() {
                        out.push_str(ints.format(v));
                    }
                }
                Cells::F64(it) => {
                    if let Some(Some(v)) = it.next() {
                        push_f64(&mut out, v);
                    }
                }
                Cells::F32(it) => {
                    if let Some(Some(v)) = it.next() {
                        // The shortest text of the f32 itself: 3.7f32 is "3.7", not the
                        // 3.700000047683716 of its widening to f64.
                        use std::fmt::Write as _;
                        let _ = write!(out, "{}", if v == 0.0 { 0.0 } else { v });
                    }
                }
                Cells::Bool(it, yes_no) => {
                    if let Some(Some(b)) = it.next() {
                        out.push_str(match (*yes_no, b) {
                            (true, true) => "yes",
                            (true, false) => "no",
                            (false, true) => "true",
                            (false, false) => "false",
                        });
                    }
                }
                Cells::Text(it) => {
                    if let Some(Some(t)) = it.next() {
                        lines += t.matches('\n').count();
                        push_field(&mut out, t);
                    }
                }
                Cells::Date(it) => {
                    if let Some(Some(d)) = it.next() {
                        push_date(&mut out, d);
                    }
                }
                Cells::DateTime(it, per_day) => {
                    if let Some(Some(t)) = it.next() {
                        push_datetime(&mut out, t, *per_day);
                    }
                }
            }
        }
        out.push('\n');
        origins.extend(std::iter::repeat_n(row, lines));
    }
    Ok(TextTable {
        csv: out.into_bytes(),
        origins,
    })
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

/// Appends `text` as one CSV field, quoted when it holds a comma, a quote or a line break.
fn push_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Column, DataFrame};

    use super::*;

    fn frame(columns: Vec<Column>) -> DataFrame {
        DataFrame::new_infer_height(columns).unwrap()
    }

    #[test]
    fn typed_columns_become_the_contract_text() {
        let f = frame(vec![
            Column::new("Patient".into(), ["P1", "P,2", "P\"3"]),
            Column::new("age".into(), [Some(63i32), None, Some(40)]),
            Column::new("pain".into(), [3.7f64, 60.0, -0.0]),
            Column::new("ndi".into(), [3.7f32, 12.0, 0.5]),
            Column::new("ok".into(), [Some(true), Some(false), None]),
            Column::new("flag".into(), [true, false, true]),
        ]);
        let renames = |s: &str| {
            if s == "Patient" {
                "participant_id".to_owned()
            } else if s == "ok" {
                "medical_clearance".to_owned()
            } else {
                s.to_owned()
            }
        };
        let t = rewrite(&f, "x.parquet", &renames, &["medical_clearance"]).unwrap();
        assert_eq!(
            String::from_utf8(t.csv).unwrap(),
            "participant_id,age,pain,ndi,medical_clearance,flag\n\
             P1,63,3.7,3.7,yes,true\n\
             \"P,2\",,60,12,no,false\n\
             \"P\"\"3\",40,0,0.5,,true\n"
        );
        assert_eq!(t.origins, [1, 2, 3]);
    }

    #[test]
    fn a_line_break_in_a_value_keeps_every_line_on_its_row() {
        let f = frame(vec![Column::new("site".into(), ["a", "b\nc", "d"])]);
        let t = rewrite(&f, "x.parquet", &|s| s.to_owned(), &[]).unwrap();
        assert_eq!(t.origins, [1, 2, 2, 3]);
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

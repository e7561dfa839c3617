//! The Parquet files of `analyze --parquet`: every result table as a typed Parquet file beside
//! its CSV (`arms.parquet`, `comparisons.parquet`, ..., `participants.parquet`,
//! `rejections.parquet`), for data teams and notebooks that want types rather than text.
//!
//! The files are drawn from the same typed cells as the CSVs and the workbook
//! ([`crate::render::export`]'s row functions hand every row to a [`RowSink`]), so no format
//! can disagree with another. A column's type follows the kind of cell the row function hands
//! for it, whatever the values, so an all-empty column keeps its type: a count is `Int64`, a
//! proportion, mean or score `Float64` (an exact decimal score as its nearest double, the value
//! the CSV text reads back to), a yes/no `Boolean`, text `String` (as written: no `'` formula
//! guard, which only the CSVs need). An empty CSV cell is a null, as polars and pandas read the
//! empty field of the CSV. Written with polars (pinned in Cargo.toml), zstd-compressed, one
//! row group per 512Ki rows, serially: the bytes depend on nothing but the results.

use std::path::Path;

use polars::prelude::{
    Column, DataFrame, DataType, IntoColumn, ParquetCompression, ParquetWriter, PlSmallStr,
    PolarsError, StringChunkedBuilder,
};

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::files::{AtomicFile, OutputError};
use crate::render::export::{self, Results, Rows};
use crate::render::output::Cell;

/// Why a Parquet file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// polars refused the table or could not write it.
    #[error("writing {file}: {source}")]
    Polars {
        /// The file.
        file: String,
        /// polars' error.
        source: PolarsError,
    },
    /// The file could not be created or committed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// One column being filled, typed by the first cell handed for it.
enum Values {
    /// No row yet: the type is not known.
    Unknown,
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    /// Text cells as spans of one buffer (no allocation per cell: the participants table has
    /// 100,000s of ids, arms and sites), `None` for an empty cell.
    Text {
        bytes: String,
        cells: Vec<Option<(usize, usize)>>,
    },
}

impl Values {
    fn push(&mut self, cell: &Cell<'_>) {
        if let Values::Unknown = self {
            *self = match cell {
                Cell::Int(_) => Values::Int(Vec::new()),
                Cell::Float(_) | Cell::Dec(_) => Values::Float(Vec::new()),
                Cell::Bool(_) => Values::Bool(Vec::new()),
                Cell::Text(_) => Values::Text {
                    bytes: String::new(),
                    cells: Vec::new(),
                },
            };
        }
        match (self, cell) {
            (Values::Int(v), Cell::Int(x)) => v.push(x.and_then(|x| i64::try_from(x).ok())),
            (Values::Float(v), Cell::Float(x)) => {
                // -0 is written 0 and a non-finite value is empty, as in the CSV.
                v.push(
                    x.filter(|x| x.is_finite())
                        .map(|x| if x == 0.0 { 0.0 } else { x }),
                );
            }
            (Values::Float(v), Cell::Dec(x)) => v.push(x.map(|d| d.to_f64())),
            (Values::Bool(v), Cell::Bool(x)) => v.push(*x),
            (Values::Text { bytes, cells }, Cell::Text(t)) => {
                cells.push((!t.is_empty()).then(|| {
                    bytes.push_str(t);
                    (bytes.len() - t.len(), bytes.len())
                }));
            }
            // A row function hands one kind of cell per column; a mixed column would be a bug
            // of this crate, and is written as text rather than lost.
            (values, cell) => {
                let mut text = values.as_text();
                text.push(cell_text(cell));
                *values = Values::text(text);
            }
        }
    }

    /// The column so far as text (for the impossible mixed column).
    fn as_text(&self) -> Vec<Option<String>> {
        fn each<T: ToString>(v: &[Option<T>]) -> Vec<Option<String>> {
            v.iter().map(|x| x.as_ref().map(T::to_string)).collect()
        }
        match self {
            Values::Unknown => Vec::new(),
            Values::Int(v) => each(v),
            Values::Float(v) => each(v),
            Values::Bool(v) => each(v),
            Values::Text { bytes, cells } => cells
                .iter()
                .map(|c| c.map(|(from, to)| bytes[from..to].to_owned()))
                .collect(),
        }
    }

    /// A text column of `cells`.
    fn text(cells: Vec<Option<String>>) -> Values {
        let mut column = Values::Text {
            bytes: String::new(),
            cells: Vec::new(),
        };
        for c in cells {
            column.push(&Cell::Text(c.as_deref().unwrap_or_default()));
        }
        column
    }

    fn into_column(self, name: &str) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            // A table without rows: its columns are typed by the header alone, as text.
            Values::Unknown => Column::new_empty(name, &DataType::String),
            Values::Int(v) => Column::new(name, v),
            Values::Float(v) => Column::new(name, v),
            Values::Bool(v) => Column::new(name, v),
            Values::Text { bytes, cells } => {
                let mut b = StringChunkedBuilder::new(name, cells.len());
                for c in cells {
                    match c {
                        Some((from, to)) => b.append_value(&bytes[from..to]),
                        None => b.append_null(),
                    }
                }
                b.finish().into_column()
            }
        }
    }
}

fn cell_text(cell: &Cell<'_>) -> Option<String> {
    match cell {
        Cell::Text(t) => (!t.is_empty()).then(|| (*t).to_owned()),
        Cell::Int(x) => x.map(|x| x.to_string()),
        Cell::Float(x) => x.map(|x| x.to_string()),
        Cell::Dec(x) => x.map(|x| x.to_string()),
        Cell::Bool(x) => x.map(|x| x.to_string()),
    }
}

/// The summary tables of [`export::each_summary_table`], as `DIR/NAME.parquet`.
///
/// # Errors
/// [`ParquetError`] when a table cannot be made or a file written.
pub fn write_summary_tables(dir: &Path, results: &Results<'_>) -> Result<(), ParquetError> {
    export::each_summary_table(results, &mut |name, header, rows| {
        write_table(dir, name, header, rows)
    })
}

/// `participants.parquet` and `rejections.parquet` ([`export::each_row_table`]): they need
/// only the cohort and its derivation, so `analyze` writes them while the analysis runs.
///
/// # Errors
/// [`ParquetError`] when a table cannot be made or a file written.
pub fn write_row_tables(
    dir: &Path,
    cohort: &Cohort,
    derived: &[Derived],
) -> Result<(), ParquetError> {
    export::each_row_table(cohort, derived, &mut |name, header, rows| {
        write_table(dir, name, header, rows)
    })
}

/// Every Parquet file `analyze --parquet` may write.
pub const ALL_FILES: [&str; 9] = [
    "arms.parquet",
    "comparisons.parquet",
    "trend.parquet",
    "adjusted.parquet",
    "stratified.parquet",
    "sensitivity.parquet",
    "table1.parquet",
    "participants.parquet",
    "rejections.parquet",
];

/// Writes `DIR/NAME.parquet` with `header` and the rows `rows` hands to its sink.
fn write_table(
    dir: &Path,
    name: &str,
    header: &[&str],
    rows: Rows<'_>,
) -> Result<(), ParquetError> {
    let file = format!("{name}.parquet");
    let mut columns: Vec<Values> = header.iter().map(|_| Values::Unknown).collect();
    let mut height = 0usize;
    rows(&mut |cells: &[Cell<'_>]| {
        height += 1;
        for (values, cell) in columns.iter_mut().zip(cells) {
            values.push(cell);
        }
    });
    let columns: Vec<Column> = columns
        .into_iter()
        .zip(header)
        .map(|(values, name)| values.into_column(name))
        .collect();
    let polars = |source| ParquetError::Polars {
        file: file.clone(),
        source,
    };
    let mut frame = DataFrame::new(height, columns).map_err(polars)?;
    let mut out = AtomicFile::create(&dir.join(&file))?;
    ParquetWriter::new(&mut out)
        // polars' default zstd level (3): level 1 made the files 4% larger with no
        // measurable gain in time, snappy nearly twice as large, also without one
        // (benches/README.md, "analyze --xlsx --parquet").
        .with_compression(ParquetCompression::Zstd(None))
        .set_parallel(false)
        .finish(&mut frame)
        .map_err(polars)?;
    out.commit()?;
    Ok(())
}

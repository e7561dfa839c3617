//! `format = "xlsx"`: the three tables as sheets of one workbook, read with calamine and
//! translated into the contract's tables, each record at its sheet row.
//!
//! The first row of a sheet holding any value is its header; each later row holding any value
//! is a data row, located by its row number as Excel shows it (1-based; the header usually 1),
//! and named `workbook.xlsx[sheet]` in the ledger. Rows without any value are not rows, as
//! blank lines are not rows of a CSV file. Cells are typed, and become the contract's text:
//!
//! - numbers: whole numbers without a decimal point (`45`, not `45.0`), others in the shortest
//!   decimal that reads back to the same double, never with an exponent (`3.7` stays `3.7`);
//! - dates (a number with a date format, Excel's serial date, 1900 or 1904 system):
//!   `YYYY-MM-DD`, the time of day dropped; a text date is text;
//! - booleans: `yes` / `no`, the contract's words for `medical_clearance`;
//! - text as written, empty as empty, a formula as its cached value;
//! - an error cell (`#DIV/0!`, `#N/A`, ...) rejects its row, naming the cell's column and the
//!   error.
//!
//! Sheets are streamed cell by cell (calamine's cell reader), so a sheet of a million rows is
//! never held as a grid.

use std::io::Cursor;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

use super::plan::ColumnPlan;
use super::spec::{SourceSpec, XlsxSpec, table_index, table_key};
use super::{
    SourceError, SourceFile, Table, TableBuilder, TableJob, TranslateOptions, Translation,
    read_source,
};
use crate::cohort::ledger::CohortFile;

/// Reads the three sheets of an xlsx `[source]`.
///
/// # Errors
/// [`SourceError`] for a workbook that cannot be read, a sheet it lacks, or a mapped column
/// a sheet lacks.
pub fn read(
    dir: &Path,
    spec: &SourceSpec,
    x: &XlsxSpec,
    options: TranslateOptions<'_>,
) -> Result<Translation, SourceError> {
    let path = x.workbook.join(dir);
    let bytes = read_source(dir, &x.workbook, crate::files::WORKBOOK_LIMIT)?;
    let sha256 = options.digests.then(|| crate::cohort::sha256_hex(&bytes));
    let size = bytes.len() as u64;
    let unreadable = |e: calamine::XlsxError| SourceError::Input {
        path: path.clone(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not a readable xlsx workbook ({e}); save it from Excel as .xlsx"),
        ),
    };
    let mut book: Xlsx<Cursor<crate::files::InputBytes>> =
        Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let names = book.sheet_names();
    let mut sources = Vec::with_capacity(3);
    let mut tables = Vec::with_capacity(3);
    let mut notices = Vec::new();
    for table in CohortFile::ALL {
        let sheet = &x.sheets[table_index(table)];
        if !names.contains(sheet) {
            return Err(SourceError::Usage {
                path: x.workbook.as_str().to_owned(),
                key: format!("source.{}", table_key(table)),
                message: format!(
                    "names sheet {sheet:?}, which {} does not have; its sheets are: {}. Name the sheet holding the {} table",
                    x.workbook.as_str(),
                    super::plan::quoted_list(&names),
                    table_key(table)
                ),
            });
        }
        let mut source = SourceFile {
            name: format!("{}[{sheet}]", x.workbook.as_str()).into(),
            bytes: size,
            sha256: sha256.clone(),
            rows: 0,
            ignored: Vec::new(),
        };
        let mut cells = book.worksheet_cells_reader(sheet).map_err(unreadable)?;
        let job = TableJob {
            table,
            source_index: sources.len(),
            spec,
            options,
            source: &mut source,
            notices: &mut notices,
        };
        let t = read_sheet(|| cells.next_cell(), job).map_err(|e| match e {
            SheetError::Source(e) => e,
            SheetError::Xlsx(e) => unreadable(e),
        })?;
        sources.push(source);
        tables.push(t);
    }
    Translation::new(sources, tables, notices)
}

/// Each sheet's name and header (its first row holding a value), for `trialdose init`.
///
/// # Errors
/// [`SourceError::Input`] when the workbook cannot be read.
pub fn sheet_headers(
    path: &Path,
    bytes: Vec<u8>,
) -> Result<Vec<(String, Vec<String>)>, SourceError> {
    let unreadable = |e: calamine::XlsxError| SourceError::Input {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not a readable xlsx workbook ({e}); save it from Excel as .xlsx"),
        ),
    };
    let mut book: Xlsx<Cursor<Vec<u8>>> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut out = Vec::new();
    for sheet in book.sheet_names() {
        let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
        let mut row = RowCells::default();
        let mut current = None;
        while let Some(cell) = cells.next_cell().map_err(unreadable)? {
            let (r, c) = cell.get_position();
            if current != Some(r) {
                if row.any {
                    break;
                }
                row.clear(0);
                current = Some(r);
            }
            row.put(c as usize, cell.get_value(), None);
        }
        let mut header: Vec<String> = row.text.iter().map(|t| t.trim().to_owned()).collect();
        while header.last().is_some_and(String::is_empty) {
            header.pop();
        }
        out.push((sheet, header));
    }
    Ok(out)
}

enum SheetError {
    Source(SourceError),
    Xlsx(calamine::XlsxError),
}

/// One row's cells as the contract's text, with what could not be translated.
#[derive(Default)]
struct RowCells {
    text: Vec<String>,
    /// `(column, error text)` of error cells.
    errors: Vec<(usize, String)>,
    /// A value right of the header's last column.
    beyond: Option<usize>,
    any: bool,
}

impl RowCells {
    fn clear(&mut self, width: usize) {
        self.text.truncate(width);
        for t in &mut self.text {
            t.clear();
        }
        self.text.resize(width, String::new());
        self.errors.clear();
        self.beyond = None;
        self.any = false;
    }

    /// Puts the value of the cell in column `col` (`width` columns kept; `None` while the
    /// header is read, which keeps every column).
    fn put(&mut self, col: usize, value: &DataRef<'_>, width: Option<usize>) {
        use std::fmt::Write;
        if matches!(value, DataRef::Empty) {
            return;
        }
        if let DataRef::String(s) = value
            && s.is_empty()
        {
            return;
        }
        self.any = true;
        if let DataRef::Error(e) = value {
            self.errors.push((col, e.to_string()));
            return;
        }
        match width {
            Some(w) if col >= w => {
                self.beyond.get_or_insert(col);
                return;
            }
            None if col >= self.text.len() => self.text.resize(col + 1, String::new()),
            _ => {}
        }
        let out = &mut self.text[col];
        out.clear();
        let _ = match value {
            DataRef::Int(i) => write!(out, "{i}"),
            DataRef::Float(f) => write_number(out, *f),
            DataRef::String(s) => {
                out.push_str(s);
                Ok(())
            }
            DataRef::SharedString(s) => {
                out.push_str(s);
                Ok(())
            }
            DataRef::Bool(b) => {
                out.push_str(if *b { "yes" } else { "no" });
                Ok(())
            }
            DataRef::DateTime(d) if d.is_datetime() => {
                let (y, m, day, ..) = d.to_ymd_hms_milli();
                write!(out, "{y:04}-{m:02}-{day:02}")
            }
            DataRef::DateTime(d) => write_number(out, d.as_f64()),
            DataRef::DateTimeIso(s) => {
                out.push_str(s.split('T').next().unwrap_or(s));
                Ok(())
            }
            DataRef::DurationIso(s) => {
                out.push_str(s);
                Ok(())
            }
            DataRef::Error(_) | DataRef::Empty => Ok(()),
        };
    }
}

/// A number as the contract writes it: the shortest decimal that reads back to `f`, without
/// an exponent (Rust's `Display` for `f64`), so 45.0 is `45` and 3.7 is `3.7`.
fn write_number(out: &mut String, f: f64) -> std::fmt::Result {
    use std::fmt::Write;
    if f == 0.0 {
        out.push('0');
        Ok(())
    } else {
        write!(out, "{f}")
    }
}

/// Excel's name of column `col` (0-based): `A`, ..., `Z`, `AA`, ...
pub fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        letters.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The translation of one sheet.
fn read_sheet<'c>(
    mut next_cell: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'c>>>, calamine::XlsxError>,
    mut job: TableJob<'_>,
) -> Result<Table, SheetError> {
    let mut row = RowCells::default();
    let mut current: Option<u32> = None;
    // Set once the header row is read.
    let mut header: Option<(Vec<String>, ColumnPlan<'_>, TableBuilder)> = None;
    loop {
        let cell = next_cell().map_err(SheetError::Xlsx)?;
        let at = cell.as_ref().map(|c| c.get_position().0);
        if at != current {
            if let Some(r) = current {
                finish_row(&mut row, u64::from(r) + 1, &mut header, &mut job)
                    .map_err(SheetError::Source)?;
            }
            let width = header.as_ref().map_or(0, |h| h.0.len());
            row.clear(width);
            current = at;
        }
        let Some(cell) = cell else { break };
        let width = header.as_ref().map(|h| h.0.len());
        row.put(cell.get_position().1 as usize, cell.get_value(), width);
    }
    Ok(match header {
        Some((_, _, builder)) => builder.finish(),
        None => TableBuilder::new(job.table, job.source_index, &[], 1).finish(),
    })
}

/// Handles the row just read at sheet row `location`: the header, a data row, or nothing.
fn finish_row<'s>(
    row: &mut RowCells,
    location: u64,
    header: &mut Option<(Vec<String>, ColumnPlan<'s>, TableBuilder)>,
    job: &mut TableJob<'s>,
) -> Result<(), SourceError> {
    if !row.any {
        return Ok(());
    }
    let Some((names, plan, builder)) = header else {
        let mut names: Vec<String> = row.text.iter().map(|t| t.trim().to_owned()).collect();
        for (col, e) in &row.errors {
            if *col >= names.len() {
                names.resize(col + 1, String::new());
            }
            names[*col] = e.clone();
        }
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        let plan = job.plan(&names)?;
        let builder = plan.builder(job.table, job.source_index, location);
        *header = Some((names, plan, builder));
        return Ok(());
    };
    job.source.count_row();
    let id = plan
        .id_column
        .and_then(|i| row.text.get(i))
        .map_or("", String::as_str);
    let column_name = |col: usize| -> String { names.get(col).cloned().unwrap_or_default() };
    if !row.errors.is_empty() {
        for (col, error) in &row.errors {
            builder.reject(
                location,
                id,
                &column_name(*col),
                error,
                format!(
                    "cell {}{location} holds the Excel error {error}, not a value; correct the formula or clear the cell",
                    column_letter(*col)
                ),
            );
        }
        return Ok(());
    }
    if let Some(col) = row.beyond {
        builder.reject(
            location,
            id,
            "",
            "",
            format!(
                "the row has a value in column {} (cell {}{location}), right of the header's {} columns; give it a header or clear it",
                column_letter(col),
                column_letter(col),
                names.len()
            ),
        );
        return Ok(());
    }
    plan.write_row(builder, location, |i| row.text[i].as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_are_excels() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn numbers_are_written_as_the_contract_reads_them() {
        for (f, text) in [
            (45.0, "45"),
            (3.7, "3.7"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "0.0000001"),
        ] {
            let mut s = String::new();
            write_number(&mut s, f).unwrap();
            assert_eq!(s, text);
        }
    }
}

//! `results.xlsx` of `analyze --xlsx`: one sheet per result table, drawn from the same typed
//! cells as the CSV files ([`crate::render::export`]'s row functions hand every row to a
//! [`RowSink`]), so the workbook and the CSVs cannot disagree. No CSV text is read back.
//!
//! Sheets, in order: `about` (the run's settings as `summary.json` records them, then every
//! column of every sheet with its description), `arms`, `comparisons`, `trend`, `adjusted`
//! (with `--adjust`), `stratified` (with `--stratify`), `sensitivity` (with `--sensitivity`),
//! `table1`, `participants` and `rejections`. Numbers are stored as numbers at full precision
//! (a count as the exact integer, a decimal score as its nearest double, the same value the
//! CSV text reads back to), booleans as booleans, an empty CSV cell as no cell; text is stored
//! as text, never as a formula, so it needs no `'` guard (the CSVs keep theirs). The header
//! row is bold and frozen; column widths follow the header and the first rows.
//!
//! Excel holds at most 1,048,576 rows in a sheet, the header included: a table with more data
//! rows continues on `participants_2`, `participants_3`, ... (each with the header), so no row
//! is lost. A text longer than Excel's 32,767-character cell limit is cut there (only a
//! rejected row's value can be that long).
//!
//! The large sheets are written in rust_xlsxwriter's constant-memory mode (rows go to a
//! temporary file as they are written, strings inline), so memory stays flat whatever the
//! cohort size. The workbook carries a fixed creation date: the same run gives the same bytes.

mod columns;

use std::io::Write;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::render::export::{
    self, ADJUSTED_COLUMNS, ARMS_COLUMNS, REJECTIONS_COLUMNS, RowSink, SENSITIVITY_COLUMNS,
    STRATIFIED_COLUMNS, Summary, TABLE1_COLUMNS, TREND_COLUMNS,
};
use crate::render::output::Cell;

/// Rows of a sheet, the header included (Excel's limit).
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Characters of a cell (Excel's limit).
pub const EXCEL_MAX_TEXT: usize = 32_767;

/// Deflate level of the package. At 100,000 participants level 1 gives 14.0 MB where the
/// default 6 gives 8.4 MB, and takes about a third less time (benches/README.md).
const ZIP_LEVEL: u8 = 1;

/// Widest column, in characters.
const MAX_WIDTH: usize = 60;

/// Rows (after the header) whose text sets a column's width.
const WIDTH_ROWS: u32 = 200;

/// Why the workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    /// rust_xlsxwriter refused a value or could not write.
    #[error("writing results.xlsx: {0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
    /// The temporary folder the large sheets are spooled to is not writable.
    #[error("results.xlsx needs a writable temporary folder ({path}): {source}; set TMPDIR to one")]
    TempDir {
        /// The folder tried.
        path: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

pub use crate::render::export::Results;

/// Writes the workbook of `results` to `w`.
///
/// # Errors
/// [`XlsxError`] when the temporary folder is not writable or a write fails.
pub fn write_results(w: &mut (dyn Write + Send), results: &Results<'_>) -> Result<(), XlsxError> {
    write_with_limit(w, results, EXCEL_MAX_ROWS)
}

/// [`write_results`] with at most `max_rows` rows per sheet (the header included).
fn write_with_limit(
    w: &mut (dyn Write + Send),
    r: &Results<'_>,
    max_rows: u32,
) -> Result<(), XlsxError> {
    // rust_xlsxwriter's constant-memory sheets spool to a file in the temporary folder: find
    // out first whether one can be made, to say where and what to do.
    let tmp = std::env::temp_dir();
    tempfile::tempfile_in(&tmp).map_err(|source| XlsxError::TempDir {
        path: tmp.display().to_string(),
        source,
    })?;
    let mut book = Book::new(max_rows);
    // The first sheet; filled last, when every sheet's columns are known.
    book.wb.add_worksheet().set_name("about")?;
    let a = r.analysis;
    book.table("arms", &ARMS_COLUMNS, |s| export::arms_rows(a, s))?;
    book.table("comparisons", &export::comparisons_header(a), |s| {
        export::comparisons_rows(a, s);
    })?;
    book.table("trend", &TREND_COLUMNS, |s| export::trend_rows(&a.trend, s))?;
    if a.options.adjust.is_some() {
        book.table("adjusted", &ADJUSTED_COLUMNS, |s| {
            export::adjusted_rows(&a.adjusted, s);
        })?;
    }
    if let Some(st) = &a.stratified {
        book.table("stratified", &STRATIFIED_COLUMNS, |s| {
            export::stratified_rows(st, s);
        })?;
    }
    if a.options.sensitivity {
        book.table("sensitivity", &SENSITIVITY_COLUMNS, |s| {
            export::sensitivity_rows(&a.sensitivity, s);
        })?;
    }
    book.table("table1", &TABLE1_COLUMNS, |s| {
        export::table1_rows(r.table1, s)
    })?;
    let header = export::participants_header(r.cohort);
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = export::ParticipantRows::new(r.cohort, r.derived);
    book.table("participants", &names, |s| {
        let mut cells = Vec::with_capacity(names.len());
        for i in 0..rows.len() {
            rows.cells(i, &mut cells);
            s(&cells);
        }
    })?;
    book.table("rejections", &REJECTIONS_COLUMNS, |s| {
        for rejection in r.cohort.ledger.rejections() {
            s(&export::rejection_cells(rejection));
        }
    })?;
    let sheets = std::mem::take(&mut book.described);
    about(
        book.wb.worksheet_from_index(0)?,
        &book.bold,
        r.summary,
        &sheets,
    )?;
    book.wb.set_properties(
        &DocProperties::new()
            .set_title("trialdose analyze results")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    book.wb.set_zip_compression_level(ZIP_LEVEL);
    book.wb.save_to_writer(w)?;
    Ok(())
}

/// The workbook being written, and the sheets and columns written so far.
struct Book {
    wb: Workbook,
    bold: Format,
    max_rows: u32,
    /// Each sheet's name and header, in order.
    described: Vec<(String, Vec<String>)>,
}

impl Book {
    fn new(max_rows: u32) -> Book {
        Book {
            wb: Workbook::new(),
            bold: Format::new().set_bold(),
            max_rows,
            described: Vec::new(),
        }
    }

    /// Adds the sheet `name` (and `name_2`, ... when the rows do not fit one) with `header` and
    /// the rows `rows` hands to its sink.
    fn table(
        &mut self,
        name: &str,
        header: &[&str],
        rows: impl FnOnce(&mut RowSink<'_>),
    ) -> Result<(), XlsxError> {
        let mut sheet = Sheet::start(self, name.to_owned(), header)?;
        let mut failed = None;
        rows(&mut |cells: &[Cell<'_>]| {
            if failed.is_some() {
                return;
            }
            if let Err(e) = sheet.row(self, name, header, cells) {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        sheet.finish(self)
    }
}

/// The sheet a table is being written to.
struct Sheet {
    index: usize,
    /// Next row to write (0 is the header).
    row: u32,
    /// Continuation sheets so far.
    part: u32,
    widths: Vec<usize>,
}

impl Sheet {
    fn start(book: &mut Book, name: String, header: &[&str]) -> Result<Sheet, XlsxError> {
        let index = book.wb.worksheets_mut().len();
        let ws = book.wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&name)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, col(c), *h, &book.bold)?;
        }
        ws.set_freeze_panes(1, 0)?;
        book.described
            .push((name, header.iter().map(|h| (*h).to_owned()).collect()));
        Ok(Sheet {
            index,
            row: 1,
            part: 1,
            widths: header.iter().map(|h| h.chars().count() + 2).collect(),
        })
    }

    fn row(
        &mut self,
        book: &mut Book,
        name: &str,
        header: &[&str],
        cells: &[Cell<'_>],
    ) -> Result<(), XlsxError> {
        if self.row >= book.max_rows {
            self.finish(book)?;
            let part = self.part + 1;
            *self = Sheet::start(book, format!("{name}_{part}"), header)?;
            self.part = part;
        }
        let ws = book.wb.worksheet_from_index(self.index)?;
        let measure = self.row <= WIDTH_ROWS;
        for (c, cell) in cells.iter().enumerate() {
            let shown = write_cell(ws, self.row, col(c), cell)?;
            if measure && let Some(w) = self.widths.get_mut(c) {
                *w = (*w).max(shown + 1);
            }
        }
        self.row += 1;
        Ok(())
    }

    fn finish(&self, book: &mut Book) -> Result<(), XlsxError> {
        let ws = book.wb.worksheet_from_index(self.index)?;
        for (c, w) in self.widths.iter().enumerate() {
            ws.set_column_width(col(c), (*w).min(MAX_WIDTH) as f64)?;
        }
        Ok(())
    }
}

/// Column `c` as rust_xlsxwriter numbers it (no table has 65,536 columns: a wider one
/// fails on the last column Excel has).
fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Writes one typed cell and returns about how many characters it shows (for the width).
fn write_cell(ws: &mut Worksheet, row: u32, c: u16, cell: &Cell<'_>) -> Result<usize, XlsxError> {
    match *cell {
        Cell::Text("") => Ok(0),
        Cell::Text(t) => {
            let t = clip(t);
            ws.write_string(row, c, t)?;
            Ok(t.len().min(MAX_WIDTH))
        }
        Cell::Float(Some(v)) if v.is_finite() => {
            // -0 is written 0, as the CSV writes it.
            ws.write_number(row, c, if v == 0.0 { 0.0 } else { v })?;
            Ok(12)
        }
        Cell::Int(Some(v)) => {
            // Counts are far below 2^53: exact as a double.
            ws.write_number(row, c, v as f64)?;
            Ok(digits(v))
        }
        Cell::Dec(Some(d)) => {
            ws.write_number(row, c, d.to_f64())?;
            Ok(8)
        }
        Cell::Bool(Some(b)) => {
            ws.write_boolean(row, c, b)?;
            Ok(5)
        }
        Cell::Float(_) | Cell::Int(None) | Cell::Dec(None) | Cell::Bool(None) => Ok(0),
    }
}

fn digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// `t` cut to Excel's cell limit of [`EXCEL_MAX_TEXT`] characters.
fn clip(t: &str) -> &str {
    if t.len() <= EXCEL_MAX_TEXT {
        return t;
    }
    match t.char_indices().nth(EXCEL_MAX_TEXT) {
        Some((at, _)) => &t[..at],
        None => t,
    }
}

/// Fills the `about` sheet: the run's settings, then each sheet's columns.
fn about(
    ws: &mut Worksheet,
    bold: &Format,
    summary: &Summary<'_>,
    sheets: &[(String, Vec<String>)],
) -> Result<(), XlsxError> {
    use serde_json::Value;
    for (c, h) in ["section", "name", "value or description"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, col(c), *h, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut row = 1;
    for (section, name, value) in summary.setting_rows() {
        ws.write_string(row, 0, section)?;
        ws.write_string(row, 1, clip(&name))?;
        match value {
            Value::String(s) if !s.is_empty() => {
                ws.write_string(row, 2, clip(&s))?;
            }
            Value::Number(n) => {
                if let Some(v) = n.as_f64() {
                    ws.write_number(row, 2, v)?;
                }
            }
            Value::Bool(b) => {
                ws.write_boolean(row, 2, b)?;
            }
            _ => {}
        }
        row += 1;
    }
    for (sheet, header) in sheets {
        for column in header {
            ws.write_string(row, 0, format!("sheet {sheet}"))?;
            ws.write_string(row, 1, column)?;
            let d = columns::describe(sheet, column);
            if !d.is_empty() {
                ws.write_string(row, 2, d)?;
            }
            row += 1;
        }
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 32)?;
    ws.set_column_width(2, 90)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_at_the_cell_limit_on_a_character_boundary() {
        let long = "é".repeat(EXCEL_MAX_TEXT + 10);
        assert_eq!(clip(&long).chars().count(), EXCEL_MAX_TEXT);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn digits_of_counts() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(1_048_575), 7);
    }

    #[test]
    fn rows_beyond_the_limit_continue_on_numbered_sheets() {
        use calamine::{Data, Reader, Xlsx};
        let mut book = Book::new(3);
        book.table("t", &["k", "v"], |s| {
            for i in 0..7u64 {
                s(&[Cell::Int(Some(i)), Cell::Text("x")]);
            }
        })
        .unwrap();
        let bytes = book.wb.save_to_buffer().unwrap();
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(x.sheet_names(), ["t", "t_2", "t_3", "t_4"]);
        let mut seen = Vec::new();
        for name in x.sheet_names() {
            let range = x.worksheet_range(&name).unwrap();
            let mut rows = range.rows();
            assert_eq!(rows.next().unwrap()[0], Data::String("k".into()), "{name}");
            for r in rows {
                seen.push(r[0].clone());
            }
        }
        let expected: Vec<Data> = (0..7).map(|i| Data::Float(f64::from(i))).collect();
        assert_eq!(seen, expected);
    }
}

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
//! The large sheets (`participants`, `rejections`) are written apart, as they dominate: their
//! rows are turned into sheet XML straight from the typed cells and deflated in blocks on the
//! threads of the budget ([`sheet`]), into a temporary file, by [`large_sheets`], which
//! `analyze` runs beside the analysis as soon as the cohort is derived; then rust_xlsxwriter
//! writes the workbook with those sheets holding only their header (bold, frozen, widths
//! measured on the first rows), and [`package`] copies its package with the spooled rows
//! spliced in. Memory stays flat whatever the cohort size (a block of rows at a time per
//! thread); the workbook carries a fixed creation date and the blocks do not depend on the
//! thread count: the same run gives the same bytes.
//!
//! Why not rust_xlsxwriter for every row (the guide prefers the maintained crate): measured
//! on 100,000 participants (benches/README.md, 2026-12-07, 2 shared cores), writing every row
//! through it took `analyze --xlsx` to 2.9x the time of plain `analyze` (median of interleaved
//! pairs), about half of the extra time in its per-cell XML writer and a fifth in its single
//! deflate stream per sheet; written this way it is 1.40x (wall; 1.44x cpu), the workbook
//! 7.4 MB instead of 14.0 MB, and LibreOffice, openpyxl and calamine read every cell the same.
//! rust_xlsxwriter still writes everything else (the small sheets, styles, the package).

mod columns;
mod package;
mod sheet;

use std::io::{BufWriter, Write};
use std::ops::Range;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::render::export::{self, REJECTIONS_COLUMNS, RowSink, Summary};
use crate::render::output::Cell;

/// Rows of a sheet, the header included (Excel's limit).
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Characters of a cell (Excel's limit).
pub const EXCEL_MAX_TEXT: usize = 32_767;

/// Deflate level of the package. At 100,000 participants level 1 gives 14.0 MB where the
/// default 6 gives 8.4 MB, and takes about a third less time (benches/README.md).
const ZIP_LEVEL: u8 = 1;

/// Rows of a large sheet deflated as one block (about 2 MB of XML).
const BLOCK_ROWS: usize = 4096;

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
    /// Writing the package or the spooled rows failed.
    #[error("writing results.xlsx: {0}")]
    Io(#[from] std::io::Error),
    /// rust_xlsxwriter's package could not be read back.
    #[error("reading back the workbook rust_xlsxwriter wrote: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// An entry or the package passes the 4 GiB of a zip without zip64.
    #[error("results.xlsx: {0} would pass 4 GiB, more than this writer supports")]
    TooLarge(String),
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

/// The rows of the large sheets (`participants`, `rejections`, and their continuations),
/// deflated ahead into a temporary file by [`large_sheets`] for [`write_results`].
pub struct LargeSheets {
    spool: std::fs::File,
    parts: Vec<Part>,
}

/// One sheet of a large table.
struct Part {
    name: String,
    header: Vec<String>,
    widths: Vec<usize>,
    /// Data rows (the header not counted).
    rows: usize,
    /// Where its deflated rows are in the spool, their CRC-32 and length before deflate.
    offset: u64,
    len: u64,
    crc: crc32fast::Hasher,
    size: u64,
}

/// A large table: its sheet's name, header and rows.
struct Table<'a> {
    name: &'a str,
    header: Vec<String>,
    len: usize,
    rows: &'a sheet::RowRanges<'a>,
}

/// Writes the rows of the participants and rejections sheets ahead, on up to `threads`
/// threads (the bytes do not depend on how many). Needs only the cohort and its derived rows,
/// so `analyze` runs it beside the analysis.
///
/// # Errors
/// [`XlsxError`] when the temporary folder is not writable or a write fails.
pub fn large_sheets(
    cohort: &Cohort,
    derived: &[Derived],
    threads: usize,
) -> Result<LargeSheets, XlsxError> {
    let participants = export::ParticipantRows::new(cohort, derived);
    let participant_rows = |range: Range<usize>, sink: &mut RowSink<'_>| {
        let mut cells = Vec::with_capacity(32);
        for i in range {
            participants.cells(i, &mut cells);
            sink(&cells);
        }
    };
    let rejections = cohort.ledger.rejections();
    let rejection_rows = |range: Range<usize>, sink: &mut RowSink<'_>| {
        for r in &rejections[range] {
            sink(&export::rejection_cells(r));
        }
    };
    let tables = [
        Table {
            name: "participants",
            header: export::participants_header(cohort),
            len: participants.len(),
            rows: &participant_rows,
        },
        Table {
            name: "rejections",
            header: REJECTIONS_COLUMNS.iter().map(|h| (*h).to_owned()).collect(),
            len: rejections.len(),
            rows: &rejection_rows,
        },
    ];
    spool_tables(&tables, threads, EXCEL_MAX_ROWS)
}

/// Deflates the rows of `tables` into a temporary file, a sheet of at most `max_rows` rows
/// (the header included) at a time, in blocks of [`BLOCK_ROWS`] on up to `threads` threads.
fn spool_tables(
    tables: &[Table<'_>],
    threads: usize,
    max_rows: u32,
) -> Result<LargeSheets, XlsxError> {
    let tmp = std::env::temp_dir();
    let mut spool = tempfile::tempfile_in(&tmp).map_err(|source| XlsxError::TempDir {
        path: tmp.display().to_string(),
        source,
    })?;
    let per_sheet = (max_rows.max(2) - 1) as usize;
    let mut parts = Vec::new();
    let mut offset = 0;
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut spool);
        for t in tables {
            let columns = sheet::column_names(t.header.len());
            for p in 0..t.len.div_ceil(per_sheet).max(1) {
                let rows = p * per_sheet..((p + 1) * per_sheet).min(t.len);
                let mut widths: Vec<usize> =
                    t.header.iter().map(|h| h.chars().count() + 2).collect();
                let measured = rows.start..rows.end.min(rows.start + WIDTH_ROWS as usize);
                (t.rows)(measured, &mut |cells: &[Cell<'_>]| {
                    for (w, cell) in widths.iter_mut().zip(cells) {
                        *w = (*w).max(sheet::shown(cell) + 1);
                    }
                });
                let blocks: Vec<Range<usize>> = rows
                    .clone()
                    .step_by(BLOCK_ROWS)
                    .map(|s| s..(s + BLOCK_ROWS).min(rows.end))
                    .collect();
                let mut crc = crc32fast::Hasher::new();
                let (start, mut size) = (offset, 0);
                // A few blocks per thread at a time: memory stays a few blocks per thread.
                for batch in blocks.chunks(2 * threads.max(1)) {
                    let done = crate::parallel::map_queued(batch, threads, |b| {
                        // The sheet's row number: the header is row 1.
                        let first = u32::try_from(b.start - rows.start + 2).unwrap_or(u32::MAX);
                        sheet::deflate_rows(t.rows, &columns, b.clone(), first)
                    });
                    for d in done {
                        let d = d?;
                        w.write_all(&d.bytes)?;
                        offset += d.bytes.len() as u64;
                        size += d.size;
                        crc.combine(&d.crc);
                    }
                }
                parts.push(Part {
                    name: if p == 0 {
                        t.name.to_owned()
                    } else {
                        format!("{}_{}", t.name, p + 1)
                    },
                    header: t.header.clone(),
                    widths,
                    rows: rows.len(),
                    offset: start,
                    len: offset - start,
                    crc,
                    size,
                });
            }
        }
        w.flush()?;
    }
    Ok(LargeSheets { spool, parts })
}

/// Writes the workbook of `results` to `w`, with the rows of `large` (from [`large_sheets`]
/// on the same cohort).
///
/// # Errors
/// [`XlsxError`] when a write fails.
pub fn write_results(
    w: &mut dyn Write,
    results: &Results<'_>,
    mut large: LargeSheets,
) -> Result<(), XlsxError> {
    let r = results;
    let mut book = Book::new(EXCEL_MAX_ROWS);
    // The first sheet; filled last, when every sheet's columns are known.
    book.wb.add_worksheet().set_name("about")?;
    export::each_summary_table(r, &mut |name, header, rows| {
        book.table(name, header, |s| rows(s))
    })?;
    let splices = book.placeholders(&large.parts)?;
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
    let bytes = book.wb.save_to_buffer()?;
    package::assemble(&bytes, &mut large.spool, &splices, w)
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

    /// Adds a sheet holding only its header for each part of the large sheets, its widths as
    /// measured; returns where their rows go in the package.
    fn placeholders(&mut self, parts: &[Part]) -> Result<Vec<package::Splice>, XlsxError> {
        let mut splices = Vec::with_capacity(parts.len());
        for p in parts {
            let header: Vec<&str> = p.header.iter().map(String::as_str).collect();
            let mut sheet = Sheet::start(self, p.name.clone(), &header)?;
            sheet.widths.clone_from(&p.widths);
            sheet.finish(self)?;
            let columns = sheet::column_names(header.len().max(1));
            splices.push(package::Splice {
                // rust_xlsxwriter names the sheets' entries by their position, from 1.
                entry: format!("xl/worksheets/sheet{}.xml", sheet.index + 1),
                last_cell: format!("{}{}", columns[columns.len() - 1], p.rows + 1),
                offset: p.offset,
                len: p.len,
                crc: p.crc.clone(),
                size: p.size,
            });
        }
        Ok(splices)
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
        let ws = book.wb.add_worksheet();
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
            write_cell(ws, self.row, col(c), cell)?;
            if measure && let Some(w) = self.widths.get_mut(c) {
                *w = (*w).max(sheet::shown(cell) + 1);
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

/// Writes one typed cell of a small sheet (the large sheets' cells: [`sheet::RowWriter`]).
fn write_cell(ws: &mut Worksheet, row: u32, c: u16, cell: &Cell<'_>) -> Result<(), XlsxError> {
    match *cell {
        Cell::Text("") => {}
        Cell::Text(t) => {
            ws.write_string(row, c, clip(t))?;
        }
        Cell::Float(Some(v)) if v.is_finite() => {
            // -0 is written 0, as the CSV writes it.
            ws.write_number(row, c, if v == 0.0 { 0.0 } else { v })?;
        }
        Cell::Int(Some(v)) => {
            // Counts are far below 2^53: exact as a double.
            ws.write_number(row, c, v as f64)?;
        }
        Cell::Dec(Some(d)) => {
            ws.write_number(row, c, d.to_f64())?;
        }
        Cell::Bool(Some(b)) => {
            ws.write_boolean(row, c, b)?;
        }
        Cell::Float(_) | Cell::Int(None) | Cell::Dec(None) | Cell::Bool(None) => {}
    }
    Ok(())
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

    /// The package of `tables` spooled with `max_rows` rows per sheet on `threads` threads.
    fn package_of(tables: &[Table<'_>], max_rows: u32, threads: usize) -> Vec<u8> {
        let mut large = spool_tables(tables, threads, max_rows).unwrap();
        let mut book = Book::new(max_rows);
        let splices = book.placeholders(&large.parts).unwrap();
        let bytes = book.wb.save_to_buffer().unwrap();
        let mut out = Vec::new();
        package::assemble(&bytes, &mut large.spool, &splices, &mut out).unwrap();
        out
    }

    #[test]
    fn rows_beyond_the_limit_continue_on_numbered_sheets() {
        use calamine::{Data, Reader, Xlsx};
        let rows = |range: Range<usize>, s: &mut RowSink<'_>| {
            for i in range {
                s(&[Cell::Int(Some(i as u64)), Cell::Text("x")]);
            }
        };
        let table = |name, len| Table {
            name,
            header: vec!["k".to_owned(), "v".to_owned()],
            len,
            rows: &rows,
        };
        let bytes = package_of(&[table("t", 7)], 3, 2);
        assert!(bytes == package_of(&[table("t", 7)], 3, 1), "same bytes");
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
        // Text that needs escaping arrives as it was.
        const TEXTS: [&str; 7] = [
            "a<b>&c\"d'",
            "\u{1}bell\u{7}",
            "cr\rlf\n",
            "_x0041_ stays",
            " lead",
            "trail\t",
            "é=HYPERLINK(\"http://x\",\"y\")",
        ];
        let texts = |range: Range<usize>, s: &mut RowSink<'_>| {
            for i in range {
                s(&[
                    Cell::Text(TEXTS[i]),
                    Cell::Text(""),
                    Cell::Bool(Some(i % 2 == 0)),
                ]);
            }
        };
        let t = Table {
            name: "x",
            header: vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
            len: TEXTS.len(),
            rows: &texts,
        };
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(package_of(&[t], 100, 1))).unwrap();
        let range = x.worksheet_range("x").unwrap();
        for (i, row) in range.rows().skip(1).enumerate() {
            assert_eq!(
                row,
                [
                    Data::String(TEXTS[i].into()),
                    Data::Empty,
                    Data::Bool(i % 2 == 0)
                ]
            );
        }
        // Many blocks of rows, and an empty table: one stream each, read back whole.
        let bytes = package_of(&[table("t", 3 * BLOCK_ROWS + 5), table("e", 0)], 1 << 20, 2);
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = x.worksheet_range("t").unwrap();
        assert_eq!(range.height(), 3 * BLOCK_ROWS + 6);
        assert_eq!(
            range.get((3 * BLOCK_ROWS + 5, 0)),
            Some(&Data::Float((3 * BLOCK_ROWS + 4) as f64))
        );
    }
}

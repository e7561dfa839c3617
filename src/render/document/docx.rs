//! A [`Document`] as a Word file (Office Open XML, `.docx`) with docx-rs: headings in Word's
//! heading styles (so the navigation pane and a table of contents find them), real editable
//! tables, each with its numbered caption above it (`Table N: ...`, as journals set them),
//! the charts embedded as PNG with their numbered caption below, notes in small italics, and a
//! page break before every section after the first.
//!
//! Charts are set at the text width and drawn for it at print resolution: [`CHART_WIDTH_PX`]
//! pixels, [`PRINT_DPI`] dots per inch, with the chart's text and lines scaled with it
//! ([`crate::render::charts::print_png`]); the image's extent in the file is its pixel size
//! at that resolution, so Word and LibreOffice show it at the size it was drawn for.
//!
//! The file is the same bytes for the same document: docx-rs numbers paragraphs and images
//! with per-process counters (set here explicitly for images), and its zip entries carry no
//! clock time. Text from the input is cleaned of the control characters XML forbids; docx-rs
//! escapes the rest.

use docx_rs::{
    AlignmentType, Docx, Paragraph, Pic, Run, RunFonts, Style, StyleType, Table as WordTable,
    TableCell, TableRow, WidthType,
};

use super::{Block, Cell, CellKind, Document, Figure, Span, Table, Text};

/// The text width of an A4 page with docx-rs's default margins (1440 twips a side), in twips.
const TEXT_WIDTH_TWIPS: usize = 11906 - 2 * 1440;
/// EMU (the unit of a drawing's extent) in an inch; a twip is 635.
const EMU_PER_INCH: u64 = 914_400;
/// The widest a chart is set: the text width, in EMU.
const CHART_WIDTH_EMU: u64 = TEXT_WIDTH_TWIPS as u64 * 635;
/// The resolution charts are drawn at for the document, in dots per inch (print quality).
pub const PRINT_DPI: u32 = 300;
/// The width charts are drawn at for the document: the text width (15.9 cm) at [`PRINT_DPI`],
/// 1,880 pixels.
pub const CHART_WIDTH_PX: u32 = TEXT_WIDTH_TWIPS as u32 * PRINT_DPI / 1440;
/// Table text: 8.5 point (Word counts half-points).
const TABLE_SIZE: usize = 17;
/// Notes and captions under figures: 9 point.
const NOTE_SIZE: usize = 18;
/// The font of code (a digest, a flag).
const CODE_FONT: &str = "Courier New";

/// Errors of writing a Word file.
#[derive(Debug, thiserror::Error)]
#[error("the Word document could not be packed: {0}")]
pub struct DocxError(String);

/// XML 1.0 forbids control characters other than tab, line feed and carriage return; line
/// breaks in a run would be lost anyway. Both become what the HTML page shows.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn run(text: &str) -> Run {
    Run::new().add_text(clean(text))
}

fn code_run(text: &str) -> Run {
    run(text).fonts(RunFonts::new().ascii(CODE_FONT).hi_ansi(CODE_FONT))
}

/// The Word file's bytes.
///
/// # Errors
/// [`DocxError`] when docx-rs cannot pack the file (it writes to memory, so in practice
/// never).
pub fn document(doc: &Document) -> Result<Vec<u8>, DocxError> {
    let mut d = Docx::new()
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(40)
                .bold(),
        )
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("heading 1")
                .size(30)
                .bold()
                .color("0072B2")
                .outline_lvl(0),
        )
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .size(NOTE_SIZE + 2)
                .bold(),
        )
        .default_size(21)
        .add_paragraph(Paragraph::new().style("Title").add_run(run(&doc.title)));
    let mut images = 0usize;
    for (i, section) in doc.sections.iter().enumerate() {
        d = d.add_paragraph(
            Paragraph::new()
                .style("Heading1")
                .page_break_before(i > 0)
                .keep_next(true)
                .add_run(run(&section.heading)),
        );
        for block in &section.blocks {
            d = match block {
                Block::Paragraph(t) => d.add_paragraph(paragraph(t, None)),
                Block::Note(t) => d.add_paragraph(paragraph(t, Some(NOTE_SIZE))),
                Block::List(items) => items.iter().fold(d, |d, item| {
                    d.add_paragraph(paragraph(item, None).indent(
                        Some(360),
                        Some(docx_rs::SpecialIndentType::Hanging(360)),
                        None,
                        None,
                    ))
                }),
                Block::Table(t) => d
                    .add_paragraph(
                        Paragraph::new()
                            .style("Caption")
                            .keep_next(true)
                            .add_run(run(&t.full_caption())),
                    )
                    .add_table(table(t))
                    .add_paragraph(Paragraph::new()),
                Block::Figure(f) => {
                    images += 1;
                    figure(d, f, images)
                }
            };
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    d.build()
        .pack(&mut out)
        .map_err(|e| DocxError(e.to_string()))?;
    Ok(out.into_inner())
}

/// A paragraph of inline text, at `size` half-points (else the default), italic when sized.
fn paragraph(t: &Text, size: Option<usize>) -> Paragraph {
    t.0.iter().fold(Paragraph::new(), |p, span| {
        let r = match span {
            Span::Prose(s) | Span::Data(s) => run(s),
            Span::Code(s) => code_run(s),
        };
        p.add_run(match size {
            Some(size) => r.size(size).italic(),
            None => r,
        })
    })
}

/// Twips a character of table text takes (8.5 point, proportional font, generously).
const CHAR_TWIPS: usize = 95;
/// Twips a cell adds to its text (Word's default cell margins and the borders).
const CELL_TWIPS: usize = 230;

/// The columns' widths in twips, within the text width. Each column needs room for its
/// longest word (a number, an arm id, a digest in part: at most 24 characters, so nothing is
/// broken inside a number) and would like room for its longest cell (at most 40 characters);
/// every column gets what it needs, and the rest of the width is shared in proportion to what
/// each would still like. When even the needs do not fit, they are scaled down together.
fn grid(t: &Table) -> Vec<usize> {
    let cols = t.header.len().max(1);
    let mut word = vec![0usize; cols];
    let mut whole = vec![0usize; cols];
    let mut measure = |col: usize, text: &str| {
        let longest_word = text
            .split(' ')
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        word[col] = word[col].max(longest_word);
        whole[col] = whole[col].max(text.chars().count());
    };
    for (i, h) in t.header.iter().enumerate().take(cols) {
        measure(i, h);
    }
    for row in &t.rows {
        let mut col = 0;
        for c in row {
            if c.span == 1 && col < cols {
                measure(col, &c.text);
            }
            col += c.span;
        }
    }
    let twips = |chars: usize| CELL_TWIPS + CHAR_TWIPS * chars;
    let need: Vec<usize> = word.iter().map(|&w| twips(w.clamp(3, 24))).collect();
    let like: Vec<usize> = whole
        .iter()
        .zip(&need)
        .map(|(&w, &n)| twips(w.min(40)).max(n))
        .collect();
    let needed: usize = need.iter().sum();
    if needed >= TEXT_WIDTH_TWIPS {
        return need.iter().map(|n| n * TEXT_WIDTH_TWIPS / needed).collect();
    }
    let spare = TEXT_WIDTH_TWIPS - needed;
    let slack: Vec<usize> = like.iter().zip(&need).map(|(l, n)| l - n).collect();
    let wanted: usize = slack.iter().sum();
    if wanted <= spare {
        // Everything fits: the rest of the width shared evenly.
        let even = (spare - wanted) / cols;
        return like.iter().map(|l| l + even).collect();
    }
    need.iter()
        .zip(&slack)
        .map(|(n, s)| n + s * spare / wanted)
        .collect()
}

/// A Word table: the header row in bold, the first column left-aligned and the others
/// right-aligned (numbers), running text and its heading left-aligned; widths from [`grid`].
fn table(t: &Table) -> WordTable {
    let cols = t.header.len().max(1);
    let grid = grid(t);
    // A heading sits over its column: left over running text, right over numbers.
    let words = |i: usize| {
        t.rows.iter().any(|r| {
            r.iter()
                .scan(0, |col, c| {
                    let at = *col;
                    *col += c.span;
                    Some((at, c))
                })
                .any(|(at, c)| at == i && c.kind == CellKind::Words)
        })
    };
    let header = TableRow::new(
        t.header
            .iter()
            .enumerate()
            .map(|(i, h)| cell_with(run(h).bold(), i == 0 || words(i), 1, grid[i]))
            .collect(),
    );
    let mut rows = vec![header];
    for row in &t.rows {
        let mut col = 0;
        let mut cells = Vec::with_capacity(row.len());
        for c in row {
            let width = grid[col.min(cols - 1)..(col + c.span).min(cols)]
                .iter()
                .sum();
            cells.push(cell(c, col == 0, width));
            col += c.span;
        }
        rows.push(TableRow::new(cells).cant_split());
    }
    WordTable::new(rows)
        .set_grid(grid)
        .width(TEXT_WIDTH_TWIPS, WidthType::Dxa)
}

fn cell(c: &Cell, first: bool, width: usize) -> TableCell {
    let r = if c.kind == CellKind::Code {
        code_run(&c.text)
    } else {
        run(&c.text)
    };
    let r = if c.strong { r.bold() } else { r };
    cell_with(r, first || c.kind != CellKind::Value, c.span, width)
}

fn cell_with(r: Run, left: bool, span: usize, width: usize) -> TableCell {
    let align = if left {
        AlignmentType::Left
    } else {
        AlignmentType::Right
    };
    let mut cell = TableCell::new()
        .width(width, WidthType::Dxa)
        .add_paragraph(Paragraph::new().align(align).add_run(r.size(TABLE_SIZE)));
    if span > 1 {
        cell = cell.grid_span(span);
    }
    cell
}

/// The extent of a chart `width` by `height` pixels in EMU: its size at [`PRINT_DPI`], at most
/// the text width (a chart drawn wider is set at the text width, at a higher resolution).
fn extent(width: u32, height: u32) -> (u32, u32) {
    let cx = (u64::from(width) * EMU_PER_INCH / u64::from(PRINT_DPI)).min(CHART_WIDTH_EMU);
    let cy = cx * u64::from(height) / u64::from(width.max(1));
    let emu = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    (emu(cx), emu(cy))
}

/// The chart (its PNG drawn for print), then its numbered caption; a chart drawn without PNG
/// gets its caption only.
fn figure(d: Docx, f: &Figure, n: usize) -> Docx {
    let caption = Paragraph::new()
        .style("Caption")
        .add_run(run(&f.full_caption()));
    let Some(png) = &f.png else {
        return d.add_paragraph(caption);
    };
    let (cx, cy) = extent(png.width, png.height);
    let pic = Pic::new_with_dimensions(png.bytes.clone(), png.width, png.height)
        .id(format!("rIdImage{n}"))
        .size(cx, cy);
    d.add_paragraph(
        Paragraph::new()
            .keep_next(true)
            .add_run(Run::new().add_image(pic)),
    )
    .add_paragraph(caption)
}

#[cfg(test)]
mod tests {
    use super::{CHART_WIDTH_PX, EMU_PER_INCH, PRINT_DPI, clean, extent};

    #[test]
    fn control_characters_become_replacement_characters() {
        assert_eq!(clean("a\u{1b}b\nc"), "a\u{fffd}b c");
    }

    #[test]
    fn a_chart_drawn_for_print_is_set_at_its_print_size() {
        // 1,880 pixels at 300 dpi: 6.2667 inches, within the text width (6.268 inches).
        assert_eq!(CHART_WIDTH_PX, 1880);
        let (cx, cy) = extent(CHART_WIDTH_PX, 1253);
        assert_eq!(u64::from(cx), 1880 * EMU_PER_INCH / u64::from(PRINT_DPI));
        assert_eq!(u64::from(cy), u64::from(cx) * 1253 / 1880);
        // Wider than the text at 300 dpi: the text width, whatever the pixels.
        let (wide, _) = extent(4000, 1000);
        assert_eq!(u64::from(wide), 9026 * 635);
    }
}

//! The rows of the large sheets (participants, rejections) as sheet XML, written straight
//! from the typed cells the CSV files are written from, and deflated in blocks.
//!
//! Why not rust_xlsxwriter's own writer for these rows: on 100,000 participants its per-cell
//! XML writer (a `write!` of each cell's reference and value) and a single deflate stream per
//! sheet took about 0.5 s of the 0.56 s that `--xlsx` added to `analyze` (perf, 2026-12-06;
//! benches/README.md). Here a cell costs what a CSV cell costs: a number is the CSV's own text
//! (the shortest round-trip decimal, or the exact decimal of a score), so the sheet and the CSV
//! read back to the same double by construction; a cell carries its reference (`r="C7"`)
//! only after an empty cell (the reference is optional in SpreadsheetML, ECMA-376 Part 1,
//! 18.3.1.4: a cell without one is the column after the previous; calamine, openpyxl and
//! LibreOffice read it so); text is an inline string escaped as rust_xlsxwriter escapes it.
//! Blocks of rows are deflated independently (each ended by a sync flush, so the blocks
//! joined are one deflate stream, as pigz joins them) on the threads of the budget, and their
//! CRC-32s combined; the bytes never depend on the thread count.

use std::io::{self, Write};
use std::ops::Range;

use flate2::{Compress, Compression, FlushCompress, Status};

use crate::render::export::RowSink;
use crate::render::output::{Cell, FloatMemo};

use super::{MAX_WIDTH, clip};

/// Deflate level of the package. At 100,000 participants level 1 gives 14.0 MB where the
/// default 6 gives 8.4 MB, and takes about a third less time (benches/README.md).
pub(super) const ZIP_LEVEL: u32 = 1;

/// One deflated piece of a zip entry: its bytes, their CRC-32 and length before deflate.
pub(super) struct Deflated {
    pub bytes: Vec<u8>,
    pub crc: crc32fast::Hasher,
    pub size: u64,
}

impl Deflated {
    /// `data` deflated; ended by a sync flush (more pieces follow) or as the stream's end.
    pub fn of(data: &[u8], last: bool) -> io::Result<Deflated> {
        let mut c = Compress::new(Compression::new(ZIP_LEVEL), false);
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        let mut bytes = Vec::with_capacity(data.len() / 3 + 64);
        loop {
            let read = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
            if bytes.capacity() - bytes.len() < 64 {
                bytes.reserve(data.len() / 4 + 64);
            }
            let status = c
                .compress_vec(&data[read.min(data.len())..], &mut bytes, flush)
                .map_err(io::Error::other)?;
            let all_in = c.total_in() == data.len() as u64;
            // Done when everything went in and the output had room left (nothing pending).
            match status {
                Status::StreamEnd => break,
                _ if !last && all_in && bytes.len() < bytes.capacity() => break,
                _ => {}
            }
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        Ok(Deflated {
            bytes,
            crc,
            size: data.len() as u64,
        })
    }
}

/// Column letters of the columns `0..n` (`A`, ..., `Z`, `AA`, ...).
pub(super) fn column_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|mut c| {
            let mut name = Vec::new();
            loop {
                name.push(b'A' + (c % 26) as u8);
                if c < 26 {
                    break;
                }
                c = c / 26 - 1;
            }
            name.reverse();
            String::from_utf8(name).unwrap_or_default()
        })
        .collect()
}

/// About how many characters `cell` shows (for its column's width).
pub(super) fn shown(cell: &Cell<'_>) -> usize {
    match *cell {
        Cell::Text(t) => t.len().min(MAX_WIDTH),
        Cell::Float(Some(v)) if v.is_finite() => 12,
        Cell::Int(Some(v)) => super::digits(v),
        Cell::Dec(Some(_)) => 8,
        Cell::Bool(Some(_)) => 5,
        Cell::Float(_) | Cell::Int(None) | Cell::Dec(None) | Cell::Bool(None) => 0,
    }
}

/// Writes rows of one sheet as `<row>` elements.
pub(super) struct RowWriter<'c> {
    columns: &'c [String],
    floats: FloatMemo,
}

impl<'c> RowWriter<'c> {
    pub fn new(columns: &'c [String]) -> Self {
        RowWriter {
            columns,
            floats: FloatMemo::default(),
        }
    }

    /// Appends row `row` (1-based, as the sheet numbers it) of `cells`.
    pub fn push(&mut self, out: &mut String, row: u32, cells: &[Cell<'_>]) {
        out.push_str("<row r=\"");
        out.push_str(itoa::Buffer::new().format(row));
        out.push_str("\">");
        let mut after_gap = false;
        for (c, cell) in cells.iter().enumerate() {
            // The cell's opening up to its type: `<c` and, after an empty cell, its reference.
            let open = |out: &mut String| {
                out.push_str("<c");
                if after_gap {
                    out.push_str(" r=\"");
                    out.push_str(self.columns.get(c).map_or("", String::as_str));
                    out.push_str(itoa::Buffer::new().format(row));
                    out.push('"');
                }
            };
            match *cell {
                Cell::Text(t) if !t.is_empty() => {
                    open(out);
                    let t = clip(t);
                    let preserve =
                        t.starts_with(['\t', '\n', ' ']) || t.ends_with(['\t', '\n', ' ']);
                    out.push_str(if preserve {
                        " t=\"inlineStr\"><is><t xml:space=\"preserve\">"
                    } else {
                        " t=\"inlineStr\"><is><t>"
                    });
                    push_escaped(out, t);
                    out.push_str("</t></is></c>");
                }
                Cell::Float(Some(v)) if v.is_finite() => {
                    open(out);
                    out.push_str("><v>");
                    self.floats.push(out, v);
                    out.push_str("</v></c>");
                }
                Cell::Int(Some(v)) => {
                    open(out);
                    out.push_str("><v>");
                    out.push_str(itoa::Buffer::new().format(v));
                    out.push_str("</v></c>");
                }
                Cell::Dec(Some(d)) => {
                    open(out);
                    out.push_str("><v>");
                    d.push_to(out);
                    out.push_str("</v></c>");
                }
                Cell::Bool(Some(b)) => {
                    open(out);
                    out.push_str(if b {
                        " t=\"b\"><v>1</v></c>"
                    } else {
                        " t=\"b\"><v>0</v></c>"
                    });
                }
                _ => {
                    after_gap = true;
                    continue;
                }
            }
            after_gap = false;
        }
        out.push_str("</row>");
    }
}

/// Appends `t` escaped as rust_xlsxwriter escapes a cell's text: `&`, `<`, `>` as entities;
/// the control characters other than tab and newline, and U+FFFE and U+FFFF, as `_xHHHH_`;
/// and a literal `_xHHHH_` in the text with its `_` written `_x005F_` (so it is not read as
/// such an escape).
fn push_escaped(out: &mut String, t: &str) {
    let plain = !t
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | 0xEF) || (b < 0x20 && b != b'\t' && b != b'\n'))
        && !t.contains("_x");
    if plain {
        out.push_str(t);
        return;
    }
    for (i, ch) in t.char_indices() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(ch),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {
                use std::fmt::Write as _;
                let _ = write!(out, "_x{:04X}_", u32::from(ch));
            }
            '_' if is_escape_like(&t[i..]) => out.push_str("_x005F_"),
            _ => out.push(ch),
        }
    }
}

/// True when `s` starts with `_xHHHH_` (four hexadecimal digits).
fn is_escape_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[6] == b'_' && b[2..6].iter().all(u8::is_ascii_hexdigit)
}

/// A table's rows, handed to a sink a range at a time (so a block reuses one cell vector).
pub(super) type RowRanges<'a> = dyn Fn(Range<usize>, &mut RowSink<'_>) + Sync + 'a;

/// Rows `rows` of `table` as `<row>` elements numbered from `first_row`, deflated.
pub(super) fn deflate_rows(
    table: &RowRanges<'_>,
    columns: &[String],
    rows: Range<usize>,
    first_row: u32,
) -> io::Result<Deflated> {
    let mut xml = String::with_capacity(rows.len() * 512);
    let mut writer = RowWriter::new(columns);
    let mut row = first_row;
    table(rows, &mut |cells: &[Cell<'_>]| {
        writer.push(&mut xml, row, cells);
        row += 1;
    });
    Deflated::of(xml.as_bytes(), false)
}

/// Copies `len` bytes at `offset` of `from` to `to`.
pub(super) fn copy_range(
    from: &mut std::fs::File,
    offset: u64,
    len: u64,
    to: &mut dyn Write,
) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    from.seek(SeekFrom::Start(offset))?;
    let copied = io::copy(&mut from.take(len), to)?;
    if copied == len {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the spooled sheet rows are shorter than written",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn column_letters() {
        let names = column_names(730);
        assert_eq!(names[0], "A");
        assert_eq!(names[25], "Z");
        assert_eq!(names[26], "AA");
        assert_eq!(names[701], "ZZ");
        assert_eq!(names[702], "AAA");
    }

    #[test]
    fn text_is_escaped_as_rust_xlsxwriter_escapes_it() {
        let mut s = String::new();
        push_escaped(&mut s, "a<b>&c\u{1}\r_x0041_ _xZZ__\t\n");
        assert_eq!(s, "a&lt;b&gt;&amp;c_x0001__x000D__x005F_x0041_ _xZZ__\t\n");
    }

    #[test]
    fn a_cell_after_an_empty_one_carries_its_reference() {
        let cols = column_names(4);
        let mut w = RowWriter::new(&cols);
        let mut s = String::new();
        w.push(
            &mut s,
            7,
            &[
                Cell::Text(""),
                Cell::Int(Some(3)),
                Cell::Float(None),
                Cell::Bool(Some(true)),
            ],
        );
        assert_eq!(
            s,
            "<row r=\"7\"><c r=\"B7\"><v>3</v></c><c r=\"D7\" t=\"b\"><v>1</v></c></row>"
        );
    }

    #[test]
    fn pieces_joined_by_sync_flushes_inflate_to_the_whole() {
        let parts: [&[u8]; 3] = [b"<head>", &b"<row>1</row>".repeat(5000), b"</tail>"];
        let mut joined = Vec::new();
        let mut crc = crc32fast::Hasher::new();
        let mut whole = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let d = Deflated::of(p, i == parts.len() - 1).unwrap();
            joined.extend_from_slice(&d.bytes);
            crc.combine(&d.crc);
            whole.extend_from_slice(p);
        }
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&joined[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, whole);
        assert_eq!(crc.finalize(), crc32fast::hash(&whole));
    }
}

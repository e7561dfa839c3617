//! An RFC 4180 reader that knows physical line numbers, for the row ledger.
//!
//! The ledger must name the physical line where each record starts, also when a quoted field
//! spans lines and when blank lines sit between records; general CSV readers report the line
//! where they *began looking* for a record, which is off after blank lines and CRLF ends. This
//! reader is small and exact: comma separator, `"` quoting with doubled quotes, LF or CRLF,
//! blank lines skipped, a UTF-8 BOM stripped. Text after a closing quote and an unterminated
//! quote are reported as malformed rather than guessed at.
//!
//! Large files without any quote character are split at line ends and read on several threads;
//! the chunks are processed in order-preserving fashion, so results never depend on the number
//! of threads. In a chunk without quotes or CRs, a reader may take the usual lines itself
//! ([`process_lines`]) and leave the rest to the tokenizer; plain lines are split eight bytes
//! at a time.

use crate::cohort::quoted::split_quoted_line;
use crate::cohort::records::{RecordBlock, RecordRuns, RecordTable};
use std::ops::Range;

/// The longest cell the readers take, in bytes (64 KiB). No value of the data contract comes
/// near it (ids are at most 64 characters; names, sites and codes are short); a longer cell
/// is rejected with its row, its value shown cut short, so that no later step spends time or
/// memory on it (a 10 MB site name made an audit take 24 s).
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// One record: its fields (already unquoted) and the line where it starts. A record without
/// quotes borrows its line from the input (`ends` are the comma positions in it); so does a
/// record whose quoted fields need no unquoting, each quoted field read without its quotes
/// ([`Layout::Quoted`]); every record of a translated table borrows its fields, back to back
/// ([`Layout::Spans`]), or is handed over as text borrowed from where the source holds it
/// ([`Layout::Parts`]); any other quoted record is unquoted into `buf`.
#[derive(Debug, Default, Clone)]
pub struct Record<'a> {
    src: &'a [u8],
    /// The fields of a [`Layout::Parts`] record.
    parts: &'a [&'a str],
    layout: Layout,
    buf: Vec<u8>,
    ends: Vec<usize>,
    line: u64,
    malformed: Option<&'static str>,
    rows_hint: usize,
    utf8: bool,
}

/// Where a [`Record`]'s fields are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Layout {
    /// Unquoted into `buf`: field `i` ends at `ends[i]`.
    #[default]
    Owned,
    /// The runs of `src` between separators (a line without quotes): `ends` are the
    /// separators' positions and the record's end.
    Plain,
    /// As `Plain`, but a run that starts with a quote is a quoted field needing no unquoting
    /// (read by `quoted::split_quoted_line`): its content is the run without its quotes.
    Quoted,
    /// Fields back to back in `src`, field `i` ending at `ends[i]` (a record of a
    /// translated table).
    Spans,
    /// Field `i` is `parts[i]` (a record a source writes on demand, its text borrowed from
    /// the source's own columns: [`crate::cohort::records::RecordRuns`]).
    Parts,
}

impl<'a> Record<'a> {
    /// True when every field is known to be UTF-8: the chunk of CSV text the record came
    /// from is (every field, split at ASCII separators with ASCII quotes removed, is too),
    /// or, for a translated record, each of its fields was checked.
    #[inline]
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }
    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        match self.layout {
            Layout::Parts => self.parts.len(),
            _ => self.ends.len(),
        }
    }
    /// True when the record has no fields (never returned by the tokenizer; a translated
    /// table whose source maps no contract column has such records).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Field `i` as raw bytes.
    #[inline(always)]
    pub fn get(&self, i: usize) -> &[u8] {
        match self.layout {
            Layout::Plain => {
                let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
                &self.src[start..self.ends[i]]
            }
            Layout::Spans => {
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                &self.src[start..self.ends[i]]
            }
            Layout::Quoted => crate::cohort::quoted::field(self.src, &self.ends, i),
            Layout::Parts => self.parts[i].as_bytes(),
            Layout::Owned => {
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                &self.buf[start..self.ends[i]]
            }
        }
    }
    /// 1-based physical line where the record starts.
    pub fn line(&self) -> u64 {
        self.line
    }
    /// An upper bound on the records left in the chunk this record came from (its line
    /// count; its length in bytes from [`process_body`], which counts no lines
    /// first), for reserving memory once.
    pub fn rows_hint(&self) -> usize {
        self.rows_hint
    }
    /// Why the record's quoting is malformed, if it is.
    pub fn malformed(&self) -> Option<&'static str> {
        self.malformed
    }
    /// The record's fields as text (untrimmed, unquoted) in the order `order` gives (field
    /// `order[k]` becomes the `k`th), when it has exactly `N` fields, is well formed and its
    /// chunk is UTF-8: what the readers' fast paths take, whatever the quoting, line ends
    /// and column order.
    #[inline]
    pub fn fields_in<const N: usize>(&self, order: &[usize; N]) -> Option<[&str; N]> {
        if !self.utf8 || self.malformed.is_some() || self.len() != N {
            return None;
        }
        if order.iter().any(|&i| self.get(i).len() > MAX_CELL_BYTES) {
            return None;
        }
        // SAFETY: as in `columns::cell`: the chunk is UTF-8 and a field is a run of it cut at
        // ASCII bytes, with ASCII quotes removed, so each field is UTF-8.
        Some(order.map(|i| unsafe { std::str::from_utf8_unchecked(self.get(i)) }))
    }
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.malformed = None;
        self.layout = Layout::Owned;
    }
}

/// Bytes equal to `b` in the word `w`: the high bit of each such byte set, every other bit
/// clear (exact, no carries between bytes).
#[inline(always)]
fn byte_mask(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = w ^ (u64::from(b) * 0x0101_0101_0101_0101);
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The eight bytes of `word` (from `chunks_exact(8)`) as one little-endian word.
#[inline(always)]
fn load_word(word: &[u8]) -> u64 {
    u64::from_le_bytes([
        word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
    ])
}

/// Pushes `base` plus the byte index of every byte flagged in `mask`.
#[inline(always)]
fn push_flagged(mut mask: u64, base: usize, out: &mut Vec<usize>) {
    while mask != 0 {
        out.push(base + (mask.trailing_zeros() / 8) as usize);
        mask &= mask - 1;
    }
}

/// Splits the record at the start of `rest` when it is one line without quotes or lone CRs:
/// pushes the position of every comma and of the record's end into `ends`, and returns the
/// record's length and the bytes it consumes (with its LF or CRLF). `None` when a quote or a
/// lone CR comes first (the record needs the full tokenizer; `ends` is then partly filled).
/// Eight bytes are examined at a time.
#[inline]
fn split_plain_line<const D: u8>(rest: &[u8], ends: &mut Vec<usize>) -> Option<(usize, usize)> {
    let end_at = |pos: usize, ends: &mut Vec<usize>| match rest[pos] {
        b'\n' => {
            ends.push(pos);
            Some((pos, pos + 1))
        }
        b'\r' if rest.get(pos + 1) == Some(&b'\n') => {
            ends.push(pos);
            Some((pos, pos + 2))
        }
        _ => None,
    };
    let mut words = rest.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let w = load_word(word);
        let commas = byte_mask(w, D);
        let stops = byte_mask(w, b'\n') | byte_mask(w, b'\r') | byte_mask(w, b'"');
        if stops != 0 {
            let first = stops & stops.wrapping_neg();
            push_flagged(commas & (first - 1), base, ends);
            return end_at(base + (first.trailing_zeros() / 8) as usize, ends);
        }
        push_flagged(commas, base, ends);
        base += 8;
    }
    for (i, &c) in words.remainder().iter().enumerate() {
        match c {
            b'\n' | b'\r' | b'"' => return end_at(base + i, ends),
            c if c == D => ends.push(base + i),
            _ => {}
        }
    }
    ends.push(rest.len());
    Some((rest.len(), rest.len()))
}

pub use crate::domain::text::same_text;

/// The `N` fields of the plain line (no quote, no CR) at the start of `rest` and the bytes it
/// takes with its LF, when it has exactly `N` fields (commas and the line end found eight
/// bytes at a time).
#[inline]
pub fn split_plain<const N: usize>(rest: &[u8]) -> Option<([&[u8]; N], usize)> {
    let mut commas = [0usize; N];
    let mut found = 0;
    let mut end = None;
    let mut words = rest.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let w = load_word(word);
        let lf = byte_mask(w, b'\n');
        let mut mask = byte_mask(w, b',');
        if lf != 0 {
            let first = lf & lf.wrapping_neg();
            mask &= first - 1;
            end = Some(base + (first.trailing_zeros() / 8) as usize);
        }
        while mask != 0 {
            *commas.get_mut(found)? = base + (mask.trailing_zeros() / 8) as usize;
            found += 1;
            mask &= mask - 1;
        }
        if end.is_some() {
            break;
        }
        base += 8;
    }
    if end.is_none() {
        for (i, &c) in words.remainder().iter().enumerate() {
            match c {
                b',' => {
                    *commas.get_mut(found)? = base + i;
                    found += 1;
                }
                b'\n' => {
                    end = Some(base + i);
                    break;
                }
                _ => {}
            }
        }
    }
    let (line_end, consumed) = match end {
        Some(e) => (e, e + 1),
        None => (rest.len(), rest.len()),
    };
    if found + 1 != N {
        return None;
    }
    // The field ends: each comma, then the line end.
    commas[N - 1] = line_end;
    let mut start = 0;
    let fields = commas.map(|end| {
        let field = rest.get(start..end).unwrap_or_default();
        start = end + 1;
        field
    });
    Some((fields, consumed))
}

/// Reads records from a byte slice; `D` is the field separator (a comma for the data
/// contract; `;` and tab for the clinic dialects of `cohort::source::dialect`). The separator
/// is a constant, so the comma reader compiles to the same code as before it was a parameter.
pub struct Tokenizer<'a, const D: u8 = b','> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    /// The data ended inside a quoted field.
    unclosed: bool,
}

impl<'a> Tokenizer<'a> {
    /// A comma tokenizer over `data`, whose first byte is on physical line `first_line`.
    pub fn new(data: &'a [u8], first_line: u64) -> Tokenizer<'a> {
        Tokenizer::with_separator(data, first_line)
    }
}

impl<'a, const D: u8> Tokenizer<'a, D> {
    /// A tokenizer with separator `D` over `data`, whose first byte is on physical line
    /// `first_line`.
    pub fn with_separator(data: &'a [u8], first_line: u64) -> Tokenizer<'a, D> {
        Tokenizer {
            data,
            pos: 0,
            line: first_line,
            unclosed: false,
        }
    }

    /// True when the data ended inside a quoted field (the last record is malformed, or,
    /// for a chunk of a larger file, the chunk was cut inside a quoted field).
    pub fn ended_in_quotes(&self) -> bool {
        self.unclosed
    }

    /// Byte offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Line of the next unread byte.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next record into `rec`; false at the end of the data.
    pub fn next_record(&mut self, rec: &mut Record<'a>) -> bool {
        let d = self.data;
        // Skip blank lines: they are not rows.
        while self.pos < d.len() {
            match d[self.pos] {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                // CRLF is one line end; a lone CR (old Mac files) is a line end of its own.
                b'\r' => {
                    self.pos += 1;
                    if d.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                }
                _ => break,
            }
        }
        if self.pos >= d.len() {
            return false;
        }
        rec.clear();
        rec.line = self.line;
        // Fast path: a line without quotes or stray CRs is one record; split it at commas.
        // The scan stops at the first quote or line end, so it never runs past this record.
        let rest = &d[self.pos..];
        if let Some((content_len, consumed)) = split_plain_line::<D>(rest, &mut rec.ends) {
            rec.src = &rest[..content_len];
            rec.layout = Layout::Plain;
            self.pos += consumed;
            self.line += u64::from(consumed > content_len);
            return true;
        }
        rec.ends.clear();
        if let Some(consumed) = split_quoted_line::<D>(rest, &mut rec.ends) {
            rec.src = &rest[..consumed];
            rec.layout = Layout::Quoted;
            self.pos += consumed;
            self.line += u64::from(rest[consumed - 1] == b'\n');
            return true;
        }
        rec.ends.clear();
        loop {
            // One field.
            if d.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                loop {
                    match memchr::memchr(b'"', &d[self.pos..]) {
                        None => {
                            let seg = &d[self.pos..];
                            self.line += memchr::memchr_iter(b'\n', seg).count() as u64;
                            rec.buf.extend_from_slice(seg);
                            self.pos = d.len();
                            self.unclosed = true;
                            rec.malformed = Some(
                                "has a quoted field that is never closed, so the rest of the file was read into it; close the quote",
                            );
                            break;
                        }
                        Some(k) => {
                            let seg = &d[self.pos..self.pos + k];
                            self.line += memchr::memchr_iter(b'\n', seg).count() as u64;
                            rec.buf.extend_from_slice(seg);
                            self.pos += k + 1;
                            if d.get(self.pos) == Some(&b'"') {
                                rec.buf.push(b'"');
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                // After the closing quote only a separator or a line end may follow.
                while let Some(&c) = d.get(self.pos) {
                    if matches!(c, b'\n' | b'\r') || c == D {
                        break;
                    }
                    rec.malformed.get_or_insert(
                        "has text after a closing quote (a quote inside a field must be doubled)",
                    );
                    rec.buf.push(c);
                    self.pos += 1;
                }
            } else {
                let rest = &d[self.pos..];
                let k = rest
                    .iter()
                    .position(|&c| matches!(c, b'\n' | b'\r') || c == D)
                    .unwrap_or(rest.len());
                rec.buf.extend_from_slice(&rest[..k]);
                self.pos += k;
            }
            rec.ends.push(rec.buf.len());
            match d.get(self.pos) {
                Some(&c) if c == D => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if d.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return true;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return true;
                }
                _ => return true,
            }
        }
    }
}

/// A CSV file in memory with its header read, or a table translated from another source
/// as records (`cohort::records`), which the readers take the same way.
#[derive(Debug)]
pub struct CsvSource<'a> {
    bytes: &'a [u8],
    body: Range<usize>,
    body_line: u64,
    header_line: u64,
    header: Vec<String>,
    header_problem: Option<&'static str>,
    /// The records, when the table is not CSV text.
    records: Option<&'a RecordTable>,
}

impl<'a> CsvSource<'a> {
    /// Reads the header of `bytes` (BOM stripped). An empty file has an empty header.
    pub fn new(bytes: &'a [u8]) -> CsvSource<'a> {
        let first_line = 1;
        let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut tok = Tokenizer::new(&bytes[start..], first_line);
        let mut rec = Record::default();
        let mut header = Vec::new();
        let mut header_problem = None;
        let mut header_line = first_line;
        if tok.next_record(&mut rec) {
            header_line = rec.line();
            header_problem = rec.malformed();
            for i in 0..rec.len() {
                match std::str::from_utf8(rec.get(i)) {
                    // A second BOM or a zero-width space pasted into a name is invisible
                    // in an editor; it is not part of the name.
                    Ok(s) => header.push(trim(s).trim_matches(['\u{feff}', '\u{200b}']).to_owned()),
                    Err(_) => {
                        header_problem = Some("has a column name that is not valid UTF-8");
                        header.push(String::new());
                    }
                }
            }
        }
        let body = start + tok.offset()..bytes.len();
        let body_line = tok.line();
        CsvSource {
            bytes,
            body,
            body_line,
            header_line,
            header,
            header_problem,
            records: None,
        }
    }

    /// A table translated from another source: its records, read by [`process_lines`]
    /// without any CSV text (the header is the table's contract column names, at its
    /// location; a table without columns reads as an empty file).
    pub fn of_records(table: &'a RecordTable) -> CsvSource<'a> {
        let header_line = if table.header.is_empty() {
            table.header_line.min(1)
        } else {
            table.header_line
        };
        CsvSource {
            bytes: &[],
            body: 0..0,
            body_line: header_line + 1,
            header_line,
            header: table.header.clone(),
            header_problem: None,
            records: Some(table),
        }
    }

    /// True for a translated table holding records (with or without columns).
    pub fn has_records(&self) -> bool {
        self.records.is_some_and(|t| !t.is_empty())
    }

    /// Column names as written (trimmed); empty for an empty file.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Line of the header (1 unless blank lines precede it; 1 for an empty file).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// A problem with the header line itself (malformed quoting, bad UTF-8).
    pub fn header_problem(&self) -> Option<&'static str> {
        self.header_problem
    }

    /// The body cut into about `wanted` pieces ([`cut_at_lines`]).
    fn pieces(&self, wanted: usize) -> Vec<&'a [u8]> {
        cut_at_lines(&self.bytes[self.body.clone()], wanted)
    }

    /// Splits the body into chunks at line ends, each with its first line number, its number
    /// of LFs and whether it is UTF-8. A body with a lone CR (a line end the LF count would
    /// miss) is not split. `plain` says the body holds no `"` and no CR at all (so every line
    /// is one record, split at commas); `quoted` says it holds a `"`, so a line end may sit
    /// inside a quoted field: [`process_lines`] then checks that no chunk but the last ends
    /// inside quotes, and reads the body as one chunk if one does.
    ///
    /// The cut points are found first (a search for the next LF at each); the chunks are then
    /// scanned on up to `threads` threads, each in one pass of 64 KiB blocks that counts the
    /// LFs, looks for quotes and CRs and checks the UTF-8 while the block is in the cache (one
    /// thread reading the whole of a 406 MB sessions.csv three times before any row was read
    /// took 0.25 s of a 1.6 s `analyze`).
    pub fn chunks(&self, wanted: usize, threads: usize) -> Chunks<'a> {
        let pieces = self.pieces(wanted);
        let scans = crate::parallel::map_queued(&pieces, threads, |p| scan(p));
        let plain = scans.iter().all(|s| !s.quote && !s.cr);
        let quoted = scans.iter().any(|s| s.quote);
        let mut line = self.body_line;
        let mut parts: Vec<Part<'a>> = pieces
            .into_iter()
            .zip(&scans)
            .map(|(bytes, scan)| {
                let part = Part {
                    bytes,
                    first_line: line,
                    lfs: scan.lfs,
                    utf8: scan.utf8,
                };
                line += scan.lfs as u64;
                part
            })
            .collect();
        // Split only where a line end is certain: every CR part of a CRLF.
        if parts.len() > 1 && scans.iter().any(|s| s.lone_cr) {
            parts = vec![self.whole_body(&parts)];
        }
        Chunks {
            parts,
            plain,
            quoted,
        }
    }

    /// The whole body as one chunk, from the scans of its `parts`.
    fn whole_body(&self, parts: &[Part<'a>]) -> Part<'a> {
        Part {
            bytes: &self.bytes[self.body.clone()],
            first_line: self.body_line,
            lfs: parts.iter().map(|p| p.lfs).sum(),
            utf8: parts.iter().all(|p| p.utf8),
        }
    }
}

/// What one pass over a chunk found.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    lfs: usize,
    quote: bool,
    cr: bool,
    /// A CR not followed by an LF.
    lone_cr: bool,
    utf8: bool,
}

/// One pass over `part` in blocks small enough to stay in the cache between the searches.
fn scan(part: &[u8]) -> Scan {
    const BLOCK: usize = 64 * 1024;
    let mut s = Scan {
        utf8: true,
        ..Scan::default()
    };
    // Where the UTF-8 check resumes: a block may end inside a multi-byte sequence, which is
    // then checked again with the next block.
    let mut checked = 0;
    for (k, block) in part.chunks(BLOCK).enumerate() {
        let start = k * BLOCK;
        let end = start + block.len();
        s.lfs += memchr::memchr_iter(b'\n', block).count();
        if memchr::memchr2(b'"', b'\r', block).is_some() {
            s.quote |= memchr::memchr(b'"', block).is_some();
            for at in memchr::memchr_iter(b'\r', block) {
                s.cr = true;
                s.lone_cr |= part.get(start + at + 1) != Some(&b'\n');
            }
        }
        if s.utf8 {
            match std::str::from_utf8(&part[checked..end]) {
                Ok(_) => checked = end,
                Err(e) if e.error_len().is_none() && end < part.len() => {
                    checked += e.valid_up_to();
                }
                Err(_) => s.utf8 = false,
            }
        }
    }
    s
}

/// One chunk of a body: its bytes, the line number of its first line, its LFs, and whether
/// it is UTF-8.
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// The chunk's bytes (whole lines).
    pub bytes: &'a [u8],
    /// Line number of its first line.
    pub first_line: u64,
    /// LFs in it.
    pub lfs: usize,
    /// It is valid UTF-8.
    pub utf8: bool,
}

/// The body of a file cut into chunks by [`CsvSource::chunks`].
#[derive(Debug)]
pub struct Chunks<'a> {
    /// Each chunk, in file order.
    pub parts: Vec<Part<'a>>,
    /// The body holds no `"` and no CR.
    pub plain: bool,
    /// The body holds a `"`.
    pub quoted: bool,
}

/// Trims the spaces and tabs around a cell.
#[inline(always)]
pub fn trim(s: &str) -> &str {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let b = s.as_bytes();
    // Most cells have nothing to trim.
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !blank(f) && !blank(l) => s,
        (None, _) => s,
        _ => trim_blanks(s),
    }
}

#[cold]
fn trim_blanks(s: &str) -> &str {
    let b = s.as_bytes();
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
    // Both cut points sit next to an ASCII byte (or at an end), so they are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// `body` (whole lines) cut into about `wanted` pieces, each ending just after an LF (the
/// last at the body's end), for threads to tokenize side by side; a body under 2 MiB is one
/// piece, and no piece but the last is under 1 MiB. A cut may fall inside a quoted field
/// (a line break in a cell): a reader of the pieces must check [`Tokenizer::ended_in_quotes`]
/// and read the body as one piece if any piece but the last did.
pub fn cut_at_lines(body: &[u8], wanted: usize) -> Vec<&[u8]> {
    const MIN_CHUNK: usize = 1 << 20;
    let mut cuts = vec![0];
    if wanted > 1 && body.len() >= 2 * MIN_CHUNK {
        let wanted = wanted.min(body.len() / MIN_CHUNK);
        let target = body.len() / wanted;
        while cuts.len() < wanted {
            let tentative = cuts[cuts.len() - 1] + target;
            match body
                .get(tentative..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
            {
                Some(k) if tentative + k + 1 < body.len() => cuts.push(tentative + k + 1),
                _ => break,
            }
        }
    }
    cuts.push(body.len());
    cuts.windows(2).map(|w| &body[w[0]..w[1]]).collect()
}

/// Processes every record of `source` with one state per chunk, on up to `threads` threads;
/// the states come back in file order.
pub fn process<S, F, M>(source: &CsvSource<'_>, threads: usize, make: M, each: F) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
{
    process_lines(
        source,
        Split {
            threads,
            chunks_per_thread: 1,
        },
        make,
        None::<fn(&mut S, &Line<'_>) -> Option<usize>>,
        each,
    )
}

/// [`process`] without the pass that counts each chunk's lines before any is read, for a
/// caller whose states can have their line numbers moved afterwards: each chunk is tokenized
/// with its lines numbered from 0, and `shift(state, first)` then adds the chunk's first
/// line, known once the chunks before it have been counted by their own tokenizers (so the
/// numbers are those of one pass over the file, lone CRs included). A chunk cut inside a
/// quoted field makes the body be read again as one chunk, as in [`process_lines`]. The
/// records carry no UTF-8 promise (`Record::utf8` is false) and their `rows_hint` is the
/// chunk's length in bytes.
///
/// The REDCap translator reads its export so: the counting pass was 8% of the user time of a
/// REDCap `analyze` of 100,000 records (`perf record`, 2026-12-07), over a 119 MB export.
pub fn process_numbered_after<S, F, M, H>(
    source: &CsvSource<'_>,
    threads: usize,
    make: M,
    each: F,
    shift: H,
) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
    H: Fn(&mut S, u64),
{
    if source.records.is_some() {
        return process(source, threads, make, each);
    }
    process_body::<b',', _, _, _, _>(
        &source.bytes[source.body.clone()],
        source.body_line,
        threads,
        make,
        each,
        shift,
    )
}

/// The records of `body` (whole lines, the first on line `body_line`) with separator `D`, as
/// [`process_numbered_after`] reads a file's body: cut into pieces ([`cut_at_lines`]) read on
/// up to `threads` threads, each with its lines numbered from 0 and its state moved on by
/// `shift(state, first line)` afterwards; read again as one piece when a cut fell inside a
/// quoted field. The states come back in the body's order.
pub fn process_body<const D: u8, S, F, M, H>(
    body: &[u8],
    body_line: u64,
    threads: usize,
    make: M,
    each: F,
    shift: H,
) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
    H: Fn(&mut S, u64),
{
    let threads = threads.max(1);
    // Four pieces a thread, each thread taking the next when done: with two pieces on two
    // cores, the export's digest beside them made one piece finish tens of milliseconds after
    // the other, on one core (a REDCap `analyze` of 100,000 records, perf timeline,
    // 2026-12-07).
    let wanted = if threads > 1 { threads * 4 } else { 1 };
    let pieces = cut_at_lines(body, wanted);
    // A chunk's state (its lines numbered from 0), its line breaks and whether it ended
    // inside a quoted field.
    let run = |data: &[u8]| -> (S, u64, bool) {
        let mut state = make();
        let mut rec = Record {
            rows_hint: data.len(),
            ..Record::default()
        };
        let mut tok = Tokenizer::<D>::with_separator(data, 0);
        while tok.next_record(&mut rec) {
            each(&mut state, &rec);
        }
        (state, tok.line(), tok.ended_in_quotes())
    };
    let runs = crate::parallel::map_queued(&pieces, threads, |piece| run(piece));
    if runs.iter().take(runs.len().saturating_sub(1)).any(|r| r.2) {
        drop(runs);
        let mut whole = run(body).0;
        shift(&mut whole, body_line);
        return vec![whole];
    }
    let mut first = body_line;
    runs.into_iter()
        .map(|(mut state, lines, _)| {
            shift(&mut state, first);
            first += lines;
            state
        })
        .collect()
}

/// A line offered to the fast path of [`process_lines`].
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// The rest of the chunk from the line's first byte (not an LF); the chunk holds no `"`
    /// and no CR.
    rest: &'a [u8],
    /// The chunk is UTF-8.
    utf8: bool,
    /// Its 1-based physical line number.
    pub number: u64,
    /// An upper bound on the records of the chunk it came from, for reserving memory once.
    pub rows_hint: usize,
}

impl<'a> Line<'a> {
    /// The line's `N` fields as text (untrimmed) and the bytes the line takes with its LF,
    /// when it has exactly `N` fields and the body is UTF-8.
    #[inline]
    pub fn fields<const N: usize>(&self) -> Option<([&'a str; N], usize)> {
        if !self.utf8 {
            return None;
        }
        let (fields, consumed) = split_plain::<N>(self.rest)?;
        // SAFETY: the chunk is UTF-8 (`utf8`, checked in `process_lines`), `rest` is a part
        // of it starting at a line start, and each field is cut at ASCII commas or line
        // ends, which never fall inside a multi-byte sequence; so each field is UTF-8.
        Some((
            fields.map(|f| unsafe { std::str::from_utf8_unchecked(f) }),
            consumed,
        ))
    }

    /// [`Line::fields`] in the order `order` gives (field `order[k]` becomes the `k`th).
    #[inline]
    pub fn fields_in<const N: usize>(&self, order: &[usize; N]) -> Option<([&'a str; N], usize)> {
        let (fields, consumed) = self.fields::<N>()?;
        if fields.iter().any(|f| f.len() > MAX_CELL_BYTES) {
            return None;
        }
        Some((order.map(|i| fields[i]), consumed))
    }
}

/// True when `text` has no space or tab to trim at either end.
#[inline(always)]
pub fn untrimmed(text: &str) -> bool {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    !text.as_bytes().first().is_some_and(blank) && !text.as_bytes().last().is_some_and(blank)
}

/// How [`process_lines`] shares a file out: into about `threads * chunks_per_thread` chunks,
/// read by `threads` threads, each taking the next chunk when done with one. More chunks than
/// threads even out the threads' finishing times (whatever else the machine runs); fewer
/// cost less to put back together.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    /// Threads reading.
    pub threads: usize,
    /// Chunks wanted per thread.
    pub chunks_per_thread: usize,
}

/// Like [`process`], with an optional fast path: in a chunk holding no `"` and no CR (so
/// that every line is one record, split at commas), each line is first offered to `fast`,
/// which returns the bytes it consumed (the line and its LF) when it takes the line; when it
/// returns `None`, the line is read as a record and handed to `each` as usual. `fast` must
/// leave the state as `each` would for the lines it takes.
pub fn process_lines<S, L, F, M>(
    source: &CsvSource<'_>,
    split: Split,
    make: M,
    fast: Option<L>,
    each: F,
) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    L: Fn(&mut S, &Line<'_>) -> Option<usize> + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
{
    let threads = split.threads.max(1);
    let wanted = if threads == 1 {
        1
    } else {
        threads.saturating_mul(split.chunks_per_thread.max(1))
    };
    if let Some(table) = source.records {
        return process_records(table, wanted, threads, make, each);
    }
    let Chunks {
        parts: chunks,
        plain,
        quoted,
    } = source.chunks(wanted, threads);
    // A chunk's state, and whether the chunk ended inside a quoted field.
    let run = |part: Part<'_>| -> (S, bool) {
        let Part {
            bytes: data,
            first_line,
            lfs,
            utf8,
        } = part;
        let mut state = make();
        let mut rec = Record {
            rows_hint: lfs + 1,
            utf8,
            ..Record::default()
        };
        let fast = match &fast {
            Some(f) if plain || memchr::memchr2(b'"', b'\r', data).is_none() => f,
            _ => {
                let mut tok = Tokenizer::new(data, first_line);
                while tok.next_record(&mut rec) {
                    each(&mut state, &rec);
                }
                return (state, tok.ended_in_quotes());
            }
        };
        let mut pos = 0;
        let mut number = first_line;
        while pos < data.len() {
            // A blank line is not a row (the tokenizer would skip it too).
            if data[pos] == b'\n' {
                pos += 1;
                number += 1;
                continue;
            }
            let line = Line {
                rest: &data[pos..],
                utf8,
                number,
                rows_hint: rec.rows_hint,
            };
            if let Some(consumed) = fast(&mut state, &line) {
                pos += consumed;
                number += 1;
                continue;
            }
            // The line is not blank and the chunk has no CR, so the tokenizer reads exactly
            // this line as one record (the check only guards against looping forever).
            let mut tok = Tokenizer::new(&data[pos..], number);
            if !tok.next_record(&mut rec) {
                break;
            }
            each(&mut state, &rec);
            pos += tok.offset();
            number = tok.line();
        }
        (state, false)
    };
    // A chunk cut inside a quoted field (a line end inside quotes where the file was split):
    // the records from there on were not the file's, so the body is read again in one piece.
    // Chunk 0 starts at a record; a chunk that starts at one and does not end inside quotes
    // ends where a record ends, so the next chunk starts at one too.
    let checked = |states: Vec<(S, bool)>| -> Vec<S> {
        let n = states.len();
        if quoted && states.iter().take(n.saturating_sub(1)).any(|s| s.1) {
            drop(states);
            return vec![run(source.whole_body(&chunks)).0];
        }
        states.into_iter().map(|s| s.0).collect()
    };
    checked(crate::parallel::map_queued(&chunks, threads, |&part| {
        run(part)
    }))
}

/// [`process_lines`] for a table of records: its blocks cut into about `wanted` runs of
/// records, read on up to `threads` threads, each record handed to `each` as the tokenizer
/// would hand it (its fields unquoted, its line its source location).
fn process_records<S, F, M>(
    table: &RecordTable,
    wanted: usize,
    threads: usize,
    make: M,
    each: F,
) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
{
    // Runs of at least 4,096 records (fewer cost more to merge than they save); the runs a
    // source writes on demand are its own, each written by the thread that reads it.
    let total = table.len();
    let per_run = total.div_ceil(wanted.max(1)).max(4096);
    let mut runs = Vec::new();
    for block in &table.blocks {
        let mut from = 0;
        while from < block.len() {
            let to = (from + per_run).min(block.len());
            runs.push(Run::Written(block, from..to));
            from = to;
        }
    }
    if let Some(lazy) = &table.lazy {
        let lazy = &*lazy.0;
        runs.extend((0..lazy.runs()).map(|k| Run::OnDemand(lazy, k)));
    }
    crate::parallel::map_queued(&runs, threads, |run| {
        let mut state = make();
        match run {
            Run::Written(block, range) => {
                read_block(block, range.clone(), range.len(), &mut state, &each);
            }
            Run::OnDemand(lazy, k) => {
                let rows_hint = lazy.len(*k);
                lazy.write(*k, &mut |line, parts| {
                    let rec = Record {
                        line,
                        parts,
                        layout: Layout::Parts,
                        rows_hint,
                        // Text, so UTF-8.
                        utf8: true,
                        ..Record::default()
                    };
                    each(&mut state, &rec);
                });
            }
        }
        state
    })
}

/// A run of a table's records for one task of [`process_records`].
enum Run<'t> {
    /// Records `range` of a block written already.
    Written(&'t RecordBlock, Range<usize>),
    /// Run `k` of the records written on demand.
    OnDemand(&'t dyn RecordRuns, usize),
}

/// Hands records `range` of `block` to `each`, one at a time, their fields borrowed as spans
/// of the block's bytes; `rows_hint` bounds the records of the whole run.
#[inline]
fn read_block<S, F>(
    block: &RecordBlock,
    range: Range<usize>,
    rows_hint: usize,
    state: &mut S,
    each: &F,
) where
    F: Fn(&mut S, &Record<'_>),
{
    let mut rec = Record {
        rows_hint,
        ..Record::default()
    };
    let rec = &mut rec;
    for i in range {
        let (line, bytes, ends) = block.raw(i);
        rec.clear();
        rec.line = line;
        rec.src = bytes;
        rec.layout = Layout::Spans;
        rec.ends.extend(ends);
        rec.utf8 = record_is_utf8(bytes, &rec.ends);
        each(state, rec);
    }
}

/// True when every field of a record (`bytes` cut at `ends`) is UTF-8.
#[inline]
fn record_is_utf8(bytes: &[u8], ends: &[usize]) -> bool {
    if bytes.is_ascii() {
        return true;
    }
    let mut from = 0;
    ends.iter().all(|&to| {
        let ok = std::str::from_utf8(&bytes[from..to]).is_ok();
        from = to;
        ok
    })
}

/// Counts one more row of a chunk whose accepted rows go to `table`, reserving the table for
/// the whole chunk (`rows_hint` rows) at its first row.
#[inline]
pub fn count_row<T>(rows: &mut u64, table: &mut Vec<T>, rows_hint: usize) {
    if *rows == 0 {
        table.reserve(rows_hint);
    }
    *rows += 1;
}

/// Joins vectors in order, growing the first one (a large `realloc` remaps its pages rather
/// than copying them) so only the later parts are moved, on up to `threads` threads.
///
/// Moving a million accepted participants (about 100 MB) into fresh memory is mostly the
/// kernel zeroing the pages it faults in, which the faulting thread does: on one thread it
/// left the other core idle for 0.1-0.2 s of a 1M-participant Parquet `analyze`, whose rows
/// come in 16 runs (perf, 2026-12-07). The parts are moved in pieces of the destination, each
/// thread faulting in its own.
pub fn concat<T: Send + Sync>(parts: Vec<Vec<T>>, threads: usize) -> Vec<T> {
    /// Elements below which one thread moves everything.
    const PARALLEL_FROM: usize = 1 << 15;
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut parts = parts.into_iter();
    let mut out = parts.next().unwrap_or_default();
    let mut rest: Vec<Vec<T>> = parts.collect();
    let first = out.len();
    let later = total - first;
    out.reserve_exact(later);
    if later < PARALLEL_FROM || threads < 2 {
        for part in rest {
            out.extend(part);
        }
        return out;
    }
    {
        // Each part's place in the spare room, cut into pieces handed to the threads in turn.
        let piece = later.div_ceil(threads * 4).max(PARALLEL_FROM / 4);
        let mut spare = &mut out.spare_capacity_mut()[..later];
        // Per thread, (room, the elements moved there).
        type Pieces<'a, T> = Vec<(&'a mut [std::mem::MaybeUninit<T>], &'a [T])>;
        let mut pieces: Vec<Pieces<'_, T>> = (0..threads).map(|_| Vec::new()).collect();
        let mut k = 0;
        for part in &rest {
            let (room, tail) = std::mem::take(&mut spare).split_at_mut(part.len());
            spare = tail;
            for (to, from) in room.chunks_mut(piece).zip(part.chunks(piece)) {
                pieces[k % threads].push((to, from));
                k += 1;
            }
        }
        std::thread::scope(|scope| {
            let tasks: Vec<_> = pieces
                .into_iter()
                .map(|mine| {
                    crate::parallel::spawn(scope, move || {
                        for (to, from) in mine {
                            // SAFETY: `to` and `from` have the same length (pieces of equal
                            // size cut from equal lengths) and do not overlap (`to` is spare
                            // room of `out`, `from` the elements of another vector). The
                            // elements are copied bitwise: their originals are forgotten below
                            // (the parts' lengths set to 0), so each is dropped once, by `out`.
                            unsafe {
                                std::ptr::copy_nonoverlapping(
                                    from.as_ptr(),
                                    to.as_mut_ptr().cast::<T>(),
                                    from.len(),
                                );
                            }
                        }
                    })
                })
                .collect();
            crate::parallel::join_all(tasks);
        });
    }
    // SAFETY: every slot from `first` to `total` was written above (the pieces cover each
    // part's room in full, and the parts' rooms cover `later` slots), and the parts' elements
    // now belong to `out`, so the parts must not drop them.
    unsafe {
        out.set_len(total);
        for part in &mut rest {
            part.set_len(0);
        }
    }
    out
}

/// `text` (unquoted CSV without commas inside cells, LF line ends) with each line's cells in
/// reverse order and/or as a spreadsheet saves it (every non-empty cell quoted, CRLF, a
/// byte-order mark): the same records in other layouts, for the readers' tests.
#[cfg(test)]
pub fn relayout(text: &str, reverse: bool, excel: bool) -> String {
    let eol = if excel { "\r\n" } else { "\n" };
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            if line.is_empty() {
                return String::new();
            }
            let mut cells: Vec<String> = line
                .split(',')
                .map(|c| {
                    if excel && !c.is_empty() {
                        format!("\"{c}\"")
                    } else {
                        c.to_owned()
                    }
                })
                .collect();
            if reverse {
                cells.reverse();
            }
            cells.join(",")
        })
        .collect();
    format!("{}{}", if excel { "\u{feff}" } else { "" }, lines.join(eol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_moves_every_element_once_in_order_on_any_number_of_threads() {
        // Parts of owned strings (a double drop or a missed slot would show under the test
        // allocator or as wrong text), empty ones included, over the parallel threshold.
        let sizes = [0, 40_000, 1, 0, 25_000, 7, 60_000];
        let make = || -> Vec<Vec<String>> {
            let mut n = 0;
            sizes
                .iter()
                .map(|&len| {
                    (0..len)
                        .map(|_| {
                            n += 1;
                            format!("row {n}")
                        })
                        .collect()
                })
                .collect()
        };
        let expected: Vec<String> = make().into_iter().flatten().collect();
        for threads in 1..=4 {
            assert_eq!(concat(make(), threads), expected, "{threads} threads");
        }
        // A first part that is not empty stays where it is; small joins take one thread.
        let small = vec![vec![1u8, 2], vec![], vec![3]];
        assert_eq!(concat(small, 4), vec![1, 2, 3]);
        assert!(concat(Vec::<Vec<u8>>::new(), 2).is_empty());
    }

    #[test]
    fn chunks_numbered_after_get_the_lines_of_one_pass() {
        // 3.6 MB of rows ending in LF, CRLF or a lone CR, with blank lines and quoted line
        // breaks, and a header on line 3: read on 1 and 3 threads, every record's line is the
        // one an independent count of the line starts gives, and 3 threads read 3 chunks.
        let mut text = String::from("\n\r\nid,note\r\n");
        for i in 0..90_000 {
            let note = match i % 101 {
                7 => "\"two\nlines\"".to_owned(),
                9 => "\"crlf\r\ninside\"".to_owned(),
                _ => format!("plain note number {i} of the rows"),
            };
            text.push_str(&format!("R{i},{note}"));
            text.push_str(match i % 37 {
                3 => "\r",
                5 => "\r\n",
                11 => "\n\n",
                _ => "\n",
            });
        }
        let source = CsvSource::new(text.as_bytes());
        assert_eq!(source.header_line(), 3);
        // Line starts: after every LF, and after every CR not followed by an LF, outside
        // quotes; inside quotes after every LF only (as the tokenizer counts).
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut quoted = false;
        for (at, &b) in bytes.iter().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' => starts.push(at + 1),
                b'\r' if !quoted && bytes.get(at + 1) != Some(&b'\n') => starts.push(at + 1),
                _ => {}
            }
        }
        let read = |threads: usize| {
            process_numbered_after(
                &source,
                threads,
                Vec::new,
                |seen: &mut Vec<(u64, String)>, rec| {
                    seen.push((rec.line(), String::from_utf8_lossy(rec.get(0)).into_owned()));
                },
                |seen, by| seen.iter_mut().for_each(|(line, _)| *line += by),
            )
        };
        let one = read(1);
        let three = read(3);
        assert_eq!((one.len(), three.len()), (1, 3));
        let flat: Vec<(u64, String)> = three.into_iter().flatten().collect();
        assert_eq!(flat, one[0]);
        assert_eq!(flat.len(), 90_000);
        for (line, id) in &flat {
            let at = starts[*line as usize - 1];
            assert!(text[at..].starts_with(&format!("{id},")), "line {line}");
        }
    }

    fn records(text: &str) -> Vec<(u64, Vec<String>, Option<&'static str>)> {
        let mut tok = Tokenizer::new(text.as_bytes(), 1);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while tok.next_record(&mut rec) {
            let fields = (0..rec.len())
                .map(|i| String::from_utf8(rec.get(i).to_vec()).unwrap())
                .collect();
            out.push((rec.line(), fields, rec.malformed()));
        }
        out
    }

    #[test]
    fn lines_follow_the_physical_file() {
        let r = records("a,b\n\n\"x\ny\",2\r\nlast,\"q\"\"uote\"\n");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].0, 1);
        assert_eq!(r[1].0, 3);
        assert_eq!(r[1].1, ["x\ny", "2"]);
        assert_eq!(r[2].0, 5);
        assert_eq!(r[2].1, ["last", "q\"uote"]);
    }

    /// The byte-at-a-time definition `split_plain_line` must agree with.
    fn split_naive(rest: &[u8]) -> Option<(Vec<usize>, usize, usize)> {
        let mut ends = Vec::new();
        for (i, &c) in rest.iter().enumerate() {
            match c {
                b',' => ends.push(i),
                b'\n' => {
                    ends.push(i);
                    return Some((ends, i, i + 1));
                }
                b'\r' if rest.get(i + 1) == Some(&b'\n') => {
                    ends.push(i);
                    return Some((ends, i, i + 2));
                }
                b'\r' | b'"' => return None,
                _ => {}
            }
        }
        ends.push(rest.len());
        Some((ends, rest.len(), rest.len()))
    }

    /// Every string over `alphabet` up to length 5, and pseudo-random longer ones (mostly
    /// `x`, so long runs occur: the word path and its tail at every alignment).
    fn cases(alphabet: &[u8]) -> Vec<Vec<u8>> {
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        let mut frontier = cases.clone();
        for _ in 0..5 {
            frontier = frontier
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |&c| {
                        let mut t = s.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            cases.extend(frontier.iter().cloned());
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 70) as usize;
            let mut s = Vec::with_capacity(len);
            let mut x = state;
            for _ in 0..len {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let r = (x >> 33) % 40;
                s.push(if (r as usize) < alphabet.len() {
                    alphabet[r as usize]
                } else {
                    b'x'
                });
            }
            cases.push(s);
        }
        cases
    }

    #[test]
    fn word_at_a_time_split_agrees_with_the_byte_loop() {
        // Over {a, `,`, LF, CR, `"`, 0xFF, 0x2C+0x80}.
        let cases = cases(&[b'a', b',', b'\n', b'\r', b'"', 0xFF, 0xAC]);
        for case in &cases {
            let mut ends = Vec::new();
            let got = split_plain_line::<b','>(case, &mut ends);
            match split_naive(case) {
                Some((want_ends, len, consumed)) => {
                    assert_eq!(got, Some((len, consumed)), "{case:?}");
                    assert_eq!(ends, want_ends, "{case:?}");
                }
                None => assert_eq!(got, None, "{case:?}"),
            }
        }
    }

    /// RFC 4180, a byte at a time: the record at the start of `rest` as its fields and the
    /// bytes it takes, when it is well formed and no quoted field needs unquoting (what
    /// `split_quoted_line` must agree with).
    fn quoted_naive(rest: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
        let mut fields = Vec::new();
        let mut i = 0;
        loop {
            let mut f = Vec::new();
            if rest.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    match rest.get(i) {
                        None | Some(b',' | b'\n' | b'\r') => return None,
                        Some(b'"') if rest.get(i + 1) == Some(&b'"') => return None,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            f.push(c);
                            i += 1;
                        }
                    }
                }
            } else {
                while let Some(&c) = rest.get(i) {
                    if matches!(c, b',' | b'\n' | b'\r' | b'"') {
                        break;
                    }
                    f.push(c);
                    i += 1;
                }
            }
            fields.push(f);
            match rest.get(i) {
                None => return Some((fields, i)),
                Some(b',') => i += 1,
                Some(b'\n') => return Some((fields, i + 1)),
                Some(b'\r') if rest.get(i + 1) == Some(&b'\n') => return Some((fields, i + 2)),
                _ => return None,
            }
        }
    }

    /// The quick split of `case` agrees with the byte-at-a-time reference, and the tokenizer
    /// reads the same record whichever path takes it.
    fn check_quoted_split(case: &[u8]) {
        let shown = String::from_utf8_lossy(case);
        let mut ends = Vec::new();
        let got = split_quoted_line::<b','>(case, &mut ends).map(|n| {
            let fields: Vec<Vec<u8>> = (0..ends.len())
                .map(|i| crate::cohort::quoted::field(case, &ends, i).to_vec())
                .collect();
            (fields, n)
        });
        assert_eq!(got, quoted_naive(case), "{shown:?}");
        if let Some((fields, n)) = got {
            let mut tok = Tokenizer::new(case, 1);
            let mut rec = Record::default();
            assert!(tok.next_record(&mut rec), "{shown:?}");
            let read: Vec<Vec<u8>> = (0..rec.len()).map(|i| rec.get(i).to_vec()).collect();
            assert_eq!(
                (read, tok.offset(), rec.malformed()),
                (fields, n, None),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn quoted_split_agrees_with_the_byte_loop_and_the_tokenizer() {
        for case in cases(&[b'a', b',', b'\n', b'\r', b'"', b'"', 0xFF]) {
            if !matches!(case.first(), None | Some(b'\n' | b'\r')) {
                check_quoted_split(&case);
            }
        }
    }

    /// Records of many fields over several 64-byte blocks (the quick split's carries across
    /// blocks: inside quotes, a separator ending a block), quoted and not, with one fault
    /// planted in some: both splits and the tokenizer agree on each.
    #[test]
    fn long_quoted_records_agree_with_the_byte_loop_and_the_tokenizer() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let faults: [&[u8]; 8] = [b"\"\"", b"\r", b"\"", b",", b"\n", b"x\"", b"\r\n", b""];
        for _ in 0..30_000 {
            let mut rec = Vec::new();
            let fields = 1 + next(40);
            for f in 0..fields {
                if f > 0 {
                    rec.push(b',');
                }
                let long = next(8) == 0;
                let len = next(if long { 90 } else { 9 }) as usize;
                let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                if next(2) == 0 {
                    rec.push(b'"');
                    rec.extend_from_slice(&text);
                    rec.push(b'"');
                } else {
                    rec.extend_from_slice(&text);
                }
            }
            if next(3) == 0 {
                let fault = faults[next(faults.len() as u64) as usize];
                let at = next(rec.len() as u64 + 1) as usize;
                rec.splice(at..at, fault.iter().copied());
            }
            match next(3) {
                0 => rec.extend_from_slice(b"\r\n\"next\",line\r\n"),
                1 => rec.extend_from_slice(b"\nnext,\"line\"\n"),
                _ => {}
            }
            if !matches!(rec.first(), None | Some(b'\n' | b'\r')) {
                check_quoted_split(&rec);
            }
        }
    }

    #[test]
    fn short_text_equality_and_trimming() {
        let texts = [
            "",
            "a",
            "P0000001",
            "P0000002",
            "P00000011",
            "P0000001 ",
            "T08",
            "T09",
            "ééé",
            "a-long-therapist-name-well-past-eight-bytes",
            "a-long-therapist-name-well-past-eight-bytez",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
        // Every length up to 20, with one byte changed at every position.
        for len in 0..=20usize {
            let a: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            assert!(same_text(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone().into_bytes();
                b[at] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!same_text(&a, &b), "{a:?} {b:?}");
            }
        }
        let long = "x".repeat(100);
        assert!(same_text(&long, &long.clone()));
        assert!(!same_text(&long, &"x".repeat(99)));
        for (raw, want) in [
            ("", ""),
            ("a", "a"),
            (" a", "a"),
            ("a\t", "a"),
            (" \t a b \t", "a b"),
            ("   ", ""),
            ("\t", ""),
        ] {
            assert_eq!(trim(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn empty_fields_and_no_final_newline() {
        let r = records("a,,\n,");
        assert_eq!(r[0].1, ["a", "", ""]);
        assert_eq!(r[1].1, ["", ""]);
        assert_eq!(r[1].0, 2);
    }

    #[test]
    fn lone_cr_is_a_line_end_everywhere() {
        let r = records("a,b\rc,d\r\re,f\r\ng,h");
        let lines: Vec<u64> = r.iter().map(|x| x.0).collect();
        assert_eq!(lines, [1, 2, 4, 5]);
        assert_eq!(r[1].1, ["c", "d"]);
    }

    #[test]
    fn malformed_quotes_are_reported() {
        let r = records("\"ab\"c,d\n");
        assert!(r[0].2.is_some());
        let r = records("x,\"never closed\n");
        assert!(r[0].2.unwrap().contains("never closed"));
    }

    #[test]
    fn header_and_bom() {
        let s = CsvSource::new(b"\xEF\xBB\xBF participant_id ,arm\r\nP1,control\r\n");
        assert_eq!(s.header(), ["participant_id", "arm"]);
        let chunks = s.chunks(4, 2);
        assert_eq!(chunks.parts.len(), 1);
        assert_eq!(chunks.parts[0].first_line, 2);
        assert!(!chunks.plain);
        assert!(CsvSource::new(b"").header().is_empty());
    }

    #[test]
    fn bodies_are_split_only_where_line_ends_are_certain() {
        // 3 MB of lines, then what the last line holds.
        let body = "a,b\n".repeat(750_000);
        for (last, ending, split, plain) in [
            ("c,d\n", "\n", true, true),
            ("c,\"d\"\n", "\n", true, false),
            ("c,d\r\n", "\r\n", true, false),
            ("c,d\rx,y\n", "\n", false, false),
            ("c,d\r", "\n", false, false),
        ] {
            let text = format!("h1,h2{ending}{}{last}", body.replace('\n', ending));
            let s = CsvSource::new(text.as_bytes());
            for threads in [1, 2] {
                let chunks = s.chunks(3, threads);
                assert_eq!(chunks.parts.len() > 1, split, "{last:?} {ending:?}");
                assert_eq!(chunks.plain, plain, "{last:?} {ending:?}");
                let lfs: usize = chunks.parts.iter().map(|p| p.lfs).sum();
                assert_eq!(lfs, text.matches('\n').count() - 1);
                let mut line = 2;
                for part in chunks.parts {
                    assert_eq!(part.first_line, line);
                    assert!(part.utf8);
                    line += part.lfs as u64;
                    assert!(part.bytes.ends_with(b"\n") || !split);
                }
            }
        }
    }

    #[test]
    fn quoted_files_are_split_and_read_again_when_a_cut_falls_inside_quotes() {
        // Quoted cells (some with a comma or a doubled quote) on CRLF lines; in the second
        // body every third record spans two lines, so cuts may fall inside quotes.
        for spanning in [false, true] {
            let mut text = String::from("\u{feff}\"id\",\"v\"\r\n");
            for i in 0..300_000 {
                match (spanning, i % 3) {
                    (true, 0) => text.push_str(&format!("\"P{i}\",\"a\r\nb\"\r\n")),
                    (_, 1) => text.push_str(&format!("\"P{i}\",\"x, \"\"y\"\"\"\r\n")),
                    _ => text.push_str(&format!("\"P{i}\",{i}\r\n")),
                }
            }
            let s = CsvSource::new(text.as_bytes());
            assert!(s.chunks(3, 2).parts.len() > 1 && s.chunks(3, 2).quoted);
            let read = |threads: usize| {
                let states = process_lines(
                    &s,
                    Split {
                        threads,
                        chunks_per_thread: 2,
                    },
                    Vec::new,
                    None::<fn(&mut Vec<(u64, Vec<Vec<u8>>)>, &Line<'_>) -> Option<usize>>,
                    // (A chunk cut inside quotes reads malformed records; they are
                    // thrown away with it, so the check is on the final records below.)
                    |v: &mut Vec<(u64, Vec<Vec<u8>>)>, r| {
                        let mut fields: Vec<Vec<u8>> =
                            (0..r.len()).map(|i| r.get(i).to_vec()).collect();
                        if r.malformed().is_some() {
                            fields.push(b"MALFORMED".to_vec());
                        }
                        v.push((r.line(), fields))
                    },
                );
                (
                    states.len(),
                    states.into_iter().flatten().collect::<Vec<_>>(),
                )
            };
            let (one_chunk, want) = read(1);
            assert_eq!(one_chunk, 1);
            assert_eq!(want.len(), 300_000);
            assert!(
                want.iter().all(|(_, f)| f.len() == 2),
                "no malformed record"
            );
            assert_eq!(want[1].1, [b"P1".to_vec(), b"x, \"y\"".to_vec()]);
            for threads in [2, 3] {
                let (chunks, got) = read(threads);
                // Read in pieces (unless a cut fell inside quotes: then as one).
                assert!(chunks > 1 || spanning, "{threads} threads");
                assert_eq!(got, want, "{threads} threads, spanning {spanning}");
            }
        }
    }

    /// The one-pass scan agrees with whole-slice checks, also where a multi-byte character,
    /// a CRLF or a quote sits across a 64 KiB block boundary.
    #[test]
    fn the_block_scan_matches_whole_slice_checks() {
        let block = 64 * 1024;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for at in [block - 3, block - 2, block - 1, block, 2 * block - 1] {
            for insert in [
                "é".as_bytes(),
                "€".as_bytes(),
                "😀".as_bytes(),
                b"\r\n",
                b"\r",
                b"\"",
                b"\xff",
                b"\xe2\x82",
            ] {
                let mut bytes = b"a,b\n".repeat(3 * block / 4);
                bytes.splice(at..at, insert.iter().copied());
                cases.push(bytes);
            }
        }
        // An incomplete sequence at the very end, and an empty part.
        cases.push([b"a\n".repeat(block).as_slice(), b"\xe2\x82"].concat());
        cases.push(Vec::new());
        for bytes in cases {
            let s = scan(&bytes);
            let crs: Vec<usize> = memchr::memchr_iter(b'\r', &bytes).collect();
            assert_eq!(s.lfs, bytes.iter().filter(|&&b| b == b'\n').count());
            assert_eq!(s.quote, bytes.contains(&b'"'));
            assert_eq!(s.cr, !crs.is_empty());
            assert_eq!(
                s.lone_cr,
                crs.iter().any(|&k| bytes.get(k + 1) != Some(&b'\n'))
            );
            assert_eq!(
                s.utf8,
                std::str::from_utf8(&bytes).is_ok(),
                "{:?}",
                &bytes[..8.min(bytes.len())]
            );
        }
    }

    #[test]
    fn chunking_keeps_lines_and_order() {
        let mut text = String::from("h\n");
        for i in 0..600_000 {
            text.push_str(&format!("{i}\n"));
        }
        let s = CsvSource::new(text.as_bytes());
        // 3.9 MB, so at most three chunks of at least 1 MiB: three for three threads, three
        // for two threads each taking the next chunk when done (so one reads two), one for
        // one thread.
        assert_eq!(text.len() >> 20, 3);
        for (threads, chunks_per_thread, chunks) in [(3, 1, 3), (2, 2, 3), (1, 4, 1)] {
            let states = process_lines(
                &s,
                Split {
                    threads,
                    chunks_per_thread,
                },
                Vec::new,
                None::<fn(&mut Vec<(u64, Vec<u8>)>, &Line<'_>) -> Option<usize>>,
                |v: &mut Vec<(u64, Vec<u8>)>, r| v.push((r.line(), r.get(0).to_vec())),
            );
            assert_eq!(states.len(), chunks);
            let all: Vec<_> = states.into_iter().flatten().collect();
            assert_eq!(all.len(), 600_000);
            for (i, (line, v)) in all.iter().enumerate() {
                assert_eq!(*line, i as u64 + 2);
                assert_eq!(v, i.to_string().as_bytes());
            }
        }
    }
}

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
//! of threads.

use std::ops::Range;

/// One record: its fields (already unquoted) and the line where it starts. A record without
/// quotes borrows its line from the input (`ends` are the comma positions in it); a quoted
/// record is unquoted into `buf`.
#[derive(Debug, Default, Clone)]
pub struct Record<'a> {
    src: &'a [u8],
    owned: bool,
    buf: Vec<u8>,
    ends: Vec<usize>,
    line: u64,
    malformed: Option<&'static str>,
    rows_hint: usize,
}

impl<'a> Record<'a> {
    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// True when the record has no fields (never returned by the tokenizer).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Field `i` as raw bytes.
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        if self.owned {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.buf[start..self.ends[i]]
        } else {
            let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
            &self.src[start..self.ends[i]]
        }
    }
    /// 1-based physical line where the record starts.
    pub fn line(&self) -> u64 {
        self.line
    }
    /// An upper bound on the records left in the chunk this record came from (its line
    /// count), for reserving memory once.
    pub fn rows_hint(&self) -> usize {
        self.rows_hint
    }
    /// Why the record's quoting is malformed, if it is.
    pub fn malformed(&self) -> Option<&'static str> {
        self.malformed
    }
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.malformed = None;
        self.owned = true;
    }
}

/// Reads records from a byte slice.
pub struct Tokenizer<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> Tokenizer<'a> {
    /// A tokenizer over `data`, whose first byte is on physical line `first_line`.
    pub fn new(data: &'a [u8], first_line: u64) -> Tokenizer<'a> {
        Tokenizer {
            data,
            pos: 0,
            line: first_line,
        }
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
        let stop = memchr::memchr3(b'\n', b'\r', b'"', rest);
        let fast = match stop {
            None => Some((rest.len(), rest.len())),
            Some(k) if rest[k] == b'\n' => Some((k, k + 1)),
            Some(k) if rest[k] == b'\r' && rest.get(k + 1) == Some(&b'\n') => Some((k, k + 2)),
            Some(_) => None,
        };
        if let Some((content_len, consumed)) = fast {
            let content = &rest[..content_len];
            rec.src = content;
            rec.owned = false;
            rec.ends.extend(memchr::memchr_iter(b',', content));
            rec.ends.push(content.len());
            self.pos += consumed;
            self.line += u64::from(consumed > content_len);
            return true;
        }
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
                    if matches!(c, b',' | b'\n' | b'\r') {
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
                    .position(|&c| matches!(c, b',' | b'\n' | b'\r'))
                    .unwrap_or(rest.len());
                rec.buf.extend_from_slice(&rest[..k]);
                self.pos += k;
            }
            rec.ends.push(rec.buf.len());
            match d.get(self.pos) {
                Some(b',') => self.pos += 1,
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

/// A CSV file in memory with its header read.
#[derive(Debug)]
pub struct CsvSource<'a> {
    bytes: &'a [u8],
    utf8: bool,
    body: Range<usize>,
    body_line: u64,
    header_line: u64,
    header: Vec<String>,
    header_problem: Option<&'static str>,
}

impl<'a> CsvSource<'a> {
    /// Reads the header of `bytes` (BOM stripped). An empty file has an empty header.
    pub fn new(bytes: &'a [u8]) -> CsvSource<'a> {
        let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut tok = Tokenizer::new(&bytes[start..], 1);
        let mut rec = Record::default();
        let mut header = Vec::new();
        let mut header_problem = None;
        let mut header_line = 1;
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
            utf8: std::str::from_utf8(&bytes[body.clone()]).is_ok(),
            body,
            body_line,
            header_line,
            header,
            header_problem,
        }
    }

    /// Column names as written (trimmed); empty for an empty file.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// True when the whole body is valid UTF-8, so every field (split at ASCII separators)
    /// is too and need not be checked again.
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// Line of the header (1 unless blank lines precede it; 1 for an empty file).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// A problem with the header line itself (malformed quoting, bad UTF-8).
    pub fn header_problem(&self) -> Option<&'static str> {
        self.header_problem
    }

    /// Splits the body into chunks that start at record boundaries, each with its first
    /// line number. Only a body without any `"` is split (a quote could hide a line end);
    /// otherwise there is one chunk.
    pub fn chunks(&self, wanted: usize) -> Vec<(&'a [u8], u64)> {
        let body = &self.bytes[self.body.clone()];
        const MIN_CHUNK: usize = 1 << 20;
        // Split only where a line end is certain: no quote anywhere, and every CR part of a
        // CRLF (a lone CR is a line end the newline count below would miss).
        let lone_cr = || memchr::memchr_iter(b'\r', body).any(|k| body.get(k + 1) != Some(&b'\n'));
        if wanted <= 1
            || body.len() < 2 * MIN_CHUNK
            || memchr::memchr(b'"', body).is_some()
            || lone_cr()
        {
            return vec![(body, self.body_line)];
        }
        let wanted = wanted.min(body.len() / MIN_CHUNK);
        let target = body.len() / wanted;
        let mut out = Vec::with_capacity(wanted);
        let mut start = 0;
        let mut line = self.body_line;
        while start < body.len() {
            let tentative = (start + target).min(body.len());
            let end = if out.len() + 1 == wanted || tentative >= body.len() {
                body.len()
            } else {
                match memchr::memchr(b'\n', &body[tentative..]) {
                    Some(k) => tentative + k + 1,
                    None => body.len(),
                }
            };
            let chunk = &body[start..end];
            out.push((chunk, line));
            line += memchr::memchr_iter(b'\n', chunk).count() as u64;
            start = end;
        }
        out
    }
}

/// Trims the spaces and tabs around a cell.
#[inline]
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
    // Both cut points sit next to an ASCII byte (or at an end), so they are char boundaries.
    s.get(start..end).unwrap_or("")
}

/// Processes every record of `source` with one state per chunk, on up to `threads` threads;
/// the states come back in file order.
pub fn process<S, F, M>(source: &CsvSource<'_>, threads: usize, make: M, each: F) -> Vec<S>
where
    S: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, &Record<'_>) + Sync,
{
    let chunks = source.chunks(threads);
    let run = |(data, line): (&[u8], u64)| {
        let mut state = make();
        let mut tok = Tokenizer::new(data, line);
        let mut rec = Record {
            rows_hint: memchr::memchr_iter(b'\n', data).count() + 1,
            ..Record::default()
        };
        while tok.next_record(&mut rec) {
            each(&mut state, &rec);
        }
        state
    };
    if chunks.len() == 1 {
        return chunks.into_iter().map(run).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || run(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Joins vectors in order, growing the first one (a large `realloc` remaps its pages rather
/// than copying them) so only the later parts are copied.
pub fn concat<T>(parts: Vec<Vec<T>>) -> Vec<T> {
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut parts = parts.into_iter();
    let mut out = parts.next().unwrap_or_default();
    out.reserve_exact(total - out.len());
    for part in parts {
        out.extend(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let chunks = s.chunks(4);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].1, 2);
        assert!(CsvSource::new(b"").header().is_empty());
    }

    #[test]
    fn chunking_keeps_lines_and_order() {
        let mut text = String::from("h\n");
        for i in 0..600_000 {
            text.push_str(&format!("{i}\n"));
        }
        let s = CsvSource::new(text.as_bytes());
        let states = process(&s, 3, Vec::new, |v: &mut Vec<(u64, Vec<u8>)>, r| {
            v.push((r.line(), r.get(0).to_vec()))
        });
        assert!(states.len() > 1);
        let all: Vec<_> = states.into_iter().flatten().collect();
        assert_eq!(all.len(), 600_000);
        for (i, (line, v)) in all.iter().enumerate() {
            assert_eq!(*line, i as u64 + 2);
            assert_eq!(v, i.to_string().as_bytes());
        }
    }
}

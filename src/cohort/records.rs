//! Contract tables translated from another source (a CSV dialect, a workbook, Parquet, a
//! REDCap export), held as **records** rather than as CSV text: each record's fields as
//! unquoted bytes, back to back, with the record's source location (physical line, sheet row
//! or row number) beside it.
//!
//! The contract's readers take such a table through [`crate::cohort::csvfile::CsvSource`]
//! exactly as they take a CSV file (the same fast and full checks, on the same threads), but
//! nothing is quoted, padded to its line or tokenized again: until 2026-12-07 every source was
//! written out as CSV and parsed a second time, which made `analyze` from Parquet 3.6x and
//! from REDCap 4.2x slower than from the same cohort as CSV (benches/README.md). A table is a
//! list of [`RecordBlock`]s so that a reader may translate parts of a source on several
//! threads and hand the parts over without joining them; they are read in order.

use std::ops::Range;

/// A row rejected by a translation before the contract's checks saw it (the REDCap
/// translator's and every [`crate::cohort::source`] reader's: one type, so nothing is copied
/// field by field between them).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct TranslationRejection {
    /// Source location: line, sheet row or row number (for a REDCap export, the physical line
    /// where the record starts).
    pub location: u64,
    /// The participant id of the row, when known (a rejected participant takes their sessions
    /// and scores with them); empty when the row has none.
    pub id: String,
    /// The contract column concerned, empty for the whole row.
    pub column: String,
    /// The value as read (trimmed).
    pub value: String,
    /// The reason and the fix.
    pub reason: String,
}

/// Records of one part of a table, in source order.
#[derive(Clone, Debug, Default)]
pub struct RecordBlock {
    /// Every field's bytes, back to back.
    bytes: Vec<u8>,
    /// End of each field in `bytes` (a block holds at most [`RecordBlock::FULL`] bytes).
    ends: Vec<u32>,
    /// Index in `ends` of each record's first field.
    starts: Vec<u32>,
    /// Source location of each record.
    lines: Vec<u64>,
}

/// Appends `field` to `bytes`. A field of 4 to 16 bytes (nearly every translated value: ids,
/// dates, labels, numbers) is copied by two overlapping fixed-size copies instead of a call
/// to `memcpy`, whose call cost was most of the 4% of a REDCap `analyze` and the 7% of a
/// Parquet one spent in `memmove` (perf profiles of 2026-12-07).
#[inline(always)]
pub fn append(bytes: &mut Vec<u8>, field: &[u8]) {
    let n = field.len();
    let at = bytes.len();
    match n {
        0..=3 => {
            for &b in field {
                bytes.push(b);
            }
        }
        // With 16 bytes of room already (never growing the buffer early for the trick).
        4..=16 if bytes.capacity() - at >= 16 => {
            // Room for 16 bytes, the field's head and tail written over it, the rest cut off.
            bytes.extend_from_slice(&[0; 16]);
            if n >= 8 {
                bytes[at..at + 8].copy_from_slice(&field[..8]);
                bytes[at + n - 8..at + n].copy_from_slice(&field[n - 8..]);
            } else {
                bytes[at..at + 4].copy_from_slice(&field[..4]);
                bytes[at + n - 4..at + n].copy_from_slice(&field[n - 4..]);
            }
            bytes.truncate(at + n);
        }
        _ => bytes.extend_from_slice(field),
    }
}

/// The end of the field just written to `bytes`, the bytes cut so that it fits in the 32 bits
/// of a field end. A block is started below [`RecordBlock::FULL`] (2 GiB), so only a record of
/// over 2 GiB is cut: possible only in a source of more than 2 GiB whose cells are far over
/// `MAX_CELL_BYTES`, which the checks reject whatever their length (the ledger then gives the
/// cut length). Without the cut the end wrapped round, and reading the record panicked.
#[inline(always)]
fn field_end(bytes: &mut Vec<u8>) -> u32 {
    cut_to(bytes, u32::MAX)
}

/// `bytes.len()` as a `u32` of at most `limit`, the bytes past `limit` cut off.
#[inline(always)]
fn cut_to(bytes: &mut Vec<u8>, limit: u32) -> u32 {
    match u32::try_from(bytes.len()) {
        Ok(end) if end <= limit => end,
        _ => {
            bytes.truncate(limit as usize);
            limit
        }
    }
}

impl RecordBlock {
    /// Bytes, or fields, past which a writer starts a new block (field ends and record
    /// starts are 32-bit; empty fields add fields without bytes).
    pub const FULL: usize = 1 << 31;

    /// True when the block holds [`RecordBlock::FULL`] bytes or fields or more: its writer
    /// starts a new one before the next record.
    pub fn is_full(&self) -> bool {
        self.bytes.len() >= Self::FULL || self.ends.len() >= Self::FULL
    }

    /// Reserves room for about `records` more records of `fields` fields and `bytes` bytes
    /// in all (nothing when there is room already).
    pub fn reserve(&mut self, records: usize, fields: usize, bytes: usize) {
        self.bytes.reserve(bytes);
        self.ends.reserve(fields);
        self.starts.reserve(records);
        self.lines.reserve(records);
    }

    /// Starts the record of the source row at `location`.
    #[inline]
    pub fn start(&mut self, location: u64) {
        self.starts.push(self.ends.len() as u32);
        self.lines.push(location);
    }

    /// Appends a field to the open record.
    #[inline(always)]
    pub fn push(&mut self, field: &[u8]) {
        append(&mut self.bytes, field);
        self.end();
    }

    /// The bytes of the field being written: append to them, then call [`RecordBlock::end`].
    #[inline]
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Ends the field written through [`RecordBlock::buffer`].
    #[inline]
    pub fn end(&mut self) {
        let end = field_end(&mut self.bytes);
        self.ends.push(end);
    }

    /// Moves every record's location on by `by` (a part numbered from 0 placed in its file).
    pub fn shift_lines(&mut self, by: u64) {
        for line in &mut self.lines {
            *line += by;
        }
    }

    /// Drops the open record (a row a translator rejects after writing some of its fields).
    pub fn cancel(&mut self) {
        if let Some(first) = self.starts.pop() {
            let first = first as usize;
            self.lines.pop();
            let from = if first == 0 { 0 } else { self.ends[first - 1] };
            self.ends.truncate(first);
            self.bytes.truncate(from as usize);
        }
    }

    /// Empties the block, keeping its memory for the next records.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.starts.clear();
        self.lines.clear();
    }

    /// Records in the block.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when the block holds no record.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The source location of each record.
    pub fn lines(&self) -> &[u64] {
        &self.lines
    }

    /// Record `i`: its location and the range of its fields in `ends`.
    fn fields(&self, i: usize) -> (u64, Range<usize>) {
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.ends.len(), |&s| s as usize);
        (self.lines[i], self.starts[i] as usize..end)
    }

    /// Record `i`'s fields.
    pub fn record(&self, i: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (_, fields) = self.fields(i);
        fields.map(move |k| {
            let from = if k == 0 { 0 } else { self.ends[k - 1] as usize };
            &self.bytes[from..self.ends[k] as usize]
        })
    }

    /// Record `i` as its location, its bytes, and the ends of its fields within them.
    #[inline]
    pub fn raw(&self, i: usize) -> (u64, &[u8], impl Iterator<Item = usize> + '_) {
        let (line, fields) = self.fields(i);
        let from = match fields.start {
            0 => 0,
            k => self.ends[k - 1] as usize,
        };
        let to = if fields.is_empty() {
            from
        } else {
            self.ends[fields.end - 1] as usize
        };
        let ends = self.ends[fields].iter().map(move |&e| e as usize - from);
        (line, &self.bytes[from..to], ends)
    }
}

/// Records written in source order as blocks: the full ones, then the one being written; a
/// new block is started when the current one is [full](RecordBlock::is_full). Every writer of
/// records (`source::TableBuilder`, the REDCap translator's parts) writes through one.
#[derive(Clone, Debug, Default)]
pub struct BlockWriter {
    done: Vec<RecordBlock>,
    block: RecordBlock,
}

impl BlockWriter {
    /// Reserves room for about `records` more records, `fields` fields and `bytes` bytes in
    /// the block being written.
    pub fn reserve(&mut self, records: usize, fields: usize, bytes: usize) {
        self.block.reserve(records, fields, bytes);
    }

    /// Starts the record of the source row at `location` and returns the block to write its
    /// fields into (a new one when the current one is full).
    #[inline]
    pub fn start(&mut self, location: u64) -> &mut RecordBlock {
        if self.block.is_full() {
            let full = std::mem::take(&mut self.block);
            self.done.push(full);
        }
        self.block.start(location);
        &mut self.block
    }

    /// The block being written (the open record's).
    #[inline]
    pub fn block(&mut self) -> &mut RecordBlock {
        &mut self.block
    }

    /// Moves every record's location on by `by` (a part numbered from 0 placed in its file).
    pub fn shift_lines(&mut self, by: u64) {
        for block in self.done.iter_mut().chain(std::iter::once(&mut self.block)) {
            block.shift_lines(by);
        }
    }

    /// Appends what `part` wrote, records of the source rows after this writer's.
    pub fn append(&mut self, part: BlockWriter) {
        if !self.block.is_empty() {
            self.done.push(std::mem::take(&mut self.block));
        }
        self.done.extend(part.done);
        self.block = part.block;
    }

    /// The blocks written, in order, without empty ones.
    pub fn into_blocks(mut self) -> Vec<RecordBlock> {
        self.done.push(self.block);
        self.done.retain(|b| !b.is_empty());
        self.done
    }
}

/// Records a source writes on demand, a run at a time, when a reader reaches them: a source
/// whose rows are already in memory in another form (Parquet's decoded columns) need not
/// hold its whole table a second time as records. A 1M-participant Parquet cohort held both
/// (2.1 GB at peak), and most of its `analyze` time went to the kernel zeroing that memory
/// (benches/README.md, "sources").
///
/// Writing a run must not reject rows: every row the source has is written. A part of the
/// source that turns out unreadable when its run is written (a damaged Parquet row group)
/// makes that run write nothing and is reported by [`RecordRuns::failure`], which whatever
/// read the table checks before using it (`Cohort::load`, `convert`).
pub trait RecordRuns: Send + Sync {
    /// Number of runs.
    fn runs(&self) -> usize;
    /// Records in run `k`.
    fn len(&self, k: usize) -> usize;
    /// Hands run `k`'s records to `each`, one at a time and in source order, as the
    /// record's location and its fields in the header's order; none when the run cannot be
    /// written (see [`RecordRuns::failure`]). The fields may be borrowed from wherever the
    /// source holds its values (Parquet's decoded strings): writing the runs as blocks of
    /// records and reading them back was a third of a 1M-participant Parquet `analyze`
    /// (benches/README.md, "sources").
    fn write(&self, k: usize, each: &mut dyn FnMut(u64, &[&str]));
    /// Why a run could not be written (a part of the source that turned out unreadable when
    /// it was reached), once runs were written: the records of that run are missing, so
    /// whatever read the table must fail with this reason rather than use it. The same
    /// reason whatever order the runs were written in.
    fn failure(&self) -> Option<String> {
        None
    }
    /// Work on the first runs that needs no reader (decoding the source's first part), done
    /// on a spare thread while another table is read; the records are the same without it.
    fn prefetch(&self) {}
}

/// [`RecordRuns`] shared by a table and its readers.
#[derive(Clone)]
pub struct LazyRecords(pub std::sync::Arc<dyn RecordRuns>);

impl LazyRecords {
    /// [`RecordRuns::failure`] of the runs.
    pub fn failure(&self) -> Option<String> {
        self.0.failure()
    }
}

impl std::fmt::Debug for LazyRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazyRecords({} runs)", self.0.runs())
    }
}

/// A contract table as records: the contract's column names, the source location of its
/// header, and its records in source order: blocks written already, then the runs written
/// when read.
#[derive(Clone, Debug, Default)]
pub struct RecordTable {
    /// Contract column names; none for a source that gave no table at all (the readers
    /// report it as an empty file).
    pub header: Vec<String>,
    /// Location of the header (0 for a source whose rows are numbered from 1 without one, as
    /// Parquet's are).
    pub header_line: u64,
    /// The records written.
    pub blocks: Vec<RecordBlock>,
    /// The records written on demand, after `blocks`.
    pub lazy: Option<LazyRecords>,
}

impl RecordTable {
    /// Records in all blocks and runs.
    pub fn len(&self) -> usize {
        let lazy = self
            .lazy
            .as_ref()
            .map_or(0, |l| (0..l.0.runs()).map(|k| l.0.len(k)).sum());
        self.blocks.iter().map(RecordBlock::len).sum::<usize>() + lazy
    }

    /// True when the table holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why a run read so far could not be written ([`RecordRuns::failure`]): the table is
    /// then incomplete, and whatever read it must fail.
    pub fn failure(&self) -> Option<String> {
        self.lazy.as_ref().and_then(LazyRecords::failure)
    }

    /// Calls `f` with every block of records in order, writing the runs one at a time (each
    /// into one block: for `convert` and the tests, not for the readers).
    pub fn each_block(&self, mut f: impl FnMut(&RecordBlock)) {
        self.blocks.iter().for_each(&mut f);
        if let Some(lazy) = &self.lazy {
            let mut block = RecordBlock::default();
            for k in 0..lazy.0.runs() {
                block.clear();
                lazy.0.write(k, &mut |line, fields| {
                    block.start(line);
                    for field in fields {
                        block.push(field.as_bytes());
                    }
                });
                if !block.is_empty() {
                    f(&block);
                }
            }
        }
    }

    /// Every record's location and fields, in order (for tests: the fields are copied).
    #[cfg(test)]
    pub fn records(&self) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut out = Vec::with_capacity(self.len());
        self.each_block(|b| {
            for i in 0..b.len() {
                out.push((b.lines[i], b.record(i).map(<[u8]>::to_vec).collect()));
            }
        });
        out
    }

    /// The table as contract CSV (`trialdose convert`): the header on its location's line and
    /// every record on its own, padded with blank lines (which are not rows), so that reading
    /// the file gives the same ledger at the same lines. A value holding a line break pushes
    /// the records after it down by as many lines. Cells are quoted when they hold a comma, a
    /// quote or a line break; a record of one empty cell is written `""` (a blank line would
    /// not be a row).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = CsvOut {
            out: Vec::with_capacity(self.blocks.iter().map(|b| b.bytes.len() * 11 / 10).sum()),
            line: self.header_line.min(1),
        };
        if self.header.is_empty() {
            return out.out;
        }
        out.pad_to(self.header_line);
        out.record(self.header.iter().map(|h| h.as_bytes()));
        self.each_block(|b| {
            for i in 0..b.len() {
                out.pad_to(b.lines[i]);
                out.record(b.record(i));
            }
        });
        out.out.push(b'\n');
        out.out
    }

    /// The table as compact CSV: the header, then each record on the next line, whatever
    /// its location (for the translators' tests); empty without columns.
    #[cfg(test)]
    pub fn to_compact_csv(&self) -> Vec<u8> {
        let mut out = CsvOut {
            out: Vec::new(),
            line: 0,
        };
        if self.header.is_empty() {
            return out.out;
        }
        out.record(self.header.iter().map(|h| h.as_bytes()));
        self.each_block(|b| {
            for i in 0..b.len() {
                out.out.push(b'\n');
                out.record(b.record(i));
            }
        });
        out.out.push(b'\n');
        out.out
    }
}

/// CSV text being written line by line.
struct CsvOut {
    out: Vec<u8>,
    /// The line being written.
    line: u64,
}

impl CsvOut {
    /// Ends the current line and writes blank lines up to `location` (when not past it).
    fn pad_to(&mut self, location: u64) {
        if !self.out.is_empty() {
            self.out.push(b'\n');
            self.line += 1;
        }
        if self.line < location {
            let blanks = (location - self.line) as usize;
            self.out.resize(self.out.len() + blanks, b'\n');
            self.line = location;
        }
    }

    fn record<'f>(&mut self, fields: impl Iterator<Item = &'f [u8]>) {
        let mut n = 0;
        let mut last_empty = false;
        for (i, f) in fields.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            n += 1;
            last_empty = f.is_empty();
            self.cell(f);
        }
        if n == 1 && last_empty {
            self.out.extend_from_slice(b"\"\"");
        }
    }

    fn cell(&mut self, value: &[u8]) {
        if memchr::memchr3(b',', b'"', b'\n', value).is_none()
            && memchr::memchr(b'\r', value).is_none()
        {
            self.out.extend_from_slice(value);
            return;
        }
        self.out.push(b'"');
        for &c in value {
            if c == b'"' {
                self.out.push(b'"');
            }
            self.line += u64::from(c == b'\n');
            self.out.push(c);
        }
        self.out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header_line: u64, rows: &[(u64, &[&str])]) -> RecordTable {
        let mut b = RecordBlock::default();
        for (line, fields) in rows {
            b.start(*line);
            for f in *fields {
                b.push(f.as_bytes());
            }
        }
        RecordTable {
            header: vec!["participant_id".into(), "site".into()],
            header_line,
            blocks: vec![b],
            lazy: None,
        }
    }

    #[test]
    fn a_record_past_four_gib_is_cut_instead_of_wrapping() {
        // `field_end` is `cut_to` at u32::MAX; the cut itself at a small limit.
        let mut bytes = vec![7u8; 30];
        assert_eq!(cut_to(&mut bytes, 20), 20);
        assert_eq!(bytes, vec![7u8; 20]);
        assert_eq!(cut_to(&mut bytes, 20), 20);
        let mut short = vec![1u8; 10];
        assert_eq!(cut_to(&mut short, 20), 10);
        assert_eq!(field_end(&mut short), 10);
        assert_eq!(short.len(), 10);
    }

    #[test]
    fn fields_of_every_length_are_appended_whole() {
        // Every length around the short paths' edges (3/4, 7/8, 16/17), after prefixes that
        // leave the buffer's spare room at every size, against `extend_from_slice`.
        let source: Vec<u8> = (0..40u8)
            .map(|b| b.wrapping_mul(37).wrapping_add(11))
            .collect();
        for prefix in 0..20 {
            for n in 0..=40 {
                let mut got: Vec<u8> = Vec::with_capacity(prefix + n / 2);
                got.extend_from_slice(&source[..prefix]);
                let mut want = got.clone();
                append(&mut got, &source[40 - n..]);
                want.extend_from_slice(&source[40 - n..]);
                assert_eq!(got, want, "prefix {prefix}, length {n}");
            }
        }
    }

    #[test]
    fn records_read_back_with_their_locations() {
        let t = table(1, &[(2, &["P1", ""]), (7, &["P,2", "x"])]);
        let got = t.records();
        assert_eq!(got[0], (2, vec![b"P1".to_vec(), vec![]]));
        assert_eq!(got[1], (7, vec![b"P,2".to_vec(), b"x".to_vec()]));
        let (line, bytes, ends) = t.blocks[0].raw(1);
        assert_eq!((line, bytes), (7, &b"P,2x"[..]));
        assert_eq!(ends.collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn csv_puts_every_record_on_its_line() {
        let t = table(3, &[(4, &["P1", "0"]), (7, &["P,2", "5"])]);
        assert_eq!(
            String::from_utf8(t.to_csv()).unwrap(),
            "\n\nparticipant_id,site\nP1,0\n\n\n\"P,2\",5\n"
        );
        // A header at location 0 (Parquet) starts the file.
        let t = table(0, &[(1, &["P1", "a\nb"]), (2, &["P2", ""])]);
        assert_eq!(
            String::from_utf8(t.to_csv()).unwrap(),
            "participant_id,site\nP1,\"a\nb\"\nP2,\n"
        );
    }

    #[test]
    fn a_cancelled_record_leaves_no_trace() {
        let mut a = RecordBlock::default();
        a.start(1);
        a.push(b"P1");
        a.start(2);
        a.push(b"P2");
        a.cancel();
        a.start(5);
        a.buffer().extend_from_slice(b"P5");
        a.end();
        assert_eq!(a.lines(), &[1, 5]);
        assert_eq!(a.record(1).collect::<Vec<_>>(), vec![&b"P5"[..]]);
        assert_eq!(a.raw(1).1, b"P5");
    }

    /// Runs of `per_run` records `P<row>,<row * 2>` at rows 1 to `rows`.
    struct Numbered {
        rows: usize,
        per_run: usize,
    }

    impl RecordRuns for Numbered {
        fn runs(&self) -> usize {
            self.rows.div_ceil(self.per_run)
        }
        fn len(&self, k: usize) -> usize {
            self.per_run.min(self.rows - k * self.per_run)
        }
        fn write(&self, k: usize, each: &mut dyn FnMut(u64, &[&str])) {
            for row in k * self.per_run + 1..=k * self.per_run + self.len(k) {
                each(row as u64, &[&format!("P{row}"), &(row * 2).to_string()]);
            }
        }
    }

    #[test]
    fn runs_written_on_demand_read_as_blocks_written_at_once() {
        let rows: Vec<(u64, Vec<String>)> = (1..=10)
            .map(|r| (r as u64, vec![format!("P{r}"), (r * 2).to_string()]))
            .collect();
        let cells: Vec<Vec<&str>> = rows
            .iter()
            .map(|(_, f)| f.iter().map(String::as_str).collect())
            .collect();
        let eager_rows: Vec<(u64, &[&str])> = rows
            .iter()
            .zip(&cells)
            .map(|((l, _), c)| (*l, &c[..]))
            .collect();
        let eager = table(0, &eager_rows);
        let lazy = RecordTable {
            header: eager.header.clone(),
            header_line: 0,
            blocks: Vec::new(),
            lazy: Some(LazyRecords(std::sync::Arc::new(Numbered {
                rows: 10,
                per_run: 4,
            }))),
        };
        assert_eq!((lazy.len(), lazy.lazy.as_ref().unwrap().0.runs()), (10, 3));
        assert_eq!(lazy.records(), eager.records());
        assert_eq!(lazy.to_csv(), eager.to_csv());
        assert_eq!(lazy.to_compact_csv(), eager.to_compact_csv());
    }
}

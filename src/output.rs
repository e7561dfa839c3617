//! Writers: atomic files, CSV with typed cells, and number formatting.
//!
//! Every output is written to a temporary file in the destination folder and renamed into
//! place, so an interrupted run never leaves a half-written file that looks complete. CSV text
//! cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! CR) are prefixed with `'`; numeric cells are written as plain numbers, never neutralised.
//! Floats are written as the shortest decimal that reads back to the same value, without an
//! exponent, so outputs are byte-identical across runs and machines.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::cohort::value::Decimal;

/// An output could not be written.
#[derive(Debug, Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct OutputError {
    /// The path.
    pub path: PathBuf,
    /// The I/O error.
    pub source: io::Error,
}

impl OutputError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
        move |source| OutputError {
            path: path.to_owned(),
            source,
        }
    }
}

/// Creates `dir` if needed and proves a file can be created in it, before any work is done.
pub fn ensure_writable_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(OutputError::at(dir))?;
    let probe = dir.join(format!(".trialdose-probe-{}", std::process::id()));
    File::create(&probe).map_err(OutputError::at(dir))?;
    std::fs::remove_file(&probe).map_err(OutputError::at(dir))
}

/// A file written under a temporary name and renamed into place by [`AtomicFile::commit`].
/// Dropped without a commit, the temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
    /// Bytes handed to the writer so far.
    written: u64,
    /// Bytes whose write-out to disk has been started (see [`AtomicFile::start_writeback`]).
    started: u64,
}

impl AtomicFile {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<AtomicFile, OutputError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_owned());
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(OutputError::at(&tmp))?;
        Ok(AtomicFile {
            path: path.to_owned(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            written: 0,
            started: 0,
        })
    }

    /// Bytes between two starts of write-out.
    const WRITEBACK_STEP: u64 = 8 << 20;

    /// Counts `n` more bytes and, every [`Self::WRITEBACK_STEP`] bytes, asks the kernel to
    /// start writing what has reached the file to disk. A large output (participants.csv of
    /// a million participants is about 90 MB) then goes to disk while it is still being
    /// formatted, and the `fsync` of [`AtomicFile::commit`] waits for its tail only instead
    /// of all of it. Only a hint: where unsupported it does nothing, and the `fsync` still
    /// makes the file durable before it is renamed into place.
    fn start_writeback(&mut self, n: usize) {
        self.written += n as u64;
        if self.written - self.started < Self::WRITEBACK_STEP {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some(w) = &self.writer {
            use std::os::fd::AsRawFd;
            let in_file = self.written - w.buffer().len() as u64;
            let (Ok(offset), Ok(len)) = (
                libc::off64_t::try_from(self.started),
                libc::off64_t::try_from(in_file.saturating_sub(self.started)),
            ) else {
                return;
            };
            // SAFETY: a plain system call on the file this writer owns; it reads no memory of
            // this process. Its result is ignored on purpose (a hint, see above).
            unsafe {
                libc::sync_file_range(
                    w.get_ref().as_raw_fd(),
                    offset,
                    len,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
            self.started = in_file;
        }
    }

    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames into place; on failure the temporary file is removed.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        let result = (|| {
            let file = writer
                .into_inner()
                .map_err(|e| OutputError::at(&self.path)(e.into_error()))?;
            file.sync_all().map_err(OutputError::at(&self.path))?;
            drop(file);
            // A large file from an earlier run is freed by the rename that replaces it, which
            // for ~90 MB takes tens of milliseconds; holding it open moves that work to the
            // moment it is closed, on a thread of its own (the exit closes it at the latest).
            let earlier = File::open(&self.path)
                .ok()
                .filter(|f| f.metadata().is_ok_and(|m| m.len() >= Self::WRITEBACK_STEP));
            std::fs::rename(&self.tmp, &self.path).map_err(OutputError::at(&self.path))?;
            if let Some(earlier) = earlier {
                std::thread::spawn(move || drop(earlier));
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.writer {
            Some(w) => w.write(buf)?,
            None => return Err(io::Error::other("file already committed")),
        };
        self.start_writeback(n);
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.write_all(buf)?,
            None => return Err(io::Error::other("file already committed")),
        }
        self.start_writeback(buf.len());
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `path` atomically with `fill`, which streams the content.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), OutputError> {
    let mut f = AtomicFile::create(path)?;
    fill(&mut f).map_err(OutputError::at(path))?;
    f.commit()
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_with(path, |w| w.write_all(bytes))
}

/// One CSV cell, typed so that text is neutralised and numbers are not.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    /// Free text (neutralised against formula injection, quoted when needed).
    Text(&'a str),
    /// A float; empty when `None`.
    Float(Option<f64>),
    /// A count; empty when `None`.
    Int(Option<u64>),
    /// An exact decimal; empty when `None`.
    Dec(Option<Decimal>),
    /// `true`/`false`; empty when `None`.
    Bool(Option<bool>),
}

/// Appends the shortest round-trip decimal of `v` (no exponent; `-0` becomes `0`).
pub fn push_float(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    if !v.is_finite() {
        return;
    }
    let v = if v == 0.0 { 0.0 } else { v };
    // ryu gives the same shortest digits as `Display`, faster, but switches to an exponent
    // outside [1e-5, 1e16) and writes whole numbers as `480.0`; those cases use `Display`.
    let mut buf = ryu::Buffer::new();
    let fast = buf.format_finite(v);
    if fast.contains('e') {
        let _ = write!(out, "{v}");
    } else {
        out.push_str(fast.strip_suffix(".0").unwrap_or(fast));
    }
}

/// Lowercase hexadecimal of `bytes` (SHA-256 digests, pseudonyms).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Formats a float for a human table with `digits` decimals (`-` when missing).
pub fn fixed(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.*}", digits, if x == 0.0 { 0.0 } else { x }),
        _ => "-".to_owned(),
    }
}

/// Returns `text` made safe for a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or CR gets a
/// `'` in front.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

fn push_text(out: &mut String, text: &str) {
    // Most cells are plain: no formula start, nothing to quote.
    let plain = !matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    ) && !text
        .bytes()
        .any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
    if plain {
        out.push_str(text);
        return;
    }
    let safe = neutralise(text);
    if safe.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&safe.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&safe);
    }
}

/// Floats already formatted, remembered by their bits (direct-mapped, 4096 slots): a large
/// table repeats few values (an adherence is attended / planned sessions; a pain change is
/// tenths on a 0-10 scale), and formatting the shortest round-trip text is the costly part.
#[derive(Clone, Debug)]
pub struct FloatMemo {
    slots: Vec<Option<(u64, String)>>,
}

impl Default for FloatMemo {
    fn default() -> Self {
        FloatMemo {
            slots: vec![None; 4096],
        }
    }
}

impl FloatMemo {
    /// Appends `v` as [`push_float`] does.
    #[inline]
    pub fn push(&mut self, out: &mut String, v: f64) {
        let bits = v.to_bits();
        let slot = &mut self.slots[(bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize];
        if let Some((b, text)) = slot {
            if *b == bits {
                out.push_str(text);
                return;
            }
        }
        let start = out.len();
        push_float(out, v);
        *slot = Some((bits, out[start..].to_owned()));
    }
}

/// Appends one CSV row (with `\n`) to `out`.
pub fn push_row(out: &mut String, cells: &[Cell<'_>]) {
    push_row_with(out, cells, None);
}

/// [`push_row`], with floats taken from (and added to) `memo` when given.
pub fn push_row_with(out: &mut String, cells: &[Cell<'_>], mut memo: Option<&mut FloatMemo>) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match *c {
            Cell::Text(t) => push_text(out, t),
            Cell::Float(Some(v)) => match memo.as_deref_mut() {
                Some(m) => m.push(out, v),
                None => push_float(out, v),
            },
            Cell::Int(Some(v)) if v < 10 => out.push(char::from(b'0' + v as u8)),
            Cell::Int(Some(v)) => out.push_str(itoa::Buffer::new().format(v)),
            Cell::Dec(Some(d)) => d.push_to(out),
            Cell::Bool(Some(b)) => out.push_str(if b { "true" } else { "false" }),
            Cell::Float(None) | Cell::Int(None) | Cell::Dec(None) | Cell::Bool(None) => {}
        }
    }
    out.push('\n');
}

/// Writes `blocks` pieces of text to `w` in order, each produced by `fill(block, buffer)`
/// on up to `threads` threads while the finished ones are written, so formatting and writing
/// overlap. At most two buffers per thread exist at once, reused from block to block, and the
/// bytes written never depend on the number of threads.
pub fn write_blocks(
    w: &mut dyn Write,
    blocks: usize,
    threads: usize,
    fill: impl Fn(usize, &mut String) + Sync,
) -> io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, mpsc};
    if threads <= 1 || blocks <= 1 {
        let mut buf = String::new();
        for b in 0..blocks {
            buf.clear();
            fill(b, &mut buf);
            w.write_all(buf.as_bytes())?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    // A finished block, or the panic of the worker that was filling it.
    let (done_tx, done_rx) = mpsc::channel::<(usize, std::thread::Result<String>)>();
    let (free_tx, free_rx) = mpsc::channel::<String>();
    for _ in 0..2 * threads {
        // The receiver is alive here, so sending cannot fail.
        let _ = free_tx.send(String::new());
    }
    let free_rx = Mutex::new(free_rx);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (done_tx, free_rx, next, fill) = (done_tx.clone(), &free_rx, &next, &fill);
            scope.spawn(move || {
                loop {
                    // A buffer first, then a block: the lowest unfinished block is always
                    // held by a worker with a buffer, so the writer never waits forever.
                    let free = free_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(mut buf) = free else { return };
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= blocks {
                        return;
                    }
                    // A panic is handed to the writer, which re-raises it (a worker that just
                    // died would leave the writer waiting for its block).
                    let filled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        buf.clear();
                        fill(b, &mut buf);
                        buf
                    }));
                    let failed = filled.is_err();
                    if done_tx.send((b, filled)).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Owned here, so that an early return (a write error) drops them and the workers,
        // finding no buffer or no writer, stop.
        let (free_tx, done_rx) = (free_tx, done_rx);
        let mut pending: Vec<Option<String>> = (0..blocks).map(|_| None).collect();
        let mut wanted = 0;
        while wanted < blocks {
            let Ok((b, filled)) = done_rx.recv() else {
                break;
            };
            // Re-raised here, the panic drops the channels first, so the other workers stop
            // and the scope can end.
            let buf = filled.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            pending[b] = Some(buf);
            while let Some(buf) = pending.get_mut(wanted).and_then(Option::take) {
                w.write_all(buf.as_bytes())?;
                let _ = free_tx.send(buf);
                wanted += 1;
            }
        }
        Ok(())
    })
}

/// Appends a header row.
pub fn push_header(out: &mut String, names: &[&str]) {
    out.push_str(&names.join(","));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_numbers_are_not() {
        let mut s = String::new();
        push_row(
            &mut s,
            &[
                Cell::Text("=HYPERLINK(\"x\")"),
                Cell::Text("-5"),
                Cell::Float(Some(-0.25)),
                Cell::Text("a,b"),
                Cell::Text("@sum"),
                Cell::Bool(None),
            ],
        );
        assert_eq!(s, "\"'=HYPERLINK(\"\"x\"\")\",'-5,-0.25,\"a,b\",'@sum,\n");
    }

    fn numbered_blocks(threads: usize, w: &mut dyn Write) -> io::Result<()> {
        write_blocks(w, 1000, threads, |b, out| {
            for line in 0..(b % 7) {
                out.push_str(&format!("{b}.{line}\n"));
            }
        })
    }

    #[test]
    fn blocks_are_written_in_order_whatever_the_threads() {
        let mut expected = Vec::new();
        for b in 0..1000 {
            for line in 0..(b % 7) {
                expected.extend_from_slice(format!("{b}.{line}\n").as_bytes());
            }
        }
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            numbered_blocks(threads, &mut got).unwrap();
            assert!(got == expected, "{threads} threads");
        }
    }

    /// A writer that fails once `room` bytes are written.
    struct Full {
        room: usize,
    }
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.room {
                return Err(io::Error::other("disk full"));
            }
            self.room -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panic_while_filling_reaches_the_caller() {
        for threads in [2, 3] {
            let caught = std::panic::catch_unwind(|| {
                let mut out = Vec::new();
                let _ = write_blocks(&mut out, 50, threads, |b, buf| {
                    assert!(b != 7, "block seven");
                    buf.push_str("x\n");
                });
            });
            let message = caught.expect_err("the panic is re-raised");
            assert_eq!(message.downcast_ref::<&str>(), Some(&"block seven"));
        }
    }

    #[test]
    fn a_write_error_stops_the_workers_and_is_returned() {
        for threads in [1, 2, 4] {
            let err = numbered_blocks(threads, &mut Full { room: 100 }).unwrap_err();
            assert_eq!(err.to_string(), "disk full");
        }
    }

    #[test]
    fn remembered_floats_are_written_as_fresh_ones() {
        let mut memo = FloatMemo::default();
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut values = vec![0.0, -0.0, 1.0, 0.75, 1e-10, 2.5e20, f64::NAN, f64::INFINITY];
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Few distinct values (repeats hit the memo) and many (slots are overwritten).
            values.push((state % 50) as f64 / 7.0);
            values.push(f64::from_bits(state >> 2));
        }
        let (mut a, mut b) = (String::new(), String::new());
        for v in values {
            a.clear();
            b.clear();
            memo.push(&mut a, v);
            push_float(&mut b, v);
            assert_eq!(a, b, "{v:e}");
        }
    }

    #[test]
    fn floats_are_plain_and_round_trip() {
        let mut s = String::new();
        for v in [0.1, 1e-10, -0.0, 2.5e20, 0.6315789473684211] {
            s.clear();
            push_float(&mut s, v);
            assert!(!s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), if v == 0.0 { 0.0 } else { v });
        }
    }

    #[test]
    fn fast_float_path_matches_display() {
        // The ryu fast path must give exactly what `Display` gives (shortest round-trip digits,
        // no exponent), over a spread of magnitudes and the values the outputs hold.
        let mut x = 1.234_567_890_123e-9_f64;
        let mut values = vec![
            480.0,
            0.75,
            1.0 / 38.0,
            38.0,
            -38.0,
            72.97297297297297,
            1e16,
            9.5e15,
        ];
        while x < 1e20 {
            values.push(x);
            values.push(-x / 3.0);
            x *= 7.3;
        }
        for v in values {
            let mut s = String::new();
            push_float(&mut s, v);
            assert_eq!(s, format!("{v}"), "value {v:e}");
        }
    }

    #[test]
    fn atomic_file_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        write_atomic(&path, b"done").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"done");
    }

    #[test]
    fn a_large_file_is_written_whole_while_its_write_out_is_started() {
        // 20 MB in pieces of every size (one of them larger than the writer's buffer), by
        // both `write` and `write_all`, over a large earlier file (closed on a thread of its
        // own after the rename): write-out starts twice on the way, and the file holds
        // exactly the bytes, in order.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        write_atomic(&path, &vec![b'x'; 9 << 20]).unwrap();
        let expected: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = AtomicFile::create(&path).unwrap();
        let mut rest = &expected[..];
        let mut size = 1;
        while !rest.is_empty() {
            let piece = &rest[..size.min(rest.len())];
            if size % 2 == 0 {
                f.write_all(piece).unwrap();
                rest = &rest[piece.len()..];
            } else {
                let n = f.write(piece).unwrap();
                rest = &rest[n..];
            }
            size = if size > 3 << 20 { 1 } else { size * 3 + 1 };
        }
        if cfg!(target_os = "linux") {
            assert!(f.started >= 16 << 20 && f.started <= f.written);
        }
        f.commit().unwrap();
        assert!(std::fs::read(&path).unwrap() == expected);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}

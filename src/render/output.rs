//! Writers: CSV with typed cells (human number formatting lives in `format`).
//!
//! Every output is written through [`crate::files`] (a temporary file in the destination
//! folder, renamed into place; re-exported here as `output::write_atomic` and the like). CSV text
//! cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! CR) are prefixed with `'`; numeric cells are written as plain numbers, never neutralised.
//! Floats are written as the shortest decimal that reads back to the same value, without an
//! exponent, so outputs are byte-identical across runs and machines.

use std::io::{self, Write};

use crate::domain::decimal::Decimal;

// The atomic writers and the output-folder guard live in `files`; re-exported so that
// `output::write_atomic` and the like keep working.
pub use crate::files::{
    AtomicFile, OutputError, ensure_subdir, ensure_writable_dir, write_atomic, write_with,
};

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
    if !v.is_finite() {
        return;
    }
    let v = if v == 0.0 { 0.0 } else { v };
    crate::domain::text::write_shortest(v, |text| out.push_str(text));
}

pub use crate::domain::text::hex;

/// Returns `text` made safe for a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or CR gets a
/// `'` in front.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

fn push_text(out: &mut String, text: &str) {
    // What `neutralise` and then quoting would give, written straight into `out` (a
    // worklist's million action texts, many with a comma, then need no string of their own).
    let formula = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let quoted = text
        .bytes()
        .any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        for (k, part) in text.split('"').enumerate() {
            if k > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(text);
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
        if let Some((b, text)) = slot
            && *b == bits
        {
            out.push_str(text);
            return;
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
    // The workers run beside this thread (the writer): slots of the thread budget, none when
    // the budget has none left (then this thread formats and writes, one block after another).
    let workers = crate::parallel::reserve(if threads <= 1 || blocks <= 1 {
        0
    } else {
        threads
    });
    let threads = workers.threads();
    if threads == 0 {
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
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (done_tx, free_rx, next, fill) = (done_tx.clone(), &free_rx, &next, &fill);
            handles.push(scope.spawn(move || {
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
            }));
        }
        drop(done_tx);
        // Owned here, so that an early return (a write error) drops them and the workers,
        // finding no buffer or no writer, stop.
        let (free_tx, done_rx) = (free_tx, done_rx);
        let mut pending: Vec<Option<String>> = (0..blocks).map(|_| None).collect();
        let mut wanted = 0;
        let written = (|| {
            while wanted < blocks {
                let Ok((b, filled)) = done_rx.recv() else {
                    break;
                };
                // Re-raised here, the panic drops the channels first, so the other workers
                // stop and the scope can end.
                let buf = filled.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                pending[b] = Some(buf);
                while let Some(buf) = pending.get_mut(wanted).and_then(Option::take) {
                    w.write_all(buf.as_bytes())?;
                    let _ = free_tx.send(buf);
                    wanted += 1;
                }
            }
            Ok(())
        })();
        // The workers stop (no buffer, no writer) and are joined here, each to its end, before
        // `workers` gives their slots back: a slot freed while its thread still exists would
        // let the next thread start beside it, one over `--threads`.
        drop((free_tx, done_rx));
        for handle in handles {
            // A worker's own panics were caught and handed to the writer above.
            let _ = handle.join();
        }
        written
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
}

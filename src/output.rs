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
        })
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
            std::fs::rename(&self.tmp, &self.path).map_err(OutputError::at(&self.path))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.write_all(buf),
            None => Err(io::Error::other("file already committed")),
        }
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
    let safe = neutralise(text);
    if safe.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&safe.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&safe);
    }
}

/// Appends one CSV row (with `\n`) to `out`.
pub fn push_row(out: &mut String, cells: &[Cell<'_>]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match *c {
            Cell::Text(t) => push_text(out, t),
            Cell::Float(Some(v)) => push_float(out, v),
            Cell::Int(Some(v)) => out.push_str(itoa::Buffer::new().format(v)),
            Cell::Dec(Some(d)) => d.push_to(out),
            Cell::Bool(Some(b)) => out.push_str(if b { "true" } else { "false" }),
            Cell::Float(None) | Cell::Int(None) | Cell::Dec(None) | Cell::Bool(None) => {}
        }
    }
    out.push('\n');
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
}

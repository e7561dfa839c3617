//! Every output is written to a temporary file in the destination folder and renamed into
//! place, so an interrupted run never leaves a half-written file that looks complete.
//!
//! The temporary file gets a random name (`.NAME.PID.RANDOM.trialdose-tmp`, from the
//! `tempfile` crate) and is created with `O_CREAT|O_EXCL`, which fails on any existing entry,
//! a planted symbolic link included: another user who can write to the folder cannot guess
//! the name, nor make the run open a file of their choosing. The destination is checked with
//! `lstat` before the work and again just before the rename: a symbolic link, FIFO, device,
//! socket or folder at an output name is refused (exit 73), never written through, replaced
//! or opened. The PID in the name lets a later run tell a leftover of a killed run from a
//! file being written (see [`super::folder`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use super::{OutputError, folder};

/// The suffix of every temporary file the tool creates (see [`super::folder`] for the removal
/// of stale ones).
pub const TMP_SUFFIX: &str = ".trialdose-tmp";

/// A file written under a temporary name and renamed into place by [`AtomicFile::commit`].
/// Dropped without a commit, the temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: Option<TempPath>,
    writer: Option<BufWriter<File>>,
    /// Bytes handed to the writer so far.
    written: u64,
    /// Bytes whose write-out to disk has been started (see [`AtomicFile::start_writeback`]).
    started: u64,
}

/// The folder a file named by `path` lives in (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates an empty temporary file for `name` in `dir`: random name, exclusive creation,
/// mode 0666 less the umask (as a plain `File::create` would give the final file).
pub(crate) fn temp_in(dir: &Path, name: &str) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.{}.", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TMP_SUFFIX).rand_bytes(8);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

impl AtomicFile {
    /// Starts writing `path`: refuses a destination that is not a regular file (or absent)
    /// and a link among the folders the tool made inside its output folder, then creates the
    /// temporary file.
    pub fn create(path: &Path) -> Result<AtomicFile, OutputError> {
        let dir = parent_of(path);
        folder::check_inside(dir)?;
        folder::check_destination(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_owned());
        let (file, tmp) = temp_in(dir, &name)
            .map_err(OutputError::at(path))?
            .into_parts();
        Ok(AtomicFile {
            path: path.to_owned(),
            tmp: Some(tmp),
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

    /// Flushes, syncs and renames into place, then syncs the folder (at once for a file on
    /// its own, at the end of the run for a file in a guarded output folder); on failure the
    /// temporary file is removed.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let (Some(writer), Some(tmp)) = (self.writer.take(), self.tmp.take()) else {
            return Ok(());
        };
        let path = self.path.clone();
        let file = writer
            .into_inner()
            .map_err(|e| OutputError::at(&path)(e.into_error()))?;
        file.sync_all().map_err(OutputError::at(&path))?;
        drop(file);
        folder::check_destination(&path)?;
        // A large file from an earlier run is freed by the rename that replaces it, which
        // for ~90 MB takes tens of milliseconds; holding it open moves that work to the
        // moment it is closed, on a thread of its own (the exit closes it at the latest).
        // Opened without following a link or waiting on a FIFO, and kept only when regular.
        let earlier = super::no_follow_no_block(std::fs::OpenOptions::new().read(true))
            .open(&path)
            .ok()
            .filter(|f| {
                f.metadata()
                    .is_ok_and(|m| m.is_file() && m.len() >= Self::WRITEBACK_STEP)
            });
        let dir = parent_of(&path);
        folder::before_rename(dir)?;
        // On failure the error carries the temporary path, whose drop removes the file.
        tmp.persist(&path)
            .map_err(|e| OutputError::at(&path)(e.error))?;
        if let Some(earlier) = earlier {
            crate::parallel::spawn_detached(move || drop(earlier));
        }
        folder::after_rename(dir)
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

#[cfg(test)]
mod tests {
    use super::*;

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

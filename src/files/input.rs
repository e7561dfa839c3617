//! Opening an input file: only a regular file is read, and nothing can make the open wait.
//!
//! A plain `open` of a FIFO waits for a writer forever, and `/dev/zero` or a folder given as an
//! input would be read without end or fail obscurely. [`open_input`] opens with `O_NONBLOCK`
//! (the open of a FIFO returns at once), checks with `fstat` on the opened descriptor (no race
//! with a rename) that it is a regular file, and clears the flag again. [`read_input`] also
//! bounds the size of the small inputs read whole: [`JSON_LIMIT`] for the JSON files of
//! `simulate merge` and `--sim`, [`TOML_LIMIT`] for `trial.toml`. [`map_input`] gives the
//! large inputs (the cohort's CSV files, `[source]` files) mapped read-only, bounded the same
//! way: no copy out of the page cache and no fresh memory for the bytes. Every refusal is an
//! I/O error of the caller's input error, so it keeps the input's exit code (66).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::kind_of;

/// Largest JSON input read (`simulate merge`, `--sim`): 64 MiB. A simulation's JSON is a few
/// kilobytes to a few megabytes.
pub const JSON_LIMIT: u64 = 64 << 20;

/// Largest `trial.toml` read: 1 MiB. A protocol file is a few kilobytes.
pub const TOML_LIMIT: u64 = 1 << 20;

/// Largest source file read whole for translation (a clinic's CSV dialect, a REDCap export,
/// `cohort::source`): 4 GiB. The 1M-participant cohort's sessions.csv is 406 MB; the text is
/// decoded and translated in memory, so the bound keeps a wrong file from exhausting it.
pub const SOURCE_LIMIT: u64 = 4 << 30;

/// Largest xlsx workbook read: 1 GiB. A workbook of 100,000 participants and a million
/// session rows is about 30 MB compressed; Excel itself stops at 1,048,576 rows a sheet.
pub const WORKBOOK_LIMIT: u64 = 1 << 30;

/// Opens `path` for reading when it is a regular file; a FIFO, a device, a socket or a folder
/// is refused with an [`io::ErrorKind::InvalidInput`] error that says what it is.
///
/// # Errors
/// The error of the `open` (missing, no permission), or the refusal.
pub fn open_input(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file; trialdose reads inputs only from regular files (copy the data into a file first)",
                kind_of(meta.file_type())
            ),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: plain system calls on a descriptor this function owns. Reads of a regular
        // file never wait anyway, so a failure to clear the flag is harmless and ignored.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(file)
}

/// Reads the whole of the regular file `path`, refusing one larger than `limit` bytes with an
/// [`io::ErrorKind::FileTooLarge`] error that names the size and the limit.
///
/// # Errors
/// As [`open_input`], the refusal of a large file, or a read error.
pub fn read_input(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_opened(open_input(path)?, limit)
}

/// The refusal of an input of `size` bytes, more than `limit`.
fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "it holds {size} bytes, more than the {limit} bytes ({} MiB) allowed for this input",
            limit >> 20
        ),
    )
}

/// [`read_input`] of a file [`open_input`] opened.
fn read_opened(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_large(len, limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow after the check: read one byte past the limit at most.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// An input file's bytes: memory-mapped when the system allows (no copy out of the page
/// cache, no fresh pages to fault in), else read.
pub enum InputBytes {
    /// The file mapped read-only.
    Mapped(memmap2::Mmap),
    /// The file read into memory (an empty file, or one the system would not map).
    Read(Vec<u8>),
}

impl std::ops::Deref for InputBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(m) => m,
            InputBytes::Read(v) => v,
        }
    }
}

impl AsRef<[u8]> for InputBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// The bytes of the regular file `path` (refused as [`open_input`] refuses), mapped when
/// possible; a file larger than `limit` bytes is refused as [`read_input`] refuses it.
///
/// # Errors
/// As [`open_input`], the refusal of a large file, or a read error.
pub fn map_input(path: &Path, limit: u64) -> io::Result<InputBytes> {
    let file = open_input(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_large(len, limit));
    }
    // SAFETY: the map is read-only and lives only while the input is read. Like every reader
    // of a memory-mapped file (polars included), it assumes no other process truncates the
    // file meanwhile (a file cut short under the map ends the process with SIGBUS: replace an
    // input by renaming a new file over it, as downloads and editors do, not by rewriting it
    // in place during a run). The length checked against the limit is the length mapped,
    // however the file grows meanwhile.
    if let Ok(mapped) = usize::try_from(len)
        && mapped > 0
        && let Ok(m) = unsafe { memmap2::MmapOptions::new().len(mapped).map(&file) }
    {
        return Ok(InputBytes::Mapped(m));
    }
    read_opened(file, limit).map(InputBytes::Read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_devices_are_refused_and_files_read() {
        let tmp = tempfile::tempdir().unwrap();
        let err = open_input(tmp.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a folder"), "{err}");
        #[cfg(unix)]
        {
            let err = read_input(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(err.to_string().contains("character device"), "{err}");
        }
        let file = tmp.path().join("x.json");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(&*map_input(&file, 10).unwrap(), b"0123456789");
        let err = map_input(&file, 9).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(read_input(&file, 10).unwrap(), b"0123456789");
        let err = read_input(&file, 9).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("10 bytes"), "{err}");
    }
}

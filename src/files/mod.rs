//! Opening the files the tool reads and writes so that no one else can redirect them.
//!
//! The folder given as `--out` may be writable by other users (a shared project folder, `/tmp`),
//! and an input path may name something that is not a file (a FIFO, `/dev/zero`, a folder).
//! Everything that touches the file system on the tool's behalf goes through this module:
//! [`atomic`] writes each output under a random temporary name created exclusively (never
//! through a link) and renames it into place; [`folder`] guards an output folder for the
//! whole run (a lock against a second run, links and special files refused, stale temporary
//! files of killed runs removed, a marker while the folder holds a mix of old and new
//! results); [`input`] opens an input without blocking on a FIFO, accepts only regular files
//! and bounds the size of the small files (JSON, `trial.toml`) that are read whole and of the
//! large ones it maps.

pub mod atomic;
pub mod folder;
pub mod input;

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use atomic::{AtomicFile, write_atomic, write_with};
pub use folder::{
    earlier_incomplete_folders, ensure_subdir, ensure_writable_dir, finish_output_folders,
    incomplete_output_folders, same_folder,
};
pub use input::{
    InputBytes, JSON_LIMIT, SOURCE_LIMIT, TOML_LIMIT, WORKBOOK_LIMIT, map_input, open_input,
    read_input,
};

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
    /// A closure turning an I/O error into an [`OutputError`] at `path`.
    pub(crate) fn at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
        move |source| OutputError {
            path: path.to_owned(),
            source,
        }
    }

    /// An error at `path` with a message of its own (what is wrong and what to do).
    pub(crate) fn refused(path: &Path, message: String) -> OutputError {
        OutputError {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, message),
        }
    }
}

/// What a file-system entry is, in words, for messages ("a FIFO", "a symbolic link").
pub(crate) fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a folder"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Open flags that make an `open` neither follow a final symbolic link nor wait for the other
/// end of a FIFO (and keep the descriptor from leaking into child processes).
#[cfg(unix)]
pub(crate) fn no_follow_no_block(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
}

#[cfg(not(unix))]
pub(crate) fn no_follow_no_block(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    options
}

//! The output folder of a run (`--out DIR`, `generate OUTDIR`), guarded from the first check
//! to the exit.
//!
//! [`ensure_writable_dir`] creates the folder if needed and registers it for the rest of the
//! process:
//! - **Lock.** `DIR/.trialdose.lock` is opened without following a link and locked with
//!   `flock(LOCK_EX|LOCK_NB)`. A second run into the same folder while the first holds the
//!   lock refuses at once (exit 73) instead of waiting: a batch script learns at once that two
//!   of its steps collide, and no mix of two runs' files can arise. The lock goes with the
//!   process (the kernel releases it at the exit, even after a kill); the empty file stays.
//!   Nothing is ever written into it, so a hard link planted under its name cannot be used to
//!   damage another file.
//! - **Stale temporary files.** With the lock held, no other run writes here, so a file whose
//!   name has the tool's temporary pattern (`.NAME.PID.RANDOM.trialdose-tmp`, or the
//!   `.NAME.tmp-PID` / `.trialdose-probe-PID` of earlier releases), that is a regular file (not
//!   a link), and whose PID is not a running process, is a leftover of a killed run: it is
//!   removed. The same is done in each sub-folder made by [`ensure_subdir`].
//! - **Links and special files.** Sub-folders the tool makes (`charts/`) are created with
//!   `mkdir` and checked with `lstat`: a symbolic link or anything that is not a folder is
//!   refused. Every output name is checked with `lstat` (see [`check_destination`]): only an
//!   absent name or a regular file is replaced.
//! - **Incomplete set.** The first rename into the folder is preceded by an (exclusive) create
//!   of `DIR/.trialdose-incomplete`; [`finish_output_folders`], called when the command
//!   succeeded, syncs the folders and removes it. A run that fails after writing some files
//!   leaves the marker, which says the folder mixes files of this run and of an earlier one;
//!   the next run into the folder reports it ([`earlier_incomplete_folders`]) and removes it
//!   when it succeeds in turn.
//!
//! The registry is process-wide because the lock and the marker belong to the run, not to a
//! value: every writer of the run consults it, and it ends with the process.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{OutputError, kind_of, no_follow_no_block};

/// The lock file in an output folder.
pub const LOCK_NAME: &str = ".trialdose.lock";
/// The marker of a folder holding a mix of old and new results.
pub const INCOMPLETE_NAME: &str = ".trialdose-incomplete";

/// One guarded output folder.
struct Folder {
    /// The path as given (outputs are named by joining onto it).
    path: PathBuf,
    /// Device and inode, to recognise the folder under another name.
    id: Option<(u64, u64)>,
    /// Holds the lock until the process ends.
    _lock: File,
    /// The marker was found at the start (an earlier run did not finish).
    found_incomplete: bool,
    /// The marker is present (found, or written before this run's first rename).
    marked: bool,
    /// Folders to sync at the end (the folder and the sub-folders renamed into).
    touched: Vec<PathBuf>,
}

static FOLDERS: Mutex<Vec<Folder>> = Mutex::new(Vec::new());

fn folders() -> std::sync::MutexGuard<'static, Vec<Folder>> {
    FOLDERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Device and inode of `meta`.
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// True when `a` and `b` name the same folder (same device and inode: a symbolic link, a bind
/// mount or another spelling of the path is recognised). False when either does not exist.
#[must_use]
pub fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => match (file_id(&ma), file_id(&mb)) {
            (Some(x), Some(y)) => x == y,
            _ => a
                .canonicalize()
                .ok()
                .is_some_and(|c| b.canonicalize().ok() == Some(c)),
        },
        _ => false,
    }
}

/// Creates `dir` if needed, proves a file can be created in it, takes its lock and removes the
/// stale temporary files of killed runs, before any work is done (module documentation).
/// Called again for a folder this process already guards, it does nothing.
pub fn ensure_writable_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(OutputError::at(dir))?;
    let meta = std::fs::metadata(dir).map_err(OutputError::at(dir))?;
    if !meta.is_dir() {
        return Err(OutputError::refused(
            dir,
            format!("is {}, not a folder", kind_of(meta.file_type())),
        ));
    }
    let id = file_id(&meta);
    let mut registry = folders();
    if registry
        .iter()
        .any(|f| f.path == dir || (id.is_some() && f.id == id))
    {
        return Ok(());
    }
    let lock = take_lock(dir)?;
    remove_stale(dir);
    // The probe: a temporary file created and removed (the lock file may predate a change of
    // the folder's permissions).
    drop(super::atomic::temp_in(dir, "trialdose-probe").map_err(OutputError::at(dir))?);
    let found_incomplete = marker_present(dir)?;
    registry.push(Folder {
        path: dir.to_owned(),
        id,
        _lock: lock,
        found_incomplete,
        marked: found_incomplete,
        touched: vec![dir.to_owned()],
    });
    Ok(())
}

/// Opens and locks `DIR/.trialdose.lock`.
fn take_lock(dir: &Path) -> Result<File, OutputError> {
    let path = dir.join(LOCK_NAME);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    let file = no_follow_no_block(&mut options)
        .open(&path)
        .map_err(|e| not_followed(&path, e))?;
    let meta = file.metadata().map_err(OutputError::at(&path))?;
    if !meta.is_file() {
        return Err(OutputError::refused(
            &path,
            format!(
                "is {}, not a regular file; remove it (it only serves as the lock of this folder)",
                kind_of(meta.file_type())
            ),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on a descriptor this function owns.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                return Err(OutputError::refused(
                    dir,
                    format!(
                        "another trialdose run is writing into this folder (it holds {}); wait for it to finish, or choose another folder",
                        path.display()
                    ),
                ));
            }
            return Err(OutputError::at(&path)(e));
        }
    }
    Ok(file)
}

/// The error of an `open` with `O_NOFOLLOW` at `path`: a link is named as such.
fn not_followed(path: &Path, e: io::Error) -> OutputError {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => OutputError::refused(
            path,
            "is a symbolic link; trialdose never follows a link in its output folder: remove it"
                .to_owned(),
        ),
        _ => OutputError::at(path)(e),
    }
}

/// True when `DIR/.trialdose-incomplete` exists (a regular file); anything else there is
/// refused.
fn marker_present(dir: &Path) -> Result<bool, OutputError> {
    let path = dir.join(INCOMPLETE_NAME);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) => Err(OutputError::refused(
            &path,
            format!(
                "is {}, not a regular file; remove it (trialdose uses this name to mark an unfinished set of outputs)",
                kind_of(m.file_type())
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(OutputError::at(&path)(e)),
    }
}

/// The PID in a temporary name of the tool, or `None` when `name` does not have one of its
/// patterns: `.NAME.PID.RANDOM.trialdose-tmp`, or (earlier releases) `.NAME.tmp-PID` and
/// `.trialdose-probe-PID`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    if let Some(stem) = rest.strip_suffix(super::atomic::TMP_SUFFIX) {
        let mut parts = stem.rsplitn(3, '.');
        let random = parts.next()?;
        let pid = parts.next()?;
        let base = parts.next()?;
        if random.is_empty()
            || !random.bytes().all(|b| b.is_ascii_alphanumeric())
            || base.is_empty()
        {
            return None;
        }
        return pid.parse().ok();
    }
    let digits = rest
        .strip_prefix("trialdose-probe-")
        .or_else(|| rest.rsplit_once(".tmp-").map(|(_, pid)| pid))?;
    digits.parse().ok()
}

/// True when a process with this PID exists (of any user).
fn pid_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks whether the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes, from `dir`, the regular files with a temporary name of the tool whose process no
/// longer runs (module documentation). Failures are ignored: a leftover that cannot be
/// removed harms nothing.
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        // `file_type` of a directory entry does not follow links.
        if pid == me || pid_alive(pid) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

/// Creates the sub-folder `dir` of a guarded output folder if needed (`mkdir`, which never
/// follows a link) and checks it is a real folder, not a link to one; removes its stale
/// temporary files.
pub fn ensure_subdir(dir: &Path) -> Result<(), OutputError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(OutputError::at(dir)(e)),
    }
    check_real_folder(dir)?;
    remove_stale(dir);
    Ok(())
}

/// Refuses `dir` unless `lstat` shows a folder.
fn check_real_folder(dir: &Path) -> Result<(), OutputError> {
    let meta = std::fs::symlink_metadata(dir).map_err(OutputError::at(dir))?;
    if meta.is_dir() {
        return Ok(());
    }
    Err(OutputError::refused(
        dir,
        format!(
            "is {}, not a folder; trialdose never follows a link or writes into anything but a folder it made inside its output folder: remove it",
            kind_of(meta.file_type())
        ),
    ))
}

/// Refuses a link (or anything but a folder) among the folders between a guarded output
/// folder and `dir`, which lies inside it.
pub(crate) fn check_inside(dir: &Path) -> Result<(), OutputError> {
    let roots: Vec<PathBuf> = folders().iter().map(|f| f.path.clone()).collect();
    for root in roots {
        let Ok(below) = dir.strip_prefix(&root) else {
            continue;
        };
        let mut at = root.clone();
        for part in below.components() {
            at.push(part);
            check_real_folder(&at)?;
        }
        return Ok(());
    }
    Ok(())
}

/// Refuses an output name that is something other than a regular file: a symbolic link (it
/// would be written through or replaced, never what the user meant), a FIFO (opening it would
/// wait forever), a device, a socket or a folder.
pub(crate) fn check_destination(path: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => Err(OutputError::refused(
            path,
            format!(
                "is {}, not a regular file; trialdose replaces only regular files at its output names: remove it, or choose another output",
                kind_of(m.file_type())
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::at(path)(e)),
    }
}

/// Marks the guarded folder holding `dir` as incomplete before its first rename.
pub(crate) fn before_rename(dir: &Path) -> Result<(), OutputError> {
    let mut registry = folders();
    let Some(folder) = registry.iter_mut().find(|f| dir.starts_with(&f.path)) else {
        return Ok(());
    };
    if !folder.touched.iter().any(|t| t == dir) {
        folder.touched.push(dir.to_owned());
    }
    if folder.marked {
        return Ok(());
    }
    let path = folder.path.join(INCOMPLETE_NAME);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = match no_follow_no_block(&mut options).open(&path) {
        Ok(f) => f,
        // Made by another process since the start: not ours to trust.
        Err(e) => return Err(not_followed(&path, e)),
    };
    let text = format!(
        "A trialdose run (process {}) began replacing the results in this folder and has not finished:\n\
         until a run into this folder succeeds, its files may mix results of that run and of an earlier one.\n",
        std::process::id()
    );
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(OutputError::at(&path))?;
    sync_folder(&folder.path)?;
    folder.marked = true;
    Ok(())
}

/// Syncs `dir` after a rename, unless it lies in a guarded folder (synced at the end).
pub(crate) fn after_rename(dir: &Path) -> Result<(), OutputError> {
    if folders().iter().any(|f| dir.starts_with(&f.path)) {
        return Ok(());
    }
    sync_folder(dir)
}

/// Makes the entries of `dir` (the renames into it) durable.
fn sync_folder(dir: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(OutputError::at(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// At the end of a successful command: syncs every guarded folder (and the sub-folders renamed
/// into) and removes its marker of an incomplete set. The locks stay until the exit.
pub fn finish_output_folders() -> Result<(), OutputError> {
    let mut registry = folders();
    for folder in registry.iter_mut() {
        for dir in folder.touched.iter().rev() {
            sync_folder(dir)?;
        }
        if folder.marked {
            let path = folder.path.join(INCOMPLETE_NAME);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(OutputError::at(&path)(e)),
            }
            sync_folder(&folder.path)?;
            folder.marked = false;
        }
    }
    Ok(())
}

/// Guarded folders marked incomplete (after a failure: those this run left mixed, or found so).
#[must_use]
pub fn incomplete_output_folders() -> Vec<PathBuf> {
    folders()
        .iter()
        .filter(|f| f.marked)
        .map(|f| f.path.clone())
        .collect()
}

/// Guarded folders found marked incomplete when this run started.
#[must_use]
pub fn earlier_incomplete_folders() -> Vec<PathBuf> {
    folders()
        .iter()
        .filter(|f| f.found_incomplete)
        .map(|f| f.path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_nothing_else() {
        assert_eq!(temp_pid(".arms.csv.123.aB3xYz09.trialdose-tmp"), Some(123));
        assert_eq!(
            temp_pid(".trialdose-probe.77.abcdefgh.trialdose-tmp"),
            Some(77)
        );
        assert_eq!(temp_pid(".arms.csv.tmp-4242"), Some(4242));
        assert_eq!(temp_pid(".trialdose-probe-9"), Some(9));
        for other in [
            "arms.csv",
            ".trialdose.lock",
            ".trialdose-incomplete",
            "arms.csv.1.abc.trialdose-tmp",
            ".arms.csv.x1.abc.trialdose-tmp",
            ".arms.csv.1..trialdose-tmp",
            ".arms.csv.tmp-",
            ".notes.txt",
        ] {
            assert_eq!(temp_pid(other), None, "{other}");
        }
    }

    #[test]
    fn stale_temporary_files_of_dead_processes_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        // A PID above the kernel's limit (4194304 at most on Linux) belongs to no process.
        let dead = format!(".arms.csv.{}.abcdefgh.trialdose-tmp", u32::MAX / 2);
        let live = format!(".arms.csv.{}.abcdefgh.trialdose-tmp", std::process::id());
        for name in [&dead, &live, &"arms.csv".to_owned()] {
            std::fs::write(tmp.path().join(name), b"x").unwrap();
        }
        remove_stale(tmp.path());
        assert!(!tmp.path().join(&dead).exists());
        assert!(tmp.path().join(&live).exists());
        assert!(tmp.path().join("arms.csv").exists());
    }
}

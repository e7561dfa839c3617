//! The data contract: a cohort folder (participants.csv, sessions.csv, scores.csv and an
//! optional trial.toml) read into validated, compact tables plus a ledger that accounts for
//! every row.
//!
//! Reading goes file by file in dependency order: participants first (a rejected participant
//! takes their sessions and scores with them, and the ledger says why), then sessions and
//! scores against the accepted roster. Each file's SHA-256 is computed on another thread while
//! the rows are checked. Nothing here prints: notices come back as values.

pub mod columns;
pub mod csvfile;
pub mod duplicates;
pub mod ledger;
pub mod participants;
pub mod redcap;
pub mod roster;
pub mod scores;
pub mod sessions;
pub mod value;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::domain::protocol::{Protocol, ProtocolError};
pub use ledger::{CohortFile, FileCounts, IgnoredDuplicate, Ledger, Rejection};
pub use participants::Participant;
pub use scores::Score;
pub use sessions::{AdverseEvent, MinutesTotal, Session, SessionLog, Status};
use value::Decimal;

/// Why a cohort could not be read at all (row problems go to the ledger instead).
#[derive(Debug, Error)]
pub enum CohortError {
    /// The cohort folder or one of its files is missing or unreadable.
    #[error("cannot read {}: {source}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The row counts of a file do not reconcile: a bug, reported rather than hidden.
    #[error(
        "internal error: the row counts of {file} do not add up ({counts:?}); please report this"
    )]
    Unbalanced {
        /// The file.
        file: &'static str,
        /// Its counts.
        counts: FileCounts,
    },
    /// `trial.toml` is invalid.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

/// Per input file: where it came from, its digest and its row counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// Which file.
    pub file: CohortFile,
    /// SHA-256 of the bytes read, lowercase hex (`None` when the load did not ask for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// Row counts.
    #[serde(flatten)]
    pub counts: FileCounts,
}

/// How to read.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// Threads for checking large files (results do not depend on it).
    pub threads: usize,
    /// Compute each file's SHA-256 for the provenance of an output (`analyze`, `report`,
    /// `audit`). A quarter of the CPU of reading a cohort; `validate`, `plot` and the
    /// simulator's evidence show no digest and skip it.
    pub digests: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            digests: true,
        }
    }
}

/// A validated cohort.
#[derive(Debug)]
pub struct Cohort {
    /// The folder read.
    pub dir: PathBuf,
    /// The protocol (trial.toml or defaults).
    pub protocol: Protocol,
    /// Accepted participants in file order.
    pub participants: Vec<Participant>,
    /// Accepted sessions in file order.
    pub sessions: SessionLog,
    /// Therapist names, indexed by [`Session::therapist`].
    pub therapists: Vec<String>,
    /// Accepted score rows in file order.
    pub scores: Vec<Score>,
    /// Marker values of the accepted score rows, `protocol.markers().len()` per row.
    pub marker_values: Vec<Option<Decimal>>,
    /// Every rejection, sorted by file and line.
    pub ledger: Ledger,
    /// Ignored exact duplicates.
    pub duplicates: Vec<IgnoredDuplicate>,
    /// One report per file, in reading order.
    pub files: Vec<FileReport>,
    /// Notices for the user (ignored columns, markers not found).
    pub notices: Vec<String>,
    /// Declared markers whose column scores.csv lacks.
    pub missing_markers: Vec<String>,
}

/// A file's bytes: memory-mapped when possible (no copy out of the page cache), else read.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

fn read_file(dir: &Path, file: CohortFile) -> Result<FileBytes, CohortError> {
    let path = dir.join(file.name());
    let input_error = |source| CohortError::Input {
        path: path.clone(),
        source,
    };
    // A FIFO, a device or a folder is refused here, without waiting on it.
    let f = crate::files::open_input(&path).map_err(input_error)?;
    let len = f.metadata().map_err(input_error)?.len();
    if len > 0 {
        // SAFETY: the map is read-only and lives only while this file is checked. Like every
        // reader of a memory-mapped file (polars included), it assumes no other process
        // truncates the file meanwhile.
        if let Ok(m) = unsafe { memmap2::MmapOptions::new().map(&f) } {
            return Ok(FileBytes::Mapped(m));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &f, &mut bytes).map_err(input_error)?;
    Ok(FileBytes::Read(bytes))
}

/// Reads `COHORT/trial.toml` when present, else the defaults (the DREAM protocol).
pub fn load_protocol(cohort_dir: &Path) -> Result<Protocol, ProtocolError> {
    let path = cohort_dir.join("trial.toml");
    // Only a regular file of at most `TOML_LIMIT` bytes is read (a FIFO would wait).
    let text = crate::files::read_input(&path, crate::files::TOML_LIMIT).and_then(|bytes| {
        String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    match text {
        Ok(text) => Protocol::from_toml(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Protocol::dream()),
        Err(source) => Err(ProtocolError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Starts computing the SHA-256 of `bytes` on a thread of `scope`. The bytes are freed by
/// whichever of the digest and the reader is done with them last.
fn start_digest<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    bytes: &Arc<FileBytes>,
) -> crate::parallel::Task<'scope, String> {
    let bytes = Arc::clone(bytes);
    crate::parallel::spawn(scope, move || sha256_hex(&bytes))
}

/// The SHA-256 of `bytes` in lowercase hex, as `sha256sum` prints it.
fn sha256_hex(bytes: &[u8]) -> String {
    let mut digest = Sha256::new();
    // 64 KiB pieces, two ahead: 1.18 GB/s instead of 0.77 GB/s over the mapped 406 MB
    // sessions.csv of the 1M bench cohort (a scratch program, the same sha2 0.11.1, medians of
    // 3; prefetch without the touch: 0.90 GB/s). The digest waits on memory otherwise, see
    // `cache`.
    crate::cache::each_piece_prefetching(bytes, 64 * 1024, 2, |piece| digest.update(piece));
    crate::domain::text::hex(&digest.finalize())
}

impl Cohort {
    /// Reads and validates the cohort in `dir`.
    pub fn load(dir: &Path, options: LoadOptions) -> Result<Cohort, CohortError> {
        let meta = std::fs::metadata(dir).map_err(|source| CohortError::Input {
            path: dir.to_owned(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(CohortError::Input {
                path: dir.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a cohort is a folder holding participants.csv, sessions.csv and scores.csv",
                ),
            });
        }
        let protocol = load_protocol(dir)?;
        let threads = options.threads.max(1);
        // All three files are opened first (a missing one is reported before any work) and
        // their digests are computed on threads of their own from the start, filling the
        // gaps the readers leave; each file's bytes are freed as soon as its digest and its
        // reader are both done with them.
        let bytes = CohortFile::ALL.map(|f| read_file(dir, f).map(Arc::new));
        let [p, s, sc] = bytes;
        let (people_bytes, sessions_bytes, scores_bytes) = (p?, s?, sc?);
        let sizes = [&people_bytes, &sessions_bytes, &scores_bytes].map(|b| b.len() as u64);
        let (people, sess, sc, digests) = std::thread::scope(|scope| {
            let digests = [&people_bytes, &sessions_bytes, &scores_bytes]
                .map(|b| options.digests.then(|| start_digest(scope, b)));
            let people =
                participants::read(&csvfile::CsvSource::new(&people_bytes), &protocol, threads);
            drop(people_bytes);
            let roster = roster::Roster::new(&people.accepted, &people.rejected_ids);
            // Sessions and scores depend only on the roster: read them side by side, so one
            // fills the gaps the other leaves.
            let (sess, sc) = std::thread::scope(|inner| {
                let scores_job = crate::parallel::spawn(inner, || {
                    let bytes = scores_bytes;
                    scores::read(
                        &csvfile::CsvSource::new(&bytes),
                        &protocol,
                        &roster,
                        threads,
                    )
                });
                let sess =
                    sessions::read(&csvfile::CsvSource::new(&sessions_bytes), &roster, threads);
                drop(sessions_bytes);
                (sess, crate::parallel::join(scores_job))
            });
            drop(roster);
            (
                people,
                sess,
                sc,
                digests.map(|d| d.map(crate::parallel::join)),
            )
        });

        let mut notices = Vec::new();
        for (file, cols) in [
            (CohortFile::Participants, &people.ignored_columns),
            (CohortFile::Sessions, &sess.ignored_columns),
            (CohortFile::Scores, &sc.ignored_columns),
        ] {
            for c in cols {
                notices.push(format!(
                    "{}: column `{c}` is not part of the data contract and is ignored",
                    file.name()
                ));
            }
        }
        for m in &sc.missing_markers {
            notices.push(format!(
                "scores.csv: marker `{m}` is declared in trial.toml but the file has no such column; it has no values and no comparison"
            ));
        }

        let counts = [
            FileCounts {
                rows: people.rows,
                accepted: people.accepted.len() as u64,
                rejected: people.rejected,
                ignored_duplicates: people.duplicates.len() as u64,
            },
            FileCounts {
                rows: sess.rows,
                accepted: sess.accepted.len() as u64,
                rejected: sess.rejected,
                ignored_duplicates: 0,
            },
            FileCounts {
                rows: sc.rows,
                accepted: sc.accepted.len() as u64,
                rejected: sc.rejected,
                ignored_duplicates: sc.duplicates.len() as u64,
            },
        ];
        let files = CohortFile::ALL
            .iter()
            .zip(counts)
            .zip(digests)
            .zip(sizes)
            .map(|(((&file, counts), sha256), bytes)| FileReport {
                file,
                sha256,
                bytes,
                counts,
            })
            .collect();

        for (file, c) in CohortFile::ALL.iter().zip(counts) {
            if !c.balanced() {
                return Err(CohortError::Unbalanced {
                    file: file.name(),
                    counts: c,
                });
            }
        }
        let mut ledger = Ledger::default();
        ledger.extend(people.rejections);
        ledger.extend(sess.rejections);
        ledger.extend(sc.rejections);
        ledger.sort();
        let mut duplicates = people.duplicates;
        duplicates.extend(sc.duplicates);

        Ok(Cohort {
            dir: dir.to_owned(),
            protocol,
            participants: people.accepted,
            sessions: sess.accepted,
            therapists: sess.therapists,
            scores: sc.accepted,
            marker_values: sc.markers,
            ledger,
            duplicates,
            files,
            notices,
            missing_markers: sc.missing_markers,
        })
    }

    /// Marker values of accepted score row `i`.
    pub fn markers_of(&self, i: usize) -> &[Option<Decimal>] {
        let n = self.protocol.markers().len();
        &self.marker_values[i * n..(i + 1) * n]
    }
}

#[cfg(test)]
mod tests {
    /// A digest over many pieces equals the digest of the whole: Python 3.11 `hashlib.sha256(
    /// bytes((i * 7 + 3) % 256 for i in range(300_001))).hexdigest()` (exact).
    #[test]
    fn the_digest_in_pieces_is_the_sha256_of_the_file() {
        let bytes: Vec<u8> = (0..300_001u32).map(|i| ((i * 7 + 3) % 256) as u8).collect();
        assert_eq!(
            super::sha256_hex(&bytes),
            "c956c535453518866215604efa35da225f6951a5569f231f889c341874377c2e"
        );
        // sha256sum of an empty file.
        assert_eq!(
            super::sha256_hex(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

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
pub mod ledger;
pub mod participants;
pub mod roster;
pub mod scores;
pub mod sessions;
pub mod value;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::protocol::{Protocol, ProtocolError};
pub use ledger::{CohortFile, FileCounts, IgnoredDuplicate, Ledger, Rejection};
pub use participants::Participant;
pub use scores::Score;
pub use sessions::{AdverseEvent, Session, Status};
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
    /// `trial.toml` is invalid.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

/// Per input file: where it came from, its digest and its row counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// Which file.
    pub file: CohortFile,
    /// SHA-256 of the bytes read, lowercase hex.
    pub sha256: String,
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
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
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
    pub sessions: Vec<Session>,
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
}

fn read_file(dir: &Path, file: CohortFile) -> Result<Vec<u8>, CohortError> {
    let path = dir.join(file.name());
    std::fs::read(&path).map_err(|source| CohortError::Input { path, source })
}

fn rejected_rows(rejections: &[Rejection]) -> u64 {
    let mut lines: Vec<u64> = rejections.iter().map(|r| r.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len() as u64
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
        let protocol = Protocol::load(dir)?;
        let p_raw = read_file(dir, CohortFile::Participants)?;
        let s_raw = read_file(dir, CohortFile::Sessions)?;
        let sc_raw = read_file(dir, CohortFile::Scores)?;
        let sizes = [&p_raw, &s_raw, &sc_raw].map(|b| b.len() as u64);
        let threads = options.threads.max(1);

        let (digests, parts) = std::thread::scope(|scope| {
            let hashing = scope
                .spawn(|| [&p_raw, &s_raw, &sc_raw].map(|b| hex(&Sha256::digest(b.as_slice()))));
            let p_src = csvfile::CsvSource::new(&p_raw);
            let people = participants::read(&p_src, &protocol, threads);
            drop(p_src);
            let roster = roster::Roster::new(&people.accepted, &people.rejected_ids);
            let s_src = csvfile::CsvSource::new(&s_raw);
            let sess = sessions::read(&s_src, &roster, threads);
            drop(s_src);
            let sc_src = csvfile::CsvSource::new(&sc_raw);
            let sc = scores::read(&sc_src, &protocol, &roster, threads);
            drop(roster);
            let digests = hashing
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (digests, (people, sess, sc))
        });
        let (people, sess, sc) = parts;

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
                "scores.csv: marker `{m}` is declared in trial.toml but the file has no such column; it has no values"
            ));
        }

        let counts = [
            FileCounts {
                rows: people.rows,
                accepted: people.accepted.len() as u64,
                rejected: rejected_rows(&people.rejections),
                ignored_duplicates: people.duplicates.len() as u64,
            },
            FileCounts {
                rows: sess.rows,
                accepted: sess.accepted.len() as u64,
                rejected: rejected_rows(&sess.rejections),
                ignored_duplicates: 0,
            },
            FileCounts {
                rows: sc.rows,
                accepted: sc.accepted.len() as u64,
                rejected: rejected_rows(&sc.rejections),
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
        })
    }

    /// True when every file's counts reconcile (always, unless there is a bug).
    pub fn balanced(&self) -> bool {
        self.files.iter().all(|f| f.counts.balanced())
    }

    /// Marker values of accepted score row `i`.
    pub fn markers_of(&self, i: usize) -> &[Option<Decimal>] {
        let n = self.protocol.markers().len();
        &self.marker_values[i * n..(i + 1) * n]
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

//! The data contract: a cohort folder (participants.csv, sessions.csv, scores.csv and an
//! optional trial.toml) read into validated, compact tables plus a ledger that accounts for
//! every row.
//!
//! Reading goes file by file in dependency order: participants first (a rejected participant
//! takes their sessions and scores with them, and the ledger says why), then sessions and
//! scores against the accepted roster. Each file's SHA-256 is computed on another thread while
//! the rows are checked. Nothing here prints: notices come back as values.
//!
//! When `trial.toml` has a `[source]` (a clinic's CSV dialect, an xlsx workbook, Parquet, a
//! REDCap export), [`source`] first translates it into the three contract tables, whose lines
//! are the source's own locations; the same readers then check them, and the ledger names the
//! source files ([`SourceReport`], `Rejection::source`).

pub mod columns;
pub mod csvfile;
pub mod duplicates;
pub mod ledger;
pub mod participants;
mod quoted;
pub mod records;
pub mod redcap;
pub mod roster;
pub mod scores;
pub mod sessions;
pub mod source;
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
pub use source::{SourceError, SourceSpec};
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
    /// The rows of a source file do not reconcile with the tables it feeds: a bug of its
    /// reader, reported rather than hidden.
    #[error(
        "internal error: the {rows} rows of {name} ({ignored} ignored) do not add up to the rows of the tables it feeds ({fed:?}); please report this"
    )]
    SourceUnbalanced {
        /// The source file.
        name: String,
        /// Its rows.
        rows: u64,
        /// Its ignored rows.
        ignored: u64,
        /// Rows of each table it feeds.
        fed: Vec<u64>,
    },
    /// `trial.toml` is invalid.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// `[source]` is invalid, or a source file cannot be read or mapped.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Per contract table: where it came from, its digest and its row counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// Which file.
    pub file: CohortFile,
    /// The source file feeding the table when it is not the contract's file (`[source]`);
    /// `sha256` and `bytes` are then the source file's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// SHA-256 of the bytes read, lowercase hex (`None` when the load did not ask for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// Row counts.
    #[serde(flatten)]
    pub counts: FileCounts,
}

impl FileReport {
    /// The name of the file the table was read from (the source's, or the contract's).
    pub fn name(&self) -> &str {
        self.source.as_deref().unwrap_or(self.file.name())
    }
}

/// Per source file of a `[source]` other than the contract's files: its rows, and which
/// tables they feed. Every row is counted once: `rows = rows feeding a table + ignored`,
/// where a row feeding several tables (a REDCap record) counts once in each table's
/// [`FileReport`] and each table balances on its own.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceReport {
    /// Its name as the ledger gives it (`Patienten.csv`, `trial.xlsx[sessions]`).
    pub name: String,
    /// SHA-256 of the file, lowercase hex (`None` when the load did not ask for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// Data rows read.
    pub rows: u64,
    /// Rows that feed no table (reasons in [`Cohort::ignored`]).
    pub ignored: u64,
    /// The tables it feeds.
    pub tables: Vec<CohortFile>,
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
    /// One report per contract table, in reading order.
    pub files: Vec<FileReport>,
    /// One report per source file of a `[source]` (empty for the contract's own files).
    pub sources: Vec<SourceReport>,
    /// Source rows that feed no table, with the reason.
    pub ignored: Vec<source::IgnoredRow>,
    /// Notices for the user (ignored columns, markers not found).
    pub notices: Vec<String>,
    /// Declared markers whose column scores.csv lacks.
    pub missing_markers: Vec<String>,
}

/// A contract file's bytes, mapped when possible (a FIFO, a device or a folder is refused
/// without waiting on it). The contract's files have no size bound: they are checked in place.
fn read_file(dir: &Path, name: &str) -> Result<crate::files::InputBytes, CohortError> {
    let path = dir.join(name);
    crate::files::map_input(&path, u64::MAX).map_err(|source| CohortError::Input { path, source })
}

/// Reads `COHORT/trial.toml` when present, else the defaults (the DREAM protocol).
pub fn load_protocol(cohort_dir: &Path) -> Result<Protocol, ProtocolError> {
    let path = cohort_dir.join("trial.toml");
    match read_trial_text(&path)? {
        Some(text) => Protocol::from_toml(&text, &path.display().to_string()),
        None => Ok(Protocol::dream()),
    }
}

/// Reads `COHORT/trial.toml` once: the protocol, and its `[source]` when it has one.
///
/// # Errors
/// [`CohortError::Protocol`] for the protocol, [`CohortError::Source`] for `[source]`.
pub fn load_trial(cohort_dir: &Path) -> Result<(Protocol, Option<SourceSpec>), CohortError> {
    let path = cohort_dir.join("trial.toml");
    let shown = path.display().to_string();
    match read_trial_text(&path)? {
        None => Ok((Protocol::dream(), None)),
        Some(text) => {
            let protocol = Protocol::from_toml(&text, &shown)?;
            let markers: Vec<&str> = protocol.markers().iter().map(|m| m.column()).collect();
            let spec = SourceSpec::from_toml(&text, &shown, &markers)?;
            Ok((protocol, spec))
        }
    }
}

/// The text of `trial.toml`, `None` when there is none.
fn read_trial_text(path: &Path) -> Result<Option<String>, ProtocolError> {
    // Only a regular file of at most `TOML_LIMIT` bytes is read (a FIFO would wait).
    let text = crate::files::read_input(path, crate::files::TOML_LIMIT).and_then(|bytes| {
        String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    match text {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProtocolError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Starts computing the SHA-256 of `bytes` on a thread of `scope`. The bytes are freed by
/// whichever of the digest and the reader is done with them last.
fn start_digest<'scope, B>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    bytes: &Arc<B>,
) -> crate::parallel::Task<'scope, String>
where
    B: std::ops::Deref<Target = [u8]> + Send + Sync + 'scope,
{
    let bytes = Arc::clone(bytes);
    crate::parallel::spawn(scope, move || sha256_hex(&bytes))
}

/// The SHA-256 of `bytes` in lowercase hex, as `sha256sum` prints it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let mut digest = Sha256::new();
    // 64 KiB pieces, two ahead: 1.18 GB/s instead of 0.77 GB/s over the mapped 406 MB
    // sessions.csv of the 1M bench cohort (a scratch program, the same sha2 0.11.1, medians of
    // 3; prefetch without the touch: 0.90 GB/s). The digest waits on memory otherwise, see
    // `cache`.
    crate::cache::each_piece_prefetching(bytes, 64 * 1024, 2, |piece| digest.update(piece));
    crate::domain::text::hex(&digest.finalize())
}

impl Cohort {
    /// Reads and validates the cohort in `dir`: the three contract CSV files, or, when
    /// `trial.toml` has a `[source]`, the tables translated from that source (see
    /// [`source`]).
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
        let (protocol, spec) = load_trial(dir)?;
        let Some(spec) = spec else {
            return Cohort::load_files(
                dir,
                protocol,
                options,
                CohortFile::ALL.map(CohortFile::name),
            );
        };
        let markers: Vec<&str> = protocol.markers().iter().map(|m| m.column()).collect();
        let translated = source::translate(
            dir,
            &spec,
            source::TranslateOptions {
                digests: options.digests,
                markers: &markers,
            },
        )?;
        drop(markers);
        match (translated, &spec.format) {
            (Some(t), _) => Cohort::load_translated(dir, protocol, options, t),
            (None, source::spec::Format::Csv(csv)) => {
                let names = CohortFile::ALL.map(|f| source::direct_name(csv, f));
                Cohort::load_files(dir, protocol, options, names)
            }
            (None, _) => Err(CohortError::Source(source::SourceError::Usage {
                path: "trial.toml".into(),
                key: "source.format".into(),
                message: "internal: only csv is read directly".into(),
            })),
        }
    }

    /// Reads the contract CSV files named `names` (inside `dir`; the contract's own names
    /// unless `[source]` renames the files).
    fn load_files(
        dir: &Path,
        protocol: Protocol,
        options: LoadOptions,
        names: [&str; 3],
    ) -> Result<Cohort, CohortError> {
        // All three files are opened first (a missing one is reported before any work) and
        // their digests are computed on threads of their own from the start, filling the
        // gaps the readers leave; each file's bytes are freed as soon as its digest and its
        // reader are both done with them.
        let bytes = names.map(|f| read_file(dir, f).map(Arc::new));
        let [p, s, sc] = bytes;
        let inputs = [p?, s?, sc?];
        let sizes = inputs.each_ref().map(|b| b.len() as u64);
        let (people, sess, sc, digests) =
            read_tables(inputs.map(Input::Csv), &protocol, options, |_| {});
        let renamed = |f: CohortFile| -> Option<Arc<str>> {
            let name = names[source::spec::table_index(f)];
            (name != f.name()).then(|| Arc::from(name))
        };
        let origins = CohortFile::ALL.map(|f| Origin {
            name: renamed(f),
            rejected: Vec::new(),
        });
        let reports = CohortFile::ALL.map(|f| {
            let i = source::spec::table_index(f);
            FileReport {
                file: f,
                source: renamed(f).map(|n| n.to_string()),
                sha256: digests[i].clone(),
                bytes: sizes[i],
                counts: FileCounts::default(),
            }
        });
        assemble(
            dir,
            protocol,
            (people, sess, sc),
            origins,
            reports,
            Vec::new(),
            Vec::new(),
        )
    }

    /// Checks the tables of a translated source.
    fn load_translated(
        dir: &Path,
        protocol: Protocol,
        options: LoadOptions,
        t: source::Translation,
    ) -> Result<Cohort, CohortError> {
        let source::Translation {
            sources,
            tables,
            notices,
        } = t;
        let mut origins = tables.each_ref().map(|t| Origin {
            name: sources.get(t.source).map(|s| Arc::clone(&s.name)),
            rejected: t.rejected.clone(),
        });
        let reports = tables.each_ref().map(|t| {
            let s = sources.get(t.source);
            FileReport {
                file: t.table,
                source: s.map(|s| s.name.to_string()),
                sha256: s.and_then(|s| s.sha256.clone()),
                bytes: s.map_or(0, |s| s.bytes),
                counts: FileCounts::default(),
            }
        });
        let fed = tables.each_ref().map(|t| (t.source, t.rows));
        // Tables written on demand, to ask once read whether every run could be written.
        let lazy = tables
            .each_ref()
            .map(|t| (t.source, t.records.lazy.clone()));
        let inputs = tables.map(|t| Input::<Vec<u8>>::Records(t.records));
        let people_origin = std::mem::take(&mut origins[0]);
        let (people, sess, sc, _) = read_tables(
            inputs,
            &protocol,
            LoadOptions {
                digests: false,
                ..options
            },
            |people| people_origin.apply_to_participants(people),
        );
        origins[0] = people_origin;
        for (source, lazy) in &lazy {
            let failure = lazy.as_ref().and_then(records::LazyRecords::failure);
            source::check_written(dir, &sources, *source, failure)?;
        }
        let mut reports_by_source = Vec::with_capacity(sources.len());
        let mut ignored = Vec::new();
        for (i, s) in sources.into_iter().enumerate() {
            let feeds: Vec<(CohortFile, u64)> = CohortFile::ALL
                .iter()
                .zip(&fed)
                .zip(&origins)
                .filter(|((_, (src, _)), _)| *src == i)
                .map(|((&f, (_, rows)), o)| (f, rows + o.rejected_rows()))
                .collect();
            let report = SourceReport {
                name: s.name.to_string(),
                sha256: s.sha256,
                bytes: s.bytes,
                rows: s.rows,
                ignored: s.ignored.len() as u64,
                tables: feeds.iter().map(|(f, _)| *f).collect(),
            };
            let fed_rows = s.rows.checked_sub(report.ignored);
            let most = feeds.iter().map(|f| f.1).max().unwrap_or(0);
            let all: u64 = feeds.iter().map(|f| f.1).sum();
            let balanced = match (fed_rows, feeds.len()) {
                (Some(n), 0) => n == 0,
                (Some(n), 1) => n == all,
                (Some(n), _) => most <= n && n <= all,
                (None, _) => false,
            };
            if !balanced {
                return Err(CohortError::SourceUnbalanced {
                    name: report.name,
                    rows: s.rows,
                    ignored: report.ignored,
                    fed: feeds.iter().map(|f| f.1).collect(),
                });
            }
            if ignored.is_empty() {
                ignored = s.ignored;
            } else {
                ignored.extend(s.ignored);
            }
            reports_by_source.push(report);
        }
        let mut cohort = assemble(
            dir,
            protocol,
            (people, sess, sc),
            origins,
            reports,
            reports_by_source,
            ignored,
        )?;
        let mut all_notices = notices;
        all_notices.append(&mut cohort.notices);
        cohort.notices = all_notices;
        Ok(cohort)
    }

    /// Marker values of accepted score row `i`.
    pub fn markers_of(&self, i: usize) -> &[Option<Decimal>] {
        let n = self.protocol.markers().len();
        &self.marker_values[i * n..(i + 1) * n]
    }
}

/// Where a table's rows came from, for the ledger: the source's name when it is not the
/// contract's file, the lines to map back, and the rows the translation rejected itself.
#[derive(Debug, Default)]
struct Origin {
    name: Option<Arc<str>>,
    rejected: Vec<source::TranslationRejection>,
}

impl Origin {
    /// Rows the translation rejected (a row may have several records).
    fn rejected_rows(&self) -> u64 {
        let mut rows = 0;
        let mut last = None;
        for r in &self.rejected {
            if last != Some(r.location) {
                rows += 1;
                last = Some(r.location);
            }
        }
        rows
    }

    /// The table's rejections and duplicates named by the source and at its locations, with
    /// the translation's own rejections added.
    fn apply(
        &self,
        file: CohortFile,
        rejections: &mut Vec<Rejection>,
        duplicates: &mut [IgnoredDuplicate],
    ) {
        for r in rejections.iter_mut() {
            r.source.clone_from(&self.name);
        }
        for d in duplicates.iter_mut() {
            d.source.clone_from(&self.name);
        }
        rejections.extend(self.rejected.iter().map(|r| Rejection {
            file,
            source: self.name.clone(),
            line: r.location,
            column: r.column.clone(),
            value: r.value.clone(),
            reason: r.reason.clone(),
        }));
    }

    /// The participants table before the roster is built from it: its ledger as
    /// [`Origin::apply`] makes it, and the ids of rows the translation rejected made unknown
    /// with the reason, so their sessions and scores are rejected with them.
    fn apply_to_participants(&self, people: &mut participants::ParticipantsRead) {
        self.apply(
            CohortFile::Participants,
            &mut people.rejections,
            &mut people.duplicates,
        );
        // Nothing to look up when no rejected row has an id (a Parquet or xlsx source rejects
        // none): the set of a million accepted ids was 50 ms of one core before the roster
        // could be built (perf of a 1M-participant Parquet `analyze`, 2026-12-07).
        if self.rejected.iter().all(|r| r.id.is_empty()) {
            return;
        }
        let accepted: rustc_hash::FxHashSet<&str> =
            people.accepted.iter().map(|p| p.id.as_str()).collect();
        for r in &self.rejected {
            if !r.id.is_empty() && !accepted.contains(r.id.as_str()) {
                people
                    .rejected_ids
                    .entry(r.id.clone())
                    .or_insert(participants::RejectedId {
                        line: r.location,
                        reason: r.reason.clone(),
                    });
            }
        }
    }
}

type Reads = (
    participants::ParticipantsRead,
    sessions::SessionsRead,
    scores::ScoresRead,
);

/// One table for the contract's readers: a CSV file's bytes, or a table translated from
/// another source.
enum Input<B> {
    Csv(Arc<B>),
    Records(records::RecordTable),
}

impl<B: std::ops::Deref<Target = [u8]>> Input<B> {
    fn source(&self) -> csvfile::CsvSource<'_> {
        match self {
            Input::Csv(bytes) => csvfile::CsvSource::new(bytes),
            Input::Records(table) => csvfile::CsvSource::of_records(table),
        }
    }
}

/// Checks the three tables with the contract's readers; `people_hook` sees the participants
/// before their roster is built. The digests of CSV files are computed alongside when
/// `options.digests`.
fn read_tables<B>(
    inputs: [Input<B>; 3],
    protocol: &Protocol,
    options: LoadOptions,
    people_hook: impl FnOnce(&mut participants::ParticipantsRead),
) -> (
    participants::ParticipantsRead,
    sessions::SessionsRead,
    scores::ScoresRead,
    [Option<String>; 3],
)
where
    B: std::ops::Deref<Target = [u8]> + Send + Sync,
{
    let threads = options.threads.max(1);
    let [people_input, sessions_input, scores_input] = inputs;
    std::thread::scope(|scope| {
        let digests = [&people_input, &sessions_input, &scores_input].map(|input| match input {
            Input::Csv(b) if options.digests => Some(start_digest(scope, b)),
            _ => None,
        });
        // The sessions and scores readers need the roster; their sources' own first work
        // (decoding a Parquet file's first row groups) does not, and fills the gaps the
        // participants' reading leaves.
        let prefetch = [&sessions_input, &scores_input].map(|input| match input {
            Input::Records(records::RecordTable {
                lazy: Some(lazy), ..
            }) => {
                let lazy = lazy.clone();
                Some(crate::parallel::spawn(scope, move || lazy.0.prefetch()))
            }
            _ => None,
        });
        let mut people = participants::read(&people_input.source(), protocol, threads);
        drop(people_input);
        people_hook(&mut people);
        let roster = roster::Roster::new(&people.accepted, &people.rejected_ids);
        prefetch
            .into_iter()
            .flatten()
            .for_each(crate::parallel::join);
        // Sessions and scores depend only on the roster: read them side by side, so one
        // fills the gaps the other leaves.
        let (sess, sc) = std::thread::scope(|inner| {
            let scores_job = crate::parallel::spawn(inner, || {
                let input = scores_input;
                scores::read(&input.source(), protocol, &roster, threads)
            });
            let sess = sessions::read(&sessions_input.source(), &roster, threads);
            drop(sessions_input);
            (sess, crate::parallel::join(scores_job))
        });
        drop(roster);
        (
            people,
            sess,
            sc,
            digests.map(|d| d.map(crate::parallel::join)),
        )
    })
}

/// The cohort from the three tables' reads: notices, counts, ledger. `origins` say where each
/// table came from; `reports` are the tables' reports without their counts yet.
fn assemble(
    dir: &Path,
    protocol: Protocol,
    (people, mut sess, mut sc): Reads,
    origins: [Origin; 3],
    mut reports: [FileReport; 3],
    sources: Vec<SourceReport>,
    ignored: Vec<source::IgnoredRow>,
) -> Result<Cohort, CohortError> {
    let shown = |i: usize, f: CohortFile| -> String {
        origins[i].name.as_deref().unwrap_or(f.name()).to_owned()
    };
    let mut notices = Vec::new();
    for (i, (file, cols)) in [
        (CohortFile::Participants, &people.ignored_columns),
        (CohortFile::Sessions, &sess.ignored_columns),
        (CohortFile::Scores, &sc.ignored_columns),
    ]
    .into_iter()
    .enumerate()
    {
        for c in cols {
            notices.push(format!(
                "{}: column `{c}` is not part of the data contract and is ignored",
                shown(i, file)
            ));
        }
    }
    for m in &sc.missing_markers {
        notices.push(format!(
            "{}: marker `{m}` is declared in trial.toml but the file has no such column; it has no values and no comparison",
            shown(2, CohortFile::Scores)
        ));
    }
    // The participants' origin was applied before their roster was built.
    origins[1].apply(CohortFile::Sessions, &mut sess.rejections, &mut []);
    origins[2].apply(CohortFile::Scores, &mut sc.rejections, &mut sc.duplicates);
    let extra = origins.each_ref().map(Origin::rejected_rows);

    let counts = [
        FileCounts {
            rows: people.rows + extra[0],
            accepted: people.accepted.len() as u64,
            rejected: people.rejected + extra[0],
            ignored_duplicates: people.duplicates.len() as u64,
        },
        FileCounts {
            rows: sess.rows + extra[1],
            accepted: sess.accepted.len() as u64,
            rejected: sess.rejected + extra[1],
            ignored_duplicates: 0,
        },
        FileCounts {
            rows: sc.rows + extra[2],
            accepted: sc.accepted.len() as u64,
            rejected: sc.rejected + extra[2],
            ignored_duplicates: sc.duplicates.len() as u64,
        },
    ];
    for (report, c) in reports.iter_mut().zip(counts) {
        report.counts = c;
    }

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
        files: reports.into(),
        sources,
        ignored,
        notices,
        missing_markers: sc.missing_markers,
    })
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

//! The bodies of the cargo-fuzz targets, kept free of libFuzzer so that the main test suite
//! compiles and runs them on seed inputs with the stable toolchain (`tests/fuzz.rs` includes
//! this file), while `cargo +nightly fuzz run` drives them with coverage-guided inputs.
//!
//! Each body panics when an invariant breaks; libFuzzer reports any panic as a crash.
//! Errors the library returns for bad input are fine; a panic, a ledger that does not add up,
//! results that change with the thread count, or a message that would drive the terminal
//! are not.

use std::path::Path;

use trialdose::cohort::{Cohort, CohortError, LoadOptions};
use trialdose::domain::protocol::Protocol;

/// Separates the files of a `csv_reader` input: participants.csv, sessions.csv, scores.csv
/// and, optionally, trial.toml, in that order (the ASCII record separator).
pub const SEPARATOR: u8 = 0x1e;

/// Asserts that `text` holds no control character but tab, LF and CR (an error message is
/// printed to a terminal, where ESC and friends are commands).
pub fn assert_printable(what: &str, text: &str) {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        panic!("{what} holds the raw control character {c:?}: {text:?}");
    }
}

/// Writes the cohort of a `csv_reader` input into `dir`.
pub fn write_cohort(data: &[u8], dir: &Path) -> std::io::Result<()> {
    let mut parts = data.splitn(4, |b| *b == SEPARATOR);
    for name in ["participants.csv", "sessions.csv", "scores.csv"] {
        std::fs::write(dir.join(name), parts.next().unwrap_or_default())?;
    }
    match parts.next() {
        Some(toml) => std::fs::write(dir.join("trial.toml"), toml),
        None => match std::fs::remove_file(dir.join("trial.toml")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// The CSV reader target: the input is a cohort (see [`SEPARATOR`]), read with one thread
/// and with three. Every file's counts must add up, the two reads must agree exactly (counts,
/// rejections, accepted rows), and no rejection may carry a raw control character in its
/// reason.
pub fn csv_reader(data: &[u8]) {
    let dir = tempfile::tempdir().expect("creating a temporary folder");
    write_cohort(data, dir.path()).expect("writing the cohort");
    let read = |threads| {
        Cohort::load(
            dir.path(),
            LoadOptions {
                threads,
                digests: true,
            },
        )
    };
    match (read(1), read(3)) {
        (Ok(one), Ok(three)) => {
            for f in &one.files {
                let c = f.counts;
                assert_eq!(
                    c.accepted + c.rejected + c.ignored_duplicates,
                    c.rows,
                    "{}: the ledger does not add up: {c:?}",
                    f.file.name()
                );
            }
            let counts = |c: &Cohort| c.files.iter().map(|f| f.counts).collect::<Vec<_>>();
            assert_eq!(
                counts(&one),
                counts(&three),
                "counts depend on the thread count"
            );
            assert_eq!(
                one.ledger.rejections(),
                three.ledger.rejections(),
                "rejections depend on the thread count"
            );
            assert_eq!(one.participants.len(), three.participants.len());
            assert_eq!(one.sessions.len(), three.sessions.len());
            assert_eq!(one.scores.len(), three.scores.len());
            for r in one.ledger.rejections() {
                assert_printable("a rejection's reason", &r.reason);
                assert_printable("a rejection's column", &r.column);
            }
            for n in &one.notices {
                assert_printable("a notice", n);
            }
        }
        (Err(a), Err(b)) => {
            assert!(
                !matches!(a, CohortError::Unbalanced { .. }),
                "the reader's counts do not add up: {a}"
            );
            assert_eq!(
                a.to_string(),
                b.to_string(),
                "the error depends on the thread count"
            );
        }
        (a, b) => panic!(
            "one thread and three disagree on whether the cohort can be read: {:?} / {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        ),
    }
}

/// The trial.toml target: the input is the file's text. A protocol that is accepted must hold
/// every rule of the contract; a refusal must name a key or the parser's position and carry
/// no raw control character.
pub fn trial_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Protocol::from_toml(text, "trial.toml") {
        Ok(p) => {
            let arms = p.arms();
            assert!(arms.len() >= 2, "fewer than two arms");
            assert_eq!(arms.iter().filter(|a| a.is_control()).count(), 1);
            assert!(arms[p.control_index()].is_control());
            for (i, a) in arms.iter().enumerate() {
                assert!(!a.id().is_empty() && a.id().chars().count() <= 64);
                assert_printable("an arm id", a.id());
                assert_eq!(p.arm_index(a.id()), Some(i), "arm ids are not unique");
                if let Some(s) = a.schedule() {
                    assert!((1..=240).contains(&s.minutes()));
                    assert!((1..=14).contains(&s.per_week()));
                    assert!((1..=52).contains(&s.weeks()));
                }
                let days = p.window_days(i);
                assert!((7..=7 * 52).contains(&days), "window of {days} days");
            }
            assert!((1..=104).contains(&p.checkpoint_week()));
            let zero = trialdose::cohort::value::Decimal::ZERO;
            let one = trialdose::cohort::value::Decimal::from_int(1);
            let hundred = trialdose::cohort::value::Decimal::from_int(100);
            assert!(p.adherence_threshold() > zero && p.adherence_threshold() <= one);
            assert!(p.pain_max() > zero && p.ndi_max() > zero);
            assert!(p.pain_min_reduction_pct() > zero && p.pain_min_reduction_pct() <= hundred);
            assert!(
                p.ndi_min_improvement() > zero && p.ndi_min_improvement() <= p.ndi_max(),
                "an NDI threshold nobody can reach was accepted"
            );
            assert_printable("the trial name", p.name());
            for m in p.markers() {
                let c = m.column();
                assert!(
                    c.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_')
                        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'),
                    "marker name {c:?} is not a plain identifier"
                );
                assert!(m.min_improvement() > zero);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("trial.toml"),
                "the message does not name the file: {msg}"
            );
            assert_printable("a trial.toml error", &msg);
        }
    }
}

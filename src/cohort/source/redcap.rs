//! `format = "redcap"`: a REDCap records export and its data dictionary, translated by
//! [`crate::cohort::redcap`] and laid into the framework's tables here.
//!
//! The REDCap translator writes each contract table as records at their export lines (on
//! threads, a block per chunk of the export), so the ledger, every rejection and every
//! "duplicate of line N" speak the export's physical lines like every other source; the rows
//! the translator rejected (as the framework's own [`super::TranslationRejection`]s) or
//! ignored go to the table's and the source file's ledgers. The dictionary is listed as a
//! second source file with its digest (it decides what every code means) and no rows.

use std::path::Path;

use super::spec::{RedcapSpec as SourceRedcap, SourceSpec};
use super::{SourceError, SourceFile, TranslateOptions, Translation, read_source};
use crate::cohort::ledger::CohortFile;
use crate::cohort::redcap::{self, RedcapError};

/// Reads the export and dictionary of a `[source]` with `format = "redcap"`.
///
/// # Errors
/// [`SourceError::Input`] for a file that cannot be read; [`SourceError::Usage`] for a mapping
/// the export or dictionary cannot satisfy, or a dictionary or export header that cannot be
/// used, each naming the key or field and the fix.
pub fn read(
    dir: &Path,
    spec: &SourceSpec,
    rc: &SourceRedcap,
    options: TranslateOptions<'_>,
) -> Result<Translation, SourceError> {
    let export = read_source(dir, &rc.export, crate::files::SOURCE_LIMIT)?;
    let dictionary_bytes = read_source(dir, &rc.dictionary, crate::files::SOURCE_LIMIT)?;
    let usage = |e: RedcapError| usage(e, rc);
    let settings = redcap::RedcapSpec::from_toml(&rc.settings).map_err(usage)?;
    let dictionary = redcap::Dictionary::parse(&dictionary_bytes).map_err(usage)?;
    let markers: Vec<String> = options.markers.iter().map(|m| (*m).to_owned()).collect();
    // The export's digest is computed beside the translation (on a thread of the budget).
    let (t, mut source) = std::thread::scope(|scope| {
        let source = crate::parallel::spawn(scope, || {
            SourceFile::new(rc.export.as_str(), &export, options.digests)
        });
        let t = redcap::translate(
            &export,
            &dictionary,
            &settings,
            &spec.codes.columns,
            &markers,
        );
        (t, crate::parallel::join(source))
    });
    let t = t.map_err(usage)?;
    source.rows = t.rows;
    let mut ignored = t.ignored;
    ignored.sort_by_key(|(line, _)| *line);
    // Room for them at once: a REDCap export ignores a row per record and empty event
    // (100,000 in the bench's), and growing the ledger by doubling was a serial copy.
    source.ignored.reserve(ignored.len());
    for (line, reason) in ignored {
        source.ignore(line, reason);
    }
    let tables = [
        (CohortFile::Participants, t.participants),
        (CohortFile::Sessions, t.sessions),
        (CohortFile::Scores, t.scores),
    ]
    .into_iter()
    .map(|(table, part)| lay_out(table, part))
    .collect();
    // The dictionary decides what every code means: it is listed, with its digest, beside
    // the export (no rows, no tables).
    let dictionary = SourceFile::new(rc.dictionary.as_str(), &dictionary_bytes, options.digests);
    Translation::new(vec![source, dictionary], tables, Vec::new())
}

/// The translator's table in the framework's terms.
fn lay_out(table: CohortFile, mut part: redcap::Table) -> super::Table {
    let rows = part.records.len() as u64;
    // The translator trims spaces and tabs; the ledger's ids are trimmed as `str::trim` does.
    for r in &mut part.rejected {
        if r.id.trim().len() != r.id.len() {
            r.id = r.id.trim().to_owned();
        }
    }
    super::Table {
        table,
        source: 0,
        records: part.records,
        rows,
        rejected: part.rejected,
    }
}

/// A REDCap mapping, dictionary or export-header problem as the usage error it is (exit 2).
fn usage(e: RedcapError, rc: &SourceRedcap) -> SourceError {
    let (path, key, message) = match e {
        RedcapError::Spec { key, problem } => ("trial.toml".to_owned(), key, problem),
        RedcapError::Field {
            key,
            field,
            problem,
        } => (
            "trial.toml".to_owned(),
            key,
            format!("= \"{field}\": {problem}"),
        ),
        RedcapError::Dictionary { line, problem } => (
            rc.dictionary.as_str().to_owned(),
            "source.dictionary".to_owned(),
            format!("line {line}: the dictionary {problem}"),
        ),
        RedcapError::Export { problem } => (
            rc.export.as_str().to_owned(),
            "source.export".to_owned(),
            problem,
        ),
    };
    SourceError::Usage { path, key, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::records::{RecordBlock, RecordTable, TranslationRejection};

    #[test]
    fn records_keep_their_export_lines_and_rejections_keep_theirs() {
        let mut block = RecordBlock::default();
        for (line, id) in [(2, "P1"), (5, "P2"), (9, "P3")] {
            block.start(line);
            block.push(id.as_bytes());
        }
        let part = redcap::Table {
            records: RecordTable {
                header: vec!["participant_id".into()],
                header_line: 1,
                blocks: vec![block],
                lazy: None,
            },
            rejected: vec![TranslationRejection {
                location: 7,
                id: " P9".into(),
                column: "week".into(),
                value: "x".into(),
                reason: "r".into(),
            }],
        };
        let t = lay_out(CohortFile::Scores, part);
        assert_eq!(t.rows, 3);
        let lines: Vec<u64> = t.records.records().into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [2, 5, 9]);
        assert_eq!(
            (t.rejected[0].location, t.rejected[0].id.as_str()),
            (7, "P9")
        );
    }
}

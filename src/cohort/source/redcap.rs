//! `format = "redcap"`: a REDCap records export and its data dictionary, translated by
//! [`crate::cohort::redcap`] and laid into the framework's tables here.
//!
//! The REDCap translator writes each contract table as compact CSV with the export line of
//! every record beside it (it runs on threads, chunk by chunk, so it cannot pad as it goes).
//! This module puts each record back on its export line with [`TableBuilder::raw_record`], so
//! the ledger, every rejection and every "duplicate of line N" speak the export's physical
//! lines like every other source; the rows the translator rejected or ignored go to the
//! builder's and the source file's ledgers. The dictionary is listed as a second source file
//! with its digest (it decides what every code means) and no rows.

use std::path::Path;

use super::spec::{RedcapSpec as SourceRedcap, SourceSpec};
use super::{SourceError, SourceFile, TableBuilder, TranslateOptions, Translation, read_source};
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
    let t = redcap::translate(
        &export,
        &dictionary,
        &settings,
        &spec.codes.columns,
        &markers,
    )
    .map_err(usage)?;

    let mut source = SourceFile::new(rc.export.as_str(), &export, options.digests);
    source.rows = t.rows;
    let mut ignored = t.ignored;
    ignored.sort_by_key(|(line, _)| *line);
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

/// The translator's compact table with each record moved to its export line.
fn lay_out(table: CohortFile, part: redcap::Table) -> super::Table {
    let csv = &part.csv;
    let header_end = memchr::memchr(b'\n', csv).unwrap_or(csv.len());
    let columns: Vec<&str> = std::str::from_utf8(&csv[..header_end])
        .unwrap_or_default()
        .split(',')
        .filter(|c| !c.is_empty())
        .collect();
    let mut b = TableBuilder::new(table, 0, &columns, 1);
    b.reserve(csv.len() + part.lines.len() * 2);
    let records = Records {
        csv,
        at: (header_end + 1).min(csv.len()),
    };
    for (&line, record) in part.lines.iter().zip(records) {
        b.raw_record(line, record);
    }
    for p in part.rejected {
        b.reject(p.line, &p.id, &p.column, &p.value, p.reason);
    }
    b.finish()
}

/// The records of a CSV body, each without its line end (a quoted cell may hold a line break).
struct Records<'a> {
    csv: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = &self.csv[self.at..];
        if rest.is_empty() {
            return None;
        }
        let mut quoted = false;
        let mut i = 0;
        let end = loop {
            match memchr::memchr2(b'"', b'\n', &rest[i..]) {
                None => break rest.len(),
                Some(k) if rest[i + k] == b'"' => {
                    quoted = !quoted;
                    i += k + 1;
                }
                Some(k) if quoted => i += k + 1,
                Some(k) => break i + k,
            }
        };
        self.at += (end + 1).min(rest.len());
        Some(&rest[..end])
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

    #[test]
    fn records_split_at_line_ends_outside_quotes() {
        let csv = b"a,b\n1,\"x\ny\"\n2,\"\"\"q\"\"\"\n3,z";
        let r: Vec<&[u8]> = Records { csv, at: 4 }.collect();
        assert_eq!(
            r,
            vec![&b"1,\"x\ny\""[..], &b"2,\"\"\"q\"\"\""[..], &b"3,z"[..]]
        );
    }

    #[test]
    fn records_land_on_their_export_lines_and_rejections_keep_their_lines() {
        let part = redcap::Table {
            csv: b"participant_id,week,pain\nP1,0,3\nP2,0,\"a\nb\"\nP3,5,4\n".to_vec(),
            lines: vec![2, 5, 9],
            rejected: vec![redcap::RowProblem {
                line: 7,
                id: "P9".into(),
                column: "week".into(),
                value: "x".into(),
                reason: "r".into(),
            }],
        };
        let t = lay_out(CohortFile::Scores, part);
        assert_eq!(
            String::from_utf8(t.bytes).unwrap(),
            "participant_id,week,pain\nP1,0,3\n\n\nP2,0,\"a\nb\"\n\n\nP3,5,4\n"
        );
        assert!(t.lines.is_identity());
        assert_eq!(t.rows, 3);
        assert_eq!(t.rejected.len(), 1);
        assert_eq!(
            (t.rejected[0].location, t.rejected[0].id.as_str()),
            (7, "P9")
        );
    }
}

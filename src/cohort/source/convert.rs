//! `trialdose convert`: a cohort's tables as the contract's three CSV files, and its
//! `trial.toml` without `[source]`, so another tool, a notebook or an older trialdose reads
//! the same data.
//!
//! Every translated row is written, accepted or not: reading the output gives the same ledger
//! as reading the source, at the same line numbers (the files keep the translation's blank
//! lines, which are not rows, so each record stays on its source's line or sheet row). Rows
//! the translation rejected itself (an Excel error cell, a malformed record) cannot be
//! written as contract rows; they are counted in [`ConvertedTable::not_written`], as are the
//! rows of a table whose `[source]` maps none of its columns (with a notice). A cohort
//! without `[source]`, or with the contract's own dialect, is copied byte for byte.
//! `trial.toml` loses its `[source]` table through toml_edit, so every other key, comment and
//! blank line stays as written.

use std::path::Path;

use super::spec::{Format, table_index};
use super::{SourceError, TranslateOptions, read_source};
use crate::cohort::ledger::CohortFile;
use crate::cohort::{CohortError, load_trial};

/// One contract table, ready to write.
#[derive(Debug)]
pub struct ConvertedTable {
    /// Which table (its file name is the contract's).
    pub file: CohortFile,
    /// Contract CSV.
    pub bytes: Vec<u8>,
    /// The source it was read from.
    pub from: String,
    /// Records written.
    pub rows: u64,
    /// Source rows the translation rejected itself, not written.
    pub not_written: u64,
}

/// A cohort as contract files.
#[derive(Debug)]
pub struct Converted {
    /// Participants, sessions, scores.
    pub tables: Vec<ConvertedTable>,
    /// `trial.toml` without `[source]`; `None` when the cohort has no `trial.toml`.
    pub trial_toml: Option<String>,
    /// Notices of the translation.
    pub notices: Vec<String>,
}

/// The contract files of the cohort in `dir`.
///
/// # Errors
/// As `Cohort::load` for `trial.toml` and the sources.
pub fn convert(dir: &Path) -> Result<Converted, CohortError> {
    let (protocol, spec) = load_trial(dir)?;
    let path = dir.join("trial.toml");
    let trial_toml = match crate::files::read_input(&path, crate::files::TOML_LIMIT) {
        Ok(bytes) => Some(without_source(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(SourceError::Input { path, source }.into()),
    };
    let markers: Vec<&str> = protocol.markers().iter().map(|m| m.column()).collect();
    let translated = match &spec {
        None => None,
        Some(spec) => super::translate(
            dir,
            spec,
            TranslateOptions {
                digests: false,
                markers: &markers,
            },
        )?,
    };
    let mut tables = Vec::with_capacity(3);
    let mut notices = Vec::new();
    match translated {
        Some(t) => {
            notices = t.notices;
            for table in t.tables {
                let from = t
                    .sources
                    .get(table.source)
                    .map_or(String::new(), |s| s.name.to_string());
                if table.records.header_line == 0 {
                    notices.push(format!(
                        "{}: the source numbers its header 0, so the lines of {} are its row numbers plus one",
                        from,
                        table.table.name()
                    ));
                }
                let mut rows = std::collections::BTreeSet::new();
                rows.extend(table.rejected.iter().map(|r| r.location));
                if table.records.header.is_empty() && table.rows > 0 {
                    // No column of the source is mapped to one of this table: its rows have
                    // nothing to be written as (`analyze` rejects each, naming the mapping).
                    // A source written on demand is still read through, so that a damaged
                    // file fails here as it does in `analyze`.
                    table.records.each_block(|_| {});
                    super::check_written(dir, &t.sources, table.source, table.records.failure())?;
                    let key = super::spec::table_key(table.table);
                    notices.push(format!(
                        "{from}: none of its columns is mapped to a column of the {key} table, so its {} row(s) are not written; map them under [source.columns.{key}]",
                        table.rows
                    ));
                    tables.push(ConvertedTable {
                        file: table.table,
                        bytes: Vec::new(),
                        from,
                        rows: 0,
                        not_written: rows.len() as u64 + table.rows,
                    });
                    continue;
                }
                let bytes = table.records.to_csv();
                super::check_written(dir, &t.sources, table.source, table.records.failure())?;
                tables.push(ConvertedTable {
                    file: table.table,
                    bytes,
                    from,
                    rows: table.rows,
                    not_written: rows.len() as u64,
                });
            }
        }
        None => {
            for file in CohortFile::ALL {
                let name = match spec.as_ref().map(|s| &s.format) {
                    Some(Format::Csv(csv)) => csv.files[table_index(file)].clone(),
                    _ => super::spec::RelPath::contract(file),
                };
                let bytes = read_source(dir, &name, crate::files::SOURCE_LIMIT)?.to_vec();
                tables.push(ConvertedTable {
                    file,
                    rows: 0,
                    bytes,
                    from: name.as_str().to_owned(),
                    not_written: 0,
                });
            }
        }
    }
    Ok(Converted {
        tables,
        trial_toml,
        notices,
    })
}

/// `text` without its `source` table (and without `source.*` dotted keys).
fn without_source(text: &str) -> String {
    match text.parse::<toml_edit::DocumentMut>() {
        Ok(mut doc) => {
            doc.remove("source");
            doc.to_string()
        }
        // `load_trial` parsed it already; the text is kept as it is otherwise.
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_source_table_goes_and_everything_else_stays() {
        let text = "# my trial\nname = \"x\"   # kept\n\n[source]\nformat = \"csv\"\n\n[source.columns.participants]\narm = \"Gruppe\"\n\n[[arms]]\nid = \"control\"\ncontrol = true\n";
        let out = super::without_source(text);
        assert!(!out.contains("source") && !out.contains("Gruppe"), "{out}");
        assert!(
            out.starts_with("# my trial\nname = \"x\"   # kept\n"),
            "{out}"
        );
        assert!(
            out.contains("[[arms]]\nid = \"control\"\ncontrol = true\n"),
            "{out}"
        );
    }
}

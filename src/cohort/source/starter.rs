//! `trialdose init`: a starter `trial.toml` whose `[source]` is filled in from the files a
//! new user has, so they edit a mapping instead of writing one from nothing.
//!
//! Each source (a CSV file, or each sheet of an xlsx workbook) is read only as far as its
//! header (and, for CSV, its first rows, to see the delimiter, the encoding and decimal
//! commas). Its columns are matched to the contract's by name: exactly, then ignoring case,
//! spaces and punctuation, then through a short list of usual names (`Patient No.`,
//! `gender`, `visit date`, ...). Each source is assigned the table whose columns it matches
//! best. Matched columns are mapped, contract columns nothing matched are written as
//! commented lines to fill in, and source columns that matched nothing are listed in a
//! comment. The result is text; the command line writes it.
//!
//! A REDCap data dictionary and Parquet files are recognised and left to their readers'
//! starters (`Kind::Redcap`, `Kind::Parquet`).

use std::path::{Path, PathBuf};

use super::SourceError;
use super::dialect::detect;
use super::spec::{contract_columns, table_index, table_key};
use crate::cohort::ledger::CohortFile;
use crate::cohort::{participants, scores, sessions};

/// Usual names of contract columns, compared after [`normal`].
const SYNONYMS: [(&str, &[&str]); 14] = [
    (
        "participant_id",
        &[
            "participant",
            "patient",
            "patientid",
            "patientno",
            "patientnr",
            "patientnumber",
            "subject",
            "subjectid",
            "recordid",
            "studyid",
            "id",
            "pid",
        ],
    ),
    (
        "arm",
        &[
            "group",
            "treatmentarm",
            "treatmentgroup",
            "allocation",
            "randomisedarm",
            "randomizedarm",
        ],
    ),
    ("age", &["ageyears", "ageatbaseline"]),
    ("sex", &["gender"]),
    (
        "site",
        &["clinic", "centre", "center", "practice", "location"],
    ),
    (
        "randomized_on",
        &[
            "randomisedon",
            "randomizationdate",
            "randomisationdate",
            "dateofrandomization",
            "dateofrandomisation",
        ],
    ),
    (
        "medical_clearance",
        &["clearance", "cleared", "medicallycleared"],
    ),
    (
        "date",
        &["visitdate", "sessiondate", "appointmentdate", "appointment"],
    ),
    (
        "minutes",
        &[
            "duration",
            "durationmin",
            "durationminutes",
            "mins",
            "sessionminutes",
        ],
    ),
    (
        "status",
        &["attendance", "visitstatus", "appointmentstatus"],
    ),
    (
        "therapist",
        &[
            "practitioner",
            "clinician",
            "provider",
            "physio",
            "physiotherapist",
        ],
    ),
    (
        "adverse_event",
        &["ae", "adverseevents", "sideeffect", "sideeffects"],
    ),
    ("pain", &["painscore", "nrs", "painnrs", "vas", "painvas"]),
    ("ndi", &["neckdisabilityindex", "ndiscore"]),
];

/// Lowercase letters and digits only.
fn normal(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The contract column of `table` that source column `name` is, if any.
fn matched<'c>(name: &str, contract: &[&'c str]) -> Option<&'c str> {
    if let Some(c) = contract.iter().find(|c| **c == name) {
        return Some(c);
    }
    let n = normal(name);
    if let Some(c) = contract.iter().find(|c| normal(c) == n) {
        return Some(c);
    }
    SYNONYMS
        .iter()
        .find(|(_, names)| names.contains(&n.as_str()))
        .and_then(|(c, _)| contract.iter().find(|k| *k == c).copied())
}

/// What a starter is made from.
#[derive(Clone, Debug)]
pub enum Kind {
    /// CSV files, one per table.
    Csv(Vec<PathBuf>),
    /// One xlsx workbook.
    Xlsx(PathBuf),
    /// Parquet files, one per table.
    Parquet(Vec<PathBuf>),
    /// A REDCap data dictionary, and the records export when given (it tells whether the
    /// project has events and data access groups).
    Redcap {
        /// The dictionary, then the export when given.
        files: Vec<PathBuf>,
        /// Where the dictionary is among the files as given (their names are in that order).
        dictionary: usize,
    },
}

impl Kind {
    /// The kind of `files`, from their names and, for CSV, the dictionary's header.
    ///
    /// # Errors
    /// [`SourceError::Usage`] for a mix of kinds or several workbooks.
    pub fn of(files: &[PathBuf]) -> Result<Kind, SourceError> {
        let ext = |p: &Path| {
            p.extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default()
        };
        let usage = |message: String| SourceError::Usage {
            path: "trialdose init".into(),
            key: "SOURCE".into(),
            message,
        };
        match files {
            [] => Err(usage("needs a file: CSV files, an xlsx workbook, Parquet files or a REDCap data dictionary".into())),
            [one] if ext(one) == "xlsx" => Ok(Kind::Xlsx(one.clone())),
            many if many.iter().all(|f| ext(f) == "parquet") => Ok(Kind::Parquet(many.to_vec())),
            many if many.iter().any(|f| ext(f) == "xlsx" || ext(f) == "parquet") => Err(usage(
                "mixes kinds of file; give CSV files, or one xlsx workbook, or Parquet files".into(),
            )),
            [one] if is_redcap_dictionary(one) => Ok(Kind::Redcap {
                files: vec![one.clone()],
                dictionary: 0,
            }),
            [a, b] if is_redcap_dictionary(a) || is_redcap_dictionary(b) => {
                let dictionary = usize::from(!is_redcap_dictionary(a));
                Ok(Kind::Redcap {
                    files: vec![files[dictionary].clone(), files[1 - dictionary].clone()],
                    dictionary,
                })
            }
            many if many.len() > 3 => Err(usage(format!(
                "has {} files; a cohort has three tables (participants, sessions, scores)",
                many.len()
            ))),
            many => Ok(Kind::Csv(many.to_vec())),
        }
    }
}

/// True when `path`'s first line is a REDCap data dictionary's header.
fn is_redcap_dictionary(path: &Path) -> bool {
    let Ok(file) = crate::files::open_input(path) else {
        return false;
    };
    let mut head = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::Read::take(file, 4096), &mut head);
    String::from_utf8_lossy(&head).contains("Variable / Field Name")
}

/// One source's header as `init` read it.
struct Found {
    /// Its name inside the cohort folder (file) or the sheet's name.
    name: String,
    header: Vec<String>,
}

/// Starter text for `kind`, whose files are named `names` inside the cohort folder.
///
/// # Errors
/// [`SourceError`] for a file that cannot be read, or a kind whose starter is not built.
pub fn starter(kind: &Kind, names: &[String]) -> Result<String, SourceError> {
    let read = |path: &PathBuf, limit: u64| {
        crate::files::read_input(path, limit).map_err(|source| SourceError::Input {
            path: path.clone(),
            source,
        })
    };
    match kind {
        Kind::Csv(files) => csv_starter(files, names),
        Kind::Xlsx(path) => {
            let bytes = read(path, crate::files::WORKBOOK_LIMIT)?;
            let sheets = super::xlsx::sheet_headers(path, bytes)?;
            let found: Vec<Found> = sheets
                .into_iter()
                .map(|(name, header)| Found { name, header })
                .collect();
            let workbook = names.first().cloned().unwrap_or_default();
            let head = format!(
                "[source]\nformat = \"xlsx\"\nworkbook = {}\n",
                quoted(&workbook)
            );
            Ok(render(&head, &found, &workbook))
        }
        Kind::Parquet(files) => {
            let mut found = Vec::with_capacity(files.len());
            for (path, name) in files.iter().zip(names) {
                let bytes = read(path, crate::files::SOURCE_LIMIT)?;
                found.push(Found {
                    name: name.clone(),
                    header: super::parquet::column_names(path, bytes)?,
                });
            }
            Ok(render("[source]\nformat = \"parquet\"\n", &found, ""))
        }
        Kind::Redcap { files, dictionary } => {
            let path = &files[0];
            let bytes = read(path, crate::files::SOURCE_LIMIT)?;
            let parsed = crate::cohort::redcap::Dictionary::parse(&bytes).map_err(|e| {
                SourceError::Usage {
                    path: path.display().to_string(),
                    key: "SOURCE".into(),
                    message: e.to_string(),
                }
            })?;
            let header = match files.get(1) {
                Some(export) => Some(export_header(&read(export, crate::files::SOURCE_LIMIT)?)),
                None => None,
            };
            let mut names_used = crate::cohort::redcap::StarterFiles::default();
            if let Some(name) = names.get(*dictionary) {
                names_used.dictionary = name;
            }
            if files.len() > 1
                && let Some(name) = names.get(1 - dictionary)
            {
                names_used.export = name;
            }
            Ok(crate::cohort::redcap::starter_source(
                &parsed,
                header.as_deref(),
                names_used,
            ))
        }
    }
}

/// The column names on the first line of a REDCap export (no field name holds a comma or a
/// quote; REDCap's own are letters, digits and underscores).
fn export_header(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .trim_end_matches('\r')
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_owned())
        .collect()
}

/// The starter of CSV files: delimiter, encoding and decimal mark seen in them.
fn csv_starter(files: &[PathBuf], names: &[String]) -> Result<String, SourceError> {
    let mut found = Vec::new();
    let mut delimiters = Vec::new();
    let mut windows = false;
    let mut decimal_comma = false;
    for (path, name) in files.iter().zip(names) {
        let bytes =
            crate::files::read_input(path, crate::files::SOURCE_LIMIT).map_err(|source| {
                SourceError::Input {
                    path: path.clone(),
                    source,
                }
            })?;
        let head = &bytes[..bytes.len().min(1 << 20)];
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        // A cut inside a multi-byte sequence at the end is not a reason to call it 1252.
        let utf8 = match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        };
        windows |= !utf8;
        let text = if utf8 {
            String::from_utf8_lossy(head).into_owned()
        } else {
            encoding_rs::WINDOWS_1252.decode(head).0.into_owned()
        };
        let (sep, _) = detect(text.as_bytes(), name);
        delimiters.push(sep);
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(char::from(sep))
            .map(|h| h.trim().trim_matches('"').trim().to_owned())
            .collect();
        decimal_comma |= sep != b','
            && lines.take(1000).any(|l| {
                l.split(char::from(sep)).any(|cell| {
                    let cell = cell.trim().trim_matches('"');
                    let (a, b) = cell.split_once(',').unwrap_or(("", ""));
                    !a.is_empty()
                        && !b.is_empty()
                        && a.trim_start_matches('-')
                            .bytes()
                            .all(|c| c.is_ascii_digit())
                        && b.bytes().all(|c| c.is_ascii_digit())
                })
            });
        found.push(Found {
            name: name.clone(),
            header,
        });
    }
    let delimiter = match delimiters.as_slice() {
        [first, rest @ ..] if rest.iter().all(|d| d == first) => match first {
            b';' => "\";\"",
            b'\t' => "\"\\t\"",
            _ => "\",\"",
        },
        _ => "\"auto\"",
    };
    let mut head = format!(
        "[source]\nformat = \"csv\"\ndelimiter = {delimiter}   # detected from the header lines\n"
    );
    head.push_str(if windows {
        "encoding = \"windows-1252\"   # the files are not valid UTF-8\n"
    } else {
        "encoding = \"utf-8\"\n"
    });
    if decimal_comma {
        head.push_str("decimal = \",\"   # numbers like 3,7 were seen\n");
    }
    Ok(render(&head, &found, ""))
}

/// A TOML string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Assigns each source a table (the best match first) and writes the `[source]` text after
/// `head`. `workbook` is empty for CSV files (each source is then a file).
fn render(head: &str, found: &[Found], workbook: &str) -> String {
    // Score: columns matched, the required ones twice.
    let score = |f: &Found, table: CohortFile| -> usize {
        let contract = contract_columns(table, &[]);
        let required = required(table);
        f.header
            .iter()
            .filter_map(|h| matched(h, &contract))
            .map(|c| if required.contains(&c) { 2 } else { 1 })
            .sum()
    };
    let mut pairs: Vec<(usize, usize, CohortFile)> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        for table in CohortFile::ALL {
            pairs.push((score(f, table), i, table));
        }
    }
    pairs.sort_by_key(|&(s, i, t)| (std::cmp::Reverse(s), i, table_index(t)));
    let mut assigned: [Option<usize>; 3] = [None; 3];
    let mut used = vec![false; found.len()];
    for (s, i, t) in pairs {
        if s > 0 && !used[i] && assigned[table_index(t)].is_none() {
            assigned[table_index(t)] = Some(i);
            used[i] = true;
        }
    }
    let mut out = String::from(
        "# A starter trial.toml written by `trialdose init`: check every mapping below, then run\n\
         # `trialdose validate .` in this folder. The protocol (arms, checkpoint_week, thresholds)\n\
         # takes the DREAM trial's defaults until you add its keys; see data/README.md.\n\n",
    );
    out.push_str(head);
    for table in CohortFile::ALL {
        let key = table_key(table);
        match assigned[table_index(table)] {
            Some(i) => out.push_str(&format!("{key} = {}\n", quoted(&found[i].name))),
            None => out.push_str(&format!(
                "# {key} = \"\"   # no {} matched the {key} table: name it here\n",
                if workbook.is_empty() { "file" } else { "sheet" }
            )),
        }
    }
    for (i, f) in found.iter().enumerate() {
        if !used[i] {
            out.push_str(&format!(
                "# {} matched no table's columns; it is not read\n",
                quoted(&f.name)
            ));
        }
    }
    for table in CohortFile::ALL {
        let Some(i) = assigned[table_index(table)] else {
            continue;
        };
        let f = &found[i];
        let contract = contract_columns(table, &[]);
        let required = required(table);
        let mut mapped: Vec<(&str, &str)> = Vec::new();
        let mut unmatched: Vec<&str> = Vec::new();
        for h in &f.header {
            match matched(h, &contract) {
                Some(c) if !mapped.iter().any(|(m, _)| *m == c) => mapped.push((c, h)),
                _ if !h.is_empty() => unmatched.push(h),
                _ => {}
            }
        }
        out.push_str(&format!(
            "\n# {}: columns matched by name are mapped; fill in the commented ones.\n[source.columns.{}]\n",
            quoted(&f.name),
            table_key(table)
        ));
        for c in &contract {
            match mapped.iter().find(|(m, _)| m == c) {
                Some((_, h)) if h == c => {
                    out.push_str(&format!("{c} = {}\n", quoted(h)));
                }
                Some((_, h)) => out.push_str(&format!("{c} = {}\n", quoted(h))),
                None if required.contains(c) => out.push_str(&format!(
                    "# {c} = \"\"   # REQUIRED: not found; name the column holding it\n"
                )),
                None => out.push_str(&format!("# {c} = \"\"   # optional: not found\n")),
            }
        }
        if !unmatched.is_empty() {
            let list: Vec<String> = unmatched.iter().map(|u| quoted(u)).collect();
            out.push_str(&format!(
                "# Not matched (ignored unless mapped above, or a marker declared in [[markers]]): {}\n",
                list.join(", ")
            ));
        }
    }
    out.push_str(
        "\n# Coded values map to the contract's under [source.codes.<column>], e.g.\n\
         # [source.codes.arm]\n# \"1\" = \"control\"\n# \"2\" = \"60x2\"\n",
    );
    out
}

/// The required columns of `table`.
fn required(table: CohortFile) -> &'static [&'static str] {
    match table {
        CohortFile::Participants => &participants::REQUIRED,
        CohortFile::Sessions => &sessions::REQUIRED,
        CohortFile::Scores => &scores::REQUIRED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_then_loosely_then_by_usual_names() {
        let contract = contract_columns(CohortFile::Participants, &[]);
        assert_eq!(matched("arm", &contract), Some("arm"));
        assert_eq!(
            matched("Medical Clearance", &contract),
            Some("medical_clearance")
        );
        assert_eq!(matched("Patient No.", &contract), Some("participant_id"));
        assert_eq!(matched("Gender", &contract), Some("sex"));
        assert_eq!(matched("Gruppe", &contract), None);
        let sessions = contract_columns(CohortFile::Sessions, &[]);
        assert_eq!(matched("Visit date", &sessions), Some("date"));
    }
}

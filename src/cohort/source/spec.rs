//! The `[source]` table of `trial.toml`, parsed into a typed, validated [`SourceSpec`] before
//! any file is opened.
//!
//! `[source]` says where the three contract tables come from when they are not the contract's
//! own CSV files: a clinic's CSV dialect, an xlsx workbook, Parquet files or a REDCap export.
//! Every key is checked here, once: an unknown key, a value outside its vocabulary, a path
//! that leaves the cohort folder, a column mapped twice or a code mapped to text with a line
//! break is a usage error (exit 2) that names the key, the value, what is allowed and the fix.
//! The readers then rely on the spec. `[source.redcap]` is kept as a TOML table for the REDCap
//! translator to interpret (its keys are its own).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::SourceError;
use crate::cohort::ledger::CohortFile;
use crate::cohort::{participants, scores, sessions};

/// How a source's CSV files separate fields.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `;` (European Excel)
    Semicolon,
    /// `"\t"`
    Tab,
    /// Detected per file from its header line among `,`, `;` and tab (said in a notice).
    Auto,
}

impl Delimiter {
    /// The separator byte, `None` for [`Delimiter::Auto`].
    pub fn byte(self) -> Option<u8> {
        match self {
            Delimiter::Comma => Some(b','),
            Delimiter::Semicolon => Some(b';'),
            Delimiter::Tab => Some(b'\t'),
            Delimiter::Auto => None,
        }
    }
}

/// The decimal mark of numbers written as text.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum DecimalMark {
    /// `3.7`
    Point,
    /// `3,7`: translated to `3.7` in the contract's numeric columns only.
    Comma,
}

/// The character encoding of a source's CSV files.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (the contract's own).
    Utf8,
    /// Windows-1252 (Western European Windows and Excel). `latin-1` is read as this too, as
    /// the WHATWG Encoding Standard (and every browser) reads it: the two agree on every
    /// printable character, and Windows-1252 gives bytes 0x80-0x9F the characters (`€`, `–`,
    /// curly quotes) a file labelled Latin-1 means by them, not invisible C1 controls.
    Windows1252,
}

/// A file name inside the cohort folder: relative, without `..`, not empty.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RelPath(String);

impl RelPath {
    /// Checks `text` (the value of `key`).
    fn new(text: &str) -> Result<RelPath, String> {
        if text.is_empty() {
            return Err("is empty; name a file inside the cohort folder".to_owned());
        }
        if text.chars().any(char::is_control) {
            return Err(format!(
                "is {text:?}, which holds a control character; name a file inside the cohort folder"
            ));
        }
        let path = Path::new(text);
        let inside = path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !inside || text.starts_with('\\') {
            return Err(format!(
                "is {text:?}; a source file must be inside the cohort folder (a relative path without `..`): copy the file into the folder and name it relative to it"
            ));
        }
        Ok(RelPath(text.to_owned()))
    }

    /// The contract's own file of `table` (`participants.csv`, ...).
    pub fn contract(table: CohortFile) -> RelPath {
        RelPath(table.name().to_owned())
    }

    /// The name as written in `trial.toml`; the ledger names the source by it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path inside `dir`.
    pub fn join(&self, dir: &Path) -> PathBuf {
        dir.join(&self.0)
    }
}

/// `format = "csv"`: the three tables as CSV files of a dialect.
#[derive(Clone, Debug)]
pub struct CsvSpec {
    /// Field separator.
    pub delimiter: Delimiter,
    /// Encoding.
    pub encoding: Encoding,
    /// The files, in [`CohortFile::ALL`] order.
    pub files: [RelPath; 3],
}

impl CsvSpec {
    /// True when the files are in the contract's own dialect (comma, UTF-8), so they are read
    /// directly, without a translation.
    pub fn is_contract_dialect(&self) -> bool {
        self.delimiter == Delimiter::Comma && self.encoding == Encoding::Utf8
    }
}

/// `format = "xlsx"`: one workbook, one sheet per table.
#[derive(Clone, Debug)]
pub struct XlsxSpec {
    /// The workbook.
    pub workbook: RelPath,
    /// Sheet names, in [`CohortFile::ALL`] order.
    pub sheets: [String; 3],
}

/// `format = "parquet"`: one Parquet file per table.
#[derive(Clone, Debug)]
pub struct ParquetSpec {
    /// The files, in [`CohortFile::ALL`] order.
    pub files: [RelPath; 3],
}

/// `format = "redcap"`: a records export and the project's data dictionary.
#[derive(Clone, Debug)]
pub struct RedcapSpec {
    /// The records export (REDCap's flat CSV, raw coded values).
    pub export: RelPath,
    /// The data dictionary CSV.
    pub dictionary: RelPath,
    /// `[source.redcap]` as written, for the REDCap translator to interpret.
    pub settings: toml::Table,
}

/// Which kind of source, with its own settings.
#[derive(Clone, Debug)]
pub enum Format {
    /// CSV files of a dialect.
    Csv(CsvSpec),
    /// An xlsx workbook.
    Xlsx(XlsxSpec),
    /// Parquet files.
    Parquet(ParquetSpec),
    /// A REDCap export and dictionary.
    Redcap(RedcapSpec),
}

/// `[source.columns.<table>]`: contract column = source column, per table.
#[derive(Clone, Debug, Default)]
pub struct Renames {
    /// Per table in [`CohortFile::ALL`] order: (contract column, source column), in the order
    /// written.
    pub tables: [Vec<(String, String)>; 3],
}

impl Renames {
    /// The renames of `table`.
    pub fn of(&self, table: CohortFile) -> &[(String, String)] {
        &self.tables[table_index(table)]
    }
}

/// `[source.codes.<contract column>]`: source value = contract value.
#[derive(Clone, Debug, Default)]
pub struct Codes {
    /// Per contract column, its map.
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
}

impl Codes {
    /// The map of `column`, if any.
    pub fn of(&self, column: &str) -> Option<&BTreeMap<String, String>> {
        self.columns.get(column)
    }
}

/// The validated `[source]` table.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    /// Where the tables come from.
    pub format: Format,
    /// Decimal mark of numbers written as text (csv; text cells of xlsx and Parquet).
    pub decimal: DecimalMark,
    /// Column renames.
    pub columns: Renames,
    /// Value codes.
    pub codes: Codes,
}

/// Index of `table` in [`CohortFile::ALL`].
pub fn table_index(table: CohortFile) -> usize {
    match table {
        CohortFile::Participants => 0,
        CohortFile::Sessions => 1,
        CohortFile::Scores => 2,
    }
}

/// The key of a table in `[source]` and `[source.columns]`.
pub fn table_key(table: CohortFile) -> &'static str {
    match table {
        CohortFile::Participants => "participants",
        CohortFile::Sessions => "sessions",
        CohortFile::Scores => "scores",
    }
}

/// The contract columns of `table` (scores: with the declared `markers`).
pub fn contract_columns<'m>(table: CohortFile, markers: &[&'m str]) -> Vec<&'m str> {
    let known: &[&'static str] = match table {
        CohortFile::Participants => &participants::KNOWN,
        CohortFile::Sessions => &sessions::KNOWN,
        CohortFile::Scores => &scores::KNOWN,
    };
    let mut out: Vec<&str> = known.to_vec();
    if table == CohortFile::Scores {
        out.extend_from_slice(markers);
    }
    out
}

/// True when contract column `column` of `table` holds numbers (markers do).
pub fn is_numeric(table: CohortFile, column: &str, markers: &[&str]) -> bool {
    match table {
        CohortFile::Participants => participants::NUMERIC.contains(&column),
        CohortFile::Sessions => sessions::NUMERIC.contains(&column),
        CohortFile::Scores => scores::NUMERIC.contains(&column) || markers.contains(&column),
    }
}

/// The one error of this module: `key` with what is wrong, allowed and the fix.
fn invalid(path: &str, key: &str, message: impl Into<String>) -> SourceError {
    SourceError::Usage {
        path: path.to_owned(),
        key: key.to_owned(),
        message: message.into(),
    }
}

/// `key` holds `v`, which is not of the type it needs (`expected`: what it must be, with an
/// example).
fn wrong_type(path: &str, key: &str, v: &toml::Value, expected: &str) -> SourceError {
    invalid(path, key, format!("is {}; {expected}", shown(v)))
}

/// `key` names no column of `of` (which ends in words introducing `columns`).
fn not_a_column(path: &str, key: &str, of: &str, columns: &[&str], tail: &str) -> SourceError {
    invalid(
        path,
        key,
        format!("is not a column of {of}: {}{tail}", columns.join(", ")),
    )
}

/// A TOML value as the user wrote it, for messages.
fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Table(_) => "a table".to_owned(),
        toml::Value::Array(_) => "an array".to_owned(),
        other => other.to_string(),
    }
}

/// Reads the keys of one table, each once, so what is left at the end is unknown.
struct Keys<'t> {
    path: &'t str,
    prefix: &'t str,
    table: BTreeMap<String, toml::Value>,
}

impl<'t> Keys<'t> {
    fn new(path: &'t str, prefix: &'t str, table: toml::Table) -> Keys<'t> {
        Keys {
            path,
            prefix,
            table: table.into_iter().collect(),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    fn take(&mut self, name: &str) -> Option<toml::Value> {
        self.table.remove(name)
    }

    /// A string value, or `None` when absent.
    fn string(&mut self, name: &str, what: &str) -> Result<Option<String>, SourceError> {
        match self.take(name) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(wrong_type(
                self.path,
                &self.key(name),
                &v,
                &format!("it must be a string: {what}"),
            )),
        }
    }

    /// One of `allowed` (the text of each choice), or `default` when absent.
    fn choice<T: Copy>(
        &mut self,
        name: &str,
        allowed: &[(&str, T)],
        default: T,
    ) -> Result<T, SourceError> {
        let list = allowed
            .iter()
            .map(|(t, _)| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.string(name, &format!("one of {list}"))? {
            None => Ok(default),
            Some(text) => allowed
                .iter()
                .find(|(t, _)| *t == text)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    invalid(
                        self.path,
                        &self.key(name),
                        format!("is {text:?}; allowed: {list}"),
                    )
                }),
        }
    }

    /// A file name inside the cohort folder, or `default` when absent.
    fn file(&mut self, name: &str, default: Option<&str>) -> Result<Option<RelPath>, SourceError> {
        let text = self.string(name, "a file name inside the cohort folder")?;
        match text.as_deref().or(default) {
            None => Ok(None),
            Some(t) => RelPath::new(t)
                .map(Some)
                .map_err(|m| invalid(self.path, &self.key(name), m)),
        }
    }

    /// A sub-table, or an empty one when absent.
    fn table(&mut self, name: &str) -> Result<toml::Table, SourceError> {
        match self.take(name) {
            None => Ok(toml::Table::new()),
            Some(toml::Value::Table(t)) => Ok(t),
            Some(v) => Err(wrong_type(
                self.path,
                &self.key(name),
                &v,
                &format!("it must be a table, e.g. [{}]", self.key(name)),
            )),
        }
    }

    /// Fails on the first key left over, listing `allowed`.
    fn finish(self, allowed: &[&str], context: &str) -> Result<(), SourceError> {
        match self.table.into_iter().next() {
            None => Ok(()),
            Some((k, _)) => Err(invalid(
                self.path,
                &format!("{}.{k}", self.prefix),
                format!(
                    "is not a key of [{}]{context}; allowed: {} (check the spelling)",
                    self.prefix,
                    allowed.join(", ")
                ),
            )),
        }
    }
}

const FORMATS: [(&str, FormatKind); 4] = [
    ("csv", FormatKind::Csv),
    ("xlsx", FormatKind::Xlsx),
    ("parquet", FormatKind::Parquet),
    ("redcap", FormatKind::Redcap),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum FormatKind {
    Csv,
    Xlsx,
    Parquet,
    Redcap,
}

/// The keys `[source]` takes for each format.
fn allowed_keys(kind: FormatKind) -> &'static [&'static str] {
    match kind {
        FormatKind::Csv => &[
            "format",
            "delimiter",
            "decimal",
            "encoding",
            "participants",
            "sessions",
            "scores",
            "columns",
            "codes",
        ],
        FormatKind::Xlsx => &[
            "format",
            "workbook",
            "decimal",
            "participants",
            "sessions",
            "scores",
            "columns",
            "codes",
        ],
        FormatKind::Parquet => &[
            "format",
            "decimal",
            "participants",
            "sessions",
            "scores",
            "columns",
            "codes",
        ],
        FormatKind::Redcap => &["format", "export", "dictionary", "redcap", "codes"],
    }
}

impl SourceSpec {
    /// The `[source]` of the `trial.toml` text `text` (`path` is used in messages), or `None`
    /// when it has none. `markers` are the marker columns the protocol declares (they may be
    /// mapped in `[source.columns.scores]`).
    ///
    /// # Errors
    /// [`SourceError::Usage`] naming the key for anything `[source]` does not allow.
    pub fn from_toml(
        text: &str,
        path: &str,
        markers: &[&str],
    ) -> Result<Option<SourceSpec>, SourceError> {
        let mut doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| invalid(path, "source", e.message().to_owned()))?;
        let source = match doc.remove("source") {
            None => return Ok(None),
            Some(toml::Value::Table(t)) => t,
            Some(v) => {
                return Err(invalid(
                    path,
                    "source",
                    format!(
                        "is {}; it must be a table: [source] with format = \"csv\", \"xlsx\", \"parquet\" or \"redcap\"",
                        shown(&v)
                    ),
                ));
            }
        };
        let mut keys = Keys::new(path, "source", source);
        let kind = keys.choice("format", &FORMATS, FormatKind::Csv)?;
        let decimal = keys.choice(
            "decimal",
            &[(".", DecimalMark::Point), (",", DecimalMark::Comma)],
            DecimalMark::Point,
        )?;
        let contract_files =
            |keys: &mut Keys<'_>, ext: &str| -> Result<[RelPath; 3], SourceError> {
                let mut out = Vec::with_capacity(3);
                for table in CohortFile::ALL {
                    let name = table_key(table);
                    let default = format!("{name}.{ext}");
                    if let Some(f) = keys.file(name, Some(&default))? {
                        out.push(f);
                    }
                }
                out.try_into()
                    .map_err(|_| invalid(path, "source", "internal: three files expected"))
            };
        let format = match kind {
            FormatKind::Csv => {
                let delimiter = keys.choice(
                    "delimiter",
                    &[
                        (",", Delimiter::Comma),
                        (";", Delimiter::Semicolon),
                        ("\t", Delimiter::Tab),
                        ("auto", Delimiter::Auto),
                    ],
                    Delimiter::Comma,
                )?;
                let encoding = keys.choice(
                    "encoding",
                    &[
                        ("utf-8", Encoding::Utf8),
                        ("windows-1252", Encoding::Windows1252),
                        ("latin-1", Encoding::Windows1252),
                    ],
                    Encoding::Utf8,
                )?;
                Format::Csv(CsvSpec {
                    delimiter,
                    encoding,
                    files: contract_files(&mut keys, "csv")?,
                })
            }
            FormatKind::Xlsx => {
                let workbook = keys.file("workbook", None)?.ok_or_else(|| {
                    invalid(
                        path,
                        "source.workbook",
                        "is missing; name the workbook inside the cohort folder, e.g. workbook = \"trial.xlsx\"",
                    )
                })?;
                let mut sheets = Vec::with_capacity(3);
                for table in CohortFile::ALL {
                    let name = table_key(table);
                    let sheet = keys
                        .string(name, "the name of the workbook's sheet holding this table")?
                        .unwrap_or_else(|| name.to_owned());
                    if sheet.is_empty() {
                        return Err(invalid(
                            path,
                            &format!("source.{name}"),
                            "is empty; name the sheet holding this table",
                        ));
                    }
                    sheets.push(sheet);
                }
                let sheets: [String; 3] = sheets
                    .try_into()
                    .map_err(|_| invalid(path, "source", "internal: three sheets expected"))?;
                Format::Xlsx(XlsxSpec { workbook, sheets })
            }
            FormatKind::Parquet => Format::Parquet(ParquetSpec {
                files: contract_files(&mut keys, "parquet")?,
            }),
            FormatKind::Redcap => {
                let export = keys.file("export", None)?.ok_or_else(|| {
                    invalid(
                        path,
                        "source.export",
                        "is missing; name REDCap's records export (CSV, raw values), e.g. export = \"export.csv\"",
                    )
                })?;
                let dictionary = keys.file("dictionary", None)?.ok_or_else(|| {
                    invalid(
                        path,
                        "source.dictionary",
                        "is missing; name the project's data dictionary (CSV), e.g. dictionary = \"dictionary.csv\"",
                    )
                })?;
                let settings = keys.table("redcap")?;
                Format::Redcap(RedcapSpec {
                    export,
                    dictionary,
                    settings,
                })
            }
        };
        let columns = if kind == FormatKind::Redcap {
            Renames::default()
        } else {
            parse_columns(path, keys.table("columns")?, markers)?
        };
        let codes = parse_codes(path, keys.table("codes")?)?;
        let format_name = FORMATS
            .iter()
            .find(|(_, k)| *k == kind)
            .map_or("", |(n, _)| n);
        keys.finish(
            allowed_keys(kind),
            &format!(" with format = \"{format_name}\""),
        )?;
        Ok(Some(SourceSpec {
            format,
            decimal,
            columns,
            codes,
        }))
    }
}

/// `[source.columns.*]`.
fn parse_columns(path: &str, table: toml::Table, markers: &[&str]) -> Result<Renames, SourceError> {
    let mut keys = Keys::new(path, "source.columns", table);
    let mut renames = Renames::default();
    for file in CohortFile::ALL {
        let name = table_key(file);
        let prefix = format!("source.columns.{name}");
        let known = contract_columns(file, markers);
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (contract, v) in keys.table(name)? {
            let key = format!("{prefix}.{contract}");
            if !known.contains(&contract.as_str()) {
                return Err(not_a_column(
                    path,
                    &key,
                    &format!("the {name} table; its columns are"),
                    &known,
                    " (the key is the contract's column, the value the column in your file)",
                ));
            }
            let toml::Value::String(column) = v else {
                return Err(wrong_type(
                    path,
                    &key,
                    &v,
                    &format!(
                        "it must be the name of a column in your file, e.g. {contract} = \"Patient No.\""
                    ),
                ));
            };
            if column.trim().is_empty() {
                return Err(invalid(
                    path,
                    &key,
                    "is empty; write the name of the column in your file",
                ));
            }
            if let Some(other) = seen.insert(column.clone(), contract.clone()) {
                return Err(invalid(
                    path,
                    &key,
                    format!(
                        "maps column {column:?} that `{prefix}.{other}` maps already; one source column feeds one contract column"
                    ),
                ));
            }
            renames.tables[table_index(file)].push((contract, column));
        }
    }
    keys.finish(&["participants", "sessions", "scores"], "")?;
    Ok(renames)
}

/// `[source.codes.*]`.
fn parse_codes(path: &str, table: toml::Table) -> Result<Codes, SourceError> {
    let mut all: Vec<&str> = Vec::new();
    for file in CohortFile::ALL {
        for c in contract_columns(file, &[]) {
            if !all.contains(&c) {
                all.push(c);
            }
        }
    }
    let mut codes = Codes::default();
    for (column, v) in table {
        let key = format!("source.codes.{column}");
        if !all.contains(&column.as_str()) {
            return Err(not_a_column(
                path,
                &key,
                "the data contract; codes may be given for",
                &all,
                "",
            ));
        }
        let toml::Value::Table(map) = v else {
            return Err(wrong_type(
                path,
                &key,
                &v,
                &format!(
                    "it must be a table of source value = contract value, e.g. [source.codes.{column}] then \"1\" = \"...\""
                ),
            ));
        };
        let mut out = BTreeMap::new();
        for (from, to) in map {
            let key = format!("{key}.{from:?}");
            let to = match to {
                toml::Value::String(s) => s,
                other => {
                    return Err(wrong_type(
                        path,
                        &key,
                        &other,
                        &format!(
                            "a code maps to the contract's value as a string, e.g. \"{from}\" = \"control\""
                        ),
                    ));
                }
            };
            if to.chars().any(char::is_control) {
                return Err(invalid(
                    path,
                    &key,
                    format!(
                        "is {to:?}, which holds a control character; write the contract's value"
                    ),
                ));
            }
            out.insert(from, to);
        }
        codes.columns.insert(column, out);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<SourceSpec>, String> {
        SourceSpec::from_toml(text, "trial.toml", &["walk_minutes"]).map_err(|e| e.to_string())
    }

    #[test]
    fn no_source_is_none_and_defaults_are_the_contract() {
        assert!(parse("name = \"x\"").unwrap().is_none());
        let spec = parse("[source]").unwrap().unwrap();
        let Format::Csv(csv) = spec.format else {
            panic!("csv expected")
        };
        assert!(csv.is_contract_dialect());
        assert_eq!(csv.files[1].as_str(), "sessions.csv");
    }

    #[test]
    fn a_dialect_with_renames_and_codes() {
        let spec = parse(
            r#"[source]
delimiter = ";"
decimal = ","
encoding = "latin-1"
participants = "Patienten.csv"
[source.columns.participants]
participant_id = "Patient No."
[source.columns.scores]
walk_minutes = "Gehzeit"
[source.codes.arm]
"1" = "control"
"#,
        )
        .unwrap()
        .unwrap();
        let Format::Csv(csv) = &spec.format else {
            panic!("csv expected")
        };
        assert_eq!(csv.encoding, Encoding::Windows1252);
        assert_eq!(csv.delimiter, Delimiter::Semicolon);
        assert_eq!(spec.decimal, DecimalMark::Comma);
        assert_eq!(csv.files[0].as_str(), "Patienten.csv");
        assert_eq!(
            spec.columns.of(CohortFile::Participants),
            &[("participant_id".to_owned(), "Patient No.".to_owned())]
        );
        assert_eq!(spec.codes.of("arm").unwrap()["1"], "control");
    }

    #[test]
    fn bad_keys_and_values_name_the_key_and_what_is_allowed() {
        let cases = [
            (
                "[source]\nformat = \"sas\"",
                "`source.format` is \"sas\"; allowed: \"csv\"",
            ),
            (
                "[source]\ndelimiter = \"|\"",
                "`source.delimiter` is \"|\"; allowed",
            ),
            ("[source]\nencoding = \"utf-16\"", "`source.encoding`"),
            (
                "[source]\ndelimter = \";\"",
                "`source.delimter` is not a key of [source]",
            ),
            (
                "[source]\nparticipants = \"../x.csv\"",
                "inside the cohort folder",
            ),
            (
                "[source]\nparticipants = \"/etc/passwd\"",
                "inside the cohort folder",
            ),
            (
                "[source]\nformat = \"xlsx\"",
                "`source.workbook` is missing",
            ),
            (
                "[source]\nformat = \"xlsx\"\nworkbook = \"a.xlsx\"\nencoding = \"utf-8\"",
                "`source.encoding` is not a key",
            ),
            (
                "[source.columns.participants]\npatient = \"P\"",
                "`source.columns.participants.patient` is not a column",
            ),
            (
                "[source.columns.participants]\nparticipant_id = 3",
                "must be the name of a column",
            ),
            (
                "[source.columns.participants]\nparticipant_id = \"A\"\narm = \"A\"",
                "maps column \"A\"",
            ),
            (
                "[source.codes.colour]\n\"1\" = \"x\"",
                "`source.codes.colour` is not a column",
            ),
            (
                "[source.codes.arm]\n\"1\" = 2",
                "`source.codes.arm.\"1\"` is 2",
            ),
            ("[source.codes.arm]\n\"1\" = \"a\\nb\"", "control character"),
            ("source = 3", "`source` is 3"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}

//! A contract cohort written as a REDCap project would export it: records export, data
//! dictionary and the `[source]` table of trial.toml that reads them back.
//!
//! The REDCap reader needs exports to be tested and timed on, and users need a worked
//! example (`data/dream-like-redcap/`), but no real REDCap export of a trial may be shipped.
//! This writer turns any contract cohort (e.g. `data/dream-like`, or a 100,000-participant
//! cohort from `trialdose generate`) into what REDCap writes for a longitudinal project with a
//! repeating instrument, so that [`super::translate`] of the result gives back the cohort's
//! own rows:
//! - events `baseline_arm_1` (enrolment form and the week-0 scores: one row feeding two
//!   tables), `treatment_arm_1` (the repeating `session` instrument, one instance per visit),
//!   `week_N_arm_1` (the week-N scores) and `follow_up_arm_1` (an empty follow-up form: a row
//!   that feeds nothing);
//! - arm as a radio whose labels are the arm ids (no mapping needed); sex as a radio coded
//!   `1`, `2`, ... with capitalised labels (mapped back through `[source.codes.sex]`); site as
//!   the data access group (its unique name, `site_a`, mapped back through
//!   `[source.codes.site]`); contraindications as a checkbox with letter codes (`rf`, `bc`,
//!   ..., mapped through `[source.codes.contraindications]`); medical clearance as yesno;
//!   session status and adverse events as radios whose labels are the contract's words;
//! - REDCap's file form: a byte-order mark, CRLF line ends, every value that is not a plain
//!   number quoted, every field a column in every row, a `<form>_complete` column after each
//!   form's fields.

use std::fmt::Write as _;

use super::{RedcapError, toml_str};
use crate::cohort::csvfile::{CsvSource, Record, Tokenizer};
use crate::cohort::participants::CONTRAINDICATIONS;

/// What [`write_example`] writes.
#[derive(Clone, Debug)]
pub struct Example {
    /// The records export (CSV, raw data).
    pub export: Vec<u8>,
    /// The data dictionary (CSV).
    pub dictionary: Vec<u8>,
    /// The `[source]` table of trial.toml (with `export = "export.csv"`, `dictionary =
    /// "dictionary.csv"`).
    pub source_toml: String,
}

/// Letter codes of the contraindications checkbox, in [`CONTRAINDICATIONS`] order.
const CONTRA_CODES: [&str; 7] = ["rf", "bc", "mi", "bd", "ac", "op", "bu"];

/// A contract file read into text cells.
struct Rows {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Rows {
    fn read(bytes: &[u8], file: &str) -> Result<Rows, RedcapError> {
        let source = CsvSource::new(bytes);
        let header = source.header().to_vec();
        if !header.iter().any(|h| h == "participant_id") {
            return Err(RedcapError::Export {
                problem: format!("{file} has no participant_id column; give a contract cohort"),
            });
        }
        let mut rows = Vec::new();
        for part in source.chunks(1, 1).parts {
            let mut tok = Tokenizer::new(part.bytes, part.first_line);
            let mut rec = Record::default();
            while tok.next_record(&mut rec) {
                rows.push(
                    (0..header.len())
                        .map(|i| {
                            let cell = if i < rec.len() { rec.get(i) } else { b"" };
                            String::from_utf8_lossy(cell).trim().to_owned()
                        })
                        .collect(),
                );
            }
        }
        Ok(Rows { header, rows })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// A DAG's unique name: lowercase, every run of other characters than letters and digits one
/// `_` (REDCap's rule for unique group names).
fn unique_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// `female` -> `Female`.
fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A plain decimal number (REDCap leaves numbers unquoted).
fn is_number(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|&b| b == b'.').count() <= 1
        && !t.starts_with('.')
        && !t.ends_with('.')
}

/// Appends a cell as REDCap writes it: numbers bare, other non-empty text quoted.
fn put(out: &mut Vec<u8>, cell: &str) {
    if cell.is_empty() || is_number(cell) {
        out.extend_from_slice(cell.as_bytes());
    } else {
        out.push(b'"');
        out.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    }
}

/// One dictionary row.
struct DictField {
    name: String,
    form: &'static str,
    kind: &'static str,
    label: String,
    choices: String,
    validation: &'static str,
}

/// Writes `cells` as one CSV record (each quoted as needed) with CRLF.
fn dictionary_record(out: &mut Vec<u8>, cells: &[&str]) {
    for (k, c) in cells.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        if c.contains([',', '"', '\n', '\r', '|']) || c.contains(' ') {
            out.push(b'"');
            out.extend_from_slice(c.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(c.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// The distinct non-empty values of column `col`, sorted (`first` ahead of the rest).
fn distinct(rows: &Rows, col: Option<usize>, first: &str) -> Vec<String> {
    let Some(col) = col else {
        return Vec::new();
    };
    let mut v: Vec<String> = rows
        .rows
        .iter()
        .map(|r| r[col].clone())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort_by(|a, b| (a != first, a).cmp(&(b != first, b)));
    v.dedup();
    v
}

/// `1, a | 2, b`: codes from 1 in order.
fn numbered(labels: &[String]) -> String {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}, {l}", i + 1))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The code (1-based position) of `value` among `values`.
fn code_of(values: &[String], value: &str) -> String {
    values
        .iter()
        .position(|v| v == value)
        .map_or_else(String::new, |i| (i + 1).to_string())
}

/// Turns a contract cohort (the three CSV files' bytes) into a REDCap export, its data
/// dictionary and the `[source]` table reading them. Same input, same bytes.
///
/// # Errors
/// [`RedcapError::Export`] when a file lacks its `participant_id` column.
pub fn write_example(
    participants_csv: &[u8],
    sessions_csv: &[u8],
    scores_csv: &[u8],
) -> Result<Example, RedcapError> {
    let people = Rows::read(participants_csv, "participants.csv")?;
    let sessions = Rows::read(sessions_csv, "sessions.csv")?;
    let scores = Rows::read(scores_csv, "scores.csv")?;
    let p = |name: &str| people.col(name);
    let s = |name: &str| sessions.col(name);
    let pid = p("participant_id").unwrap_or(0);

    let arms = distinct(&people, p("arm"), "control");
    let sexes = distinct(&people, p("sex"), "");
    let sites = distinct(&people, p("site"), "");
    let statuses = ["attended", "missed", "cancelled"].map(String::from);
    let events_ae = ["none", "mild", "moderate", "severe"].map(String::from);
    // Score columns: pain, ndi and any marker after participant_id and week.
    let score_cols: Vec<usize> = (0..scores.header.len())
        .filter(|&i| !matches!(scores.header[i].as_str(), "participant_id" | "week"))
        .collect();
    let week_col = scores.col("week");
    let mut weeks: Vec<u32> = scores
        .rows
        .iter()
        .filter_map(|r| week_col.and_then(|c| r[c].parse().ok()))
        .collect();
    weeks.sort_unstable();
    weeks.dedup();
    let event_of = |w: u32| {
        if w == 0 {
            "baseline_arm_1".to_owned()
        } else {
            format!("week_{w}_arm_1")
        }
    };

    // The dictionary, form by form.
    let mut fields = vec![DictField {
        name: "record_id".into(),
        form: "enrolment",
        kind: "text",
        label: "Participant ID".into(),
        choices: String::new(),
        validation: "",
    }];
    let mut field = |name: &str,
                     form: &'static str,
                     kind: &'static str,
                     label: &str,
                     choices: String,
                     validation: &'static str| {
        fields.push(DictField {
            name: name.into(),
            form,
            kind,
            label: label.into(),
            choices,
            validation,
        });
    };
    let has = |rows: &Rows, c: &str| rows.col(c).is_some();
    if has(&people, "arm") {
        field(
            "arm",
            "enrolment",
            "radio",
            "Randomized arm",
            numbered(&arms),
            "",
        );
    }
    if has(&people, "age") {
        field(
            "age",
            "enrolment",
            "text",
            "Age (years)",
            String::new(),
            "integer",
        );
    }
    if has(&people, "sex") {
        let labels: Vec<String> = sexes.iter().map(|x| capitalised(x)).collect();
        field("sex", "enrolment", "radio", "Sex", numbered(&labels), "");
    }
    if has(&people, "randomized_on") {
        field(
            "randomized_on",
            "enrolment",
            "text",
            "Date of randomization",
            String::new(),
            "date_ymd",
        );
    }
    let contra_labels = [
        "Recent fracture",
        "Blood clot (deep vein thrombosis, embolism)",
        "Recent heart attack",
        "Bleeding disorder",
        "Anticoagulants",
        "Severe osteoporosis",
        "Burn, at the site of treatment",
    ];
    if has(&people, "contraindications") {
        let choices = CONTRA_CODES
            .iter()
            .zip(contra_labels)
            .map(|(c, l)| format!("{c}, {l}"))
            .collect::<Vec<_>>()
            .join(" | ");
        field(
            "contraindications",
            "enrolment",
            "checkbox",
            "Contraindications to massage",
            choices,
            "",
        );
    }
    if has(&people, "medical_clearance") {
        field(
            "medical_clearance",
            "enrolment",
            "yesno",
            "Medical clearance given?",
            String::new(),
            "",
        );
    }
    let session_fields: [(&str, &str, &'static str, &str, String, &'static str); 5] = [
        (
            "date",
            "session_date",
            "text",
            "Date of visit",
            String::new(),
            "date_ymd",
        ),
        (
            "minutes",
            "session_minutes",
            "text",
            "Minutes of massage",
            String::new(),
            "number",
        ),
        (
            "status",
            "session_status",
            "radio",
            "Visit status",
            numbered(&statuses),
            "",
        ),
        (
            "therapist",
            "therapist",
            "text",
            "Therapist",
            String::new(),
            "",
        ),
        (
            "adverse_event",
            "adverse_event",
            "radio",
            "Adverse event",
            events_ae
                .iter()
                .enumerate()
                .map(|(i, l)| format!("{i}, {l}"))
                .collect::<Vec<_>>()
                .join(" | "),
            "",
        ),
    ];
    let session_fields: Vec<_> = session_fields
        .into_iter()
        .filter(|f| has(&sessions, f.0))
        .collect();
    for (_, name, kind, label, choices, validation) in &session_fields {
        field(name, "session", kind, label, choices.clone(), validation);
    }
    for &c in &score_cols {
        let name = scores.header[c].clone();
        let (label, validation) = match name.as_str() {
            "pain" => ("Neck pain, 0-10".to_owned(), "number"),
            "ndi" => ("Neck Disability Index, 0-50".to_owned(), "integer"),
            other => (format!("Marker {other}"), "number"),
        };
        field(&name, "outcomes", "text", &label, String::new(), validation);
    }
    field(
        "fu_notes",
        "follow_up",
        "notes",
        "Follow-up notes",
        String::new(),
        "",
    );

    let mut dictionary = Vec::new();
    dictionary_record(
        &mut dictionary,
        &[
            "Variable / Field Name",
            "Form Name",
            "Section Header",
            "Field Type",
            "Field Label",
            "Choices, Calculations, OR Slider Labels",
            "Field Note",
            "Text Validation Type OR Show Slider Number",
            "Text Validation Min",
            "Text Validation Max",
            "Identifier?",
            "Branching Logic (Show field only if...)",
            "Required Field?",
            "Custom Alignment",
            "Question Number (surveys only)",
            "Matrix Group Name",
            "Matrix Ranking?",
            "Field Annotation",
        ],
    );
    for f in &fields {
        let (min, max) = match f.name.as_str() {
            "pain" => ("0", "10"),
            "ndi" => ("0", "50"),
            "session_minutes" => ("0", "240"),
            "age" => ("0", "120"),
            _ => ("", ""),
        };
        dictionary_record(
            &mut dictionary,
            &[
                &f.name,
                f.form,
                "",
                f.kind,
                &f.label,
                &f.choices,
                "",
                f.validation,
                min,
                max,
                if f.name == "record_id" { "y" } else { "" },
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        );
    }

    // The export's columns: REDCap's own, then each form's fields and its _complete column.
    let mut columns: Vec<String> = vec![
        "record_id".into(),
        "redcap_event_name".into(),
        "redcap_repeat_instrument".into(),
        "redcap_repeat_instance".into(),
        "redcap_data_access_group".into(),
    ];
    let forms = ["enrolment", "session", "outcomes", "follow_up"];
    for form in forms {
        for f in fields
            .iter()
            .filter(|f| f.form == form && f.name != "record_id")
        {
            if f.kind == "checkbox" {
                columns.extend(CONTRA_CODES.iter().map(|c| format!("{}___{c}", f.name)));
            } else {
                columns.push(f.name.clone());
            }
        }
        columns.push(format!("{form}_complete"));
    }
    let col = |name: &str| columns.iter().position(|c| c == name);
    let width = columns.len();

    // Rows of each participant, in file order.
    let mut by_id: rustc_hash::FxHashMap<&str, (Vec<usize>, Vec<usize>)> = Default::default();
    for (i, r) in sessions.rows.iter().enumerate() {
        by_id
            .entry(&r[s("participant_id").unwrap_or(0)])
            .or_default()
            .0
            .push(i);
    }
    let score_pid = scores.col("participant_id").unwrap_or(0);
    for (i, r) in scores.rows.iter().enumerate() {
        by_id.entry(&r[score_pid]).or_default().1.push(i);
    }

    let mut export = Vec::with_capacity(participants_csv.len() * 2 + sessions_csv.len() * 3);
    export.extend_from_slice(b"\xEF\xBB\xBF");
    export.extend_from_slice(columns.join(",").as_bytes());
    export.extend_from_slice(b"\r\n");
    let mut row: Vec<String> = vec![String::new(); width];
    let flush = |row: &mut Vec<String>, export: &mut Vec<u8>| {
        for (k, cell) in row.iter_mut().enumerate() {
            if k > 0 {
                export.push(b',');
            }
            put(export, cell);
            cell.clear();
        }
        export.extend_from_slice(b"\r\n");
    };
    let set = |row: &mut Vec<String>, name: &str, value: String| {
        if let Some(c) = col(name) {
            row[c] = value;
        }
    };
    let empty = (Vec::new(), Vec::new());
    for person in &people.rows {
        let id = person[pid].as_str();
        let dag = p("site").map_or_else(String::new, |c| unique_name(&person[c]));
        let (my_sessions, my_scores) = by_id.get(id).unwrap_or(&empty);
        let start = |row: &mut Vec<String>, event: &str| {
            set(row, "record_id", id.to_owned());
            set(row, "redcap_event_name", event.to_owned());
            set(row, "redcap_data_access_group", dag.clone());
        };
        let put_scores = |row: &mut Vec<String>, r: &[String]| {
            for &c in &score_cols {
                set(row, &scores.header[c], r[c].clone());
            }
            set(row, "outcomes_complete", "2".into());
        };
        // Baseline: the enrolment form and the week-0 scores.
        start(&mut row, "baseline_arm_1");
        let v = |name: &str| p(name).map_or("", |c| person[c].as_str());
        set(&mut row, "arm", code_of(&arms, v("arm")));
        set(&mut row, "age", v("age").to_owned());
        set(&mut row, "sex", code_of(&sexes, v("sex")));
        set(&mut row, "randomized_on", v("randomized_on").to_owned());
        if p("contraindications").is_some() {
            let listed: Vec<&str> = v("contraindications").split(';').map(str::trim).collect();
            for (code, name) in CONTRA_CODES.iter().zip(CONTRAINDICATIONS) {
                let checked = if listed.contains(&name) { "1" } else { "0" };
                set(
                    &mut row,
                    &format!("contraindications___{code}"),
                    checked.into(),
                );
            }
        }
        let clearance = match v("medical_clearance") {
            "yes" => "1",
            "no" => "0",
            _ => "",
        };
        set(&mut row, "medical_clearance", clearance.into());
        set(&mut row, "enrolment_complete", "2".into());
        let week_of = |i: usize| week_col.and_then(|c| scores.rows[i][c].parse::<u32>().ok());
        if let Some(&i) = my_scores.iter().find(|&&i| week_of(i) == Some(0)) {
            put_scores(&mut row, &scores.rows[i]);
        }
        flush(&mut row, &mut export);
        // The visits, one instance each.
        for (n, &i) in my_sessions.iter().enumerate() {
            let r = &sessions.rows[i];
            start(&mut row, "treatment_arm_1");
            set(&mut row, "redcap_repeat_instrument", "session".into());
            set(&mut row, "redcap_repeat_instance", (n + 1).to_string());
            for (column, name, ..) in &session_fields {
                let value = s(column).map_or("", |c| r[c].as_str());
                let value = match *column {
                    "status" => code_of(&statuses, value),
                    "adverse_event" => events_ae
                        .iter()
                        .position(|e| e == value)
                        .map_or_else(String::new, |k| k.to_string()),
                    _ => value.to_owned(),
                };
                set(&mut row, name, value);
            }
            set(&mut row, "session_complete", "2".into());
            flush(&mut row, &mut export);
        }
        // Later score events.
        for &w in weeks.iter().filter(|&&w| w > 0) {
            for &i in my_scores.iter().filter(|&&i| week_of(i) == Some(w)) {
                start(&mut row, &event_of(w));
                put_scores(&mut row, &scores.rows[i]);
                flush(&mut row, &mut export);
            }
        }
        // An empty follow-up form, saved as incomplete.
        start(&mut row, "follow_up_arm_1");
        set(&mut row, "follow_up_complete", "0".into());
        flush(&mut row, &mut export);
    }

    // The [source] table.
    let mut t = String::from(
        "[source]\nformat = \"redcap\"\nexport = \"export.csv\"\ndictionary = \"dictionary.csv\"\n\n\
         [source.redcap]\nparticipants_event = \"baseline_arm_1\"\n\n[source.redcap.participants]\n",
    );
    for (column, value) in [
        ("arm", "arm"),
        ("age", "age"),
        ("sex", "sex"),
        ("site", "dag"),
        ("randomized_on", "randomized_on"),
        ("contraindications", "contraindications"),
        ("medical_clearance", "medical_clearance"),
    ] {
        if has(&people, column) {
            let _ = writeln!(t, "{column} = {}", toml_str(value));
        }
    }
    t.push_str("\n[source.redcap.sessions]\ninstrument = \"session\"\n");
    for (column, name, ..) in &session_fields {
        let _ = writeln!(t, "{column} = {}", toml_str(name));
    }
    t.push_str("\n[source.redcap.scores]\n");
    for &c in &score_cols {
        let name = &scores.header[c];
        let _ = writeln!(t, "{name} = {}", toml_str(name));
    }
    t.push_str("\n[source.redcap.scores.weeks]\n");
    for &w in &weeks {
        let _ = writeln!(t, "{} = {w}", toml_str(&event_of(w)));
    }
    if has(&people, "sex") && !sexes.is_empty() {
        t.push_str("\n[source.codes.sex]\n");
        for (i, x) in sexes.iter().enumerate() {
            let _ = writeln!(t, "{} = {}", toml_str(&(i + 1).to_string()), toml_str(x));
        }
    }
    if has(&people, "site") && !sites.is_empty() {
        t.push_str("\n[source.codes.site]\n");
        for x in &sites {
            let _ = writeln!(t, "{} = {}", toml_str(&unique_name(x)), toml_str(x));
        }
    }
    if has(&people, "contraindications") {
        t.push_str("\n[source.codes.contraindications]\n");
        for (code, name) in CONTRA_CODES.iter().zip(CONTRAINDICATIONS) {
            let _ = writeln!(t, "{} = {}", toml_str(code), toml_str(name));
        }
    }
    Ok(Example {
        export,
        dictionary,
        source_toml: t,
    })
}

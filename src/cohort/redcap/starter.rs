//! A starter `[source]` table for a REDCap project, guessed from its data dictionary, for
//! `trialdose init`.
//!
//! Writing the mapping from nothing means reading the dictionary field by field; most of it
//! can be guessed from the field names and labels (`pain`, "Neck Disability Index", a date
//! field on a repeating form named `visit`...). The guess is only a start: every guessed line
//! says which field it took and why, the contract columns it could not fill and the fields it
//! did not use are listed as comments, so the user edits instead of writing. A guess is made
//! only with a field whose type the translation accepts for the column (the same rule,
//! [`super::translate::fits`]).

use std::fmt::Write as _;

use super::dictionary::{Dictionary, Field, FieldType};
use super::spec::{PARTICIPANT_COLUMNS, SESSION_COLUMNS};
use super::toml_str;
use super::translate::fits;

/// Words that suggest each contract column, looked for in field names and labels
/// (lowercase; a name equal to the column wins over any word).
fn hints(column: &str) -> &'static [&'static str] {
    match column {
        "arm" => &["arm", "group", "allocation", "randomi"],
        "age" => &["age"],
        "sex" => &["sex", "gender"],
        "site" => &["site", "clinic", "centre", "center"],
        "randomized_on" => &["randomi", "rand_date", "allocation date"],
        "contraindications" => &["contraindic", "contra"],
        "medical_clearance" => &["clearance", "cleared"],
        "date" => &["date", "visit_date", "session_date"],
        "minutes" => &["minute", "duration", "length"],
        "status" => &["status", "attend"],
        "therapist" => &["therapist", "practitioner", "provider", "clinician"],
        "adverse_event" => &["adverse", "side effect", "_ae"],
        "pain" => &["pain", "nrs", "vas"],
        "ndi" => &["ndi", "neck disability", "disability"],
        _ => &[],
    }
}

/// How well `field` matches `column`: 3 for its name, 2 for a hint in its name, 1 for a hint
/// in its label, 0 for none.
fn score(column: &str, field: &Field) -> u8 {
    let name = field.name.to_ascii_lowercase();
    let label = field.label.to_ascii_lowercase();
    if name == column {
        return 3;
    }
    let words = hints(column);
    if words.iter().any(|w| name.contains(w)) {
        2
    } else if words.iter().any(|w| label.contains(w)) {
        1
    } else {
        0
    }
}

/// The best fitting unused field for `column` among `candidates`.
fn best<'d>(column: &str, candidates: &[&'d Field], used: &[&str]) -> Option<&'d Field> {
    let mut found: Option<(&Field, u8)> = None;
    for f in candidates {
        if used.contains(&f.name.as_str()) || fits(column, f).is_err() {
            continue;
        }
        let s = score(column, f);
        if s > 0 && found.is_none_or(|(_, b)| s > b) {
            found = Some((f, s));
        }
    }
    found.map(|(f, _)| f)
}

/// What a comment says of a field: type, form and label (one line, control characters
/// dropped, at most 60 characters of label).
fn why(field: &Field) -> String {
    let clean = |s: &str, n: usize| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(n)
            .collect()
    };
    format!(
        "{} on form {}: \"{}\"",
        clean(&field.type_text, 20),
        clean(&field.form, 60),
        clean(&field.label, 60)
    )
}

/// A field name for a comment (control characters dropped).
fn why_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(100).collect()
}

/// The file names a starter gives `export` and `dictionary`.
#[derive(Clone, Copy, Debug)]
pub struct StarterFiles<'a> {
    /// The records export.
    pub export: &'a str,
    /// The data dictionary.
    pub dictionary: &'a str,
}

impl Default for StarterFiles<'_> {
    /// REDCap's usual names, for a starter written without the files at hand.
    fn default() -> Self {
        StarterFiles {
            export: "export.csv",
            dictionary: "dictionary.csv",
        }
    }
}

/// The `[source]` TOML for a REDCap project with this dictionary: `format`, `export`,
/// `dictionary`, a guessed `participants_event`, and the fields matched by name or label to
/// contract columns; the columns left unmatched and the fields left unused are listed as
/// comments. `export_header`, when given (the export's first line), tells whether the project
/// has events and data access groups. `files` are the names `export` and `dictionary` are
/// given: the files' names inside the cohort folder.
pub fn starter_source(
    dictionary: &Dictionary,
    export_header: Option<&[String]>,
    files: StarterFiles<'_>,
) -> String {
    let has = |c: &str| export_header.is_some_and(|h| h.iter().any(|x| x == c));
    let longitudinal = export_header.is_none() || has("redcap_event_name");
    let dag = has("redcap_data_access_group");
    let record = dictionary.record_id();
    let fields: Vec<&Field> = dictionary
        .fields()
        .iter()
        .filter(|f| f.name != record.name && f.kind != FieldType::Other)
        .collect();
    let mut used: Vec<&str> = Vec::new();
    let mut unmatched: Vec<String> = Vec::new();
    let mut t = String::new();
    t.push_str(
        "# Written by `trialdose init` from a REDCap data dictionary: a guess to check and edit.\n\
         # Reference: data/README.md, \"REDCap\".\n\
         [source]\nformat = \"redcap\"\n",
    );
    let _ = writeln!(
        t,
        "export = {}          # Data Exports > All data > CSV / Microsoft Excel (raw data)",
        toml_str(files.export)
    );
    let _ = writeln!(
        t,
        "dictionary = {}  # Project Setup > Data Dictionary > Download\n\n[source.redcap]",
        toml_str(files.dictionary)
    );
    if longitudinal {
        t.push_str(
            "participants_event = \"baseline_arm_1\"  # guess: the unique name of the event holding the participant fields\n",
        );
    } else {
        t.push_str("# The export has no events: every non-repeating row is a participant row.\n");
    }

    // The sessions instrument: the form whose fields best fill the sessions columns.
    let forms = dictionary.forms();
    let session_form = forms
        .iter()
        .map(|form| {
            let on: Vec<&Field> = fields.iter().copied().filter(|f| &f.form == form).collect();
            let hits = SESSION_COLUMNS[1..]
                .iter()
                .filter(|c| best(c, &on, &[]).is_some())
                .count();
            let named = ["session", "visit", "treatment"]
                .iter()
                .any(|w| form.to_ascii_lowercase().contains(w));
            (form, hits + usize::from(named))
        })
        .filter(|(_, hits)| *hits >= 2)
        .max_by_key(|(_, hits)| *hits)
        .map(|(f, _)| *f);

    t.push_str(&format!(
        "\n[source.redcap.participants]\n# participant_id is the record id, `{}`.\n",
        why_name(&record.name)
    ));
    let not_sessions: Vec<&Field> = fields
        .iter()
        .copied()
        .filter(|f| Some(f.form.as_str()) != session_form)
        .collect();
    for column in &PARTICIPANT_COLUMNS[1..] {
        match best(column, &not_sessions, &used) {
            Some(f) => {
                used.push(&f.name);
                let _ = writeln!(t, "{column} = {}  # {}", toml_str(&f.name), why(f));
            }
            None if dag && *column == "site" => {
                let _ = writeln!(t, "site = \"dag\"  # the data access group");
            }
            None => unmatched.push(format!("participants.{column}")),
        }
    }

    match session_form {
        Some(form) => {
            t.push_str("\n[source.redcap.sessions]\n");
            let _ = writeln!(
                t,
                "instrument = {}  # the repeating instrument: one visit per instance",
                toml_str(form)
            );
            let on: Vec<&Field> = fields.iter().copied().filter(|f| f.form == form).collect();
            for column in &SESSION_COLUMNS[1..] {
                match best(column, &on, &used) {
                    Some(f) => {
                        used.push(&f.name);
                        let _ = writeln!(t, "{column} = {}  # {}", toml_str(&f.name), why(f));
                    }
                    None => unmatched.push(format!("sessions.{column}")),
                }
            }
        }
        None => {
            t.push_str(
                "\n# No form looked like the session log: name the repeating instrument and its fields.\n\
                 # [source.redcap.sessions]\n# instrument = \"\"\n",
            );
            unmatched.extend(SESSION_COLUMNS[1..].iter().map(|c| format!("sessions.{c}")));
        }
    }

    if longitudinal {
        t.push_str("\n[source.redcap.scores]\n");
        for column in ["pain", "ndi"] {
            match best(column, &not_sessions, &used) {
                Some(f) => {
                    used.push(&f.name);
                    let _ = writeln!(t, "{column} = {}  # {}", toml_str(&f.name), why(f));
                }
                None => unmatched.push(format!("scores.{column}")),
            }
        }
        t.push_str(
            "# A marker declared in trial.toml ([[markers]] column = \"x\") is mapped here too: x = \"field\".\n\
             \n[source.redcap.scores.weeks]\n\
             # The events holding scores and their weeks (events are in the export, not the dictionary):\n\
             \"baseline_arm_1\" = 0\n\
             # \"week_5_arm_1\" = 5\n",
        );
    } else {
        unmatched.push("scores (a project without events has no week for a score)".to_owned());
    }

    t.push_str("\n# Contract columns not matched (map them above, or leave them out):\n");
    if unmatched.is_empty() {
        t.push_str("#   none\n");
    }
    for u in &unmatched {
        let _ = writeln!(t, "#   {u}");
    }
    t.push_str(
        "# Fields not used (coded values are mapped through [source.codes.COLUMN] \"code\" = \"value\",\n\
         # else through the dictionary's label):\n",
    );
    let unused: Vec<&&Field> = fields
        .iter()
        .filter(|f| !used.contains(&f.name.as_str()))
        .collect();
    if unused.is_empty() {
        t.push_str("#   none\n");
    }
    for f in unused {
        let _ = writeln!(t, "#   {} ({})", why_name(&f.name), why(f));
    }
    t
}

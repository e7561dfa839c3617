//! The translation proper: a plan built once from the mapping, the dictionary and the export's
//! header (every usage error is found here, before any row is read), then one pass over the
//! rows that writes each contract table's records.
//!
//! The plan turns every mapped column into a [`Cell`]: where in the record its value sits and
//! how it becomes a contract value (passed through, looked up in a small byte table that
//! holds the `[source.codes]` entries first and the dictionary's labels after them, or
//! gathered from a checkbox's 0/1 columns). Each row feeding a table becomes a record of
//! `cohort::records` at its export line, its fields copied as bytes (nothing to quote).

use rustc_hash::FxHashMap;

use super::dictionary::{Dictionary, Field, FieldType};
use super::spec::{Mapping, RedcapSpec, SCORE_COLUMNS, Source};
use super::{Codes, RedcapError, Table, Translation};
use crate::cohort::csvfile::{self, CsvSource, Record};
use crate::cohort::records::{BlockWriter, RecordTable, TranslationRejection};
use crate::domain::text::same_bytes;

/// The export's REDCap columns.
const EVENT: &str = "redcap_event_name";
const REPEAT_INSTRUMENT: &str = "redcap_repeat_instrument";
const DAG: &str = "redcap_data_access_group";

/// Source values and their contract values, looked up by linear search: a
/// field has a handful of choices, so a scan of a few short byte strings beats hashing.
type CodeTable = Vec<(Box<[u8]>, Box<[u8]>)>;

/// How a value becomes a contract value.
#[derive(Debug)]
enum Lookup {
    /// Written as it is.
    Pass,
    /// Looked up (trimmed); a value not in the table is written as it is.
    Optional(CodeTable),
    /// Looked up (trimmed); a value not in the table rejects the row. `allowed` lists the
    /// choices for the message.
    Coded { table: CodeTable, allowed: String },
}

/// One column of a contract table.
#[derive(Debug)]
enum Cell {
    /// The record id.
    Record,
    /// The week of the row's event.
    Week,
    /// The value of export column `col` (a field, or the data access group).
    Value {
        col: usize,
        lookup: Lookup,
        column: String,
        field: String,
        kind: FieldType,
    },
    /// A checkbox: each choice's export column, its contract code and the column's name.
    Checkbox {
        choices: Vec<(usize, Box<[u8]>, String)>,
        column: String,
        field: String,
    },
}

/// What is written for one table.
#[derive(Debug)]
struct TablePlan {
    header: Vec<String>,
    cells: Vec<Cell>,
}

impl TablePlan {
    /// True when the row carries a value of a mapped field (a checkbox only when a choice is
    /// checked; the record id, the week and the data access group do not count).
    fn carries(&self, rec: &Record<'_>) -> Option<(&str, String)> {
        for cell in &self.cells {
            match cell {
                Cell::Value {
                    col, column, kind, ..
                } if *kind != FieldType::Other => {
                    let v = trim_bytes(get(rec, *col));
                    if !v.is_empty() {
                        return Some((column, text(v)));
                    }
                }
                Cell::Checkbox {
                    choices, column, ..
                } if choices
                    .iter()
                    .any(|(c, _, _)| trim_bytes(get(rec, *c)) == b"1") =>
                {
                    return Some((column, String::new()));
                }
                _ => {}
            }
        }
        None
    }
}

/// Everything the row loop needs, built once.
#[derive(Debug)]
struct Plan {
    width: usize,
    record: usize,
    event: Option<usize>,
    repeat_instrument: Option<usize>,
    participants_event: Option<Vec<u8>>,
    instrument: Option<Vec<u8>>,
    weeks: Vec<(Vec<u8>, u32)>,
    participants: TablePlan,
    sessions: Option<TablePlan>,
    scores: Option<TablePlan>,
}

/// Field `i` of `rec`, empty when the record is shorter.
#[inline]
fn get<'r>(rec: &'r Record<'_>, i: usize) -> &'r [u8] {
    if i < rec.len() { rec.get(i) } else { b"" }
}

/// Spaces and tabs trimmed, as the contract trims cells.
#[inline]
fn trim_bytes(b: &[u8]) -> &[u8] {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !blank(f) && !blank(l) => b,
        (None, _) => b,
        _ => {
            let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
            let end = b.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
            &b[start..end]
        }
    }
}

/// Bytes as text for a message (invalid UTF-8 shown with replacement characters), cut at
/// 200 bytes.
fn text(b: &[u8]) -> String {
    let cut = &b[..b.len().min(200)];
    String::from_utf8_lossy(cut).into_owned()
}

#[inline(always)]
fn find<'t>(table: &'t CodeTable, key: &[u8]) -> Option<&'t [u8]> {
    table
        .iter()
        .find(|(k, _)| same_bytes(k, key))
        .map(|(_, v)| &**v)
}

/// What a column accepts from the dictionary.
fn allowed_types(column: &str) -> (&'static [FieldType], &'static str) {
    use FieldType::*;
    match column {
        "contraindications" => (&[Checkbox], "a checkbox"),
        "medical_clearance" => (
            &[YesNo, TrueFalse, Radio, Dropdown, Text],
            "yesno, truefalse, radio, dropdown or text",
        ),
        "randomized_on" | "date" => (
            &[Text],
            "a text field validated as a date (date_ymd, date_dmy or date_mdy) or not validated",
        ),
        "arm" | "sex" | "site" | "status" | "adverse_event" | "therapist" => (
            &[Radio, Dropdown, Text, Notes],
            "radio, dropdown, text or notes",
        ),
        // age, minutes, pain, ndi and markers: numbers.
        _ => (
            &[Text, Calc, Slider, Radio, Dropdown],
            "a number: text (validated as a number or integer, or not validated), calc, slider, radio or dropdown",
        ),
    }
}

/// Whether `field` can feed `column` (type, and for text its validation), or why not.
pub(super) fn fits(column: &str, field: &Field) -> Result<(), String> {
    let (types, wanted) = allowed_types(column);
    if !types.contains(&field.kind) {
        return Err(format!(
            "`{column}` needs {wanted}, but field `{}` is of type {} in the dictionary (line {}); map a field of that type",
            field.name, field.type_text, field.line
        ));
    }
    if field.kind == FieldType::Text && !field.validation.is_empty() {
        let dates = ["date_ymd", "date_dmy", "date_mdy"];
        let numbers = ["integer", "number"];
        let is_date = dates.contains(&field.validation.as_str());
        let is_number = numbers.iter().any(|n| field.validation.starts_with(n));
        let ok = match column {
            "randomized_on" | "date" => is_date,
            "arm" | "sex" | "site" | "status" | "adverse_event" | "therapist"
            | "medical_clearance" => !field.validation.starts_with("date"),
            _ => is_number,
        };
        if !ok {
            return Err(format!(
                "`{column}` needs {wanted}, but text field `{}` is validated as {} in the dictionary (line {}); map a field with a fitting validation",
                field.name, field.validation, field.line
            ));
        }
    }
    Ok(())
}

/// The export's header, by name.
struct Header<'h> {
    index: FxHashMap<&'h str, usize>,
}

impl<'h> Header<'h> {
    fn new(names: &'h [String]) -> Header<'h> {
        let mut index = FxHashMap::default();
        for (i, n) in names.iter().enumerate() {
            index.entry(n.as_str()).or_insert(i);
        }
        Header { index }
    }
    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// The lookup of a coded field feeding `column`: `[source.codes.<column>]` first, then the
/// dictionary's labels (yesno and truefalse as `yes`/`no`).
fn coded_lookup(field: &Field, column: &str, codes: &Codes) -> Lookup {
    let mut table: CodeTable = Vec::new();
    if let Some(map) = codes.get(column) {
        for (from, to) in map {
            table.push((from.trim().as_bytes().into(), to.as_bytes().into()));
        }
    }
    for (code, label) in &field.choices {
        if find(&table, code.as_bytes()).is_none() {
            let to = match (field.kind, code.as_str()) {
                (FieldType::YesNo | FieldType::TrueFalse, "1") => "yes",
                (FieldType::YesNo | FieldType::TrueFalse, "0") => "no",
                _ => label,
            };
            table.push((code.as_bytes().into(), to.as_bytes().into()));
        }
    }
    Lookup::Coded {
        table,
        allowed: field.choices_text(),
    }
}

/// The lookup of an uncoded value feeding `column`: `[source.codes.<column>]` when given.
fn free_lookup(column: &str, codes: &Codes) -> Lookup {
    match codes.get(column) {
        Some(map) if !map.is_empty() => Lookup::Optional(
            map.iter()
                .map(|(from, to)| (from.trim().as_bytes().into(), to.as_bytes().into()))
                .collect(),
        ),
        _ => Lookup::Pass,
    }
}

/// Builds one table's plan from its mappings.
fn table_plan(
    columns: &[Mapping],
    week: bool,
    dictionary: &Dictionary,
    header: &Header<'_>,
    codes: &Codes,
    form: Option<&str>,
) -> Result<TablePlan, RedcapError> {
    let mut names: Vec<&str> = Vec::new();
    let mut cells = Vec::new();
    let record = &dictionary.record_id().name;
    for m in columns {
        if m.column == "week" {
            continue;
        }
        names.push(&m.column);
        let field_error = |field: &str, problem: String| RedcapError::Field {
            key: m.key.clone(),
            field: field.to_owned(),
            problem,
        };
        let cell = match &m.source {
            Source::RecordId => Cell::Record,
            Source::Field(name) if name == record => Cell::Record,
            Source::Field(name) if m.column == "participant_id" => {
                return Err(field_error(
                    name,
                    format!(
                        "participant_id is the record id, `{record}` (the project's first field): sessions and scores rows carry only the record id; remove the key or name `{record}`"
                    ),
                ));
            }
            Source::Dag => {
                let col = header.get(DAG).ok_or_else(|| {
                    field_error(
                        "dag",
                        format!("the export has no `{DAG}` column; export with the data access groups included, or map the field holding `{}`", m.column),
                    )
                })?;
                Cell::Value {
                    col,
                    lookup: free_lookup(&m.column, codes),
                    column: m.column.clone(),
                    field: DAG.to_owned(),
                    kind: FieldType::Other,
                }
            }
            Source::Field(name) => {
                let field = dictionary.field(name).ok_or_else(|| {
                    field_error(
                        name,
                        format!(
                            "the data dictionary has no field `{name}`; give the field's \"Variable / Field Name\" (fields of a similar name: {})",
                            similar(dictionary, name)
                        ),
                    )
                })?;
                fits(&m.column, field).map_err(|p| field_error(name, p))?;
                if let Some(form) = form
                    && field.form != form
                {
                    return Err(field_error(
                        name,
                        format!(
                            "field `{name}` is on form `{}`, not on the sessions instrument `{form}`, so no session instance holds it; map a field of `{form}`",
                            field.form
                        ),
                    ));
                }
                if field.kind == FieldType::Checkbox {
                    let mut choices = Vec::new();
                    for (code, label) in &field.choices {
                        let export_name = field.checkbox_column(code);
                        let col = header.get(&export_name).ok_or_else(|| {
                            field_error(
                                name,
                                format!(
                                    "the export has no column `{export_name}` (choice {code} of checkbox `{name}`); export the field, or bring the dictionary up to date with the project"
                                ),
                            )
                        })?;
                        // REDCap lowercases the code in the column name, so a code under
                        // [source.codes] matches whatever its case.
                        let to = codes
                            .get(&m.column)
                            .and_then(|c| {
                                c.get(code).or_else(|| {
                                    c.iter()
                                        .find(|(k, _)| k.trim().eq_ignore_ascii_case(code))
                                        .map(|(_, v)| v)
                                })
                            })
                            .map_or(label.as_str(), String::as_str);
                        choices.push((col, to.as_bytes().into(), export_name));
                    }
                    Cell::Checkbox {
                        choices,
                        column: m.column.clone(),
                        field: name.clone(),
                    }
                } else {
                    let col = header.get(name).ok_or_else(|| {
                        field_error(
                            name,
                            format!(
                                "the export has no column `{name}`; export this field (raw data, every event), or fix the key"
                            ),
                        )
                    })?;
                    let lookup = if field.kind.coded() {
                        coded_lookup(field, &m.column, codes)
                    } else {
                        free_lookup(&m.column, codes)
                    };
                    Cell::Value {
                        col,
                        lookup,
                        column: m.column.clone(),
                        field: name.clone(),
                        kind: field.kind,
                    }
                }
            }
        };
        cells.push(cell);
        if week && m.column == "participant_id" {
            names.push("week");
            cells.push(Cell::Week);
        }
    }
    Ok(TablePlan {
        header: names.iter().map(|n| (*n).to_owned()).collect(),
        cells,
    })
}

/// Up to five field names sharing a word with `name`, for a message.
fn similar(dictionary: &Dictionary, name: &str) -> String {
    let words: Vec<String> = name
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(str::to_owned)
        .collect();
    let found: Vec<&str> = dictionary
        .fields()
        .iter()
        .filter(|f| {
            let lower = f.name.to_ascii_lowercase();
            words.iter().any(|w| lower.contains(w.as_str()))
        })
        .map(|f| f.name.as_str())
        .take(5)
        .collect();
    if found.is_empty() {
        "none".to_owned()
    } else {
        found.join(", ")
    }
}

impl Plan {
    fn new(
        names: &[String],
        dictionary: &Dictionary,
        spec: &RedcapSpec,
        codes: &Codes,
        markers: &[String],
    ) -> Result<Plan, RedcapError> {
        let header = Header::new(names);
        let record_name = &dictionary.record_id().name;
        let record = header.get(record_name).ok_or_else(|| RedcapError::Export {
            problem: format!(
                "the header has no `{record_name}` column, the record id (the data dictionary's first field); export the records (CSV, raw data) of the project whose dictionary this is. The header is: {}",
                names.join(",")
            ),
        })?;
        let event = header.get(EVENT);
        let repeat_instrument = header.get(REPEAT_INSTRUMENT);
        let participants_event = match (event, spec.participants_event()) {
            (Some(_), Some(e)) => Some(e.as_bytes().to_vec()),
            (Some(_), None) => {
                return Err(RedcapError::Spec {
                    key: "source.redcap.participants_event".to_owned(),
                    problem: "is missing; the export has events (`redcap_event_name`): name the event whose rows hold the participant fields, e.g. \"baseline_arm_1\"".to_owned(),
                });
            }
            (None, Some(_)) => {
                return Err(RedcapError::Spec {
                    key: "source.redcap.participants_event".to_owned(),
                    problem: "is given, but the export has no `redcap_event_name` column (a project without events, where every non-repeating row is a participant row); remove the key, or export a longitudinal project with its events".to_owned(),
                });
            }
            (None, None) => None,
        };
        if let Some(s) = spec.sessions()
            && repeat_instrument.is_none()
        {
            return Err(RedcapError::Export {
                problem: format!(
                    "the header has no `{REPEAT_INSTRUMENT}` column, so no row is an instance of the sessions instrument `{}`; make `{}` a repeating instrument in REDCap and export again",
                    s.instrument, s.instrument
                ),
            });
        }
        let participants =
            table_plan(spec.participants(), false, dictionary, &header, codes, None)?;
        let (instrument, sessions) = match spec.sessions() {
            Some(s) => {
                if !dictionary.forms().contains(&s.instrument.as_str()) {
                    return Err(RedcapError::Field {
                        key: "source.redcap.sessions.instrument".to_owned(),
                        field: s.instrument.clone(),
                        problem: format!(
                            "the data dictionary has no form `{}`; its forms are: {}",
                            s.instrument,
                            dictionary.forms().join(", ")
                        ),
                    });
                }
                let plan = table_plan(
                    &s.columns,
                    false,
                    dictionary,
                    &header,
                    codes,
                    Some(&s.instrument),
                )?;
                (Some(s.instrument.as_bytes().to_vec()), Some(plan))
            }
            None => (None, None),
        };
        let (weeks, scores) = match spec.scores() {
            Some(s) => {
                if event.is_none() {
                    return Err(RedcapError::Spec {
                        key: "source.redcap.scores".to_owned(),
                        problem: "needs events: a score's week comes from its event, and the export has no `redcap_event_name` column (a project without events); define events in REDCap (e.g. baseline and week 5) and export again".to_owned(),
                    });
                }
                // participant_id, pain, ndi, then the markers in trial.toml's order.
                let mut columns: Vec<Mapping> = s
                    .columns
                    .iter()
                    .filter(|m| SCORE_COLUMNS.contains(&m.column.as_str()))
                    .cloned()
                    .collect();
                for m in &s.columns {
                    if !SCORE_COLUMNS.contains(&m.column.as_str()) && !markers.contains(&m.column) {
                        return Err(RedcapError::Spec {
                            key: m.key.clone(),
                            problem: format!(
                                "is not a score column: the keys of [source.redcap.scores] are weeks, pain, ndi and the markers declared in trial.toml ({}); declare the marker under [[markers]] or remove the key",
                                if markers.is_empty() {
                                    "none declared".to_owned()
                                } else {
                                    markers.join(", ")
                                }
                            ),
                        });
                    }
                }
                for marker in markers {
                    if let Some(m) = s.columns.iter().find(|m| &m.column == marker) {
                        columns.push(m.clone());
                    }
                }
                let plan = table_plan(&columns, true, dictionary, &header, codes, None)?;
                let weeks = s
                    .weeks
                    .iter()
                    .map(|(e, w)| (e.as_bytes().to_vec(), *w))
                    .collect();
                (weeks, Some(plan))
            }
            None => (Vec::new(), None),
        };
        Ok(Plan {
            width: names.len(),
            record,
            event,
            repeat_instrument,
            participants_event,
            instrument,
            weeks,
            participants,
            sessions,
            scores,
        })
    }
}

/// One table's part of one chunk.
#[derive(Default)]
struct Part {
    records: BlockWriter,
    rejected: Vec<TranslationRejection>,
}

/// One chunk's results.
#[derive(Default)]
struct State {
    tables: [Part; 3],
    ignored: Vec<(u64, String)>,
    rows: u64,
    /// Rows at the participants event (to tell a misspelt event from an empty export).
    at_participants_event: u64,
    int: itoa::Buffer,
}

impl State {
    /// Moves every line the chunk's state holds on by `by` (its lines were numbered from 0).
    fn shift_lines(&mut self, by: u64) {
        for part in &mut self.tables {
            part.records.shift_lines(by);
            for problem in &mut part.rejected {
                problem.location += by;
            }
        }
        for (line, _) in &mut self.ignored {
            *line += by;
        }
    }
}

const PARTICIPANTS: usize = 0;
const SESSIONS: usize = 1;
const SCORES: usize = 2;

impl Plan {
    /// Writes the row into `table` (or its problems into the table's rejections).
    fn feed(
        &self,
        st: &mut State,
        table: usize,
        plan: &TablePlan,
        rec: &Record<'_>,
        week: Option<u32>,
    ) {
        let line = rec.line();
        let State { tables, int, .. } = st;
        let part = &mut tables[table];
        let rejected_before = part.rejected.len();
        let out = part.records.start(line);
        for cell in &plan.cells {
            match cell {
                Cell::Record => out.push(get(rec, self.record)),
                Cell::Week => {
                    if let Some(w) = week {
                        out.push(int.format(w).as_bytes());
                    } else {
                        out.push(b"");
                    }
                }
                Cell::Value {
                    col,
                    lookup,
                    column,
                    field,
                    ..
                } => {
                    let raw = get(rec, *col);
                    match lookup {
                        Lookup::Pass => out.push(raw),
                        Lookup::Optional(table) => {
                            out.push(find(table, trim_bytes(raw)).unwrap_or(raw));
                        }
                        Lookup::Coded { table, allowed } => {
                            let v = trim_bytes(raw);
                            match find(table, v) {
                                Some(to) => out.push(to),
                                None if v.is_empty() => out.push(b""),
                                None => {
                                    out.push(b"");
                                    part.rejected.push(TranslationRejection {
                                        location: line,
                                        id: text(trim_bytes(get(rec, self.record))),
                                        column: column.clone(),
                                        value: text(v),
                                        reason: format!(
                                            "code `{}` of field `{field}` is not defined in the data dictionary (its choices: {allowed}) nor under [source.codes.{column}]; add the choice in REDCap or map the code under [source.codes.{column}]",
                                            text(v)
                                        ),
                                    });
                                }
                            }
                        }
                    }
                }
                Cell::Checkbox {
                    choices,
                    column,
                    field,
                } => {
                    let mut first = true;
                    for (col, to, name) in choices {
                        match trim_bytes(get(rec, *col)) {
                            b"1" => {
                                if !first {
                                    out.buffer().push(b';');
                                }
                                first = false;
                                out.buffer().extend_from_slice(to);
                            }
                            b"0" | b"" => {}
                            other => part.rejected.push(TranslationRejection {
                                location: line,
                                id: text(trim_bytes(get(rec, self.record))),
                                column: column.clone(),
                                value: text(other),
                                reason: format!(
                                    "checkbox `{field}` has `{}` in column `{name}`; REDCap writes 0 (unchecked) or 1 (checked); export raw data",
                                    text(other),
                                ),
                            }),
                        }
                    }
                    out.end();
                }
            }
        }
        if part.rejected.len() != rejected_before {
            out.cancel();
        }
    }

    fn week_of(&self, event: &[u8]) -> Option<u32> {
        self.weeks
            .iter()
            .find(|(e, _)| same_bytes(e, event))
            .map(|(_, w)| *w)
    }

    /// Sorts one record into the tables it feeds, or into the ignored rows.
    fn row(&self, st: &mut State, rec: &Record<'_>) {
        st.rows += 1;
        let line = rec.line();
        let instrument = self
            .repeat_instrument
            .map_or(&b""[..], |i| trim_bytes(get(rec, i)));
        let event = self.event.map(|i| trim_bytes(get(rec, i)));
        if rec.malformed().is_some() || rec.len() != self.width {
            // The structural cells say which table the row was meant for, as far as they can.
            let table = if !instrument.is_empty() && self.sessions.is_some() {
                SESSIONS
            } else if event.is_some_and(|e| self.week_of(e).is_some())
                && event != self.participants_event.as_deref()
                && self.scores.is_some()
            {
                SCORES
            } else {
                PARTICIPANTS
            };
            let reason = match rec.malformed() {
                Some(p) => format!("the record {p}"),
                None => format!(
                    "the record has {} fields, the export's header {}; the file was cut or edited by hand, export it again",
                    rec.len(),
                    self.width
                ),
            };
            st.tables[table].rejected.push(TranslationRejection {
                location: line,
                id: text(trim_bytes(get(rec, self.record))),
                column: String::new(),
                value: String::new(),
                reason,
            });
            return;
        }
        if !instrument.is_empty() {
            match (&self.instrument, &self.sessions) {
                (Some(i), Some(plan)) if same_bytes(i, instrument) => {
                    self.feed(st, SESSIONS, plan, rec, None);
                }
                (Some(i), _) => st.ignored.push((
                    line,
                    format!(
                        "instance of repeating instrument `{}`, not of the sessions instrument `{}`",
                        text(instrument),
                        text(i)
                    ),
                )),
                _ => st.ignored.push((
                    line,
                    format!(
                        "instance of repeating instrument `{}`, and trial.toml has no [source.redcap.sessions]",
                        text(instrument)
                    ),
                )),
            }
            return;
        }
        let mut fed = false;
        let at_participants_event = match (event, &self.participants_event) {
            (Some(e), Some(p)) => same_bytes(e, p),
            _ => true,
        };
        if at_participants_event {
            st.at_participants_event += 1;
            self.feed(st, PARTICIPANTS, &self.participants, rec, None);
            fed = true;
        } else if let Some((column, value)) = self.participants.carries(rec) {
            st.tables[PARTICIPANTS].rejected.push(TranslationRejection {
                location: line,
                id: text(trim_bytes(get(rec, self.record))),
                column: column.to_owned(),
                value,
                reason: format!(
                    "participant fields at event `{}`; the participant row is read at the participants_event `{}` only; move the data to that event in REDCap, or change source.redcap.participants_event",
                    text(event.unwrap_or_default()),
                    text(self.participants_event.as_deref().unwrap_or_default())
                ),
            });
            fed = true;
        }
        if let Some(plan) = &self.scores
            && let Some((column, value)) = plan.carries(rec)
        {
            let event = event.unwrap_or_default();
            match self.week_of(event) {
                Some(w) => self.feed(st, SCORES, plan, rec, Some(w)),
                None => st.tables[SCORES].rejected.push(TranslationRejection {
                    location: line,
                    id: text(trim_bytes(get(rec, self.record))),
                    column: column.to_owned(),
                    value,
                    reason: format!(
                        "score values at event `{}`, which [source.redcap.scores.weeks] gives no week; add `\"{}\" = WEEK` there, or move the scores to a score event in REDCap",
                        text(event),
                        text(event)
                    ),
                }),
            }
            fed = true;
        }
        if !fed {
            st.ignored.push((
                line,
                match event {
                    Some(e) => format!("event `{}` carries none of the mapped fields", text(e)),
                    None => "the row carries none of the mapped fields".to_owned(),
                },
            ));
        }
    }
}

/// [`translate_with`] on every available core (the result does not depend on it).
///
/// # Errors
/// See [`translate_with`].
pub fn translate(
    export: &[u8],
    dictionary: &Dictionary,
    spec: &RedcapSpec,
    codes: &Codes,
    markers: &[String],
) -> Result<Translation, RedcapError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    translate_with(export, dictionary, spec, codes, markers, threads)
}

/// Translates a REDCap records export (flat CSV, raw data) into the three contract tables,
/// reading it on up to `threads` threads (same bytes whatever the number).
///
/// `markers` are the marker columns declared in trial.toml; a score key of
/// `[source.redcap.scores]` other than pain and ndi must be one of them.
///
/// # Errors
/// [`RedcapError`] for what makes the mapping unusable: a mapped field the dictionary or the
/// export lacks, a field of the wrong type, an unknown score key, an export without its record
/// id column, `participants_event` missing for a project with events or naming an event no row
/// has. Row problems are not errors: they are in each [`Table::rejected`].
pub fn translate_with(
    export: &[u8],
    dictionary: &Dictionary,
    spec: &RedcapSpec,
    codes: &Codes,
    markers: &[String],
    threads: usize,
) -> Result<Translation, RedcapError> {
    let source = CsvSource::new(export);
    if source.header().is_empty() {
        return Err(RedcapError::Export {
            problem: "the file is empty; export the project's records as CSV (raw data)".to_owned(),
        });
    }
    if let Some(p) = source.header_problem() {
        return Err(RedcapError::Export {
            problem: format!("the header (line {}) {p}", source.header_line()),
        });
    }
    let plan = Plan::new(source.header(), dictionary, spec, codes, markers)?;
    let states = csvfile::process_numbered_after(
        &source,
        threads.max(1),
        State::default,
        |st, rec| plan.row(st, rec),
        State::shift_lines,
    );
    let mut out = Translation::default();
    let headers: [&[String]; 3] = [
        &plan.participants.header,
        plan.sessions.as_ref().map_or(&[], |p| &p.header),
        plan.scores.as_ref().map_or(&[], |p| &p.header),
    ];
    let mut parts: [Vec<Part>; 3] = Default::default();
    let mut at_participants_event = 0;
    for st in states {
        out.rows += st.rows;
        at_participants_event += st.at_participants_event;
        out.ignored.extend(st.ignored);
        for (k, p) in st.tables.into_iter().enumerate() {
            parts[k].push(p);
        }
    }
    let [participants, sessions, scores] = {
        let mut k = 0;
        parts.map(|ps| {
            let mut t = Table {
                records: RecordTable {
                    header: headers[k].to_vec(),
                    header_line: source.header_line(),
                    blocks: Vec::with_capacity(ps.len()),
                    lazy: None,
                },
                rejected: Vec::new(),
            };
            k += 1;
            for p in ps {
                t.records.blocks.extend(p.records.into_blocks());
                t.rejected.extend(p.rejected);
            }
            t
        })
    };
    out.participants = participants;
    out.sessions = sessions;
    out.scores = scores;
    if let Some(event) = spec.participants_event()
        && out.rows > 0
        && at_participants_event == 0
    {
        return Err(RedcapError::Spec {
            key: "source.redcap.participants_event".to_owned(),
            problem: format!(
                "= \"{event}\" is the event of no row of the export; its events are: {}; name the event whose rows hold the participant fields",
                events(&source, &plan).join(", ")
            ),
        });
    }
    Ok(out)
}

/// The distinct events of the export, in order of first appearance (for a message).
fn events(source: &CsvSource<'_>, plan: &Plan) -> Vec<String> {
    let Some(col) = plan.event else {
        return Vec::new();
    };
    let states = csvfile::process(source, 1, Vec::<Vec<u8>>::new, |seen, rec| {
        let e = trim_bytes(get(rec, col));
        if !seen.iter().any(|s| s.as_slice() == e) {
            seen.push(e.to_vec());
        }
    });
    let mut out: Vec<String> = Vec::new();
    for e in states.into_iter().flatten() {
        let t = text(&e);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out.into_iter().map(|e| format!("`{e}`")).collect()
}
